// Cell values of the import formats: times in the usual export notations,
// numbers, booleans, Likert answers, team names, and the ids derived from a
// row's identity. Pure functions; errors say what was expected.
//
// Example:
//   absl::StatusOr<ParsedTime> t = ParseTime("12/Mar/24 9:15 AM", zone);
//   std::string id = DeriveId({"PROJ-7", "created"});  // "h1-5f0e..."
#ifndef ORGPULSE_CLI_IMPORT_VALUES_H_
#define ORGPULSE_CLI_IMPORT_VALUES_H_

#include <cstdint>
#include <initializer_list>
#include <istream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace orgpulse::cli {

struct ParsedTime {
  absl::Time time;
  // The text was a date without a time of day (its time is midnight).
  bool date_only = false;
};

// Which comes first in a numeric date such as 03/04/2026.
enum class DateOrder { kUnknown, kMonthFirst, kDayFirst };

// What a file's times look like beyond the notations always accepted.
struct TimeSyntax {
  // Of numeric dates whose day and month are both 12 or less (see
  // DetectDateOrder); kUnknown refuses them as ambiguous.
  DateOrder date_order = DateOrder::kUnknown;
  // An absl::ParseTime format (strftime-like: "%d.%m.%Y %H:%M"), tried
  // before the others; empty: none.
  std::string format;
};

// Accepted, with surrounding blanks ignored:
//   2026-03-01T09:15:00Z, 2026-03-01T09:15:00.250+01:00, ...+0100, ...+01
//   2026-03-01 09:15[:00[.250]] [offset]      (space instead of T)
//   2026-03-01                                (a date)
//   12/Mar/26 9:15 AM, 12/Mar/2026 09:15, 12/Mar/26   (Jira)
//   7/21/2026 9:04:12, 7/21/26 9:04 AM, 21/07/2026 09:04, 21.07.2026
//     (Google Forms, Jira in a US or European locale, spreadsheets): a
//     numeric date is month first if its second number is over 12, day
//     first if its first is (or its separator is `.`), and otherwise as
//     `syntax.date_order` says; without one it is refused as ambiguous.
// Text without an offset is a local time in `zone`.
absl::StatusOr<ParsedTime> ParseTime(absl::string_view text,
                                     const absl::TimeZone& zone,
                                     const TimeSyntax& syntax = {});

// A due date: a date without a time of day means the end of that day (a
// task done on its due day is on time).
absl::StatusOr<absl::Time> ParseDueTime(absl::string_view text,
                                        const absl::TimeZone& zone,
                                        const TimeSyntax& syntax = {});

// What the cells of one record say about the order of numeric dates.
struct DateEvidence {
  // The order the first numeric date with a day over 12 shows, if any.
  DateOrder shown = DateOrder::kUnknown;
  // A cell is a numeric date that cannot be read without the order
  // (03/04/2026, unless `syntax.format` reads it).
  bool needs_order = false;
  // A cell is a numeric date at all.
  bool numeric = false;
};
DateEvidence ScanDates(const std::vector<std::string>& cells,
                       const TimeSyntax& syntax = {});

// The order of the numeric dates of a CSV file, from its cells that are
// numeric dates with a day over 12: kUnknown if none tells (or the file
// cannot be read). Stops at the first that tells, and after `max_records`
// records if no cell is a numeric date by then. (`orgpulse push` learns the
// order while it reads the file once: CsvRowReader.)
inline constexpr int64_t kDateOrderScanRecords = 1000;
DateOrder DetectDateOrder(std::istream& in,
                          int64_t max_records = kDateOrderScanRecords);

// Decimal numbers ("12", "-3.5", "1e3"); blanks around are ignored.
absl::StatusOr<double> ParseNumber(absl::string_view text);
absl::StatusOr<int> ParseInteger(absl::string_view text);

// true/false, yes/no, y/n, 1/0, pass/fail, passed/failed (any case).
absl::StatusOr<bool> ParseBool(absl::string_view text);

// A Likert answer 1 to 5, as a number or as its label ("Strongly agree",
// "Agree", "Neutral" or "Neither agree nor disagree", "Disagree", "Strongly
// disagree"). Range checks are the server's.
absl::StatusOr<int> ParseLikert(absl::string_view text);

// Turns one team name of an exported file into a team id. A name is one
// team, never a hierarchy: without a map it becomes one segment (letters and
// digits lowercased, `-` and `_` kept, every other run of characters one
// `-`: "Platform / Infra" is `platform-infra`), with `prefix/` in front. With
// a map (from a file of `name,team` rows, whose teams may be paths such as
// `eng/platform`), a name must be in it. Names are compared ignoring case
// and runs of blanks. Pure; see TeamNames for the names of a whole run.
class TeamResolver {
 public:
  TeamResolver() = default;
  explicit TeamResolver(std::string prefix) : prefix_(std::move(prefix)) {}
  // Reads `name,team` rows (a header row first). Errors name the line.
  static absl::StatusOr<TeamResolver> FromMapFile(std::istream& in,
                                                  absl::string_view name);

  absl::StatusOr<std::string> Resolve(absl::string_view name) const;
  bool has_map() const { return has_map_; }

 private:
  std::string prefix_;
  bool has_map_ = false;
  absl::flat_hash_map<std::string, std::string> map_;  // by NameKey
};

// `name` lowercased, trimmed, runs of blanks one space: two spellings of one
// name have the same key.
std::string NameKey(absl::string_view name);

// An id made from the parts that identify a row: "h1-" and 32 hex digits of
// SHA-256 over the parts (length-prefixed, so ("ab","c") != ("a","bc")).
// The same parts always give the same id, so importing a file twice stores
// nothing new.
std::string DeriveId(std::initializer_list<absl::string_view> parts);

// At most 40 characters of `text`, for error messages.
std::string Excerpt(absl::string_view text);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_VALUES_H_
