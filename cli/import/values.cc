#include "cli/import/values.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/csv/csv_reader.h"
#include "common/org/team_id.h"

namespace orgpulse::cli {
namespace {

// A cursor over the text of one time.
class Scanner {
 public:
  explicit Scanner(absl::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool Consume(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // Exactly `min`..`max` digits.
  std::optional<int> Digits(int min, int max) {
    int value = 0, n = 0;
    while (n < max && absl::ascii_isdigit(static_cast<unsigned char>(peek()))) {
      value = value * 10 + (s_[i_++] - '0');
      ++n;
    }
    if (n < min) return std::nullopt;
    return value;
  }
  // Digits after a decimal point, as nanoseconds.
  int64_t Fraction() {
    int64_t nanos = 0, scale = 100'000'000;
    while (absl::ascii_isdigit(static_cast<unsigned char>(peek()))) {
      nanos += (s_[i_++] - '0') * scale;
      scale /= 10;
    }
    return nanos;
  }
  void SkipBlanks() {
    while (peek() == ' ') ++i_;
  }
  absl::string_view Rest() const { return s_.substr(i_); }
  void Advance(size_t n) { i_ += n; }

 private:
  absl::string_view s_;
  size_t i_ = 0;
};

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  bool date_only = true;
  std::optional<int> offset_seconds;
};

// "Z", "+01:00", "+0100", "+01"; nothing is fine too.
bool ParseOffset(Scanner& in, Fields& f) {
  in.SkipBlanks();
  if (in.done()) return true;
  if (in.Consume('Z') || in.Consume('z')) {
    f.offset_seconds = 0;
    return in.done();
  }
  const char sign = in.peek();
  if (sign != '+' && sign != '-') return false;
  in.Advance(1);
  const std::optional<int> hours = in.Digits(2, 2);
  if (!hours) return false;
  in.Consume(':');
  std::optional<int> minutes = 0;
  if (!in.done()) minutes = in.Digits(2, 2);
  if (!minutes || !in.done() || *hours > 23 || *minutes > 59) return false;
  f.offset_seconds = (sign == '-' ? -1 : 1) * (*hours * 3600 + *minutes * 60);
  return true;
}

// HH:MM[:SS[.fff]]
bool ParseClock(Scanner& in, Fields& f) {
  const std::optional<int> hour = in.Digits(1, 2);
  if (!hour || !in.Consume(':')) return false;
  const std::optional<int> minute = in.Digits(2, 2);
  if (!minute) return false;
  f.hour = *hour;
  f.minute = *minute;
  f.date_only = false;
  if (in.Consume(':')) {
    const std::optional<int> second = in.Digits(2, 2);
    if (!second) return false;
    f.second = *second;
    if (in.Consume('.') || in.Consume(',')) f.nanos = in.Fraction();
  }
  return true;
}

bool ParseIso(absl::string_view s, Fields& f) {
  Scanner in(s);
  const auto year = in.Digits(4, 4);
  if (!year || !in.Consume('-')) return false;
  const auto month = in.Digits(2, 2);
  if (!month || !in.Consume('-')) return false;
  const auto day = in.Digits(2, 2);
  if (!day) return false;
  f.year = *year;
  f.month = *month;
  f.day = *day;
  if (in.done()) return true;
  if (!in.Consume('T') && !in.Consume('t') && !in.Consume(' ')) return false;
  return ParseClock(in, f) && ParseOffset(in, f);
}

// A year of 2 or 4 digits (26 is 2026).
bool ParseYear(Scanner& in, Fields& f) {
  const absl::string_view rest = in.Rest();
  const size_t digits =
      std::min(rest.find_first_not_of("0123456789"), rest.size());
  if (digits != 2 && digits != 4) return false;
  const int year = *in.Digits(2, 4);
  f.year = digits == 2 ? 2000 + year : year;
  return true;
}

// What may follow a date: nothing, or a blank and H:MM[:SS] with an
// optional AM or PM.
bool ParseClockAfterDate(Scanner& in, Fields& f) {
  if (in.done()) return true;
  if (!in.Consume(' ')) return false;
  in.SkipBlanks();
  if (!ParseClock(in, f)) return false;
  in.SkipBlanks();
  const std::string meridiem = absl::AsciiStrToLower(in.Rest());
  if (meridiem.empty()) return f.hour <= 23;
  if (meridiem != "am" && meridiem != "pm") return false;
  if (f.hour < 1 || f.hour > 12) return false;
  f.hour = f.hour % 12 + (meridiem == "pm" ? 12 : 0);
  return true;
}

// Jira: 12/Mar/26 9:15 AM, 12/Mar/2026 09:15, 12/Mar/26.
bool ParseJira(absl::string_view s, Fields& f) {
  static constexpr absl::string_view kMonths[] = {"jan", "feb", "mar", "apr",
                                                  "may", "jun", "jul", "aug",
                                                  "sep", "oct", "nov", "dec"};
  Scanner in(s);
  const auto day = in.Digits(1, 2);
  if (!day || !in.Consume('/')) return false;
  const std::string month_name = absl::AsciiStrToLower(in.Rest().substr(0, 3));
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (month_name == kMonths[i]) month = i + 1;
  }
  if (month == 0) return false;
  in.Advance(3);
  if (!in.Consume('/') || !ParseYear(in, f)) return false;
  f.month = month;
  f.day = *day;
  return ParseClockAfterDate(in, f);
}

enum class Numeric { kNoMatch, kOk, kAmbiguous, kAgainstTheFile };

// 7/21/2026 9:04:12, 7/21/26 9:04 AM, 21/07/2026, 21.07.2026 09:04. Sets
// `*evidence` to the order the numbers show, if they show one.
Numeric ParseNumeric(absl::string_view s, DateOrder order, Fields& f,
                     DateOrder* evidence = nullptr) {
  Scanner in(s);
  const auto first = in.Digits(1, 2);
  const char separator = in.peek();
  if (!first || (separator != '/' && separator != '.')) {
    return Numeric::kNoMatch;
  }
  in.Advance(1);
  const auto second = in.Digits(1, 2);
  if (!second || !in.Consume(separator) || !ParseYear(in, f) ||
      !ParseClockAfterDate(in, f)) {
    return Numeric::kNoMatch;
  }
  DateOrder shown = DateOrder::kUnknown;
  if (*first > 12) {
    shown = DateOrder::kDayFirst;
  } else if (*second > 12) {
    shown = DateOrder::kMonthFirst;
  }
  if (evidence != nullptr && separator == '/') *evidence = shown;
  if (separator == '.') {
    shown = DateOrder::kDayFirst;  // 21.07.2026
  } else if (shown != DateOrder::kUnknown && order != DateOrder::kUnknown &&
             shown != order) {
    return Numeric::kAgainstTheFile;
  }
  if (shown == DateOrder::kUnknown) {
    if (*first == *second) {
      shown = DateOrder::kDayFirst;  // the same either way
    } else if (order == DateOrder::kUnknown) {
      return Numeric::kAmbiguous;
    } else {
      shown = order;
    }
  }
  f.day = shown == DateOrder::kDayFirst ? *first : *second;
  f.month = shown == DateOrder::kDayFirst ? *second : *first;
  return Numeric::kOk;
}

// `format` contains a time-of-day conversion.
bool HasTimeOfDay(absl::string_view format) {
  for (absl::string_view c : {"%H", "%I", "%M", "%T", "%R", "%c", "%s"}) {
    if (absl::StrContains(format, c)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ParsedTime> ParseTime(absl::string_view text,
                                     const absl::TimeZone& zone,
                                     const TimeSyntax& syntax) {
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  if (!syntax.format.empty()) {
    absl::Time t;
    std::string ignored;
    if (absl::ParseTime(syntax.format, s, zone, &t, &ignored)) {
      return ParsedTime{t, !HasTimeOfDay(syntax.format)};
    }
  }
  auto error = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read \"", Excerpt(s), "\" as a time (expected ",
        syntax.format.empty()
            ? ""
            : absl::StrCat("--time-format=", syntax.format, ", or "),
        "e.g. 2026-03-01T09:15:00Z, 2026-03-01 09:15, 2026-03-01, 01/Mar/26 "
        "9:15 "
        "AM or 3/1/2026 9:15:00; --time-format reads others)"));
  };
  Fields f;
  if (!ParseIso(s, f)) {
    f = Fields();
    if (!ParseJira(s, f)) {
      f = Fields();
      switch (ParseNumeric(s, syntax.date_order, f)) {
        case Numeric::kNoMatch:
          return error();
        case Numeric::kAmbiguous:
          return absl::InvalidArgumentError(absl::StrCat(
              "\"", Excerpt(s),
              "\" could be day/month or month/day, and no other row of the "
              "file has a day over 12 to tell; give --time-format, e.g. "
              "--time-format='%m/%d/%Y %H:%M:%S' (month first) or "
              "'%d/%m/%Y %H:%M:%S' (day first)"));
        case Numeric::kAgainstTheFile:
          return absl::InvalidArgumentError(absl::StrCat(
              "\"", Excerpt(s), "\" is ",
              syntax.date_order == DateOrder::kDayFirst ? "month/day"
                                                        : "day/month",
              " but other rows of the file are ",
              syntax.date_order == DateOrder::kDayFirst ? "day/month"
                                                        : "month/day"));
        case Numeric::kOk:
          break;
      }
    }
  }
  const absl::CivilSecond civil(f.year, f.month, f.day, f.hour, f.minute,
                                f.second);
  // CivilSecond normalises (Feb 30 -> Mar 2); a changed field was invalid.
  if (civil.year() != f.year || civil.month() != f.month ||
      civil.day() != f.day || civil.hour() != f.hour ||
      civil.minute() != f.minute || civil.second() != f.second) {
    return error();
  }
  // With an offset the time is plain arithmetic (no zone lookup, which
  // takes a lock: this runs for every cell of a million-row import).
  absl::Time t = f.offset_seconds
                     ? absl::FromUnixSeconds(
                           civil - absl::CivilSecond(1970, 1, 1, 0, 0, 0) -
                           *f.offset_seconds)
                     : absl::FromCivil(civil, zone);
  t += absl::Nanoseconds(f.nanos);
  return ParsedTime{t, f.date_only};
}

absl::StatusOr<absl::Time> ParseDueTime(absl::string_view text,
                                        const absl::TimeZone& zone,
                                        const TimeSyntax& syntax) {
  absl::StatusOr<ParsedTime> parsed = ParseTime(text, zone, syntax);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->date_only) return parsed->time;
  const absl::CivilDay day = absl::ToCivilDay(parsed->time, zone);
  return absl::FromCivil(day + 1, zone) - absl::Seconds(1);
}

DateEvidence ScanDates(const std::vector<std::string>& cells,
                       const TimeSyntax& syntax) {
  DateEvidence evidence;
  for (const std::string& field : cells) {
    const absl::string_view cell = absl::StripAsciiWhitespace(field);
    // Cheap test first: most cells are not dates.
    if (cell.size() < 6 || !absl::ascii_isdigit(cell[0])) continue;
    Fields f;
    DateOrder shown = DateOrder::kUnknown;
    const Numeric numeric = ParseNumeric(cell, DateOrder::kUnknown, f, &shown);
    if (numeric == Numeric::kNoMatch) continue;
    evidence.numeric = true;
    if (evidence.shown == DateOrder::kUnknown) evidence.shown = shown;
    if (numeric == Numeric::kAmbiguous && !evidence.needs_order) {
      absl::Time ignored;
      std::string error;
      evidence.needs_order =
          syntax.format.empty() ||
          !absl::ParseTime(syntax.format, cell, absl::UTCTimeZone(), &ignored,
                           &error);
    }
  }
  return evidence;
}

DateOrder DetectDateOrder(std::istream& in, int64_t max_records) {
  csv::CsvReader reader(in);
  csv::CsvRecord record;
  bool seen_numeric = false;
  while (reader.Next(record)) {
    const DateEvidence evidence = ScanDates(record.fields);
    if (evidence.shown != DateOrder::kUnknown) return evidence.shown;
    seen_numeric = seen_numeric || evidence.numeric;
    if (!seen_numeric && record.line > max_records) break;
  }
  return DateOrder::kUnknown;
}

absl::StatusOr<double> ParseNumber(absl::string_view text) {
  double value = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", Excerpt(text), "\" is not a number"));
  }
  return value;
}

absl::StatusOr<int> ParseInteger(absl::string_view text) {
  int value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", Excerpt(text), "\" is not a whole number"));
  }
  return value;
}

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  for (const char* yes : {"true", "yes", "y", "1", "pass", "passed"}) {
    if (s == yes) return true;
  }
  for (const char* no : {"false", "no", "n", "0", "fail", "failed"}) {
    if (s == no) return false;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", Excerpt(text), "\" is not true or false (or yes/no, pass/fail)"));
}

absl::StatusOr<int> ParseLikert(absl::string_view text) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  int value = 0;
  if (absl::SimpleAtoi(s, &value)) return value;
  static constexpr std::pair<absl::string_view, int> kLabels[] = {
      {"strongly disagree", 1},
      {"disagree", 2},
      {"neutral", 3},
      {"neither agree nor disagree", 3},
      {"agree", 4},
      {"strongly agree", 5}};
  for (const auto& [label, v] : kLabels) {
    if (s == label) return v;
  }
  // Survey answers are not echoed.
  return absl::InvalidArgumentError(
      "not an answer from 1 to 5 (or Strongly disagree ... Strongly agree)");
}

absl::StatusOr<TeamResolver> TeamResolver::FromMapFile(std::istream& in,
                                                       absl::string_view name) {
  TeamResolver resolver;
  resolver.has_map_ = true;
  csv::CsvReader reader(in);
  csv::CsvRecord record;
  bool header = true;
  while (reader.Next(record)) {
    auto where = [&] { return absl::StrCat(name, ":", record.line, ": "); };
    if (!record.error.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where(), record.error));
    }
    if (header) {
      header = false;
      continue;
    }
    if (record.fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "expected two columns: name,team"));
    }
    const std::string team(absl::StripAsciiWhitespace(record.fields[1]));
    if (const std::string error = TeamIdError(team); !error.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), "\"", Excerpt(team), "\" is not a team id (", error, ")"));
    }
    resolver.map_[NameKey(record.fields[0])] = team;
  }
  if (!reader.status().ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", reader.status().message()));
  }
  return resolver;
}

absl::StatusOr<std::string> TeamResolver::Resolve(
    absl::string_view name) const {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(name);
  if (trimmed.empty()) return absl::InvalidArgumentError("the team is empty");
  if (has_map_) {
    const auto it = map_.find(NameKey(trimmed));
    if (it == map_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "team \"", Excerpt(trimmed), "\" is not in the team map"));
    }
    return it->second;
  }
  // Letters other than a-z (ü, é, ж) have no obvious spelling in a team id:
  // the user says which team they are rather than the CLI guessing.
  if (std::any_of(trimmed.begin(), trimmed.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x80;
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("team \"", Excerpt(trimmed),
                     "\" has characters a team id cannot hold (a-z, 0-9, -, "
                     "_); say which team it is with --team-map"));
  }
  std::string slug;
  slug.reserve(trimmed.size());
  bool gap = false;
  for (char c : trimmed) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '_') {
      gap = true;  // `-` too: "A - B" is a-b, not a---b
      continue;
    }
    if (gap && !slug.empty()) slug.push_back('-');
    gap = false;
    slug.push_back(absl::ascii_tolower(u));
  }
  if (slug.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("team \"", Excerpt(trimmed),
                     "\" has no letters or digits; say which team it is with "
                     "--team-map"));
  }
  if (!prefix_.empty()) slug = absl::StrCat(prefix_, "/", slug);
  if (const std::string error = TeamIdError(slug); !error.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "team \"", Excerpt(trimmed), "\" gives \"", Excerpt(slug),
        "\", not a team id (", error, "); map names to teams with --team-map"));
  }
  return slug;
}

std::string NameKey(absl::string_view name) {
  std::string key;
  key.reserve(name.size());
  for (char c : absl::StripAsciiWhitespace(name)) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isspace(u)) {
      if (key.back() != ' ') key.push_back(' ');
    } else {
      key.push_back(absl::ascii_tolower(u));
    }
  }
  return key;
}

std::string DeriveId(std::initializer_list<absl::string_view> parts) {
  // This runs for every row of an import: one digest context per thread,
  // the algorithm fetched once (OpenSSL 3 otherwise looks it up under a lock
  // on every call), no temporary strings.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(
      EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex2(ctx.get(), sha256, nullptr);
  for (absl::string_view part : parts) {
    const absl::AlphaNum length(part.size());  // formatted in place
    EVP_DigestUpdate(ctx.get(), length.data(), length.size());
    EVP_DigestUpdate(ctx.get(), ":", 1);
    EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  EVP_DigestFinal_ex(ctx.get(), digest, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "h1-";
  id.resize(3 + 32);
  for (int i = 0; i < 16; ++i) {
    id[3 + 2 * i] = kHex[digest[i] >> 4];
    id[4 + 2 * i] = kHex[digest[i] & 15];
  }
  return id;
}

std::string Excerpt(absl::string_view text) {
  if (text.size() <= 40) return std::string(text);
  return absl::StrCat(text.substr(0, 37), "...");
}

}  // namespace orgpulse::cli
