// The standard `process_*` metrics (CPU, memory, file descriptors, start
// time), read from /proc at scrape time. prometheus-cpp 1.0 does not ship them.
//
// Example:
//   exposer.RegisterCollectable(std::make_shared<ProcessCollector>());
#ifndef ORGPULSE_COMMON_METRICS_PROCESS_COLLECTOR_H_
#define ORGPULSE_COMMON_METRICS_PROCESS_COLLECTOR_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace orgpulse {

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_PROCESS_COLLECTOR_H_
