#include "cli/output/table.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace orgpulse::cli {

std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(columns.size());
  for (size_t c = 0; c < columns.size(); ++c)
    widths[c] = columns[c].title.size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size() && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  auto line = [&](auto cell) {
    std::string text;
    for (size_t c = 0; c < columns.size(); ++c) {
      const std::string& value = cell(c);
      const std::string pad(widths[c] - value.size(), ' ');
      if (c > 0) text += "  ";
      text += columns[c].align == Align::kRight ? pad + value : value + pad;
    }
    text.erase(text.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, text, "\n");
  };
  line([&](size_t c) -> const std::string& { return columns[c].title; });
  static const std::string kEmpty;
  for (const auto& row : rows) {
    line([&](size_t c) -> const std::string& {
      return c < row.size() ? row[c] : kEmpty;
    });
  }
  return out;
}

std::string WithThousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string HumanDuration(absl::Duration d) {
  if (d < absl::Seconds(1)) {
    return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  }
  const int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

std::string FormatTimestamp(absl::Time t) {
  if (t == absl::UnixEpoch()) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Sparkline(const std::vector<std::optional<double>>& values) {
  static constexpr const char* kBars[] = {"▁", "▂", "▃", "▄",
                                          "▅", "▆", "▇", "█"};
  std::optional<double> lo, hi;
  for (const std::optional<double>& v : values) {
    if (!v) continue;
    lo = lo ? std::min(*lo, *v) : *v;
    hi = hi ? std::max(*hi, *v) : *v;
  }
  std::string out;
  for (const std::optional<double>& v : values) {
    if (!v) {
      out += ' ';
    } else if (*hi == *lo) {
      out += kBars[3];
    } else {
      const int level =
          static_cast<int>(std::lround((*v - *lo) / (*hi - *lo) * 7));
      out += kBars[std::clamp(level, 0, 7)];
    }
  }
  return out;
}

}  // namespace orgpulse::cli
