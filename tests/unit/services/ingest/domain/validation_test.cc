#include "services/ingest/domain/validation.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = Utc(2026, 3, 1, 12);
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> Fields(const std::vector<FieldViolation>& v) {
  std::vector<std::string> out;
  for (const FieldViolation& f : v) out.push_back(f.field);
  return out;
}

// A valid event of each kind; tests break one field at a time.
Event Valid(Payload payload) {
  return MakeEvent("e-1", "eng/payments", kNow - absl::Hours(1),
                   std::move(payload));
}
Event ValidTask() {
  return Valid(TaskCreated{"t-1", kNow + absl::Hours(24 * 7), 3});
}
ProjectBudgetPlan ValidPlan() {
  return {"apollo", 1000, Utc(2026, 1, 1), Utc(2026, 6, 30)};
}
KpiMonthlyTarget ValidTarget() {
  return {"revenue", 2026, 3, 100, KpiAggregation::kSum};
}

std::vector<FieldViolation> ValidateOne(const Event& e) {
  return ValidateBatch({e}, kNow);
}

TEST(ValidateBatchTest, AcceptsOneValidEventOfEveryKind) {
  const absl::Time due = kNow + absl::Hours(48);
  EventBatch batch = {
      Valid(TaskCreated{"t-1", due, 0}),
      Valid(TaskStarted{"t-1"}),
      Valid(TaskCompleted{"t-1"}),
      Valid(TaskCancelled{"t-1"}),
      Valid(TaskDueDateChanged{"t-1", due}),
      Valid(ValidPlan()),
      Valid(CostActual{"apollo", 0}),
      Valid(ProjectProgress{"apollo", 100}),
      Valid(MilestoneDue{"apollo", "beta", due}),
      Valid(MilestoneReached{"apollo", "beta"}),
      Valid(ProcedureCheck{"code-review", false}),
      Valid(KpiMonthlyTarget{"uptime", 2026, 12, 99.9, KpiAggregation::kLast}),
      Valid(KpiActual{"revenue", -5}),
  };
  ASSERT_EQ(batch.size() + 1, std::variant_size_v<Payload>);
  EXPECT_THAT(ValidateBatch(batch, kNow), IsEmpty());
}

TEST(ValidateBatchTest, AcceptsValuesOnTheBoundaries) {
  Event e = ValidTask();
  e.event_id = std::string(kMaxEventIdLength, 'x');
  e.source = std::string(kMaxSourceLength, 's');
  e.occurred_at = kNow + kMaxClockSkew;  // exactly one day ahead is allowed
  std::get<TaskCreated>(e.payload).due_at = kNow + kMaxPlanningHorizon;
  std::get<TaskCreated>(e.payload).task_id = std::string(128, 't');
  EXPECT_THAT(ValidateOne(e), IsEmpty());

  Event early = Valid(CostActual{std::string(64, 'p'), 1e12});
  early.occurred_at = EarliestValidTime();
  early.source = "finance-erp.v2_x";
  EXPECT_THAT(ValidateOne(early), IsEmpty());
}

struct BadTeam {
  std::string name;
  std::string team;
  std::string why;
};

class BadTeamIdTest : public ::testing::TestWithParam<BadTeam> {};

TEST_P(BadTeamIdTest, IsReportedOnTheTeamField) {
  Event e = ValidTask();
  e.team = GetParam().team;
  const std::vector<FieldViolation> v = ValidateOne(e);
  ASSERT_THAT(Fields(v), ElementsAre("events[0].team"));
  EXPECT_THAT(v[0].description, HasSubstr(GetParam().why));
}

INSTANTIATE_TEST_SUITE_P(
    TeamIds, BadTeamIdTest,
    ::testing::Values(
        BadTeam{"Empty", "", "must not be empty"},
        BadTeam{"Uppercase", "Eng/payments", "lowercase"},
        BadTeam{"Space", "eng/pay ments", "lowercase"},
        BadTeam{"TooLong", std::string(65, 'a'), "longer than 64"},
        BadTeam{"FiveLevels", "a/b/c/d/e", "deeper than 4"},
        BadTeam{"EmptySegment", "eng//payments", "empty path segment"},
        BadTeam{"LeadingSlash", "/eng", "empty path segment"},
        BadTeam{"TrailingSlash", "eng/", "empty path segment"}),
    [](const auto& info) { return info.param.name; });

TEST(ValidateBatchTest, TeamIdOf64CharactersAndFourLevelsIsValid) {
  Event e = ValidTask();
  e.team = "a/b/c/" + std::string(58, 'd');
  ASSERT_EQ(e.team.size(), 64u);
  EXPECT_THAT(ValidateOne(e), IsEmpty());
}

TEST(ValidateBatchTest, MissingEventIdAndSource) {
  Event e = ValidTask();
  e.event_id.clear();
  e.source.clear();
  const std::vector<FieldViolation> v = ValidateOne(e);
  ASSERT_THAT(Fields(v), ElementsAre("events[0].event_id", "events[0].source"));
  EXPECT_EQ(v[0].description, "is required");
  EXPECT_EQ(v[1].description, "is required");
}

TEST(ValidateBatchTest, SourceMustBeLowercaseAndShort) {
  Event upper = ValidTask();
  upper.source = "Jira";
  EXPECT_THAT(Fields(ValidateOne(upper)), ElementsAre("events[0].source"));
  Event long_source = ValidTask();
  long_source.source = std::string(65, 's');
  EXPECT_THAT(Fields(ValidateOne(long_source)),
              ElementsAre("events[0].source"));
}

TEST(ValidateBatchTest, OversizeStrings) {
  Event id = ValidTask();
  id.event_id = std::string(129, 'x');
  std::vector<FieldViolation> v = ValidateOne(id);
  ASSERT_THAT(Fields(v), ElementsAre("events[0].event_id"));
  EXPECT_EQ(v[0].description, "longer than 128 characters (129)");

  v = ValidateOne(Valid(CostActual{std::string(65, 'p'), 1}));
  ASSERT_THAT(Fields(v), ElementsAre("events[0].cost_actual.project"));
  EXPECT_EQ(v[0].description, "longer than 64 characters (65)");

  EXPECT_THAT(Fields(ValidateOne(Valid(TaskStarted{std::string(129, 't')}))),
              ElementsAre("events[0].task_started.task_id"));
  EXPECT_THAT(
      Fields(ValidateOne(Valid(MilestoneReached{"p", std::string(129, 'm')}))),
      ElementsAre("events[0].milestone_reached.milestone"));
  EXPECT_THAT(
      Fields(ValidateOne(Valid(ProcedureCheck{std::string(65, 'r'), true}))),
      ElementsAre("events[0].procedure_check.procedure"));
}

TEST(ValidateBatchTest, NonPrintableCharacters) {
  Event id = ValidTask();
  id.event_id = "e\n1";
  EXPECT_THAT(Fields(ValidateOne(id)), ElementsAre("events[0].event_id"));
  EXPECT_THAT(Fields(ValidateOne(Valid(TaskCompleted{"t\x7f"}))),
              ElementsAre("events[0].task_completed.task_id"));
  EXPECT_THAT(Fields(ValidateOne(Valid(KpiActual{"caf\xc3\xa9", 1}))),
              ElementsAre("events[0].kpi_actual.kpi"));
  EXPECT_THAT(
      Fields(ValidateOne(Valid(ProcedureCheck{std::string("a\0b", 3), true}))),
      ElementsAre("events[0].procedure_check.procedure"));
}

TEST(ValidateBatchTest, NegativeMoney) {
  EventBatch batch = {Valid(ProjectProgress{"p", 10}), ValidTask(), ValidTask(),
                      Valid(CostActual{"apollo", -1})};
  const std::vector<FieldViolation> v = ValidateBatch(batch, kNow);
  ASSERT_THAT(Fields(v), ElementsAre("events[3].cost_actual.amount"));
  EXPECT_THAT(v[0].description, HasSubstr("cannot be negative"));
}

struct BadNumber {
  std::string name;
  Payload payload;
  std::string field;
  std::string why;
};

class BadNumberTest : public ::testing::TestWithParam<BadNumber> {};

TEST_P(BadNumberTest, IsReportedOnItsField) {
  const std::vector<FieldViolation> v = ValidateOne(Valid(GetParam().payload));
  ASSERT_THAT(Fields(v), ElementsAre("events[0]." + GetParam().field));
  EXPECT_THAT(v[0].description, HasSubstr(GetParam().why));
}

INSTANTIATE_TEST_SUITE_P(
    Numbers, BadNumberTest,
    ::testing::Values(
        BadNumber{"CostNaN", CostActual{"p", kNaN}, "cost_actual.amount",
                  "is NaN"},
        BadNumber{"CostInf", CostActual{"p", kInf}, "cost_actual.amount",
                  "is infinite"},
        BadNumber{"CostOverMax", CostActual{"p", 1.5e12}, "cost_actual.amount",
                  "between 0 and 1e12"},
        BadNumber{"KpiValueMinusInf", KpiActual{"k", -kInf}, "kpi_actual.value",
                  "is infinite"},
        BadNumber{"KpiValueNaN", KpiActual{"k", kNaN}, "kpi_actual.value",
                  "is NaN"},
        BadNumber{"KpiValueTooNegative", KpiActual{"k", -2e12},
                  "kpi_actual.value", "between -1e12 and 1e12"},
        BadNumber{"ProgressNaN", ProjectProgress{"p", kNaN},
                  "project_progress.percent_complete", "is NaN"},
        BadNumber{"ProgressNegative", ProjectProgress{"p", -0.5},
                  "project_progress.percent_complete", "between 0 and 100"},
        BadNumber{"ProgressOver100", ProjectProgress{"p", 100.5},
                  "project_progress.percent_complete", "between 0 and 100"},
        BadNumber{"EstimateInf", TaskCreated{"t", Utc(2026, 4, 1), kInf},
                  "task_created.estimate_hours", "is infinite"},
        BadNumber{"EstimateNegative", TaskCreated{"t", Utc(2026, 4, 1), -1},
                  "task_created.estimate_hours", "between 0 and 1000000"},
        BadNumber{
            "BudgetNaN",
            ProjectBudgetPlan{"p", kNaN, Utc(2026, 1, 1), Utc(2026, 2, 1)},
            "project_budget_plan.budget_at_completion", "is NaN"},
        BadNumber{"BudgetZero",
                  ProjectBudgetPlan{"p", 0, Utc(2026, 1, 1), Utc(2026, 2, 1)},
                  "project_budget_plan.budget_at_completion", "greater than 0"},
        BadNumber{"TargetMinusInf",
                  KpiMonthlyTarget{"k", 2026, 3, -kInf, KpiAggregation::kSum},
                  "kpi_monthly_target.target", "is infinite"},
        BadNumber{"TargetZero",
                  KpiMonthlyTarget{"k", 2026, 3, 0, KpiAggregation::kSum},
                  "kpi_monthly_target.target", "at least 0.000001"},
        // Finite and positive, but the ratios would be +Inf.
        BadNumber{"TargetDenormal",
                  KpiMonthlyTarget{"k", 2026, 3, 5e-324, KpiAggregation::kSum},
                  "kpi_monthly_target.target", "at least 0.000001"},
        BadNumber{"TargetBelowAMillionth",
                  KpiMonthlyTarget{"k", 2026, 3, 9.9e-7, KpiAggregation::kSum},
                  "kpi_monthly_target.target", "at least 0.000001"}),
    [](const auto& info) { return info.param.name; });

TEST(ValidateBatchTest, KpiAggregationMustBeSumOrLast) {
  KpiMonthlyTarget unknown = ValidTarget();
  unknown.aggregation = static_cast<KpiAggregation>(7);
  std::vector<FieldViolation> v = ValidateOne(Valid(unknown));
  ASSERT_THAT(Fields(v),
              ElementsAre("events[0].kpi_monthly_target.aggregation"));
  EXPECT_EQ(v[0].description, "unknown enum value 7");

  KpiMonthlyTarget unspecified = ValidTarget();
  unspecified.aggregation = KpiAggregation::kUnspecified;
  v = ValidateOne(Valid(unspecified));
  ASSERT_THAT(Fields(v),
              ElementsAre("events[0].kpi_monthly_target.aggregation"));
  EXPECT_THAT(v[0].description, HasSubstr("KPI_AGGREGATION_SUM"));
}

TEST(ValidateBatchTest, KpiMonthAndYear) {
  for (int month : {0, 13}) {
    KpiMonthlyTarget t = ValidTarget();
    t.month = month;
    EXPECT_THAT(Fields(ValidateOne(Valid(t))),
                ElementsAre("events[0].kpi_monthly_target.month"))
        << "month " << month;
  }
  for (int year : {1999, 2101}) {
    KpiMonthlyTarget t = ValidTarget();
    t.year = year;
    EXPECT_THAT(Fields(ValidateOne(Valid(t))),
                ElementsAre("events[0].kpi_monthly_target.year"))
        << "year " << year;
  }
}

struct BadTime {
  std::string name;
  absl::Time occurred_at;
  std::string why;
};

class BadOccurredAtTest : public ::testing::TestWithParam<BadTime> {};

TEST_P(BadOccurredAtTest, IsReported) {
  Event e = ValidTask();
  e.occurred_at = GetParam().occurred_at;
  const std::vector<FieldViolation> v = ValidateOne(e);
  ASSERT_THAT(Fields(v), ElementsAre("events[0].occurred_at"));
  EXPECT_THAT(v[0].description, HasSubstr(GetParam().why));
}

INSTANTIATE_TEST_SUITE_P(
    Times, BadOccurredAtTest,
    ::testing::Values(
        BadTime{"Unset", absl::InfinitePast(), "is required"},
        BadTime{"Malformed", absl::InfiniteFuture(), "not a valid timestamp"},
        BadTime{"Before2000", Utc(1999, 12, 31, 23, 59, 59), "before 2000"},
        BadTime{"MoreThanADayAhead",
                kNow + absl::Hours(24) + absl::Microseconds(1),
                "after the server's time"}),
    [](const auto& info) { return info.param.name; });

TEST(ValidateBatchTest, DueDatesMayBeAtMostTwentyYearsAhead) {
  const absl::Time too_far = kNow + kMaxPlanningHorizon + absl::Seconds(1);
  // 20 years of 366 days, so every 20-year span fits.
  EXPECT_EQ(kMaxPlanningHorizon, absl::Hours(24 * 366 * 20));
  EventBatch batch = {
      Valid(TaskCreated{"t", too_far, 1}),
      Valid(TaskDueDateChanged{"t", too_far}),
      Valid(MilestoneDue{"p", "m", too_far}),
      Valid(TaskDueDateChanged{"t", absl::InfinitePast()}),
  };
  const std::vector<FieldViolation> v = ValidateBatch(batch, kNow);
  EXPECT_THAT(Fields(v), ElementsAre("events[0].task_created.due_at",
                                     "events[1].task_due_date_changed.due_at",
                                     "events[2].milestone_due.due_at",
                                     "events[3].task_due_date_changed.due_at"));
  EXPECT_EQ(v[3].description, "is required");
}

TEST(ValidateBatchTest, PlannedEndMustFollowPlannedStart) {
  ProjectBudgetPlan equal = ValidPlan();
  equal.planned_end = equal.planned_start;
  ProjectBudgetPlan reversed = ValidPlan();
  std::swap(reversed.planned_start, reversed.planned_end);
  const std::vector<FieldViolation> v =
      ValidateBatch({Valid(equal), Valid(reversed)}, kNow);
  ASSERT_THAT(Fields(v),
              ElementsAre("events[0].project_budget_plan.planned_end",
                          "events[1].project_budget_plan.planned_end"));
  EXPECT_EQ(v[0].description, "must be after planned_start");
}

TEST(ValidateBatchTest, UnsetPlanTimesAreReportedOncePerField) {
  ProjectBudgetPlan unset = ValidPlan();
  unset.planned_start = absl::InfinitePast();
  unset.planned_end = absl::InfinitePast();
  ProjectBudgetPlan malformed_start = ValidPlan();
  malformed_start.planned_start = absl::InfiniteFuture();
  const std::vector<FieldViolation> v =
      ValidateBatch({Valid(unset), Valid(malformed_start)}, kNow);
  EXPECT_THAT(Fields(v),
              ElementsAre("events[0].project_budget_plan.planned_start",
                          "events[0].project_budget_plan.planned_end",
                          "events[1].project_budget_plan.planned_start"));
}

TEST(ValidateBatchTest, MissingPayload) {
  const std::vector<FieldViolation> v = ValidateOne(Valid(std::monostate{}));
  ASSERT_THAT(Fields(v), ElementsAre("events[0].payload"));
  EXPECT_THAT(v[0].description, HasSubstr("exactly one payload"));
}

TEST(ValidateBatchTest, EmptyBatch) {
  const std::vector<FieldViolation> v = ValidateBatch({}, kNow);
  ASSERT_THAT(Fields(v), ElementsAre("events"));
  EXPECT_EQ(v[0].description, "at least one event is required");
}

TEST(ValidateBatchTest, AtMostTenThousandEventsPerBatch) {
  EventBatch batch(kMaxEventsPerBatch, ValidTask());
  EXPECT_THAT(ValidateBatch(batch, kNow), IsEmpty());

  batch.push_back(ValidTask());
  const std::vector<FieldViolation> v = ValidateBatch(batch, kNow);
  ASSERT_THAT(Fields(v), ElementsAre("events"));
  EXPECT_EQ(v[0].description, "at most 10000 events per request (got 10001)");
}

TEST(ValidateBatchTest, ReportsEveryViolationOfEveryEvent) {
  Event bad_header = ValidTask();  // three bad header fields
  bad_header.event_id.clear();
  bad_header.team = "Eng";
  bad_header.occurred_at = absl::InfinitePast();

  KpiMonthlyTarget target = ValidTarget();  // four bad payload fields
  target.kpi.clear();
  target.year = 1999;
  target.month = 13;
  target.aggregation = static_cast<KpiAggregation>(7);

  EventBatch batch = {
      bad_header,
      ValidTask(),
      Valid(target),
      Valid(CostActual{"", kNaN}),
      Valid(std::monostate{}),
  };
  batch[4].source = "bad source";
  EXPECT_THAT(
      Fields(ValidateBatch(batch, kNow)),
      ElementsAre("events[0].event_id", "events[0].team",
                  "events[0].occurred_at", "events[2].kpi_monthly_target.kpi",
                  "events[2].kpi_monthly_target.year",
                  "events[2].kpi_monthly_target.month",
                  "events[2].kpi_monthly_target.aggregation",
                  "events[3].cost_actual.project",
                  "events[3].cost_actual.amount", "events[4].source",
                  "events[4].payload"));
}

TEST(PayloadFieldNameTest, NamesEveryKindAsTheApiDoes) {
  EXPECT_STREQ(PayloadFieldName(Payload{}), "payload");
  EXPECT_STREQ(PayloadFieldName(TaskCreated{}), "task_created");
  EXPECT_STREQ(PayloadFieldName(TaskDueDateChanged{}), "task_due_date_changed");
  EXPECT_STREQ(PayloadFieldName(ProjectBudgetPlan{}), "project_budget_plan");
  EXPECT_STREQ(PayloadFieldName(ProcedureCheck{}), "procedure_check");
  EXPECT_STREQ(PayloadFieldName(KpiActual{}), "kpi_actual");
}

}  // namespace
}  // namespace orgpulse::ingest
