// orgpulse_store_writable: 1 while the service's store takes writes, 0 while
// it refuses them for lack of space (common/storage/store_health.h), read at
// scrape time.
//
// Example:
//   std::make_shared<StoreCollector>([&store] { return store.writable(); });
#ifndef ORGPULSE_COMMON_METRICS_STORE_COLLECTOR_H_
#define ORGPULSE_COMMON_METRICS_STORE_COLLECTOR_H_

#include <functional>
#include <utility>
#include <vector>

#include "common/metrics/family_builder.h"
#include "prometheus/collectable.h"

namespace orgpulse {

class StoreCollector final : public prometheus::Collectable {
 public:
  // `writable` must stay callable while the collector is registered.
  explicit StoreCollector(std::function<bool()> writable)
      : writable_(std::move(writable)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    FamilyBuilder out;
    out.Gauge("orgpulse_store_writable",
              "1 while the store takes writes, 0 while it refuses them for "
              "lack of space.",
              {}, writable_() ? 1 : 0);
    return out.Take();
  }

 private:
  std::function<bool()> writable_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_STORE_COLLECTOR_H_
