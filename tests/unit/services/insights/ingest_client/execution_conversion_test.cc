#include "services/insights/ingest_client/execution_conversion.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::insights {
namespace {

namespace v1 = ::orgpulse::ingest::v1;
using ::testing::DoubleEq;
using ::testing::Eq;
using ::testing::Optional;

const absl::Time kFetchedAt = absl::FromCivil(
    absl::CivilSecond(2026, 3, 1, 9, 0, 0), absl::UTCTimeZone());

v1::KpiFigures* AddKpi(v1::TeamExecution& proto, bool has_target,
                       double forecast_attainment_ratio) {
  v1::KpiFigures* kpi = proto.add_kpis();
  kpi->set_has_target(has_target);
  kpi->set_forecast_attainment_ratio(forecast_attainment_ratio);
  return kpi;
}

void AddProcedure(v1::TeamExecution& proto, int64_t checks, int64_t passed) {
  v1::ProcedureCompliance* p = proto.add_procedures();
  p->set_checks(checks);
  p->set_passed(passed);
  // Deliberately inconsistent: the input is recomputed from the counts.
  p->set_compliance_ratio(0.123);
}

TEST(ExecutionConversionTest, ConvertsEveryFigure) {
  v1::TeamExecution proto;
  proto.set_team("eng");
  proto.mutable_as_of()->set_seconds(1772280000);  // 2026-02-28T12:00:00Z
  proto.mutable_as_of()->set_nanos(500'000'000);
  v1::TaskFigures* tasks = proto.mutable_tasks();
  tasks->set_open(7);
  tasks->set_overdue(2);
  tasks->set_has_on_time_ratio(true);
  tasks->set_on_time_ratio(0.75);
  v1::EarnedValue* budget = proto.mutable_budget();
  budget->set_has_cpi(true);
  budget->set_cost_performance_index(0.9);
  budget->set_has_spi(true);
  budget->set_schedule_performance_index(1.1);
  proto.mutable_milestones()->set_met(3);
  proto.mutable_milestones()->set_missed(1);
  proto.mutable_milestones()->set_pending(4);  // not judged yet
  AddProcedure(proto, 4, 3);
  AddProcedure(proto, 6, 6);
  AddKpi(proto, true, 0.8);
  AddKpi(proto, true, 1.3);
  AddKpi(proto, false, 5.0);  // no target this month: not counted

  const ExecutionSnapshot s = ToExecutionSnapshot(proto, kFetchedAt);

  EXPECT_THAT(s.inputs.on_time_ratio, Optional(DoubleEq(0.75)));
  EXPECT_THAT(s.inputs.cost_performance_index, Optional(DoubleEq(0.9)));
  EXPECT_THAT(s.inputs.schedule_performance_index, Optional(DoubleEq(1.1)));
  EXPECT_THAT(s.inputs.milestone_hit_ratio, Optional(DoubleEq(0.75)));
  EXPECT_THAT(s.inputs.procedure_compliance_ratio, Optional(DoubleEq(0.9)));
  EXPECT_THAT(s.inputs.kpi_forecast_attainment_ratio, Optional(DoubleEq(1.05)));
  EXPECT_EQ(s.inputs.open_tasks, 7);
  EXPECT_EQ(s.inputs.overdue_tasks, 2);
  EXPECT_EQ(s.as_of, absl::FromCivil(absl::CivilSecond(2026, 2, 28, 12, 0, 0),
                                     absl::UTCTimeZone()) +
                         absl::Milliseconds(500));
  EXPECT_EQ(s.fetched_at, kFetchedAt);
}

TEST(ExecutionConversionTest, EmptyResponseHasNoRatios) {
  const ExecutionSnapshot s =
      ToExecutionSnapshot(v1::TeamExecution(), kFetchedAt);

  EXPECT_EQ(s.inputs.on_time_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.cost_performance_index, std::nullopt);
  EXPECT_EQ(s.inputs.schedule_performance_index, std::nullopt);
  EXPECT_EQ(s.inputs.milestone_hit_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.procedure_compliance_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.kpi_forecast_attainment_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.open_tasks, 0);
  EXPECT_EQ(s.inputs.overdue_tasks, 0);
  EXPECT_EQ(s.as_of, absl::InfinitePast());
  EXPECT_EQ(s.fetched_at, kFetchedAt);
}

// Values next to a false has_* flag, or without a basis, must not leak
// through as figures.
TEST(ExecutionConversionTest, AbsentValuesStayAbsent) {
  v1::TeamExecution proto;
  proto.mutable_tasks()->set_has_on_time_ratio(false);
  proto.mutable_tasks()->set_on_time_ratio(0.5);
  proto.mutable_tasks()->set_open(3);
  proto.mutable_budget()->set_has_cpi(false);
  proto.mutable_budget()->set_cost_performance_index(2.0);
  proto.mutable_budget()->set_has_spi(false);
  proto.mutable_budget()->set_schedule_performance_index(3.0);
  proto.mutable_milestones()->set_pending(5);
  AddProcedure(proto, 0, 0);
  AddKpi(proto, false, 0.9);

  const ExecutionSnapshot s = ToExecutionSnapshot(proto, kFetchedAt);

  EXPECT_EQ(s.inputs.on_time_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.cost_performance_index, std::nullopt);
  EXPECT_EQ(s.inputs.schedule_performance_index, std::nullopt);
  EXPECT_EQ(s.inputs.milestone_hit_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.procedure_compliance_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.kpi_forecast_attainment_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.open_tasks, 3);
}

TEST(ExecutionConversionTest, ZeroIsAFigureWhenThereIsABasis) {
  v1::TeamExecution proto;
  proto.mutable_tasks()->set_has_on_time_ratio(true);
  proto.mutable_tasks()->set_on_time_ratio(0);
  proto.mutable_milestones()->set_missed(2);
  AddProcedure(proto, 5, 0);
  AddKpi(proto, true, 0);

  const ExecutionSnapshot s = ToExecutionSnapshot(proto, kFetchedAt);

  EXPECT_THAT(s.inputs.on_time_ratio, Optional(Eq(0.0)));
  EXPECT_THAT(s.inputs.milestone_hit_ratio, Optional(Eq(0.0)));
  EXPECT_THAT(s.inputs.procedure_compliance_ratio, Optional(Eq(0.0)));
  EXPECT_THAT(s.inputs.kpi_forecast_attainment_ratio, Optional(Eq(0.0)));
}

TEST(ExecutionConversionTest, NonFiniteValuesAreAbsent) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  v1::TeamExecution proto;
  proto.mutable_tasks()->set_has_on_time_ratio(true);
  proto.mutable_tasks()->set_on_time_ratio(nan);
  proto.mutable_budget()->set_has_cpi(true);
  proto.mutable_budget()->set_cost_performance_index(inf);
  proto.mutable_budget()->set_has_spi(true);
  proto.mutable_budget()->set_schedule_performance_index(-inf);
  AddKpi(proto, true, 1.0);
  AddKpi(proto, true, nan);

  const ExecutionSnapshot s = ToExecutionSnapshot(proto, kFetchedAt);

  EXPECT_EQ(s.inputs.on_time_ratio, std::nullopt);
  EXPECT_EQ(s.inputs.cost_performance_index, std::nullopt);
  EXPECT_EQ(s.inputs.schedule_performance_index, std::nullopt);
  EXPECT_EQ(s.inputs.kpi_forecast_attainment_ratio, std::nullopt);
}

TEST(ExecutionConversionTest, OutOfRangeAsOfIsUnknown) {
  v1::TeamExecution proto;
  proto.mutable_as_of()->set_seconds(1772280000);
  proto.mutable_as_of()->set_nanos(-1);
  EXPECT_EQ(ToExecutionSnapshot(proto, kFetchedAt).as_of, absl::InfinitePast());

  proto.mutable_as_of()->set_nanos(0);
  proto.mutable_as_of()->set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ToExecutionSnapshot(proto, kFetchedAt).as_of, absl::InfinitePast());
}

}  // namespace
}  // namespace orgpulse::insights
