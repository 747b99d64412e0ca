// orgpulse_store_writable: 1 while the service's store takes writes, 0 while
// it refuses them (common/storage/store_health.h): for lack of space, or on
// PostgreSQL while the database is unreachable or the replica has not caught
// up. Read at scrape time.
//
// Example:
//   std::make_shared<StoreCollector>([&store] { return store.writable(); });
#ifndef ORGPULSE_COMMON_METRICS_STORE_COLLECTOR_H_
#define ORGPULSE_COMMON_METRICS_STORE_COLLECTOR_H_

#include <functional>
#include <utility>

#include "common/metrics/metric_collector.h"

namespace orgpulse {

class StoreCollector final : public MetricCollector {
 public:
  // `writable` must stay callable while the collector is registered.
  explicit StoreCollector(std::function<bool()> writable)
      : writable_(std::move(writable)) {}

  void CollectInto(MetricSink& out) const override {
    out.Gauge("orgpulse_store_writable",
              "1 while the store takes writes, 0 while it refuses them (no "
              "space; on PostgreSQL also unreachable or not caught up).",
              {}, writable_() ? 1 : 0);
  }

 private:
  std::function<bool()> writable_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_STORE_COLLECTOR_H_
