#include "services/ingest/domain/execution_state.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/validation.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"
#include "tests/unit/services/ingest/random_state.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::DebugString;
using ::orgpulse::ingest::testing::FirstDifference;
using ::orgpulse::ingest::testing::FoldInOrder;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::RandomEvents;
using ::orgpulse::ingest::testing::RenderFigures;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::DoubleEq;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

// Wednesday 2026-03-11 00:00 UTC. The 28-day throughput window starts on
// 2026-02-11; 10 of March's 31 days have elapsed.
const absl::Time kNow = Utc(2026, 3, 11);
constexpr double kDay = 86400;

// Events built by hand; ids are unique, so each may be applied once.
class Log {
 public:
  Log& Add(const std::string& team, absl::Time at, Payload payload) {
    events_.push_back(MakeEvent(absl::StrCat("e", events_.size()), team, at,
                                std::move(payload)));
    return *this;
  }
  ExecutionState Fold() const {
    ExecutionState state;
    for (const Event& e : events_) {
      state.Apply(e, EventFingerprint(e.source, e.event_id));
    }
    return state;
  }

 private:
  std::vector<Event> events_;
};

TeamExecution FiguresOrDie(const ExecutionState& state,
                           absl::string_view prefix, absl::Time now = kNow) {
  absl::StatusOr<TeamExecution> f = state.Figures(prefix, now);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *std::move(f) : TeamExecution{};
}

TEST(ExecutionStateTest, TaskFigures) {
  Log log;
  const std::string team = "eng/a";
  // t1: open, due later.
  log.Add(team, Utc(2026, 3, 1), TaskCreated{"t1", Utc(2026, 3, 20), 2});
  // t2: open and overdue.
  log.Add(team, Utc(2026, 2, 1), TaskCreated{"t2", Utc(2026, 3, 1), 2});
  // t3: on time; the earliest start counts (the later one arrives first).
  // Cycle time 2026-03-02 -> 03-04 = 2 days.
  log.Add(team, Utc(2026, 3, 3), TaskStarted{"t3"})
      .Add(team, Utc(2026, 2, 1), TaskCreated{"t3", Utc(2026, 3, 5), 1})
      .Add(team, Utc(2026, 3, 2), TaskStarted{"t3"})
      .Add(team, Utc(2026, 3, 4), TaskCompleted{"t3"});
  // t4: late, never started: cycle time from creation, 02-01 -> 03-06 =
  // 28 + 5 = 33 days.
  log.Add(team, Utc(2026, 3, 6), TaskCompleted{"t4"})
      .Add(team, Utc(2026, 2, 1), TaskCreated{"t4", Utc(2026, 3, 5), 1});
  // t5: completed, then cancelled later: cancelled (the cancellation
  // arrives first).
  log.Add(team, Utc(2026, 3, 5), TaskCancelled{"t5"})
      .Add(team, Utc(2026, 2, 1), TaskCreated{"t5", Utc(2026, 3, 30), 1})
      .Add(team, Utc(2026, 3, 3), TaskCompleted{"t5"});
  // t6: cancelled, then completed later: completed on time, cycle time from
  // creation 02-01 -> 03-07 = 34 days.
  log.Add(team, Utc(2026, 3, 7), TaskCompleted{"t6"})
      .Add(team, Utc(2026, 2, 1), TaskCreated{"t6", Utc(2026, 3, 30), 1})
      .Add(team, Utc(2026, 3, 2), TaskCancelled{"t6"});
  // t7: on time, but completed before the 28-day window: 3-day cycle.
  log.Add(team, Utc(2026, 1, 1), TaskCreated{"t7", Utc(2026, 1, 10), 1})
      .Add(team, Utc(2026, 1, 2), TaskStarted{"t7"})
      .Add(team, Utc(2026, 1, 5), TaskCompleted{"t7"});
  const TeamExecution f = FiguresOrDie(log.Fold(), team);

  const TaskFigures& t = f.tasks;
  EXPECT_EQ(t.open, 2);                                    // t1, t2
  EXPECT_EQ(t.overdue, 1);                                 // t2
  EXPECT_EQ(t.completed_on_time, 3);                       // t3, t6, t7
  EXPECT_EQ(t.completed_late, 1);                          // t4
  EXPECT_EQ(t.cancelled, 1);                               // t5
  EXPECT_THAT(t.on_time_ratio, Optional(DoubleEq(0.75)));  // 3 / 4
  // Sorted cycle times: 2, 3, 33, 34 days. p50 = rank ceil(2) = 2nd;
  // p90 = rank ceil(3.6) = 4th.
  EXPECT_EQ(t.cycle_time_p50_seconds, 3 * kDay);
  EXPECT_EQ(t.cycle_time_p90_seconds, 34 * kDay);
  EXPECT_EQ(t.completed, 4);
  EXPECT_EQ(t.cycle_time_sum_seconds, (2 + 3 + 33 + 34) * kDay);
  // Completed in (02-11, 03-11]: t3, t4, t6 -> 3 / 4 weeks.
  EXPECT_EQ(t.weekly_throughput, 0.75);
  EXPECT_EQ(f.events, 17);
}

// A task keeps its latest completion and its latest cancellation in one
// field; the later decides, a completion wins a tie, in any arrival order.
TEST(ExecutionStateTest, TheLaterOfCompletionAndCancellationDecides) {
  for (bool completion_first : {true, false}) {
    SCOPED_TRACE(completion_first ? "completion first" : "cancellation first");
    Log log;
    log.Add("eng", Utc(2026, 3, 1), TaskCreated{"tie", Utc(2026, 3, 20), 1})
        .Add("eng", Utc(2026, 3, 1), TaskCreated{"late", Utc(2026, 3, 20), 1});
    const absl::Time tie = Utc(2026, 3, 4) + absl::Microseconds(7);
    const Payload tie_events[] = {TaskCompleted{"tie"}, TaskCancelled{"tie"}};
    log.Add("eng", tie, tie_events[completion_first ? 0 : 1])
        .Add("eng", tie, tie_events[completion_first ? 1 : 0]);
    // Completed twice, cancelled between: the latest completion counts.
    const Payload late_events[] = {TaskCompleted{"late"},
                                   TaskCancelled{"late"}};
    log.Add("eng", Utc(2026, 3, 2), late_events[completion_first ? 0 : 1])
        .Add("eng", Utc(2026, 3, 3), late_events[completion_first ? 1 : 0])
        .Add("eng", Utc(2026, 3, 5), TaskCompleted{"late"});
    const TaskFigures t = FiguresOrDie(log.Fold(), "eng").tasks;
    EXPECT_EQ(t.open, 0);
    EXPECT_EQ(t.cancelled, 0);
    EXPECT_EQ(t.completed, 2);
    EXPECT_EQ(t.completed_on_time, 2);
    EXPECT_EQ(t.cycle_time_sum_seconds, (3 * kDay + 7e-6) + 4 * kDay);
  }
}

TEST(ExecutionStateTest, NoCompletedTaskLeavesRatioAbsent) {
  Log log;
  log.Add("eng", Utc(2026, 3, 1), TaskCreated{"t1", Utc(2026, 3, 11), 1});
  const TaskFigures t = FiguresOrDie(log.Fold(), "eng").tasks;
  EXPECT_EQ(t.open, 1);
  EXPECT_EQ(t.overdue, 0);  // due exactly now is not yet overdue
  EXPECT_EQ(t.on_time_ratio, std::nullopt);
  EXPECT_EQ(t.cycle_time_p50_seconds, 0);
  EXPECT_EQ(t.cycle_time_p90_seconds, 0);
  EXPECT_EQ(t.weekly_throughput, 0);
}

TEST(ExecutionStateTest, CompletionOnTheDueInstantIsOnTime) {
  Log log;
  log.Add("eng", Utc(2026, 3, 1), TaskCreated{"t1", Utc(2026, 3, 5), 1})
      .Add("eng", Utc(2026, 3, 5), TaskCompleted{"t1"})
      .Add("eng", Utc(2026, 3, 1), TaskCreated{"t2", Utc(2026, 3, 5), 1})
      .Add("eng", Utc(2026, 3, 5) + absl::Microseconds(1), TaskCompleted{"t2"});
  const TaskFigures t = FiguresOrDie(log.Fold(), "eng").tasks;
  EXPECT_EQ(t.completed_on_time, 1);
  EXPECT_EQ(t.completed_late, 1);
  EXPECT_THAT(t.on_time_ratio, Optional(DoubleEq(0.5)));
}

TEST(ExecutionStateTest, WeeklyThroughputCountsTheLast28Days) {
  Log log;
  const absl::Time window_start = kNow - absl::Hours(24 * 28);  // 2026-02-11
  const absl::Time completions[] = {
      window_start,                          // out: the window is open here
      window_start + absl::Microseconds(1),  // in
      Utc(2026, 3, 1),                       // in
      kNow,                                  // in
      kNow + absl::Hours(1),                 // out: after now
  };
  int i = 0;
  for (absl::Time at : completions) {
    const std::string id = absl::StrCat("t", i++);
    log.Add("eng", Utc(2026, 1, 1), TaskCreated{id, Utc(2026, 6, 1), 1})
        .Add("eng", at, TaskCompleted{id});
  }
  const TaskFigures t = FiguresOrDie(log.Fold(), "eng").tasks;
  EXPECT_EQ(t.completed_on_time, 5);
  EXPECT_EQ(t.weekly_throughput, 0.75);  // 3 / 4
}

TEST(ExecutionStateTest, LatestDueDateChangeWinsWhateverTheArrivalOrder) {
  Log log;
  const std::string team = "eng";
  // t1: the latest change (02-05 -> due 03-31) arrives first, then the
  // creation (due 02-10), then an older change (02-03 -> due 02-20).
  // Due 03-31: open, not overdue.
  log.Add(team, Utc(2026, 2, 5), TaskDueDateChanged{"t1", Utc(2026, 3, 31)})
      .Add(team, Utc(2026, 2, 1), TaskCreated{"t1", Utc(2026, 2, 10), 1})
      .Add(team, Utc(2026, 2, 3), TaskDueDateChanged{"t1", Utc(2026, 2, 20)});
  // t2: moved earlier, into the past: overdue.
  log.Add(team, Utc(2026, 2, 1), TaskCreated{"t2", Utc(2026, 3, 31), 1})
      .Add(team, Utc(2026, 2, 2), TaskDueDateChanged{"t2", Utc(2026, 3, 1)});
  // t3: moved to 03-07 before completing on 03-08: late.
  log.Add(team, Utc(2026, 3, 1), TaskDueDateChanged{"t3", Utc(2026, 3, 7)})
      .Add(team, Utc(2026, 2, 1), TaskCreated{"t3", Utc(2026, 3, 10), 1})
      .Add(team, Utc(2026, 3, 8), TaskCompleted{"t3"});
  // t4: a change dated before the creation loses to the creation's date.
  log.Add(team, Utc(2026, 3, 1), TaskDueDateChanged{"t4", Utc(2026, 3, 3)})
      .Add(team, Utc(2026, 3, 2), TaskCreated{"t4", Utc(2026, 3, 20), 1})
      .Add(team, Utc(2026, 3, 8), TaskCompleted{"t4"});
  const TaskFigures t = FiguresOrDie(log.Fold(), team).tasks;
  EXPECT_EQ(t.open, 2);
  EXPECT_EQ(t.overdue, 1);
  EXPECT_EQ(t.completed_on_time, 1);
  EXPECT_EQ(t.completed_late, 1);
}

TEST(ExecutionStateTest, EarnedValuePerProjectAndSummed) {
  Log log;
  // apollo (eng/a): the newer plan wins although it arrives first:
  // BAC 1000 over 03-01 -> 03-21; on 03-11 half elapsed -> PV 500.
  // Newest progress 40% -> EV 400. AC = 300.25 + 199.75 = 500.
  // CPI = 0.8, SPI = 0.8, EAC = 1250, VAC = -250.
  log.Add("eng/a", Utc(2026, 3, 1),
          ProjectBudgetPlan{"apollo", 1000, Utc(2026, 3, 1), Utc(2026, 3, 21)})
      .Add(
          "eng/a", Utc(2026, 2, 1),
          ProjectBudgetPlan{"apollo", 9999, Utc(2026, 1, 1), Utc(2026, 12, 31)})
      .Add("eng/a", Utc(2026, 3, 5), ProjectProgress{"apollo", 40})
      .Add("eng/a", Utc(2026, 3, 3), ProjectProgress{"apollo", 70})
      .Add("eng/a", Utc(2026, 3, 2), CostActual{"apollo", 300.25})
      .Add("eng/a", Utc(2026, 3, 4), CostActual{"apollo", 199.75});
  // costonly (eng/a): no plan. BAC = PV = EV = 0, AC = 50; CPI = 0 / 50 = 0,
  // SPI and EAC have zero divisors.
  log.Add("eng/a", Utc(2026, 3, 2), CostActual{"costonly", 50})
      .Add("eng/a", Utc(2026, 3, 2), ProjectProgress{"costonly", 10});
  // zeus (eng/b): BAC 2000 over 02-09 -> 03-21 (40 days); 30 elapsed ->
  // PV 1500. EV = 75% -> 1500. AC = 250.5 + 749.5 = 1000.
  // CPI = 1.5, SPI = 1, EAC = 1333.33, VAC = 666.67.
  log.Add("eng/b", Utc(2026, 2, 1),
          ProjectBudgetPlan{"zeus", 2000, Utc(2026, 2, 9), Utc(2026, 3, 21)})
      .Add("eng/b", Utc(2026, 3, 1), ProjectProgress{"zeus", 75})
      .Add("eng/b", Utc(2026, 3, 1), CostActual{"zeus", 250.5})
      .Add("eng/b", Utc(2026, 3, 1), CostActual{"zeus", 749.5});
  const ExecutionState state = log.Fold();
  const TeamExecution f = FiguresOrDie(state, "eng");

  ASSERT_EQ(f.projects.size(), 3u);
  const ProjectBudget& apollo = f.projects[0];
  EXPECT_EQ(apollo.team, "eng/a");
  EXPECT_EQ(apollo.project, "apollo");
  EXPECT_TRUE(apollo.has_plan);
  EXPECT_EQ(apollo.percent_complete, 40);
  EXPECT_EQ(apollo.figures.budget_at_completion, 1000);
  EXPECT_DOUBLE_EQ(apollo.figures.planned_value, 500);
  EXPECT_DOUBLE_EQ(apollo.figures.earned_value, 400);
  EXPECT_EQ(apollo.figures.actual_cost, 500);
  EXPECT_THAT(apollo.figures.cost_performance_index, Optional(DoubleEq(0.8)));
  EXPECT_THAT(apollo.figures.schedule_performance_index,
              Optional(DoubleEq(0.8)));
  EXPECT_THAT(apollo.figures.estimate_at_completion, Optional(DoubleEq(1250)));
  EXPECT_THAT(apollo.figures.variance_at_completion, Optional(DoubleEq(-250)));

  const ProjectBudget& costonly = f.projects[1];
  EXPECT_EQ(costonly.team, "eng/a");
  EXPECT_EQ(costonly.project, "costonly");
  EXPECT_FALSE(costonly.has_plan);
  EXPECT_EQ(costonly.percent_complete, 10);
  EXPECT_EQ(costonly.figures.budget_at_completion, 0);
  EXPECT_EQ(costonly.figures.planned_value, 0);
  EXPECT_EQ(costonly.figures.earned_value, 0);
  EXPECT_EQ(costonly.figures.actual_cost, 50);
  EXPECT_THAT(costonly.figures.cost_performance_index, Optional(0.0));
  EXPECT_EQ(costonly.figures.schedule_performance_index, std::nullopt);
  EXPECT_EQ(costonly.figures.estimate_at_completion, std::nullopt);
  EXPECT_EQ(costonly.figures.variance_at_completion, std::nullopt);

  const ProjectBudget& zeus = f.projects[2];
  EXPECT_EQ(zeus.team, "eng/b");
  EXPECT_EQ(zeus.project, "zeus");
  EXPECT_DOUBLE_EQ(zeus.figures.planned_value, 1500);
  EXPECT_DOUBLE_EQ(zeus.figures.earned_value, 1500);
  EXPECT_EQ(zeus.figures.actual_cost, 1000);
  EXPECT_THAT(zeus.figures.cost_performance_index, Optional(DoubleEq(1.5)));
  EXPECT_THAT(zeus.figures.schedule_performance_index, Optional(DoubleEq(1)));
  EXPECT_THAT(zeus.figures.estimate_at_completion,
              Optional(DoubleNear(1333.3333333, 1e-6)));
  EXPECT_THAT(zeus.figures.variance_at_completion,
              Optional(DoubleNear(666.6666667, 1e-6)));

  // The team sum: BAC 3000, PV 2000, EV 1900, AC 1550. CPI = 1900 / 1550 =
  // 1.2258, SPI = 0.95, EAC = 3000 * 1550 / 1900 = 2447.368,
  // VAC = 552.632.
  const EarnedValue& sum = f.budget;
  EXPECT_DOUBLE_EQ(sum.budget_at_completion, 3000);
  EXPECT_DOUBLE_EQ(sum.planned_value, 2000);
  EXPECT_DOUBLE_EQ(sum.earned_value, 1900);
  EXPECT_DOUBLE_EQ(sum.actual_cost, 1550);
  EXPECT_THAT(sum.cost_performance_index,
              Optional(DoubleNear(1.2258064516, 1e-9)));
  EXPECT_THAT(sum.schedule_performance_index, Optional(DoubleEq(0.95)));
  EXPECT_THAT(sum.estimate_at_completion,
              Optional(DoubleNear(2447.3684210526, 1e-6)));
  EXPECT_THAT(sum.variance_at_completion,
              Optional(DoubleNear(552.6315789474, 1e-6)));

  // eng/a alone: BAC 1000, PV 500, EV 400, AC 550 -> CPI = 0.7273,
  // EAC = 1000 * 550 / 400 = 1375, VAC = -375.
  const EarnedValue a = FiguresOrDie(state, "eng/a").budget;
  EXPECT_DOUBLE_EQ(a.actual_cost, 550);
  EXPECT_THAT(a.estimate_at_completion, Optional(DoubleNear(1375, 1e-9)));
  EXPECT_THAT(a.variance_at_completion, Optional(DoubleNear(-375, 1e-9)));
}

TEST(ExecutionStateTest, PlannedValueFollowsNow) {
  Log log;
  log.Add("eng", Utc(2026, 1, 1),
          ProjectBudgetPlan{"p", 1000, Utc(2026, 3, 1), Utc(2026, 3, 21)});
  const ExecutionState state = log.Fold();
  // Before the start PV = 0, so SPI is absent; after the end PV = BAC.
  const EarnedValue before = FiguresOrDie(state, "eng", Utc(2026, 2, 1)).budget;
  EXPECT_EQ(before.planned_value, 0);
  EXPECT_EQ(before.schedule_performance_index, std::nullopt);
  EXPECT_EQ(FiguresOrDie(state, "eng", Utc(2026, 4, 1)).budget.planned_value,
            1000);
  // 03-06 is 5 of 20 days in: PV = 250.
  EXPECT_DOUBLE_EQ(
      FiguresOrDie(state, "eng", Utc(2026, 3, 6)).budget.planned_value, 250);
}

TEST(ExecutionStateTest, Milestones) {
  Log log;
  const std::string team = "eng/a";
  const std::string p = "apollo";
  // m1: reached a day early: met. m2: reached on the due instant: met.
  log.Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m1", Utc(2026, 3, 5)})
      .Add(team, Utc(2026, 3, 4), MilestoneReached{p, "m1"})
      .Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m2", Utc(2026, 3, 5)})
      .Add(team, Utc(2026, 3, 5), MilestoneReached{p, "m2"});
  // m3: due 03-01, reached 03-03 12:00: missed by 2.5 days.
  log.Add(team, Utc(2026, 3, 3, 12), MilestoneReached{p, "m3"})
      .Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m3", Utc(2026, 3, 1)});
  // m4: due 03-07, unreached: missed by 4 days as of 03-11.
  log.Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m4", Utc(2026, 3, 7)});
  // m5: due 03-20, unreached: pending.
  log.Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m5", Utc(2026, 3, 20)});
  // m6: reached but never given a due date: not judged.
  log.Add(team, Utc(2026, 3, 2), MilestoneReached{p, "m6"});
  // m7: moved from 03-01 to 03-15 (the move arrives first); reached 03-10:
  // met.
  log.Add(team, Utc(2026, 3, 2), MilestoneDue{p, "m7", Utc(2026, 3, 15)})
      .Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m7", Utc(2026, 3, 1)})
      .Add(team, Utc(2026, 3, 10), MilestoneReached{p, "m7"});
  // m8: reported reached twice; the earliest (03-06, before 03-08) counts.
  log.Add(team, Utc(2026, 2, 1), MilestoneDue{p, "m8", Utc(2026, 3, 8)})
      .Add(team, Utc(2026, 3, 9), MilestoneReached{p, "m8"})
      .Add(team, Utc(2026, 3, 6), MilestoneReached{p, "m8"});
  // (zeus, m1) is another milestone than (apollo, m1): due 03-10 12:00,
  // unreached: missed by 0.5 days.
  log.Add(team, Utc(2026, 2, 1),
          MilestoneDue{"zeus", "m1", Utc(2026, 3, 10, 12)});
  const MilestoneFigures m = FiguresOrDie(log.Fold(), team).milestones;
  EXPECT_EQ(m.met, 4);                 // m1, m2, m7, m8
  EXPECT_EQ(m.missed, 3);              // m3, m4, (zeus, m1)
  EXPECT_EQ(m.pending, 1);             // m5
  EXPECT_DOUBLE_EQ(m.slip_days, 7.0);  // 2.5 + 4 + 0.5
  EXPECT_DOUBLE_EQ(m.max_slip_days, 4.0);
}

TEST(ExecutionStateTest, ProcedureComplianceIsSummedPerProcedure) {
  Log log;
  log.Add("eng/a", Utc(2026, 3, 1), ProcedureCheck{"review", true})
      .Add("eng/a", Utc(2026, 3, 2), ProcedureCheck{"review", false})
      .Add("eng/a", Utc(2026, 3, 3), ProcedureCheck{"review", true})
      .Add("eng/a", Utc(2026, 3, 3), ProcedureCheck{"checklist", true})
      .Add("eng/b", Utc(2026, 3, 4), ProcedureCheck{"review", false})
      .Add("eng/b", Utc(2026, 3, 4), ProcedureCheck{"signoff", true})
      .Add("eng/b", Utc(2026, 3, 5), ProcedureCheck{"signoff", true})
      .Add("ops", Utc(2026, 3, 5), ProcedureCheck{"review", false});
  const ExecutionState state = log.Fold();

  // eng = eng/a + eng/b: checklist 1/1, review 2/4, signoff 2/2.
  const std::vector<ProcedureCompliance> eng =
      FiguresOrDie(state, "eng").procedures;
  ASSERT_EQ(eng.size(), 3u);
  EXPECT_EQ(eng[0].procedure, "checklist");
  EXPECT_EQ(eng[0].checks, 1);
  EXPECT_EQ(eng[0].passed, 1);
  EXPECT_EQ(eng[0].compliance_ratio, 1.0);
  EXPECT_EQ(eng[1].procedure, "review");
  EXPECT_EQ(eng[1].checks, 4);
  EXPECT_EQ(eng[1].passed, 2);
  EXPECT_EQ(eng[1].compliance_ratio, 0.5);
  EXPECT_EQ(eng[2].procedure, "signoff");
  EXPECT_EQ(eng[2].checks, 2);
  EXPECT_EQ(eng[2].passed, 2);
  EXPECT_EQ(eng[2].compliance_ratio, 1.0);

  // eng/a alone: review 2/3.
  const std::vector<ProcedureCompliance> a =
      FiguresOrDie(state, "eng/a").procedures;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].procedure, "review");
  EXPECT_EQ(a[1].checks, 3);
  EXPECT_EQ(a[1].passed, 2);
  EXPECT_DOUBLE_EQ(a[1].compliance_ratio, 2.0 / 3);
}

TEST(ExecutionStateTest, KpiAttainmentAndForecast) {
  Log log;
  const std::string team = "eng/a";
  // revenue, SUM: the newer March target (620, set 02-15) wins over the
  // older one (1000, set 02-01) although it arrives first. March actuals
  // 100.1 + 99.9 = 200 (February's 999 is another month).
  // Attainment 200 / 620 = 0.3226; 10/31 of March elapsed, so the forecast
  // is 200 * 31 / 10 = 620 and its attainment 1.
  log.Add(team, Utc(2026, 2, 15),
          KpiMonthlyTarget{"revenue", 2026, 3, 620, KpiAggregation::kSum})
      .Add(team, Utc(2026, 2, 1),
           KpiMonthlyTarget{"revenue", 2026, 3, 1000, KpiAggregation::kSum})
      .Add(team, Utc(2026, 2, 1),
           KpiMonthlyTarget{"revenue", 2026, 2, 5, KpiAggregation::kSum})
      .Add(team, Utc(2026, 2, 20), KpiActual{"revenue", 999})
      .Add(team, Utc(2026, 3, 2), KpiActual{"revenue", 100.1})
      .Add(team, Utc(2026, 3, 5), KpiActual{"revenue", 99.9});
  // headcount, LAST: the latest reading (45 on 03-09) is the actual and the
  // forecast: 45 / 50 = 0.9.
  log.Add(team, Utc(2026, 3, 1),
          KpiMonthlyTarget{"headcount", 2026, 3, 50, KpiAggregation::kLast})
      .Add(team, Utc(2026, 3, 1), KpiActual{"headcount", 40})
      .Add(team, Utc(2026, 3, 9), KpiActual{"headcount", 45})
      .Add(team, Utc(2026, 3, 3), KpiActual{"headcount", 48});
  // nps: a target for April only. March actuals 3 + 2 = 5, summed and
  // extrapolated: 5 * 31 / 10 = 15.5; no target, no ratios.
  log.Add(team, Utc(2026, 3, 1),
          KpiMonthlyTarget{"nps", 2026, 4, 10, KpiAggregation::kSum})
      .Add(team, Utc(2026, 3, 4), KpiActual{"nps", 3})
      .Add(team, Utc(2026, 3, 6), KpiActual{"nps", 2});
  // Another team's revenue is reported apart, not summed.
  log.Add("eng/b", Utc(2026, 3, 1),
          KpiMonthlyTarget{"revenue", 2026, 3, 10, KpiAggregation::kSum})
      .Add("eng/b", Utc(2026, 3, 1), KpiActual{"revenue", 7});
  const std::vector<KpiFigures> kpis = FiguresOrDie(log.Fold(), "eng").kpis;

  ASSERT_EQ(kpis.size(), 4u);
  const KpiFigures& headcount = kpis[0];
  EXPECT_EQ(headcount.team, "eng/a");
  EXPECT_EQ(headcount.kpi, "headcount");
  EXPECT_EQ(headcount.year, 2026);
  EXPECT_EQ(headcount.month, 3);
  EXPECT_TRUE(headcount.has_target);
  EXPECT_EQ(headcount.target, 50);
  EXPECT_EQ(headcount.aggregation, KpiAggregation::kLast);
  EXPECT_EQ(headcount.actual, 45);
  EXPECT_DOUBLE_EQ(headcount.attainment_ratio, 0.9);
  EXPECT_EQ(headcount.forecast, 45);
  EXPECT_DOUBLE_EQ(headcount.forecast_attainment_ratio, 0.9);

  const KpiFigures& nps = kpis[1];
  EXPECT_EQ(nps.kpi, "nps");
  EXPECT_FALSE(nps.has_target);
  EXPECT_EQ(nps.target, 0);
  EXPECT_EQ(nps.actual, 5);
  EXPECT_NEAR(nps.forecast, 15.5, 1e-9);
  EXPECT_EQ(nps.attainment_ratio, 0);
  EXPECT_EQ(nps.forecast_attainment_ratio, 0);

  const KpiFigures& revenue = kpis[2];
  EXPECT_EQ(revenue.team, "eng/a");
  EXPECT_EQ(revenue.kpi, "revenue");
  EXPECT_TRUE(revenue.has_target);
  EXPECT_EQ(revenue.target, 620);
  EXPECT_EQ(revenue.aggregation, KpiAggregation::kSum);
  EXPECT_EQ(revenue.actual, 200);  // exact: summed in fixed point
  EXPECT_DOUBLE_EQ(revenue.attainment_ratio, 200.0 / 620);
  EXPECT_NEAR(revenue.forecast, 620, 1e-9);
  EXPECT_NEAR(revenue.forecast_attainment_ratio, 1, 1e-12);

  const KpiFigures& other = kpis[3];
  EXPECT_EQ(other.team, "eng/b");
  EXPECT_EQ(other.kpi, "revenue");
  EXPECT_EQ(other.target, 10);
  EXPECT_EQ(other.actual, 7);
}

class RollupTest : public ::testing::Test {
 protected:
  RollupTest() {
    Log log;
    log.Add("eng", Utc(2026, 3, 1), ProcedureCheck{"review", true})
        .Add("eng/a", Utc(2026, 3, 2), ProcedureCheck{"review", true})
        .Add("eng/a", Utc(2026, 3, 4), ProcedureCheck{"review", false})
        .Add("eng/a/x", Utc(2026, 3, 3), ProcedureCheck{"review", true})
        .Add("eng-ops", Utc(2026, 3, 3), ProcedureCheck{"review", false})
        .Add("engineering", Utc(2026, 3, 3), ProcedureCheck{"review", false})
        .Add("ops", Utc(2026, 3, 5), ProcedureCheck{"review", false});
    state_ = log.Fold();
  }
  ExecutionState state_;
};

TEST_F(RollupTest, PrefixRollsUpItselfAndTeamsUnderIt) {
  const TeamExecution eng = FiguresOrDie(state_, "eng");
  EXPECT_EQ(eng.team, "eng");
  EXPECT_EQ(eng.as_of, kNow);
  EXPECT_THAT(eng.teams, ElementsAre("eng", "eng/a", "eng/a/x"));
  EXPECT_EQ(eng.events, 4);
  ASSERT_EQ(eng.procedures.size(), 1u);
  EXPECT_EQ(eng.procedures[0].checks, 4);
  EXPECT_EQ(eng.procedures[0].passed, 3);

  const TeamExecution a = FiguresOrDie(state_, "eng/a");
  EXPECT_THAT(a.teams, ElementsAre("eng/a", "eng/a/x"));
  EXPECT_EQ(a.events, 3);

  EXPECT_THAT(
      FiguresOrDie(state_, "").teams,
      ElementsAre("eng", "eng-ops", "eng/a", "eng/a/x", "engineering", "ops"));
}

TEST_F(RollupTest, UnknownPrefixIsNotFound) {
  EXPECT_THAT(state_.Figures("nope", kNow),
              StatusIs(absl::StatusCode::kNotFound));
  // Prefixes match whole path segments, not characters.
  EXPECT_THAT(state_.Figures("en", kNow),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(state_.Figures("eng/a/x/y", kNow),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RollupTest, OwnFiguresExcludeChildren) {
  absl::StatusOr<TeamExecution> own = state_.OwnFigures("eng", kNow);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->team, "eng");
  EXPECT_THAT(own->teams, ElementsAre("eng"));
  EXPECT_EQ(own->events, 1);
  ASSERT_EQ(own->procedures.size(), 1u);
  EXPECT_EQ(own->procedures[0].checks, 1);

  EXPECT_THAT(state_.OwnFigures("eng/b", kNow),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(state_.OwnFigures("en", kNow),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RollupTest, TeamsListing) {
  const std::vector<TeamSummary> eng = state_.Teams("eng");
  ASSERT_EQ(eng.size(), 3u);
  EXPECT_EQ(eng[0].team, "eng");
  EXPECT_EQ(eng[1].team, "eng/a");
  EXPECT_EQ(eng[1].events, 2);
  EXPECT_EQ(eng[1].last_event_at, Utc(2026, 3, 4));  // the later of two
  EXPECT_EQ(eng[2].team, "eng/a/x");
  EXPECT_EQ(state_.Teams("").size(), 6u);
  EXPECT_THAT(state_.Teams("nope"), IsEmpty());
  EXPECT_TRUE(state_.HasTeam("eng/a/x"));
  EXPECT_FALSE(state_.HasTeam("eng/a/"));
  EXPECT_EQ(state_.team_count(), 6u);
}

// --- order independence ----------------------------------------------------

class OrderIndependenceTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(OrderIndependenceTest, AnyArrivalOrderGivesIdenticalFigures) {
  const std::vector<Event> events = RandomEvents(GetParam(), 400);
  ASSERT_THAT(ValidateBatch(events, kNow), IsEmpty());
  const ExecutionState reference = FoldInOrder(events);
  ASSERT_EQ(reference.team_count(), 4u);
  const std::string expected = RenderFigures(reference);

  // The events exercise the figures (so equal snapshots mean something).
  const TeamExecution all = *reference.Figures("", kNow);
  EXPECT_GT(all.tasks.completed, 0);
  EXPECT_GT(all.tasks.open, 0);
  EXPECT_GT(all.tasks.cancelled, 0);
  EXPECT_GT(all.budget.actual_cost, 0);
  EXPECT_GT(all.milestones.met + all.milestones.missed, 0);
  EXPECT_FALSE(all.kpis.empty());

  std::vector<Event> reversed(events.rbegin(), events.rend());
  EXPECT_EQ(FirstDifference(expected, RenderFigures(FoldInOrder(reversed))), "")
      << "reversed";
  std::mt19937 rng(GetParam() * 7919u);
  for (int round = 0; round < 5; ++round) {
    std::vector<Event> shuffled = events;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(FirstDifference(expected, RenderFigures(FoldInOrder(shuffled))),
              "")
        << "shuffle " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, OrderIndependenceTest,
                         ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace orgpulse::ingest
