// Plain-text tables and number formatting for the command line's answers.
//
// Example:
//   RenderTable({{"TEAM"}, {"EVENTS", Align::kRight}},
//               {{"eng/payments", "1,204"}, {"ops", "17"}});
//   // TEAM          EVENTS
//   // eng/payments   1,204
//   // ops               17
#ifndef ORGPULSE_CLI_OUTPUT_TABLE_H_
#define ORGPULSE_CLI_OUTPUT_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace orgpulse::cli {

enum class Align { kLeft, kRight };

struct TableColumn {
  std::string title;
  Align align = Align::kLeft;
};

// Columns two spaces apart, a header line, no trailing blanks; every line
// ends with a newline. Rows shorter than the header are padded.
std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows);

// 1234567 -> "1,234,567".
std::string WithThousands(int64_t n);

// A duration for people: "850ms", "42s", "3m05s", "2h10m".
std::string HumanDuration(absl::Duration d);

// A unicode sparkline, one character per value: ▁ for the smallest present
// value to █ for the largest (▄ throughout when they are all equal), a space
// for an absent one. "" for no values.
std::string Sparkline(const std::vector<std::optional<double>>& values);

// RFC 3339 in UTC, to the second; "-" for the epoch (an unset timestamp).
std::string FormatTimestamp(absl::Time t);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_OUTPUT_TABLE_H_
