// A MetricSink that builds prometheus-cpp metric families: samples are added
// by family name, and families come out in name order. What
// MetricCollector::Collect() returns (metric_collector.h).
//
// Example:
//   FamilyBuilder out;
//   out.Gauge("orgpulse_teams", "Teams known.", {}, 12);
//   return out.Take();
#ifndef ORGPULSE_COMMON_METRICS_FAMILY_BUILDER_H_
#define ORGPULSE_COMMON_METRICS_FAMILY_BUILDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics/metric_sink.h"
#include "prometheus/metric_family.h"

namespace orgpulse {

class FamilyBuilder final : public MetricSink {
 public:
  void Gauge(absl::string_view name, absl::string_view help, Labels labels,
             double value) override {
    prometheus::ClientMetric m = Metric(labels);
    m.gauge.value = value;
    Get(name, help, prometheus::MetricType::Gauge)
        .metric.push_back(std::move(m));
  }
  void Counter(absl::string_view name, absl::string_view help, Labels labels,
               double value) override {
    prometheus::ClientMetric m = Metric(labels);
    m.counter.value = value;
    Get(name, help, prometheus::MetricType::Counter)
        .metric.push_back(std::move(m));
  }
  void Summary(absl::string_view name, absl::string_view help, Labels labels,
               uint64_t count, double sum,
               absl::Span<const std::pair<double, double>> quantiles) override {
    prometheus::ClientMetric m = Metric(labels);
    m.summary.sample_count = count;
    m.summary.sample_sum = sum;
    for (const auto& [q, v] : quantiles) m.summary.quantile.push_back({q, v});
    Get(name, help, prometheus::MetricType::Summary)
        .metric.push_back(std::move(m));
  }
  std::vector<prometheus::MetricFamily> Take() {
    std::vector<prometheus::MetricFamily> out;
    for (auto& [name, f] : families_) out.push_back(std::move(f));
    families_.clear();
    return out;
  }

 private:
  static prometheus::ClientMetric Metric(Labels labels) {
    prometheus::ClientMetric m;
    for (const MetricLabel& l : labels) {
      m.label.push_back({std::string(l.name), std::string(l.value)});
    }
    return m;
  }
  prometheus::MetricFamily& Get(absl::string_view name, absl::string_view help,
                                prometheus::MetricType type) {
    prometheus::MetricFamily& f = families_[std::string(name)];
    if (f.name.empty()) {
      f.name = std::string(name);
      f.help = std::string(help);
      f.type = type;
    }
    return f;
  }
  std::map<std::string, prometheus::MetricFamily> families_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_FAMILY_BUILDER_H_
