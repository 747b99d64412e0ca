// A MetricSink that writes the Prometheus text exposition format (0.0.4)
// directly, byte for byte as prometheus-cpp 1.0's TextSerializer writes the
// same samples (so the two paths can be compared in a test): families in
// name order, HELP then TYPE, label values escaped (backslash, double quote,
// newline), values as printf's %.16g with NaN written "Nan" and infinities
// "+Inf"/"-Inf". No ClientMetric object is built: for 1,000 teams (43k
// series) this is what keeps a scrape within milliseconds.
//
// Not thread-safe; one per scrape.
//
// Example:
//   TextExposition out;
//   collector.CollectInto(out);
//   std::string body;
//   out.AppendTo(body);
#ifndef ORGPULSE_COMMON_METRICS_TEXT_EXPOSITION_H_
#define ORGPULSE_COMMON_METRICS_TEXT_EXPOSITION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/metrics/metric_collector.h"
#include "common/metrics/metric_sink.h"
#include "prometheus/metric_family.h"

namespace orgpulse {

class TextExposition final : public MetricSink {
 public:
  void Gauge(absl::string_view name, absl::string_view help, Labels labels,
             double value) override;
  void Counter(absl::string_view name, absl::string_view help, Labels labels,
               double value) override;
  void Summary(absl::string_view name, absl::string_view help, Labels labels,
               uint64_t count, double sum,
               absl::Span<const std::pair<double, double>> quantiles) override;

  // Every family received, in name order, as pieces of text to be written
  // one after the other (appended to `out`: nothing is copied), and empties
  // the sink.
  void TakeChunks(std::vector<std::string>& out);
  // The same, joined.
  void AppendTo(std::string& out);

 private:
  struct Family {
    absl::string_view name;  // the key in families_
    std::string help;
    const char* type = "";
    std::vector<std::string> blocks;  // the family's sample lines
  };
  // Where the next sample line of family `name` goes; the family's HELP and
  // TYPE are those of its first sample.
  std::string& Samples(absl::string_view name, absl::string_view help,
                       const char* type);

  // Node-based: by_address_ points into it.
  absl::node_hash_map<std::string, Family> families_;
  absl::flat_hash_map<const char*, Family*> by_address_;
};

// The body of /metrics: `families` (a prometheus-cpp registry's, say) as
// TextSerializer writes them, then the families of every collector written
// directly, in pieces to be written one after the other. Families must not
// share a name across the two.
std::vector<std::string> ExpositionChunks(
    const std::vector<prometheus::MetricFamily>& families,
    absl::Span<const MetricCollector* const> collectors);
// The same, joined.
std::string ExpositionText(
    const std::vector<prometheus::MetricFamily>& families,
    absl::Span<const MetricCollector* const> collectors);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_TEXT_EXPOSITION_H_
