// Builds metric families at scrape time for a prometheus::Collectable:
// samples are added by family name, and families come out in name order.
// HELP texts must be constant plain text (prometheus-cpp 1.0 writes them
// unescaped).
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

#include "prometheus/metric_family.h"

namespace orgpulse {

class FamilyBuilder {
 public:
  using Labels = std::vector<prometheus::ClientMetric::Label>;

  void Gauge(const char* name, const char* help, Labels labels, double value) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    Get(name, help, prometheus::MetricType::Gauge)
        .metric.push_back(std::move(m));
  }
  void Counter(const char* name, const char* help, Labels labels,
               double value) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    Get(name, help, prometheus::MetricType::Counter)
        .metric.push_back(std::move(m));
  }
  void Summary(const char* name, const char* help, Labels labels,
               uint64_t count, double sum,
               const std::vector<std::pair<double, double>>& quantiles) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
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
  prometheus::MetricFamily& Get(const char* name, const char* help,
                                prometheus::MetricType type) {
    prometheus::MetricFamily& f = families_[name];
    if (f.name.empty()) {
      f.name = name;
      f.help = help;
      f.type = type;
    }
    return f;
  }
  std::map<std::string, prometheus::MetricFamily> families_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_FAMILY_BUILDER_H_
