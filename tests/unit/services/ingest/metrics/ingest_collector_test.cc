// IngestCollector through Collect(), over a real Ledger on an in-memory store
// and a fixed clock: the families, their types and labels, and their values
// for a known set of events, including the ingest counters by result.
#include "services/ingest/metrics/ingest_collector.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock/clock.h"
#include "common/metrics/text_exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
#include "services/ingest/domain/ledger.h"
#include "tests/support/metric_families.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::Counter;
using ::orgpulse::testing::ExpectWellFormed;
using ::orgpulse::testing::FamilyShapes;
using ::orgpulse::testing::FindFamily;
using ::orgpulse::testing::FindSample;
using ::orgpulse::testing::Gauge;
using ::orgpulse::testing::SamplesWithLabel;
using ::orgpulse::testing::ShapesOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Families = std::vector<prometheus::MetricFamily>;

const absl::Time kNow = Utc(2026, 3, 11);
constexpr double kDay = 86400;

class InMemoryEventStore final : public EventStore {
 public:
  absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) override {
    absl::MutexLock lock(&mu_);
    if (!fail_next_.ok()) return std::exchange(fail_next_, absl::OkStatus());
    for (const Event* e : events) events_.push_back(*e);
    return AppendResult{.head = static_cast<int64_t>(events_.size())};
  }
  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override {
    absl::MutexLock lock(&mu_);
    for (const Event& e : events_) fn(e);
    return absl::OkStatus();
  }
  void FailNextAppend(absl::Status status) {
    absl::MutexLock lock(&mu_);
    fail_next_ = std::move(status);
  }

 private:
  absl::Mutex mu_;
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_next_ ABSL_GUARDED_BY(mu_);
};

// eng/payments: five tasks (two open, one of them overdue; one completed on
// time after 2 days, one late after 4; one cancelled), a planned project and
// one with costs only, a missed and a pending milestone, three procedure
// checks (two passed), a KPI with a target and one without. eng/search: one
// procedure check.
EventBatch KnownEvents() {
  const std::string t = "eng/payments";
  const absl::Time d1 = Utc(2026, 3, 1);
  return {
      MakeEvent("t1", t, d1, TaskCreated{"PAY-1", Utc(2026, 3, 20)}),
      MakeEvent("t2", t, d1, TaskCreated{"PAY-2", Utc(2026, 3, 5)}),
      MakeEvent("t3", t, Utc(2026, 3, 2), TaskStarted{"PAY-2"}),
      MakeEvent("t4", t, Utc(2026, 3, 4), TaskCompleted{"PAY-2"}),
      MakeEvent("t5", t, d1, TaskCreated{"PAY-3", Utc(2026, 3, 3)}),
      MakeEvent("t6", t, d1, TaskCreated{"PAY-4", Utc(2026, 3, 3)}),
      MakeEvent("t7", t, Utc(2026, 3, 5), TaskCompleted{"PAY-4"}),
      MakeEvent("t8", t, d1, TaskCreated{"PAY-5", Utc(2026, 3, 9)}),
      MakeEvent("t9", t, Utc(2026, 3, 2), TaskCancelled{"PAY-5"}),
      MakeEvent("p1", t, d1,
                ProjectBudgetPlan{"checkout", 1000, d1, Utc(2026, 3, 31)}),
      MakeEvent("p2", t, Utc(2026, 3, 6), CostActual{"checkout", 200}),
      MakeEvent("p3", t, Utc(2026, 3, 6), ProjectProgress{"checkout", 25}),
      MakeEvent("p4", t, Utc(2026, 3, 6), CostActual{"legacy", 50}),
      MakeEvent("m1", t, d1, MilestoneDue{"checkout", "beta", Utc(2026, 3, 5)}),
      MakeEvent("m2", t, Utc(2026, 3, 7), MilestoneReached{"checkout", "beta"}),
      MakeEvent("m3", t, d1, MilestoneDue{"checkout", "ga", Utc(2026, 3, 25)}),
      MakeEvent("c1", t, d1, ProcedureCheck{"code_review", true}),
      MakeEvent("c2", t, d1, ProcedureCheck{"code_review", false}),
      MakeEvent("c3", t, Utc(2026, 3, 10, 12),
                ProcedureCheck{"code_review", true}),
      MakeEvent(
          "k1", t, d1,
          KpiMonthlyTarget{"revenue", 2026, 3, 1000, KpiAggregation::kSum}),
      MakeEvent("k2", t, Utc(2026, 3, 8), KpiActual{"revenue", 250}),
      MakeEvent("k3", t, Utc(2026, 3, 8), KpiActual{"signups", 40}),
      MakeEvent("s1", "eng/search", Utc(2026, 3, 9),
                ProcedureCheck{"code_review", true}),
  };
}

class IngestCollectorTest : public ::testing::Test {
 protected:
  IngestCollectorTest()
      : clock_(kNow), ledger_(store_, clock_, {.max_teams = 2}) {
    EXPECT_TRUE(ledger_.Recover().ok());
  }

  Families Collect() const { return collector_.Collect(); }

  InMemoryEventStore store_;
  FixedClock clock_;
  Ledger ledger_;
  IngestCollector collector_{ledger_};
};

TEST_F(IngestCollectorTest, AnEmptyLedgerHasCountersAtZeroAndNoTeams) {
  const Families f = Collect();
  ExpectWellFormed(f, {"result", "reason"});
  EXPECT_EQ(
      Counter(f, "orgpulse_ingest_events_total", {{"result", "accepted"}}), 0);
  EXPECT_EQ(
      Counter(f, "orgpulse_ingest_events_total", {{"result", "duplicate"}}), 0);
  for (const std::string reason : {"invalid", "team_limit", "storage"}) {
    EXPECT_EQ(Counter(f, "orgpulse_ingest_events_rejected_total",
                      {{"reason", reason}}),
              0);
  }
  EXPECT_EQ(Counter(f, "orgpulse_store_commits_total"), 0);
  EXPECT_EQ(Gauge(f, "orgpulse_store_events"), 0);
  EXPECT_EQ(Gauge(f, "orgpulse_teams"), 0);
  EXPECT_EQ(FindFamily(f, "orgpulse_tasks_open"), nullptr);
}

TEST_F(IngestCollectorTest, TheIngestCountersCountEventsByResult) {
  const EventBatch events = KnownEvents();
  ASSERT_TRUE(ledger_.Push(events).ok());  // commit 1: 23 events
  // Two already stored, one new: a duplicate count of 2.
  ASSERT_TRUE(ledger_
                  .Push({events[0], events[1],
                         MakeEvent("c4", "eng/search", Utc(2026, 3, 9),
                                   ProcedureCheck{"deploy", true})})
                  .ok());  // commit 2
  // Invalid (an empty team): the whole batch of 2 is refused.
  EXPECT_FALSE(ledger_
                   .Push({MakeEvent("x1", "eng/search", Utc(2026, 3, 9),
                                    ProcedureCheck{"deploy", true}),
                          MakeEvent("x2", "", Utc(2026, 3, 9),
                                    ProcedureCheck{"deploy", true})})
                   .ok());
  // A third team, over the cap of 2.
  EXPECT_FALSE(ledger_
                   .Push({MakeEvent("y1", "sales", Utc(2026, 3, 9),
                                    ProcedureCheck{"deploy", true})})
                   .ok());
  // The store refuses a batch of 3.
  store_.FailNextAppend(absl::UnavailableError("disk I/O error"));
  EXPECT_FALSE(ledger_
                   .Push({MakeEvent("z1", "eng/search", Utc(2026, 3, 9),
                                    ProcedureCheck{"deploy", true}),
                          MakeEvent("z2", "eng/search", Utc(2026, 3, 9),
                                    ProcedureCheck{"deploy", true}),
                          MakeEvent("z3", "eng/search", Utc(2026, 3, 9),
                                    ProcedureCheck{"deploy", true})})
                   .ok());

  const Families f = Collect();
  EXPECT_EQ(
      Counter(f, "orgpulse_ingest_events_total", {{"result", "accepted"}}), 24);
  EXPECT_EQ(
      Counter(f, "orgpulse_ingest_events_total", {{"result", "duplicate"}}), 2);
  EXPECT_EQ(Counter(f, "orgpulse_ingest_events_rejected_total",
                    {{"reason", "invalid"}}),
            2);
  EXPECT_EQ(Counter(f, "orgpulse_ingest_events_rejected_total",
                    {{"reason", "team_limit"}}),
            1);
  EXPECT_EQ(Counter(f, "orgpulse_ingest_events_rejected_total",
                    {{"reason", "storage"}}),
            3);
  EXPECT_EQ(Counter(f, "orgpulse_store_commits_total"), 2);
  EXPECT_EQ(Gauge(f, "orgpulse_store_events"), 24);
  EXPECT_EQ(Gauge(f, "orgpulse_teams"), 2);
  // This store's position is its event count.
  EXPECT_EQ(Gauge(f, "orgpulse_log_folded_position"), 24);
}

TEST_F(IngestCollectorTest, TeamFiguresHaveTheirNamesTypesLabelsAndValues) {
  ASSERT_TRUE(ledger_.Push(KnownEvents()).ok());
  const Families f = Collect();
  ExpectWellFormed(f, {"result", "reason", "team", "timeliness", "project",
                       "state", "procedure", "kpi", "source"});
  const std::map<std::string, std::string> pay = {{"team", "eng/payments"}};

  // Every family of the collector, with its type and label names.
  using T = prometheus::MetricType;
  EXPECT_EQ(
      ShapesOf(f),
      (FamilyShapes{
          {"orgpulse_ingest_events_total", {T::Counter, {"result"}}},
          {"orgpulse_ingest_events_rejected_total", {T::Counter, {"reason"}}},
          {"orgpulse_store_commits_total", {T::Counter, {}}},
          {"orgpulse_store_events", {T::Gauge, {}}},
          {"orgpulse_teams", {T::Gauge, {}}},
          {"orgpulse_log_folded_position", {T::Gauge, {}}},
          {"orgpulse_sources", {T::Gauge, {}}},
          {"orgpulse_source_events", {T::Gauge, {"source"}}},
          {"orgpulse_source_last_event_timestamp_seconds",
           {T::Gauge, {"source"}}},
          {"orgpulse_ingest_events_removed_total", {T::Counter, {"reason"}}},
          {"orgpulse_ingest_retention_failures_total", {T::Counter, {}}},
          {"orgpulse_team_events", {T::Gauge, {"team"}}},
          {"orgpulse_team_last_event_timestamp_seconds", {T::Gauge, {"team"}}},
          {"orgpulse_tasks_open", {T::Gauge, {"team"}}},
          {"orgpulse_tasks_overdue", {T::Gauge, {"team"}}},
          {"orgpulse_tasks_cancelled", {T::Gauge, {"team"}}},
          {"orgpulse_tasks_completed", {T::Gauge, {"team", "timeliness"}}},
          {"orgpulse_tasks_on_time_ratio", {T::Gauge, {"team"}}},
          {"orgpulse_tasks_weekly_throughput", {T::Gauge, {"team"}}},
          {"orgpulse_task_cycle_time_seconds", {T::Summary, {"team"}}},
          {"orgpulse_project_actual_cost", {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_completion_ratio",
           {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_budget_at_completion",
           {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_planned_value", {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_earned_value", {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_cost_performance_index",
           {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_schedule_performance_index",
           {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_estimate_at_completion",
           {T::Gauge, {"team", "project"}}},
          {"orgpulse_project_variance_at_completion",
           {T::Gauge, {"team", "project"}}},
          {"orgpulse_milestones", {T::Gauge, {"team", "state"}}},
          {"orgpulse_milestone_slip_seconds", {T::Gauge, {"team"}}},
          {"orgpulse_milestone_max_slip_seconds", {T::Gauge, {"team"}}},
          {"orgpulse_procedure_checks", {T::Gauge, {"team", "procedure"}}},
          {"orgpulse_procedure_compliance_ratio",
           {T::Gauge, {"team", "procedure"}}},
          {"orgpulse_kpi_actual", {T::Gauge, {"team", "kpi"}}},
          {"orgpulse_kpi_forecast", {T::Gauge, {"team", "kpi"}}},
          {"orgpulse_kpi_target", {T::Gauge, {"team", "kpi"}}},
          {"orgpulse_kpi_attainment_ratio", {T::Gauge, {"team", "kpi"}}},
          {"orgpulse_kpi_forecast_attainment_ratio",
           {T::Gauge, {"team", "kpi"}}},
      }));

  // Per team: only the teams themselves, never the prefix they roll up to.
  EXPECT_EQ(Gauge(f, "orgpulse_team_events", pay), 22);
  EXPECT_EQ(Gauge(f, "orgpulse_team_events", {{"team", "eng/search"}}), 1);
  EXPECT_THAT(SamplesWithLabel(f, "team", "eng"), IsEmpty());
  EXPECT_EQ(Gauge(f, "orgpulse_team_last_event_timestamp_seconds", pay),
            absl::ToUnixSeconds(Utc(2026, 3, 10, 12)));

  // Tasks.
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_open", pay), 2);
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_overdue", pay), 1);
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_cancelled", pay), 1);
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_completed",
                  {{"team", "eng/payments"}, {"timeliness", "on_time"}}),
            1);
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_completed",
                  {{"team", "eng/payments"}, {"timeliness", "late"}}),
            1);
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_on_time_ratio", pay), 0.5);
  EXPECT_EQ(Gauge(f, "orgpulse_tasks_weekly_throughput", pay), 0.5);
  std::optional<prometheus::ClientMetric> cycle =
      FindSample(f, "orgpulse_task_cycle_time_seconds", pay);
  ASSERT_TRUE(cycle);
  EXPECT_EQ(cycle->summary.sample_count, 2u);
  EXPECT_EQ(cycle->summary.sample_sum, 6 * kDay);  // 2 days + 4 days
  ASSERT_EQ(cycle->summary.quantile.size(), 2u);
  EXPECT_EQ(cycle->summary.quantile[0].quantile, 0.5);
  EXPECT_EQ(cycle->summary.quantile[0].value, 2 * kDay);
  EXPECT_EQ(cycle->summary.quantile[1].quantile, 0.9);
  EXPECT_EQ(cycle->summary.quantile[1].value, 4 * kDay);
  // eng/search completed nothing: no on-time ratio, an empty summary.
  EXPECT_FALSE(
      FindSample(f, "orgpulse_tasks_on_time_ratio", {{"team", "eng/search"}}));
  EXPECT_EQ(FindSample(f, "orgpulse_task_cycle_time_seconds",
                       {{"team", "eng/search"}})
                ->summary.sample_count,
            0u);

  // Budgets: earned value for the planned project, 10 of 30 days elapsed.
  const std::map<std::string, std::string> checkout = {{"team", "eng/payments"},
                                                       {"project", "checkout"}};
  EXPECT_EQ(Gauge(f, "orgpulse_project_budget_at_completion", checkout), 1000);
  EXPECT_DOUBLE_EQ(Gauge(f, "orgpulse_project_planned_value", checkout),
                   1000.0 / 3);
  EXPECT_EQ(Gauge(f, "orgpulse_project_earned_value", checkout), 250);
  EXPECT_EQ(Gauge(f, "orgpulse_project_actual_cost", checkout), 200);
  EXPECT_EQ(Gauge(f, "orgpulse_project_completion_ratio", checkout), 0.25);
  EXPECT_DOUBLE_EQ(
      Gauge(f, "orgpulse_project_cost_performance_index", checkout), 1.25);
  EXPECT_DOUBLE_EQ(
      Gauge(f, "orgpulse_project_schedule_performance_index", checkout), 0.75);
  EXPECT_DOUBLE_EQ(
      Gauge(f, "orgpulse_project_estimate_at_completion", checkout), 800);
  EXPECT_DOUBLE_EQ(
      Gauge(f, "orgpulse_project_variance_at_completion", checkout), 200);
  // Costs without a plan: what is known, and nothing that needs the plan.
  EXPECT_THAT(SamplesWithLabel(f, "project", "legacy"),
              UnorderedElementsAre(
                  "orgpulse_project_actual_cost{project=legacy,team=eng/"
                  "payments,}",
                  "orgpulse_project_completion_ratio{project=legacy,team=eng/"
                  "payments,}"));
  EXPECT_EQ(Gauge(f, "orgpulse_project_actual_cost",
                  {{"team", "eng/payments"}, {"project", "legacy"}}),
            50);

  // Milestones: beta reached two days late, ga not due yet.
  for (const auto& [state, n] : {std::pair<std::string, double>{"met", 0},
                                 {"missed", 1},
                                 {"pending", 1}}) {
    EXPECT_EQ(Gauge(f, "orgpulse_milestones",
                    {{"team", "eng/payments"}, {"state", state}}),
              n)
        << state;
  }
  EXPECT_EQ(Gauge(f, "orgpulse_milestone_slip_seconds", pay), 2 * kDay);
  EXPECT_EQ(Gauge(f, "orgpulse_milestone_max_slip_seconds", pay), 2 * kDay);

  // Procedures.
  const std::map<std::string, std::string> review = {
      {"team", "eng/payments"}, {"procedure", "code_review"}};
  EXPECT_EQ(Gauge(f, "orgpulse_procedure_checks", review), 3);
  EXPECT_DOUBLE_EQ(Gauge(f, "orgpulse_procedure_compliance_ratio", review),
                   2.0 / 3);
  EXPECT_EQ(Gauge(f, "orgpulse_procedure_compliance_ratio",
                  {{"team", "eng/search"}, {"procedure", "code_review"}}),
            1);

  // KPIs: the forecast is the domain's month-end projection.
  absl::StatusOr<TeamExecution> figures =
      ledger_.GetTeamExecution("eng/payments");
  ASSERT_TRUE(figures.ok());
  ASSERT_EQ(figures->kpis.size(), 2u);
  const KpiFigures& revenue = figures->kpis[0];
  ASSERT_EQ(revenue.kpi, "revenue");
  ASSERT_GT(revenue.forecast, 250);
  const std::map<std::string, std::string> rev = {{"team", "eng/payments"},
                                                  {"kpi", "revenue"}};
  EXPECT_EQ(Gauge(f, "orgpulse_kpi_actual", rev), 250);
  EXPECT_EQ(Gauge(f, "orgpulse_kpi_target", rev), 1000);
  EXPECT_EQ(Gauge(f, "orgpulse_kpi_attainment_ratio", rev), 0.25);
  EXPECT_EQ(Gauge(f, "orgpulse_kpi_forecast", rev), revenue.forecast);
  EXPECT_EQ(Gauge(f, "orgpulse_kpi_forecast_attainment_ratio", rev),
            revenue.forecast / 1000);
  // Without a target: the figure and its forecast only.
  EXPECT_THAT(SamplesWithLabel(f, "kpi", "signups"),
              UnorderedElementsAre(
                  "orgpulse_kpi_actual{kpi=signups,team=eng/payments,}",
                  "orgpulse_kpi_forecast{kpi=signups,team=eng/payments,}"));
}

TEST_F(IngestCollectorTest, FiguresFollowTheClockAtScrapeTime) {
  ASSERT_TRUE(ledger_.Push(KnownEvents()).ok());
  const std::map<std::string, std::string> pay = {{"team", "eng/payments"}};
  EXPECT_EQ(Gauge(Collect(), "orgpulse_tasks_overdue", pay), 1);

  // PAY-1 falls due on the 20th: overdue from then on, with nothing pushed.
  clock_.Set(Utc(2026, 3, 21));
  EXPECT_EQ(Gauge(Collect(), "orgpulse_tasks_overdue", pay), 2);
}

// A source that stops pushing shows as its latest event getting old.
TEST_F(IngestCollectorTest, EachSourceHasItsEventsAndLatestEventTime) {
  EventBatch events = KnownEvents();  // all from "jira"
  events.push_back(MakeEvent("x1", "eng/search", Utc(2026, 3, 2),
                             CostActual{"infra", 5}, "finance-erp"));
  ASSERT_TRUE(ledger_.Push(events).ok());
  const Families f = Collect();
  EXPECT_EQ(Gauge(f, "orgpulse_sources"), 2);
  EXPECT_EQ(Gauge(f, "orgpulse_source_events", {{"source", "jira"}}), 23);
  EXPECT_EQ(Gauge(f, "orgpulse_source_events", {{"source", "finance-erp"}}), 1);
  // jira's latest occurred_at is c3's, 10 March 12:00.
  EXPECT_EQ(Gauge(f, "orgpulse_source_last_event_timestamp_seconds",
                  {{"source", "jira"}}),
            absl::ToUnixSeconds(Utc(2026, 3, 10, 12)));
  EXPECT_EQ(Gauge(f, "orgpulse_source_last_event_timestamp_seconds",
                  {{"source", "finance-erp"}}),
            absl::ToUnixSeconds(Utc(2026, 3, 2)));
  EXPECT_EQ(Counter(f, "orgpulse_ingest_events_rejected_total",
                    {{"reason", "source_limit"}}),
            0);
}

// /metrics writes the collector's text directly (TextExposition); it must be
// what prometheus-cpp makes of Collect(), label values to escape included.
TEST_F(IngestCollectorTest, TheTextServedIsPrometheusCppsTextOfTheFamilies) {
  EventBatch events = KnownEvents();
  const std::string awkward = "say \"hi\" \\ back";
  events.push_back(
      MakeEvent("q1", "eng/search", Utc(2026, 3, 9), CostActual{awkward, 10}));
  events.push_back(MakeEvent("q2", "eng/search", Utc(2026, 3, 9),
                             ProcedureCheck{awkward, true}));
  ASSERT_TRUE(ledger_.Push(events).ok());

  TextExposition direct;
  collector_.CollectInto(direct);
  std::string text;
  direct.AppendTo(text);
  EXPECT_EQ(text, prometheus::TextSerializer().Serialize(Collect()));
  EXPECT_THAT(text,
              HasSubstr("orgpulse_project_actual_cost{team=\"eng/search\","
                        "project=\"say \\\"hi\\\" \\\\ back\"} 10\n"));
}

}  // namespace
}  // namespace orgpulse::ingest
