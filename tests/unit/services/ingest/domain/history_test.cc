#include "services/ingest/domain/history.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/execution_state.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::DebugString;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A year of one team's life, and a sibling team outside the tree asked for.
std::vector<Event> History() {
  std::vector<Event> e;
  e.push_back(MakeEvent("t1c", "eng/a", Utc(2025, 1, 5),
                        TaskCreated{"t1", Utc(2025, 2, 1), 3}));
  e.push_back(MakeEvent("t1s", "eng/a", Utc(2025, 1, 10), TaskStarted{"t1"}));
  e.push_back(MakeEvent("t1d", "eng/a", Utc(2025, 3, 1), TaskCompleted{"t1"}));
  e.push_back(MakeEvent("t2c", "eng/b", Utc(2025, 2, 3),
                        TaskCreated{"t2", Utc(2025, 6, 1), 0}));
  e.push_back(MakeEvent("t2m", "eng/b", Utc(2025, 2, 20),
                        TaskDueDateChanged{"t2", Utc(2025, 2, 25)}));
  e.push_back(MakeEvent("t2d", "eng/b", Utc(2025, 2, 24), TaskCompleted{"t2"}));
  e.push_back(MakeEvent(
      "plan", "eng/a", Utc(2025, 1, 1),
      ProjectBudgetPlan{"apollo", 1000, Utc(2025, 1, 1), Utc(2026, 1, 1)}));
  e.push_back(
      MakeEvent("cost1", "eng/a", Utc(2025, 2, 1), CostActual{"apollo", 200}));
  e.push_back(MakeEvent("prog1", "eng/a", Utc(2025, 2, 2),
                        ProjectProgress{"apollo", 10}));
  e.push_back(MakeEvent("prog2", "eng/a", Utc(2025, 6, 2),
                        ProjectProgress{"apollo", 60}));
  e.push_back(MakeEvent("msdue", "eng/a", Utc(2025, 1, 2),
                        MilestoneDue{"apollo", "beta", Utc(2025, 4, 1)}));
  e.push_back(MakeEvent("msok", "eng/a", Utc(2025, 5, 1),
                        MilestoneReached{"apollo", "beta"}));
  e.push_back(MakeEvent("chk1", "eng/b", Utc(2025, 1, 20),
                        ProcedureCheck{"review", true}));
  e.push_back(MakeEvent("chk2", "eng/b", Utc(2025, 4, 20),
                        ProcedureCheck{"review", false}));
  e.push_back(
      MakeEvent("kt", "eng/a", Utc(2025, 1, 1),
                KpiMonthlyTarget{"sales", 2025, 2, 100, KpiAggregation::kSum}));
  e.push_back(
      MakeEvent("ka1", "eng/a", Utc(2025, 2, 10), KpiActual{"sales", 40}));
  e.push_back(
      MakeEvent("ka2", "eng/a", Utc(2025, 3, 10), KpiActual{"sales", 7}));
  e.push_back(MakeEvent("other", "engineering", Utc(2025, 1, 1),
                        ProcedureCheck{"review", true}));
  return e;
}

// What the live figures say at `t` of a ledger that stored exactly the
// events of `events` with occurred_at <= t: the definition FiguresAt meets.
std::string LiveFiguresOf(const std::vector<Event>& events,
                          absl::string_view prefix, absl::Time t) {
  ExecutionState state;
  for (const Event& e : events) {
    if (e.occurred_at <= t) {
      state.Apply(e, EventFingerprint(e.source, e.event_id));
    }
  }
  absl::StatusOr<TeamExecution> f = state.Figures(prefix, t);
  return f.ok() ? DebugString(*f) : f.status().ToString();
}

TEST(FiguresAtTest, EachPointIsTheLiveFiguresOfTheEventsUpToIt) {
  const std::vector<absl::Time> times = {Utc(2025, 1, 31, 23, 59, 59),
                                         Utc(2025, 2, 24), Utc(2025, 3, 15),
                                         Utc(2025, 4, 30), Utc(2025, 12, 31)};
  const std::vector<TeamExecution> points = FiguresAt(History(), "eng", times);
  ASSERT_EQ(points.size(), times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(DebugString(points[i]), LiveFiguresOf(History(), "eng", times[i]))
        << "point " << i;
  }
}

TEST(FiguresAtTest, TheFiguresChangeAsThePastUnfolds) {
  const std::vector<TeamExecution> p = FiguresAt(
      History(), "eng",
      {Utc(2025, 2, 15), Utc(2025, 3, 15), Utc(2025, 4, 15), Utc(2025, 5, 15)});
  // Mid-February: t1 is open and overdue (due Feb 1), t2 open, not yet due.
  EXPECT_EQ(p[0].tasks.open, 2);
  EXPECT_EQ(p[0].tasks.overdue, 1);
  EXPECT_FALSE(p[0].tasks.on_time_ratio.has_value());
  EXPECT_EQ(p[0].kpis.size(), 1u);
  EXPECT_EQ(p[0].kpis[0].month, 2);
  EXPECT_DOUBLE_EQ(p[0].kpis[0].attainment_ratio, 0.4);
  // Mid-March: t2 done on time (its due date moved to Feb 25), t1 late.
  EXPECT_EQ(p[1].tasks.open, 0);
  EXPECT_EQ(p[1].tasks.completed_on_time, 1);
  EXPECT_EQ(p[1].tasks.completed_late, 1);
  EXPECT_DOUBLE_EQ(*p[1].tasks.on_time_ratio, 0.5);
  EXPECT_EQ(p[1].kpis[0].month, 3);
  EXPECT_FALSE(p[1].kpis[0].has_target);
  // The milestone due Apr 1 is pending in March, missed in mid-April
  // (unreached), then reached late in May: still missed, by 30 days.
  EXPECT_EQ(p[1].milestones.pending, 1);
  EXPECT_EQ(p[2].milestones.missed, 1);
  EXPECT_DOUBLE_EQ(p[2].milestones.slip_days, 14);
  EXPECT_EQ(p[3].milestones.missed, 1);
  EXPECT_DOUBLE_EQ(p[3].milestones.slip_days, 30);
  // Compliance: 1 of 1 until the failed check of Apr 20.
  EXPECT_DOUBLE_EQ(p[2].procedures[0].compliance_ratio, 1);
  EXPECT_DOUBLE_EQ(p[3].procedures[0].compliance_ratio, 0.5);
  // CPI = EV / AC = (1000 x 10%) / 200 from Feb 2 on.
  EXPECT_DOUBLE_EQ(*p[1].budget.cost_performance_index, 0.5);
  // `engineering` is not under `eng`.
  EXPECT_THAT(p[3].teams, ElementsAre("eng/a", "eng/b"));
}

TEST(FiguresAtTest, APointBeforeTheFirstEventHasNoTeam) {
  const std::vector<TeamExecution> p =
      FiguresAt(History(), "eng/b", {Utc(2025, 1, 1), Utc(2025, 1, 21)});
  EXPECT_TRUE(p[0].teams.empty());
  EXPECT_EQ(p[0].events, 0);
  EXPECT_EQ(p[0].team, "eng/b");
  EXPECT_EQ(p[0].as_of, Utc(2025, 1, 1));
  EXPECT_THAT(p[1].teams, ElementsAre("eng/b"));
  EXPECT_EQ(p[1].events, 1);
}

TEST(FiguresAtTest, DoesNotDependOnTheOrderOfTheEvents) {
  std::vector<Event> shuffled = History();
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const std::vector<absl::Time> times = {Utc(2025, 2, 24), Utc(2025, 7, 1)};
  const std::vector<TeamExecution> a = FiguresAt(History(), "eng", times);
  const std::vector<TeamExecution> b = FiguresAt(shuffled, "eng", times);
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(DebugString(a[i]), DebugString(b[i]));
  }
}

TEST(FiguresAtTest, OwnFiguresLeaveOutTheTeamsUnderIt) {
  std::vector<Event> events = History();
  events.push_back(MakeEvent("sub", "eng/a/x", Utc(2025, 2, 1),
                             ProcedureCheck{"review", false}));
  const std::vector<TeamExecution> own =
      FiguresAt(events, "eng/a", {Utc(2025, 3, 1)}, /*own=*/true);
  const std::vector<TeamExecution> rollup =
      FiguresAt(events, "eng/a", {Utc(2025, 3, 1)});
  EXPECT_THAT(own[0].teams, ElementsAre("eng/a"));
  EXPECT_TRUE(own[0].procedures.empty());
  EXPECT_THAT(rollup[0].teams, ElementsAre("eng/a", "eng/a/x"));
  EXPECT_EQ(rollup[0].procedures.size(), 1u);
  EXPECT_EQ(own[0].events + 1, rollup[0].events);
}

TEST(StepTimesTest, EveryStepFromFromUpToTo) {
  const absl::Time now = Utc(2026, 3, 11);
  absl::StatusOr<std::vector<absl::Time>> t =
      StepTimes(Utc(2026, 3, 1), Utc(2026, 3, 1, 2, 30), absl::Hours(1), now);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(
      *t, ElementsAre(Utc(2026, 3, 1), Utc(2026, 3, 1, 1), Utc(2026, 3, 1, 2)));
  absl::StatusOr<std::vector<absl::Time>> one =
      StepTimes(Utc(2026, 3, 1), Utc(2026, 3, 1), absl::Hours(1), now);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_THAT(*one, ElementsAre(Utc(2026, 3, 1)));

  EXPECT_TRUE(StepTimes(Utc(2025, 1, 1), Utc(2025, 1, 1) + absl::Hours(1999),
                        absl::Hours(1), now)
                  .ok());  // 2,000 points
  EXPECT_THAT(StepTimes(Utc(2025, 1, 1), Utc(2025, 1, 1) + absl::Hours(2000),
                        absl::Hours(1), now)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than 2000 points")));
  absl::StatusOr<std::vector<absl::Time>> tiny =
      StepTimes(Utc(2026, 1, 1), Utc(2026, 1, 2), absl::Milliseconds(10), now);
  EXPECT_THAT(
      GetFieldViolations(tiny.status()),
      ElementsAre(FieldViolation{"step", "must be at least one second"}));
  absl::StatusOr<std::vector<absl::Time>> backward =
      StepTimes(Utc(2026, 1, 2), Utc(2026, 1, 1), absl::Hours(1), now);
  EXPECT_EQ(GetFieldViolations(backward.status()).at(0).field, "to");
}

TEST(TrendTimesTest, MonthEndsBetweenFromAndToThenTo) {
  absl::StatusOr<std::vector<absl::Time>> t =
      TrendTimes(Utc(2025, 11, 15), Utc(2026, 2, 10), Utc(2026, 3, 1));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(*t, ElementsAre(Utc(2025, 11, 30, 23, 59, 59),
                              Utc(2025, 12, 31, 23, 59, 59),
                              Utc(2026, 1, 31, 23, 59, 59), Utc(2026, 2, 10)));
}

TEST(TrendTimesTest, ToOnAMonthEndIsNotRepeated) {
  absl::StatusOr<std::vector<absl::Time>> t = TrendTimes(
      Utc(2026, 1, 1), Utc(2026, 2, 28, 23, 59, 59), Utc(2026, 3, 1));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(*t, ElementsAre(Utc(2026, 1, 31, 23, 59, 59),
                              Utc(2026, 2, 28, 23, 59, 59)));
}

TEST(TrendTimesTest, TheDefaultSpanHasTwelvePoints) {
  const absl::Time to = Utc(2026, 3, 11, 8);
  EXPECT_EQ(DefaultTrendFrom(to), Utc(2025, 4, 1));
  absl::StatusOr<std::vector<absl::Time>> t =
      TrendTimes(DefaultTrendFrom(to), to, to);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 12u);
  EXPECT_EQ(t->front(), Utc(2025, 4, 30, 23, 59, 59));
  EXPECT_EQ(t->back(), to);
}

TEST(TrendTimesTest, RefusesTheFutureABackwardSpanAndTooManyPoints) {
  const absl::Time now = Utc(2026, 3, 11);
  absl::StatusOr<std::vector<absl::Time>> future =
      TrendTimes(Utc(2026, 1, 1), now + absl::Seconds(1), now);
  EXPECT_THAT(future.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("to is in the future")));
  EXPECT_EQ(GetFieldViolations(future.status()).at(0).field, "to");

  absl::StatusOr<std::vector<absl::Time>> backward =
      TrendTimes(Utc(2026, 2, 1), Utc(2026, 1, 1), now);
  EXPECT_THAT(GetFieldViolations(backward.status()),
              ElementsAre(FieldViolation{
                  "to", "must be after from (2026-02-01T00:00:00+00:00)"}));

  EXPECT_TRUE(TrendTimes(Utc(2006, 4, 1), now, now).ok());  // 240 points
  absl::StatusOr<std::vector<absl::Time>> long_span =
      TrendTimes(Utc(2006, 3, 1), now, now);
  EXPECT_THAT(long_span.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than 240 monthly points")));

  absl::StatusOr<std::vector<absl::Time>> malformed =
      TrendTimes(absl::InfiniteFuture(), now, now);
  EXPECT_EQ(GetFieldViolations(malformed.status()).at(0).description,
            "is not a valid timestamp");
}

TEST(ValidateAsOfTest, AcceptsNowAndThePastRefusesTheFuture) {
  const absl::Time now = Utc(2026, 3, 11);
  EXPECT_TRUE(ValidateAsOf("as_of", now, now).ok());
  EXPECT_TRUE(ValidateAsOf("as_of", Utc(2001, 1, 1), now).ok());
  absl::Status s = ValidateAsOf("as_of", now + absl::Hours(1), now);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("as_of is in the future")));
  EXPECT_EQ(GetFieldViolations(s).at(0).field, "as_of");
}

}  // namespace
}  // namespace orgpulse::ingest
