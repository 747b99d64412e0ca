// One line per event on stderr: `2026-11-27T21:00:00.123Z INFO ingest: text`.
// Callers pass counts, names and codes, never payloads or secrets.
//
// Example:
//   Log(LogLevel::kInfo, "ingest", absl::StrCat("recovered ", n, " events"));
#ifndef ORGPULSE_COMMON_LOG_LOG_H_
#define ORGPULSE_COMMON_LOG_LOG_H_

#include "absl/strings/string_view.h"

namespace orgpulse {

enum class LogLevel { kInfo, kWarning, kError };

// Thread-safe: the line is written with a single write(2).
void Log(LogLevel level, absl::string_view component, absl::string_view text);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_LOG_LOG_H_
