// The ingest service's per-team series of past figures, with timestamps, in
// the OpenMetrics text format that `promtool tsdb create-blocks-from
// openmetrics` reads: a backfill of what Prometheus would have scraped.
//
// The names, labels and help texts are those /metrics exposes for a team
// (services/ingest/metrics/ingest_collector.cc), computed from the team's own
// figures (without the teams under it) as the collector computes them; the
// backfill test compares the two. Left out: the team's last event time (a
// TeamExecution does not carry it) and the service's own counters.
//
// Example:
//   OpenMetricsHistory history;
//   for (const v1::TeamExecution& own : trend.points()) history.Add(own);
//   history.Write(std::cout);  // ... "# EOF\n"
#ifndef ORGPULSE_CLI_EXPORT_OPENMETRICS_H_
#define ORGPULSE_CLI_EXPORT_OPENMETRICS_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::cli {

class OpenMetricsHistory {
 public:
  // `extra_labels` go on every series after its own (e.g. the job and
  // instance the live series are scraped with, so that the backfill
  // continues them). REQUIRES: valid label names other than the series'.
  explicit OpenMetricsHistory(
      std::vector<std::pair<std::string, std::string>> extra_labels = {});

  // Adds the samples of one team's own figures, stamped with their as_of. A
  // point with no team (before the team's first event) adds nothing.
  // REQUIRES: the points of one team come in ascending as_of.
  void Add(const ingest::v1::TeamExecution& own);

  // Every family in name order (HELP, TYPE, then each series' samples in
  // time order; a summary's quantiles, sum and count together per time),
  // then "# EOF".
  void Write(std::ostream& out) const;

  int64_t samples() const { return samples_; }

 private:
  // One sample line without its timestamp, e.g. `name{team="a"} 3`.
  struct Point {
    int64_t at = 0;                                       // Unix seconds
    std::vector<std::pair<std::string, double>> samples;  // name{labels}, v
  };
  struct Family {
    std::string help;
    std::string type;
    // By the series' labels: its points in time order.
    std::map<std::string, std::vector<Point>> series;
  };

  // `{k1="v1",k2="v2",extra...}`, the values escaped as the format wants.
  std::string Labels(
      std::initializer_list<std::pair<const char*, std::string>> labels) const;
  void Gauge(const std::string& name, const std::string& help,
             const std::string& labels, int64_t at, double value);

  std::string extra_labels_;  // `,k="v"` each
  std::map<std::string, Family> families_;
  int64_t samples_ = 0;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_EXPORT_OPENMETRICS_H_
