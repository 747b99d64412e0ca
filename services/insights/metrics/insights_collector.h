// The insights service's domain metrics, derived at scrape time from the
// engine, per team, under the same privacy rules as the API: a suppressed
// group has no series derived from its answers (only its quadrant,
// INSUFFICIENT_DATA). Plus the survey counters and ingest's reachability.
#ifndef ORGPULSE_SERVICES_INSIGHTS_METRICS_INSIGHTS_COLLECTOR_H_
#define ORGPULSE_SERVICES_INSIGHTS_METRICS_INSIGHTS_COLLECTOR_H_

#include "common/metrics/metric_collector.h"
#include "services/insights/domain/execution_source.h"
#include "services/insights/domain/insights_engine.h"

namespace orgpulse::insights {

class InsightsCollector final : public MetricCollector {
 public:
  // Both must outlive the collector's registration.
  InsightsCollector(const InsightsEngine& engine, const ExecutionSource& source)
      : engine_(engine), source_(source) {}
  void CollectInto(MetricSink& out) const override;

 private:
  const InsightsEngine& engine_;
  const ExecutionSource& source_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_METRICS_INSIGHTS_COLLECTOR_H_
