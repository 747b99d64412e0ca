#include "cli/import/text_check.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::cli {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::HasSubstr;

// A literal with its NUL bytes.
template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// `text` as Windows and Excel save "Unicode text": UTF-16, little-endian.
std::string Utf16Le(const std::string& text) {
  std::string out;
  for (char c : text) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string Utf16Be(const std::string& text) {
  std::string out;
  for (char c : text) {
    out.push_back('\0');
    out.push_back(c);
  }
  return out;
}

constexpr char kFormsHeader[] =
    "Timestamp,Team,I feel safe to speak up in my team\r\n"
    "7/21/2026 9:04:12,Platform / Infra,Agree\r\n";

void ExpectRefused(const std::string& head, const std::string& says) {
  EXPECT_THAT(CheckIsText(head),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(says)))
      << ::testing::PrintToString(head.substr(0, 16));
}

TEST(CheckIsTextTest, TextInUtf8OrASingleByteEncodingIsText) {
  EXPECT_TRUE(CheckIsText(kFormsHeader).ok());
  EXPECT_TRUE(CheckIsText(std::string("\xEF\xBB\xBF") + kFormsHeader).ok());
  EXPECT_TRUE(CheckIsText("Team\tSite\nZ\xC3\xBCrich\tHQ\n").ok());  // UTF-8
  EXPECT_TRUE(CheckIsText("Team;Site\r\nZ\xFCrich;HQ\r\n").ok());    // cp1252
  EXPECT_TRUE(CheckIsText("{\"team\":\"eng\"}\n").ok());
  EXPECT_TRUE(CheckIsText("").ok());
  EXPECT_TRUE(CheckIsText("a").ok());
  // A name that starts like bzip2's signature.
  EXPECT_TRUE(CheckIsText("BZh Team,Site\nx,y\n").ok());
}

TEST(CheckIsTextTest, Utf16WithOrWithoutAByteOrderMark) {
  ExpectRefused("\xFF\xFE" + Utf16Le(kFormsHeader),
                "is UTF-16; save it as UTF-8");
  ExpectRefused("\xFE\xFF" + Utf16Be(kFormsHeader),
                "is UTF-16; save it as UTF-8");
  ExpectRefused(Utf16Le(kFormsHeader), "is UTF-16; save it as UTF-8");
  ExpectRefused(Utf16Be(kFormsHeader), "is UTF-16; save it as UTF-8");
  ExpectRefused(Bytes("\xFF\xFE\0\0T\0\0\0"), "is UTF-32");
}

TEST(CheckIsTextTest, CompressedArchivesAndWorkbooks) {
  // gzip -n of a two-column header, as `gzip export.csv` leaves it.
  ExpectRefused(Bytes("\x1F\x8B\x08\x00\x00\x00\x00\x00\x02\x03\x0B\xC9"
                      "\xCC\x4D\x2D\x2E\x49\xCC\x2D\xD0\x09\x49\x4D\xCC"
                      "\xE5\x02\x00\xC5\x44\xF9\xB4\x0F\x00\x00\x00"),
                "is gzip-compressed; decompress it first");
  // An .xlsx workbook opens with its [Content_Types].xml zip entry.
  ExpectRefused(Bytes("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
                      "[Content_Types].xml"),
                "is a zip archive (an Excel .xlsx workbook is one too)");
  ExpectRefused(Bytes("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0"),
                "is an Excel .xls workbook");
  ExpectRefused(Bytes("BZh91AY&SY\x1B\x3C\xCA\x40\x00\x00"),
                "is bzip2-compressed; decompress it first");
  ExpectRefused(Bytes("\xFD"
                      "7zXZ\0\0\x04\xE6\xD6\xB4\x46"),
                "is xz-compressed");
  ExpectRefused("\x28\xB5\x2F\xFD\x24\x0F", "is zstd-compressed");
}

TEST(CheckIsTextTest, OtherBinaryDataNamesWhereItStarts) {
  ExpectRefused(Bytes("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"),
                "is not a text file (binary data at byte 7)");
  ExpectRefused(Bytes("kind,team\nx,y\0z\n"),
                "is not a text file (binary data at byte 14)");
}

}  // namespace
}  // namespace orgpulse::cli
