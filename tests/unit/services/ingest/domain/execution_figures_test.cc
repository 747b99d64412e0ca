#include "services/ingest/domain/execution_figures.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::Utc;
using ::testing::DoubleEq;
using ::testing::DoubleNear;
using ::testing::Optional;

TEST(PlannedFractionTest, GrowsLinearlyBetweenStartAndEnd) {
  const absl::Time start = Utc(2026, 1, 1);
  const absl::Time end = Utc(2026, 1, 11);  // 10 days
  // 3 of 10 days elapsed.
  EXPECT_DOUBLE_EQ(PlannedFraction(start, end, Utc(2026, 1, 4)), 0.3);
  // 6 hours of 240.
  EXPECT_DOUBLE_EQ(PlannedFraction(start, end, Utc(2026, 1, 1, 6)), 0.025);
}

TEST(PlannedFractionTest, IsClampedToZeroAndOne) {
  const absl::Time start = Utc(2026, 1, 1);
  const absl::Time end = Utc(2026, 1, 11);
  EXPECT_EQ(PlannedFraction(start, end, Utc(2025, 12, 1)), 0);
  EXPECT_EQ(PlannedFraction(start, end, start), 0);
  EXPECT_EQ(PlannedFraction(start, end, end), 1);
  EXPECT_EQ(PlannedFraction(start, end, Utc(2027, 1, 1)), 1);
}

TEST(PlannedFractionTest, EmptyScheduleIsDoneOnceStarted) {
  const absl::Time t = Utc(2026, 1, 1);
  EXPECT_EQ(PlannedFraction(t, t, t - absl::Seconds(1)), 0);
  EXPECT_EQ(PlannedFraction(t, t, t + absl::Seconds(1)), 1);
}

TEST(EarnedValueFromSumsTest, DerivesEveryRatio) {
  // CPI = 400 / 500 = 0.8; SPI = 400 / 500 = 0.8;
  // EAC = 1000 / 0.8 = 1250; VAC = 1000 - 1250 = -250.
  const EarnedValue v = EarnedValueFromSums(1000, 500, 400, 500);
  EXPECT_EQ(v.budget_at_completion, 1000);
  EXPECT_EQ(v.planned_value, 500);
  EXPECT_EQ(v.earned_value, 400);
  EXPECT_EQ(v.actual_cost, 500);
  EXPECT_THAT(v.cost_performance_index, Optional(DoubleEq(0.8)));
  EXPECT_THAT(v.schedule_performance_index, Optional(DoubleEq(0.8)));
  EXPECT_THAT(v.estimate_at_completion, Optional(DoubleEq(1250)));
  EXPECT_THAT(v.variance_at_completion, Optional(DoubleEq(-250)));
}

TEST(EarnedValueFromSumsTest, UnderBudgetAheadOfSchedule) {
  // CPI = 600 / 400 = 1.5; SPI = 600 / 300 = 2;
  // EAC = 1000 / 1.5 = 666.67; VAC = 1000 - 666.67 = 333.33.
  const EarnedValue v = EarnedValueFromSums(1000, 300, 600, 400);
  EXPECT_THAT(v.cost_performance_index, Optional(DoubleEq(1.5)));
  EXPECT_THAT(v.schedule_performance_index, Optional(DoubleEq(2)));
  EXPECT_THAT(v.estimate_at_completion,
              Optional(DoubleNear(666.6666667, 1e-6)));
  EXPECT_THAT(v.variance_at_completion,
              Optional(DoubleNear(333.3333333, 1e-6)));
}

TEST(EarnedValueFromSumsTest, NoActualCostLeavesCostRatiosAbsent) {
  // AC = 0: CPI = EV / 0 absent, so EAC and VAC too; SPI = 200 / 400 = 0.5.
  const EarnedValue v = EarnedValueFromSums(1000, 400, 200, 0);
  EXPECT_EQ(v.cost_performance_index, std::nullopt);
  EXPECT_EQ(v.estimate_at_completion, std::nullopt);
  EXPECT_EQ(v.variance_at_completion, std::nullopt);
  EXPECT_THAT(v.schedule_performance_index, Optional(DoubleEq(0.5)));
}

TEST(EarnedValueFromSumsTest, NoPlannedValueLeavesSpiAbsent) {
  // PV = 0 (not started yet): SPI absent. CPI = 100 / 50 = 2, EAC = 500.
  const EarnedValue v = EarnedValueFromSums(1000, 0, 100, 50);
  EXPECT_EQ(v.schedule_performance_index, std::nullopt);
  EXPECT_THAT(v.cost_performance_index, Optional(DoubleEq(2)));
  EXPECT_THAT(v.estimate_at_completion, Optional(DoubleEq(500)));
  EXPECT_THAT(v.variance_at_completion, Optional(DoubleEq(500)));
}

TEST(EarnedValueFromSumsTest, NoEarnedValueLeavesEacAbsent) {
  // EV = 0, AC = 50: CPI = 0, and EAC = BAC / 0 has a zero divisor.
  const EarnedValue v = EarnedValueFromSums(1000, 100, 0, 50);
  EXPECT_THAT(v.cost_performance_index, Optional(0.0));
  EXPECT_THAT(v.schedule_performance_index, Optional(0.0));
  EXPECT_EQ(v.estimate_at_completion, std::nullopt);
  EXPECT_EQ(v.variance_at_completion, std::nullopt);
}

TEST(EarnedValueFromSumsTest, AllZeroHasNoRatio) {
  const EarnedValue v = EarnedValueFromSums(0, 0, 0, 0);
  EXPECT_EQ(v.cost_performance_index, std::nullopt);
  EXPECT_EQ(v.schedule_performance_index, std::nullopt);
  EXPECT_EQ(v.estimate_at_completion, std::nullopt);
  EXPECT_EQ(v.variance_at_completion, std::nullopt);
}

TEST(NearestRankPercentileTest, EmptyIsZero) {
  std::vector<double> none;
  EXPECT_EQ(NearestRankPercentile(none, 0.5), 0);
  EXPECT_EQ(NearestRankPercentile(none, 0.9), 0);
}

TEST(NearestRankPercentileTest, SingleValue) {
  std::vector<double> one = {42};
  EXPECT_EQ(NearestRankPercentile(one, 0.5), 42);
  EXPECT_EQ(NearestRankPercentile(one, 0.9), 42);
  EXPECT_EQ(NearestRankPercentile(one, 1), 42);
}

TEST(NearestRankPercentileTest, TenValues) {
  // Rank = ceil(p * n): p50 -> ceil(5) = 5th; p90 -> ceil(9) = 9th;
  // p95 -> ceil(9.5) = 10th; p1 -> ceil(0.1) = 1st.
  std::vector<double> v = {7, 3, 10, 1, 9, 2, 8, 5, 4, 6};
  EXPECT_EQ(NearestRankPercentile(v, 0.5), 5);
  EXPECT_EQ(NearestRankPercentile(v, 0.9), 9);
  EXPECT_EQ(NearestRankPercentile(v, 0.95), 10);
  EXPECT_EQ(NearestRankPercentile(v, 0.01), 1);
  EXPECT_EQ(NearestRankPercentile(v, 1), 10);
}

TEST(NearestRankPercentileTest, FourValuesAndDuplicates) {
  // n = 4: p50 -> ceil(2) = 2nd of {1, 2, 3, 4}; p90 -> ceil(3.6) = 4th.
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_EQ(NearestRankPercentile(v, 0.5), 2);
  EXPECT_EQ(NearestRankPercentile(v, 0.9), 4);
  // {1, 7, 7}: p50 -> ceil(1.5) = 2nd = 7; p30 -> ceil(0.9) = 1st = 1.
  std::vector<double> d = {7, 1, 7};
  EXPECT_EQ(NearestRankPercentile(d, 0.5), 7);
  EXPECT_EQ(NearestRankPercentile(d, 0.3), 1);
}

TEST(KpiMonthEndForecastTest, SumExtrapolatesTheRunRate) {
  // March 2026 has 31 days; on March 11 00:00, 10/31 of it has elapsed:
  // 200 so far -> 200 / (10/31) = 620 at month end.
  const absl::Time start = Utc(2026, 3, 1);
  const absl::Time end = Utc(2026, 4, 1);
  EXPECT_THAT(KpiMonthEndForecast(KpiAggregation::kSum, 200, start, end,
                                  Utc(2026, 3, 11)),
              DoubleNear(620, 1e-9));
  // Half of April (15 of 30 days): 50 -> 100.
  EXPECT_THAT(KpiMonthEndForecast(KpiAggregation::kSum, 50, Utc(2026, 4, 1),
                                  Utc(2026, 5, 1), Utc(2026, 4, 16)),
              DoubleNear(100, 1e-9));
  // At the month's end the forecast is the actual.
  EXPECT_EQ(KpiMonthEndForecast(KpiAggregation::kSum, 200, start, end, end),
            200);
}

TEST(KpiMonthEndForecastTest, SumAtTheMonthStartHasNoRateYet) {
  // Elapsed fraction 0 is a zero divisor: the actual is kept.
  const absl::Time start = Utc(2026, 3, 1);
  EXPECT_EQ(KpiMonthEndForecast(KpiAggregation::kSum, 5, start, Utc(2026, 4, 1),
                                start),
            5);
}

TEST(KpiMonthEndForecastTest, LastKeepsTheLatestReading) {
  EXPECT_EQ(KpiMonthEndForecast(KpiAggregation::kLast, 45, Utc(2026, 3, 1),
                                Utc(2026, 4, 1), Utc(2026, 3, 11)),
            45);
}

}  // namespace
}  // namespace orgpulse::ingest
