// The scores, quadrant, risks, drivers and recommendations against values
// worked out by hand from the formulas in scoring.h and docs/insights.md.
#include "services/insights/domain/scoring.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::insights {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kEps = 1e-9;

PeopleInputs People(double all_dimensions, double enps, double intent) {
  PeopleInputs p;
  p.dimensions.fill(all_dimensions);
  p.enps = enps;
  p.intent_to_stay = intent;
  return p;
}

void Set(PeopleInputs& p, Dimension d, double v) {
  p.dimensions[DimensionIndex(d)] = v;
}

// Execution inputs, set one by one (designated initializers that leave
// fields out warn under -Wextra).
struct Exec {
  ExecutionInputs in;
  Exec& OnTime(double v) { return in.on_time_ratio = v, *this; }
  Exec& Cpi(double v) { return in.cost_performance_index = v, *this; }
  Exec& Spi(double v) { return in.schedule_performance_index = v, *this; }
  Exec& Milestones(double v) { return in.milestone_hit_ratio = v, *this; }
  Exec& Procedures(double v) {
    return in.procedure_compliance_ratio = v, *this;
  }
  Exec& Kpi(double v) { return in.kpi_forecast_attainment_ratio = v, *this; }
  Exec& Tasks(int64_t open, int64_t overdue) {
    in.open_tasks = open;
    in.overdue_tasks = overdue;
    return *this;
  }
};

// --- Execution score -------------------------------------------------------

TEST(ExecutionScoreTest, NoInputsNoScore) {
  EXPECT_EQ(ExecutionScore({}), std::nullopt);
  // Task counts alone are not an input of the score.
  EXPECT_EQ(ExecutionScore(Exec().Tasks(10, 3).in), std::nullopt);
}

TEST(ExecutionScoreTest, AllInputsWeighted) {
  // 0.25*90 + 0.15*min(1.2,1)*100 + 0.15*80 + 0.15*50 + 0.15*100
  //   + 0.15*min(0.7,1)*100
  // = 22.5 + 15 + 12 + 7.5 + 15 + 10.5 = 82.5, over weight 1.0.
  const ExecutionInputs in = Exec()
                                 .OnTime(0.9)
                                 .Cpi(1.2)
                                 .Spi(0.8)
                                 .Milestones(0.5)
                                 .Procedures(1.0)
                                 .Kpi(0.7)
                                 .in;
  ASSERT_TRUE(ExecutionScore(in).has_value());
  EXPECT_NEAR(*ExecutionScore(in), 82.5, kEps);
}

TEST(ExecutionScoreTest, AbsentInputsRenormaliseTheWeights) {
  // (0.25*60 + 0.15*100) / (0.25 + 0.15) = 30 / 0.4 = 75.
  const ExecutionInputs in = Exec().OnTime(0.6).Milestones(1.0).in;
  EXPECT_NEAR(*ExecutionScore(in), 75, kEps);
  // One input: the score is that input.
  EXPECT_NEAR(*ExecutionScore(Exec().Spi(0.42).in), 42, kEps);
}

TEST(ExecutionScoreTest, IndicesAreCappedAtOneAndRatiosClamped) {
  // SPI 1.5 and KPI 3 count as 1; CPI -0.5 as 0:
  // (0.15*100 + 0.15*100 + 0.15*0) / 0.45 = 30 / 0.45 = 66.666...
  const ExecutionInputs in = Exec().Cpi(-0.5).Spi(1.5).Kpi(3).in;
  EXPECT_NEAR(*ExecutionScore(in), 200.0 / 3, kEps);
  EXPECT_NEAR(*ExecutionScore(Exec().OnTime(1.5).in), 100, kEps);
}

// --- People score ------------------------------------------------------------

TEST(PeopleScoreTest, WeightedMeanOfDimensionsIntentAndEnps) {
  // 0.7*50 + 0.15*80 + 0.15*(20 + 100)/2 = 35 + 12 + 9 = 56.
  EXPECT_NEAR(PeopleScore(People(50, 20, 80)), 56, kEps);
  // Extremes: 0 and 100.
  EXPECT_NEAR(PeopleScore(People(0, -100, 0)), 0, kEps);
  EXPECT_NEAR(PeopleScore(People(100, 100, 100)), 100, kEps);
}

TEST(PeopleScoreTest, DimensionsAreAveraged) {
  // Dimensions 0, 10, ..., 80: mean 40. 0.7*40 + 0.15*0 + 0.15*(0+100)/2
  // = 28 + 0 + 7.5 = 35.5.
  PeopleInputs p = People(0, 0, 0);
  for (int i = 0; i < kDimensionCount; ++i) p.dimensions[i] = 10.0 * i;
  EXPECT_NEAR(PeopleScore(p), 35.5, kEps);
}

// --- Quadrant ----------------------------------------------------------------

TEST(QuadrantOfTest, EachQuadrant) {
  EXPECT_EQ(QuadrantOf(60, 60), Quadrant::kThriving);  // threshold included
  EXPECT_EQ(QuadrantOf(90, 59.9), Quadrant::kBurnoutRisk);
  EXPECT_EQ(QuadrantOf(59.9, 90), Quadrant::kExecutionGap);
  EXPECT_EQ(QuadrantOf(10, 20), Quadrant::kAtRisk);
}

TEST(QuadrantOfTest, AMissingScoreIsInsufficientData) {
  EXPECT_EQ(QuadrantOf(std::nullopt, 80), Quadrant::kInsufficientData);
  EXPECT_EQ(QuadrantOf(80, std::nullopt), Quadrant::kInsufficientData);
  EXPECT_EQ(QuadrantOf(std::nullopt, std::nullopt),
            Quadrant::kInsufficientData);
}

// --- Risks -------------------------------------------------------------------

TEST(BurnoutRiskTest, HandWorked) {
  PeopleInputs p = People(100, 0, 100);
  Set(p, Dimension::kWellbeing, 40);
  Set(p, Dimension::kRecognition, 50);
  Set(p, Dimension::kAutonomy, 80);
  // Without execution: 0.5*0.6 + 0.2*0.5 + 0.15*0.2 = 0.3 + 0.1 + 0.03 = 0.43.
  EXPECT_NEAR(BurnoutRisk(p, nullptr), 0.43, kEps);
  // 3 overdue of 12 open: + 0.15*0.25 = 0.0375 -> 0.4675.
  ExecutionInputs e = Exec().Tasks(12, 3).in;
  EXPECT_NEAR(BurnoutRisk(p, &e), 0.4675, kEps);
  // No open tasks: no pressure.
  e = Exec().Tasks(0, 3).in;
  EXPECT_NEAR(BurnoutRisk(p, &e), 0.43, kEps);
  // More overdue than open is capped at 1: 0.43 + 0.15 = 0.58.
  e = Exec().Tasks(2, 5).in;
  EXPECT_NEAR(BurnoutRisk(p, &e), 0.58, kEps);
}

TEST(BurnoutRiskTest, Bounds) {
  const ExecutionInputs all_overdue = Exec().Tasks(4, 4).in;
  // 0.5 + 0.2 + 0.15 + 0.15 = 1.
  EXPECT_NEAR(BurnoutRisk(People(0, 0, 0), &all_overdue), 1, kEps);
  EXPECT_NEAR(BurnoutRisk(People(100, 0, 0), nullptr), 0, kEps);
}

TEST(TurnoverRiskTest, HandWorked) {
  PeopleInputs p = People(100, -40, 25);
  Set(p, Dimension::kGrowth, 50);
  Set(p, Dimension::kTrustInLeadership, 70);
  // 0.45*(1-0.25) + 0.2*(100+40)/200 + 0.15*(1-0.5) + 0.2*(1-0.7)
  // = 0.3375 + 0.14 + 0.075 + 0.06 = 0.6125.
  EXPECT_NEAR(TurnoverRisk(p), 0.6125, kEps);
}

TEST(TurnoverRiskTest, Bounds) {
  // 0.45 + 0.2 + 0.15 + 0.2 = 1.
  EXPECT_NEAR(TurnoverRisk(People(0, -100, 0)), 1, kEps);
  EXPECT_NEAR(TurnoverRisk(People(100, 100, 100)), 0, kEps);
}

// --- Assess: drivers and recommendations -----------------------------------

std::vector<std::string> Names(const std::vector<Driver>& drivers) {
  std::vector<std::string> out;
  for (const Driver& d : drivers) out.push_back(d.name);
  return out;
}

TEST(AssessTest, DriversRankedByRelativeShortfallAtMostFive) {
  PeopleInputs p = People(90, -50, 40);
  Set(p, Dimension::kPsychologicalSafety, 30);  // (60-30)/100 = 0.30
  Set(p, Dimension::kFeedback, 55);             // 0.05
  Set(p, Dimension::kGrowth, 45);               // 0.15
  Set(p, Dimension::kWellbeing, 20);            // 0.40
  Set(p, Dimension::kTrustInLeadership, 59);    // 0.01
  Set(p, Dimension::kVision, 60);               // at the threshold: none
  Set(p, Dimension::kAutonomy, 50);             // 0.10
  // eNPS -50: (0+50)/200 = 0.25; intent 40: (60-40)/100 = 0.20.
  // On time 0.45: (0.8-0.45)/1 = 0.35; CPI 0.9: 0.05; procedures and KPIs
  // above their thresholds.
  const ExecutionInputs e =
      Exec().OnTime(0.45).Cpi(0.9).Procedures(0.95).Kpi(2).in;
  const Assessment a = Assess(p, e);
  EXPECT_THAT(Names(a.drivers),
              ElementsAre("wellbeing", "on_time_ratio", "psychological_safety",
                          "enps", "intent_to_stay"));
  ASSERT_EQ(a.drivers.size(), kMaxDrivers);
  EXPECT_EQ(a.drivers[0].score, Driver::Score::kPeople);
  EXPECT_DOUBLE_EQ(a.drivers[0].value, 20);
  EXPECT_DOUBLE_EQ(a.drivers[0].threshold, 60);
  EXPECT_EQ(a.drivers[1].score, Driver::Score::kExecution);
  EXPECT_DOUBLE_EQ(a.drivers[1].value, 0.45);
  EXPECT_DOUBLE_EQ(a.drivers[1].threshold, 0.8);
  EXPECT_DOUBLE_EQ(a.drivers[3].value, -50);
  EXPECT_DOUBLE_EQ(a.drivers[3].threshold, 0);
  // One recommendation per driver, in the drivers' order.
  ASSERT_EQ(a.recommendations.size(), a.drivers.size());
  std::vector<std::string> practices;
  for (size_t i = 0; i < a.recommendations.size(); ++i) {
    EXPECT_EQ(a.recommendations[i].driver, a.drivers[i].name);
    EXPECT_FALSE(a.recommendations[i].detail.empty());
    practices.push_back(a.recommendations[i].practice);
  }
  EXPECT_THAT(practices,
              ElementsAre("protect workload", "re-plan with the team",
                          "hold 1:1s and listen actively", "ask for feedback",
                          "hold 1:1s on careers"));
}

TEST(AssessTest, ScoresRisksAndQuadrantTogether) {
  // People 56 (see PeopleScore), execution 90: delivers, low morale.
  const Assessment a = Assess(People(50, 20, 80), Exec().OnTime(0.9).in);
  EXPECT_NEAR(*a.people_score, 56, kEps);
  EXPECT_NEAR(*a.execution_score, 90, kEps);
  EXPECT_EQ(a.quadrant, Quadrant::kBurnoutRisk);
  // Burnout: 0.5*0.5 + 0.2*0.5 + 0.15*0.5 = 0.425 (no open tasks).
  EXPECT_NEAR(*a.burnout_risk, 0.425, kEps);
  // Turnover: 0.45*0.2 + 0.2*80/200 + 0.15*0.5 + 0.2*0.5 = 0.09 + 0.08 +
  // 0.075 + 0.1 = 0.345.
  EXPECT_NEAR(*a.turnover_risk, 0.345, kEps);
  // Every dimension (50 < 60) is a driver at 0.10; stable order keeps the
  // first five dimensions.
  EXPECT_THAT(Names(a.drivers),
              ElementsAre("psychological_safety", "feedback", "recognition",
                          "growth", "wellbeing"));
}

TEST(AssessTest, BurnoutUsesTheExecutionPressure) {
  // Burnout 0.425 + 0.15 * 1/2 = 0.5.
  const Assessment a = Assess(People(50, 20, 80), Exec().Tasks(4, 2).in);
  EXPECT_NEAR(*a.burnout_risk, 0.5, kEps);
  EXPECT_EQ(a.execution_score, std::nullopt);
  EXPECT_EQ(a.quadrant, Quadrant::kInsufficientData);
}

TEST(AssessTest, WithoutPeopleFiguresNoPeopleScoreRisksOrDrivers) {
  const Assessment a = Assess(std::nullopt, Exec().OnTime(0.5).Tasks(3, 3).in);
  EXPECT_EQ(a.people_score, std::nullopt);
  EXPECT_EQ(a.burnout_risk, std::nullopt);
  EXPECT_EQ(a.turnover_risk, std::nullopt);
  EXPECT_EQ(a.quadrant, Quadrant::kInsufficientData);
  EXPECT_THAT(Names(a.drivers), ElementsAre("on_time_ratio"));
  for (const Driver& d : a.drivers) {
    EXPECT_EQ(d.score, Driver::Score::kExecution);
  }
}

TEST(AssessTest, NothingKnownNothingSaid) {
  const Assessment a = Assess(std::nullopt, std::nullopt);
  EXPECT_EQ(a.execution_score, std::nullopt);
  EXPECT_EQ(a.people_score, std::nullopt);
  EXPECT_EQ(a.quadrant, Quadrant::kInsufficientData);
  EXPECT_THAT(a.drivers, IsEmpty());
  EXPECT_THAT(a.recommendations, IsEmpty());
}

TEST(AssessTest, HealthyTeamHasNoDrivers) {
  const Assessment a =
      Assess(People(80, 40, 90), Exec().OnTime(0.95).Cpi(1.0).in);
  EXPECT_EQ(a.quadrant, Quadrant::kThriving);
  EXPECT_THAT(a.drivers, IsEmpty());
  EXPECT_THAT(a.recommendations, IsEmpty());
}

}  // namespace
}  // namespace orgpulse::insights
