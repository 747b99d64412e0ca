#include "cli/output/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output/table.h"

namespace orgpulse::cli {
namespace {

double Rate(const ProgressState& s) {
  const double seconds = absl::ToDoubleSeconds(s.elapsed);
  return seconds > 0 ? static_cast<double>(s.done) / seconds : 0;
}

// "  148,571 events/s  ETA 3s" (the ETA only when it can be known).
std::string Speed(const ProgressState& s) {
  const double rate = Rate(s);
  std::string out = absl::StrCat(WithThousands(static_cast<int64_t>(rate)), " ",
                                 s.unit, "/s");
  if (s.total > 0 && rate > 0 && s.done < s.total) {
    absl::StrAppend(&out, "  ETA ",
                    HumanDuration(absl::Seconds(
                        static_cast<double>(s.total - s.done) / rate)));
  }
  return out;
}

std::string Count(const ProgressState& s) {
  std::string out = s.total > 0
                        ? absl::StrCat(WithThousands(s.done), "/",
                                       WithThousands(s.total), " ", s.unit)
                        : absl::StrCat(WithThousands(s.done), " ", s.unit);
  if (s.rows >= 0) absl::StrAppend(&out, " (", WithThousands(s.rows), " rows)");
  return out;
}

double Fraction(const ProgressState& s) {
  if (s.total <= 0) return 0;
  return std::clamp(static_cast<double>(s.done) / static_cast<double>(s.total),
                    0.0, 1.0);
}

}  // namespace

std::string FormatProgressBar(const ProgressState& s, int width) {
  const std::string head = absl::StrCat(s.file, " ", s.phase, " ");
  const std::string tail = absl::StrFormat(
      " %3.0f%%  %s  %s", 100 * Fraction(s), Count(s), Speed(s));
  const int bar = std::clamp(
      width - static_cast<int>(head.size() + tail.size()) - 2, 0, 40);
  std::string out = head;
  if (bar >= 10) {
    const int filled = static_cast<int>(Fraction(s) * bar);
    absl::StrAppend(&out, "[", std::string(filled, '#'),
                    std::string(bar - filled, '.'), "]");
  }
  absl::StrAppend(&out, tail);
  if (static_cast<int>(out.size()) > width) out.resize(std::max(width, 0));
  return out;
}

std::string FormatProgressLine(const ProgressState& s) {
  std::string out = absl::StrCat(s.file, ": ", s.phase, " ", Count(s));
  if (s.total > 0) {
    absl::StrAppend(&out, absl::StrFormat(" (%.0f%%)", 100 * Fraction(s)));
  }
  absl::StrAppend(&out, ", ", Speed(s));
  return out;
}

}  // namespace orgpulse::cli
