// A collector of metrics read at scrape time, written once against
// MetricSink and readable two ways: /metrics writes its text directly
// (TextExposition, through ServiceHost), and tests read prometheus-cpp
// families through Collect() without HTTP.
//
// Example:
//   class StoreCollector final : public MetricCollector {
//    public:
//     void CollectInto(MetricSink& out) const override {
//       out.Gauge("orgpulse_store_writable", "1 while ...", {}, 1);
//     }
//   };
#ifndef ORGPULSE_COMMON_METRICS_METRIC_COLLECTOR_H_
#define ORGPULSE_COMMON_METRICS_METRIC_COLLECTOR_H_

#include <vector>

#include "common/metrics/family_builder.h"
#include "common/metrics/metric_sink.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace orgpulse {

class MetricCollector : public prometheus::Collectable {
 public:
  // Called on the metrics server's threads, possibly two at once.
  virtual void CollectInto(MetricSink& out) const = 0;

  std::vector<prometheus::MetricFamily> Collect() const final {
    FamilyBuilder out;
    CollectInto(out);
    return out.Take();
  }
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_METRIC_COLLECTOR_H_
