// StoreCollector through Collect(): orgpulse_store_writable follows the
// store's answer at each scrape.
#include "common/metrics/store_collector.h"

#include <vector>

#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "tests/support/metric_families.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::ExpectWellFormed;
using ::orgpulse::testing::Gauge;

TEST(StoreCollectorTest, WritableIsReadAtEachScrape) {
  bool writable = true;
  StoreCollector collector([&writable] { return writable; });

  std::vector<prometheus::MetricFamily> f = collector.Collect();
  ExpectWellFormed(f, {});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].name, "orgpulse_store_writable");
  EXPECT_EQ(f[0].type, prometheus::MetricType::Gauge);
  EXPECT_EQ(Gauge(f, "orgpulse_store_writable"), 1);

  writable = false;
  EXPECT_EQ(Gauge(collector.Collect(), "orgpulse_store_writable"), 0);
  writable = true;
  EXPECT_EQ(Gauge(collector.Collect(), "orgpulse_store_writable"), 1);
}

}  // namespace
}  // namespace orgpulse
