// ProcessCollector through Collect(): the standard process_* families, with
// values checked against what this process can see of itself.
#include "common/metrics/process_collector.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "tests/support/metric_families.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::Counter;
using ::orgpulse::testing::FamilyShapes;
using ::orgpulse::testing::Gauge;
using ::orgpulse::testing::ShapesOf;

TEST(ProcessCollectorTest, ExportsTheStandardProcessFamilies) {
  const std::vector<prometheus::MetricFamily> f = ProcessCollector().Collect();
  for (const prometheus::MetricFamily& family : f) {
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
  }
  using T = prometheus::MetricType;
  EXPECT_EQ(ShapesOf(f), (FamilyShapes{
                             {"process_cpu_seconds_total", {T::Counter, {}}},
                             {"process_resident_memory_bytes", {T::Gauge, {}}},
                             {"process_virtual_memory_bytes", {T::Gauge, {}}},
                             {"process_start_time_seconds", {T::Gauge, {}}},
                             {"process_open_fds", {T::Gauge, {}}},
                             {"process_max_fds", {T::Gauge, {}}},
                         }));
}

TEST(ProcessCollectorTest, ValuesDescribeThisProcess) {
  const std::vector<prometheus::MetricFamily> f = ProcessCollector().Collect();
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(Gauge(f, "process_max_fds"), static_cast<double>(limit.rlim_cur));

  // Started in the last hour (tests are short), not in the future.
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  const double start = Gauge(f, "process_start_time_seconds");
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600);

  EXPECT_GT(Gauge(f, "process_resident_memory_bytes"), 0);
  EXPECT_GE(Gauge(f, "process_virtual_memory_bytes"),
            Gauge(f, "process_resident_memory_bytes"));
  EXPECT_GE(Counter(f, "process_cpu_seconds_total"), 0);
}

TEST(ProcessCollectorTest, OpenFdsCountsDescriptorsAsTheyOpen) {
  const double before = Gauge(ProcessCollector().Collect(), "process_open_fds");
  const int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const double during = Gauge(ProcessCollector().Collect(), "process_open_fds");
  close(fd);
  EXPECT_EQ(during, before + 1);
  EXPECT_EQ(Gauge(ProcessCollector().Collect(), "process_open_fds"), before);
}

}  // namespace
}  // namespace orgpulse
