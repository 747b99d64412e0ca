// The standard `process_*` metrics (CPU, memory, file descriptors, start
// time), read from /proc at scrape time. prometheus-cpp 1.0 does not ship them.
//
// Example:
//   ProcessCollector().CollectInto(sink);
#ifndef ORGPULSE_COMMON_METRICS_PROCESS_COLLECTOR_H_
#define ORGPULSE_COMMON_METRICS_PROCESS_COLLECTOR_H_

#include "common/metrics/metric_collector.h"

namespace orgpulse {

class ProcessCollector final : public MetricCollector {
 public:
  void CollectInto(MetricSink& out) const override;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_PROCESS_COLLECTOR_H_
