// The figures of the manager view and the formulas behind them. Pure
// functions of their inputs, so each is unit-tested against hand-worked
// values; ExecutionState feeds them from the stored events.
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EXECUTION_FIGURES_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EXECUTION_FIGURES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/ingest/domain/event.h"

namespace orgpulse::ingest {

struct TaskFigures {
  int64_t open = 0;
  int64_t overdue = 0;
  int64_t completed_on_time = 0;
  int64_t completed_late = 0;
  int64_t cancelled = 0;
  std::optional<double> on_time_ratio;
  double cycle_time_p50_seconds = 0;
  double cycle_time_p90_seconds = 0;
  // Completions and the sum of cycle times, for a Prometheus summary.
  int64_t completed = 0;
  double cycle_time_sum_seconds = 0;
  double weekly_throughput = 0;
};

// Earned value management (PMI): PV, EV, AC and the ratios derived from them.
struct EarnedValue {
  double budget_at_completion = 0;
  double planned_value = 0;
  double earned_value = 0;
  double actual_cost = 0;
  std::optional<double> cost_performance_index;      // EV / AC
  std::optional<double> schedule_performance_index;  // EV / PV
  std::optional<double> estimate_at_completion;      // BAC / CPI
  std::optional<double> variance_at_completion;      // BAC - EAC
};

struct ProjectBudget {
  std::string team;
  std::string project;
  bool has_plan = false;
  double percent_complete = 0;
  EarnedValue figures;
};

struct MilestoneFigures {
  int64_t met = 0;
  int64_t missed = 0;
  int64_t pending = 0;
  double slip_days = 0;
  double max_slip_days = 0;
};

struct ProcedureCompliance {
  std::string procedure;
  int64_t checks = 0;
  int64_t passed = 0;
  double compliance_ratio = 0;
};

// KPIs are reported per team, not summed across a rollup: targets of
// different teams need not add up.
struct KpiFigures {
  std::string team;
  std::string kpi;
  int year = 0;
  int month = 0;
  bool has_target = false;
  double target = 0;
  KpiAggregation aggregation = KpiAggregation::kUnspecified;
  double actual = 0;
  double attainment_ratio = 0;
  double forecast = 0;
  double forecast_attainment_ratio = 0;
};

struct TeamExecution {
  std::string team;                // the team or prefix asked for
  std::vector<std::string> teams;  // the teams rolled up
  absl::Time as_of;
  int64_t events = 0;
  TaskFigures tasks;
  EarnedValue budget;  // over all projects
  std::vector<ProjectBudget> projects;
  MilestoneFigures milestones;
  std::vector<ProcedureCompliance> procedures;
  std::vector<KpiFigures> kpis;
};

struct TeamSummary {
  std::string team;
  int64_t events = 0;
  absl::Time last_event_at;
};

// --- formulas -------------------------------------------------------------

// The share of the planned schedule elapsed at `now`, clamped to [0, 1].
double PlannedFraction(absl::Time planned_start, absl::Time planned_end,
                       absl::Time now);

// Ratios from the sums; a ratio with a zero divisor is absent.
EarnedValue EarnedValueFromSums(double bac, double pv, double ev, double ac);

// Nearest-rank percentile (p in (0, 1]) of `values`; 0 if empty. Reorders
// `values`.
double NearestRankPercentile(std::vector<double>& values, double p);

// The projected month-end figure of a KPI, given the figure so far and how
// far through the month `now` is. SUM extrapolates the run rate; LAST keeps
// the latest reading.
double KpiMonthEndForecast(KpiAggregation aggregation, double actual,
                           absl::Time month_start, absl::Time month_end,
                           absl::Time now);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EXECUTION_FIGURES_H_
