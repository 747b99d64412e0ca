// Where the two views meet: the execution score, the people score, the
// quadrant, burnout and turnover risk, the drivers that pull the scores
// down and the practices that answer them. Pure functions; the formulas are
// written out in docs/insights.md and tested against hand-worked values.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SCORING_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SCORING_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

// The manager view's inputs, as read from ingest. Ratios are 0..1 (CPI and
// SPI may exceed 1); absent when ingest has no basis for them.
struct ExecutionInputs {
  std::optional<double> on_time_ratio;
  std::optional<double> cost_performance_index;
  std::optional<double> schedule_performance_index;
  std::optional<double> milestone_hit_ratio;
  std::optional<double> procedure_compliance_ratio;
  std::optional<double> kpi_forecast_attainment_ratio;
  int64_t open_tasks = 0;
  int64_t overdue_tasks = 0;
};

// The leader view's inputs for a released group: 0..100 scores, eNPS -100..100.
struct PeopleInputs {
  std::array<double, kDimensionCount> dimensions{};
  double enps = 0;
  double intent_to_stay = 0;
};

enum class Quadrant {
  kThriving = 1,
  kBurnoutRisk = 2,
  kExecutionGap = 3,
  kAtRisk = 4,
  kInsufficientData = 5,
};

struct Driver {
  enum class Score { kPeople = 1, kExecution = 2 };
  Score score;
  std::string name;
  double value;
  double threshold;
};

struct Recommendation {
  std::string driver;
  std::string practice;
  std::string detail;
};

struct Assessment {
  std::optional<double> execution_score;
  std::optional<double> people_score;
  Quadrant quadrant = Quadrant::kInsufficientData;
  std::optional<double> burnout_risk;
  std::optional<double> turnover_risk;
  std::vector<Driver> drivers;  // worst first, at most kMaxDrivers
  std::vector<Recommendation> recommendations;
};

inline constexpr double kQuadrantThreshold = 60;
inline constexpr size_t kMaxDrivers = 5;

// 0..100: the weighted mean of the inputs present (on time 0.25; CPI, SPI,
// milestones, procedures, KPIs 0.15 each; CPI, SPI, KPI capped at 1).
std::optional<double> ExecutionScore(const ExecutionInputs& in);
// 0..100: 0.7 * mean(dimensions) + 0.15 * intent + 0.15 * (eNPS + 100) / 2.
double PeopleScore(const PeopleInputs& in);
Quadrant QuadrantOf(std::optional<double> execution,
                    std::optional<double> people);
// 0..1: 0.5 (1 - wellbeing) + 0.2 (1 - recognition) + 0.15 (1 - autonomy)
//       + 0.15 * overdue / open   (scores as fractions of 100).
double BurnoutRisk(const PeopleInputs& people,
                   const ExecutionInputs* execution);
// 0..1: 0.45 (1 - intent) + 0.2 (100 - eNPS) / 200 + 0.15 (1 - growth)
//       + 0.2 (1 - trust in leadership).
double TurnoverRisk(const PeopleInputs& people);

Assessment Assess(const std::optional<PeopleInputs>& people,
                  const std::optional<ExecutionInputs>& execution);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SCORING_H_
