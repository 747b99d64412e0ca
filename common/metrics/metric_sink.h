// Where a collector writes its samples at scrape time. Two sinks exist:
// FamilyBuilder (prometheus-cpp's MetricFamily objects, which tests read
// through Collect()) and TextExposition (the exposition text written
// directly, which /metrics serves: with 1,000 teams building 43k
// ClientMetric objects and serialising them took most of a scrape).
//
// Names and HELP texts are constant plain text: prometheus-cpp 1.0 writes
// HELP unescaped, and TextExposition does the same so that both agree.
//
// Example:
//   void MyCollector::CollectInto(MetricSink& out) const {
//     out.Gauge("orgpulse_teams", "Teams known.", {}, 12);
//     out.Gauge("orgpulse_team_events", "Events.", {{"team", name}}, 3);
//   }
#ifndef ORGPULSE_COMMON_METRICS_METRIC_SINK_H_
#define ORGPULSE_COMMON_METRICS_METRIC_SINK_H_

#include <cstdint>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace orgpulse {

struct MetricLabel {
  absl::string_view name;
  absl::string_view value;
};

// A sink copies what it is given before returning: the views need to live
// only for the call. Samples of one family may come in any order between
// other families' samples; the sink groups them by name.
class MetricSink {
 public:
  using Labels = absl::Span<const MetricLabel>;

  virtual ~MetricSink() = default;

  virtual void Gauge(absl::string_view name, absl::string_view help,
                     Labels labels, double value) = 0;
  virtual void Counter(absl::string_view name, absl::string_view help,
                       Labels labels, double value) = 0;
  // `quantiles` are (quantile, value) pairs.
  virtual void Summary(
      absl::string_view name, absl::string_view help, Labels labels,
      uint64_t count, double sum,
      absl::Span<const std::pair<double, double>> quantiles) = 0;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_METRIC_SINK_H_
