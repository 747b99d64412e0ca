#include "cli/import/text_check.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace orgpulse::cli {
namespace {

struct Magic {
  absl::string_view bytes;
  absl::string_view what;
};

// File signatures, longest first where one is the start of another. bzip2's
// "BZh" could start a line of text: it is told only once the rest is binary.
constexpr Magic kMagics[] = {
    {absl::string_view("\xFF\xFE\x00\x00", 4), "is UTF-32; save it as UTF-8"},
    {absl::string_view("\x00\x00\xFE\xFF", 4), "is UTF-32; save it as UTF-8"},
    {"\xFF\xFE", "is UTF-16; save it as UTF-8"},
    {"\xFE\xFF", "is UTF-16; save it as UTF-8"},
    {"\x1F\x8B", "is gzip-compressed; decompress it first"},
    {"PK\x03\x04",
     "is a zip archive (an Excel .xlsx workbook is one too); extract the "
     "file, or save the sheet as CSV"},
    {"PK\x05\x06", "is an empty zip archive"},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
     "is an Excel .xls workbook (or another Office file); save the sheet "
     "as CSV"},
    {absl::string_view("\xFD"
                       "7zXZ\x00",
                       6),
     "is xz-compressed; decompress it first"},
    {"\x28\xB5\x2F\xFD", "is zstd-compressed; decompress it first"},
    {"7z\xBC\xAF\x27\x1C", "is a 7-Zip archive; extract the file first"},
    {"%PDF-", "is a PDF document, not CSV or JSON Lines"},
};

bool IsControl(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') ||
         c == 0x7F;
}

}  // namespace

absl::Status CheckIsText(absl::string_view head) {
  for (const Magic& m : kMagics) {
    if (absl::StartsWith(head, m.bytes)) {
      return absl::InvalidArgumentError(m.what);
    }
  }
  // UTF-16 without a byte order mark: text in the Latin alphabet has a NUL
  // in every other byte.
  size_t nul_even = 0, nul_odd = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\0') ++(i % 2 == 0 ? nul_even : nul_odd);
  }
  const size_t pairs = head.size() / 2;
  if (pairs >= 2 && std::max(nul_even, nul_odd) * 10 >= pairs * 6 &&
      std::min(nul_even, nul_odd) * 10 <= pairs) {
    return absl::InvalidArgumentError("is UTF-16; save it as UTF-8");
  }
  const size_t controls = std::count_if(head.begin(), head.end(), [](char c) {
    return IsControl(static_cast<unsigned char>(c));
  });
  if (nul_even + nul_odd > 0 || controls * 20 > head.size()) {
    if (absl::StartsWith(head, "BZh")) {
      return absl::InvalidArgumentError(
          "is bzip2-compressed; decompress it first");
    }
    const size_t first = static_cast<size_t>(
        std::find_if(
            head.begin(), head.end(),
            [](char c) { return IsControl(static_cast<unsigned char>(c)); }) -
        head.begin());
    return absl::InvalidArgumentError(
        absl::StrCat("is not a text file (binary data at byte ", first + 1,
                     "); push CSV or JSON Lines"));
  }
  return absl::OkStatus();
}

absl::Status CheckIsText(std::istream& in) {
  std::string head(kTextCheckBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  in.clear();
  in.seekg(0);
  return CheckIsText(head);
}

}  // namespace orgpulse::cli
