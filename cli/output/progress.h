// The progress of a long import as text: a bar for terminals (redrawn in
// place) and a plain line for logs. Pure; the caller owns time and output.
//
// Example:
//   ProgressState s{.file = "jira.csv", .phase = "pushing", .unit = "events",
//                   .done = 520'000, .total = 1'000'000,
//                   .elapsed = absl::Seconds(3.5)};
//   FormatProgressBar(s, 80);
//   // jira.csv pushing [##########..........] 52%  520,000/1,000,000 events
//   //   148,571 events/s  ETA 3s
#ifndef ORGPULSE_CLI_OUTPUT_PROGRESS_H_
#define ORGPULSE_CLI_OUTPUT_PROGRESS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace orgpulse::cli {

struct ProgressState {
  std::string file;
  std::string phase;  // "checking", "pushing"
  std::string unit;   // "rows", "events", "bytes"
  int64_t done = 0;
  int64_t total = 0;  // 0: unknown
  // Rows read so far, shown beside the count when not negative (while a
  // file is checked, progress is measured in bytes).
  int64_t rows = -1;
  absl::Duration elapsed;
};

// At most `width` characters, no newline.
std::string FormatProgressBar(const ProgressState& s, int width);
// One line for logs, no newline.
std::string FormatProgressLine(const ProgressState& s);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_OUTPUT_PROGRESS_H_
