#include "services/ingest/domain/execution_figures.h"

#include <algorithm>
#include <cmath>

namespace orgpulse::ingest {

double PlannedFraction(absl::Time planned_start, absl::Time planned_end,
                       absl::Time now) {
  if (now <= planned_start) return 0;
  if (now >= planned_end || planned_end <= planned_start) return 1;
  return absl::FDivDuration(now - planned_start, planned_end - planned_start);
}

EarnedValue EarnedValueFromSums(double bac, double pv, double ev, double ac) {
  EarnedValue out;
  out.budget_at_completion = bac;
  out.planned_value = pv;
  out.earned_value = ev;
  out.actual_cost = ac;
  if (ac > 0) {
    out.cost_performance_index = ev / ac;
    if (ev > 0) {
      out.estimate_at_completion = bac / *out.cost_performance_index;
      out.variance_at_completion = bac - *out.estimate_at_completion;
    }
  }
  if (pv > 0) out.schedule_performance_index = ev / pv;
  return out;
}

double NearestRankPercentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const double rank = std::ceil(p * static_cast<double>(values.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  index = std::min(index, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

double KpiMonthEndForecast(KpiAggregation aggregation, double actual,
                           absl::Time month_start, absl::Time month_end,
                           absl::Time now) {
  if (aggregation != KpiAggregation::kSum) return actual;
  const double elapsed = PlannedFraction(month_start, month_end, now);
  if (elapsed <= 0) return actual;
  return actual / elapsed;
}

}  // namespace orgpulse::ingest
