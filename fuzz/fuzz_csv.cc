// Fuzzes the command line's CSV reader (cli/csv) on arbitrary bytes.
//
// Input: two header bytes, then the CSV text.
//   byte 0: bits 0-1 the delimiter (',', ';', tab, '|'); bit 2 puts the text
//           just before the reader's 64 KiB buffer boundary (after a filler
//           line), bits 3-7 how far before it (0 to 31 bytes);
//   byte 1: below 16, a small record limit (4 * byte + 1); else the default.
//
// Invariants: reading ends; unless it stopped on an oversized record, every
// byte is consumed; record line numbers start at 1 and never go down; the
// well-formed records, written back out (once with every field quoted, once
// quoting only where needed) and read again, give the same fields; and so
// do rows made of the text's bytes (fields ending at 0x00, rows at 0x01),
// which may hold anything: quotes, delimiters, line breaks, a BOM.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/csv/csv_reader.h"
#include "fuzz/fuzz_support.h"

namespace orgpulse::csv {
namespace {

using ::orgpulse::fuzz::Require;
using Rows = std::vector<std::vector<std::string>>;

constexpr size_t kReaderBufferBytes = 1 << 16;  // csv_reader.cc's buffer

struct Parsed {
  Rows rows;  // the well-formed records
  bool ok = true;
};

Parsed Parse(const std::string& text, const CsvReader::Options& options) {
  std::istringstream in(text);
  CsvReader reader(in, options);
  Parsed out;
  CsvRecord record;
  int64_t line = 1;
  while (reader.Next(record)) {
    Require(record.line >= line, "record lines never go down",
            [&] { return absl::StrCat(record.line, " after ", line); });
    line = record.line;
    if (record.error.empty()) out.rows.push_back(record.fields);
  }
  out.ok = reader.status().ok();
  if (out.ok) {
    Require(reader.bytes_consumed() == static_cast<int64_t>(text.size()),
            "a complete read consumes every byte", [&] {
              return absl::StrCat(reader.bytes_consumed(), " of ", text.size());
            });
  }
  return out;
}

std::string Quoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// `minimal`: quotes only fields that need it: those holding the delimiter,
// a quote or a line break, a record's only field when it is empty (else the
// line is blank and skipped), and a first field starting like a byte order
// mark.
std::string Write(const Rows& rows, char delimiter, bool minimal) {
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    for (size_t f = 0; f < row.size(); ++f) {
      const std::string& field = row[f];
      const bool needs_quotes =
          field.find_first_of(std::string{delimiter, '"', '\r', '\n'}) !=
              std::string::npos ||
          (row.size() == 1 && field.empty()) ||
          (r == 0 && f == 0 && field.rfind("\xEF\xBB\xBF", 0) == 0);
      if (f > 0) out += delimiter;
      out += (minimal && !needs_quotes) ? field : Quoted(field);
    }
    out += (r % 2 == 0) ? "\r\n" : "\n";
  }
  return out;
}

std::string Describe(const Rows& rows) {
  std::string out;
  for (const auto& row : rows) {
    absl::StrAppend(&out, "[", absl::StrJoin(row, "|"), "]\n");
  }
  return out;
}

// `rows`, written out (once with every field quoted, once quoting only
// where needed), read back the same.
void RequireRoundTrip(const Rows& rows, const CsvReader::Options& options) {
  for (bool minimal : {false, true}) {
    const Parsed again =
        Parse(Write(rows, options.delimiter, minimal), options);
    Require(again.ok && again.rows == rows,
            "records written out read back the same", [&] {
              return absl::StrCat(minimal ? "minimal" : "all",
                                  " quoting; written:\n", Describe(rows),
                                  "read back:\n", Describe(again.rows));
            });
  }
}

void Run(const uint8_t* data, size_t size) {
  if (size < 2) return;
  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  CsvReader::Options options;
  options.delimiter = kDelimiters[data[0] & 3];
  if (data[1] < 16) options.max_record_bytes = 4 * data[1] + 1;

  std::string text;
  if (data[0] & 4) {
    const size_t before_boundary = data[0] >> 3;
    text.assign(kReaderBufferBytes - before_boundary - 1, 'x');
    text += '\n';
  }
  text.append(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Parsed first = Parse(text, options);
  if (first.ok) {  // else stopped on an oversized record
    RequireRoundTrip(first.rows, options);
  }

  // The payload as rows of any bytes: fields end at 0x00, rows at 0x01.
  Rows rows(1, std::vector<std::string>(1));
  for (size_t i = 2; i < size; ++i) {
    if (data[i] == 0) {
      rows.back().emplace_back();
    } else if (data[i] == 1) {
      rows.emplace_back(1);
    } else {
      rows.back().back().push_back(static_cast<char>(data[i]));
    }
  }
  RequireRoundTrip(rows, CsvReader::Options{.delimiter = options.delimiter});
}

}  // namespace
}  // namespace orgpulse::csv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  orgpulse::csv::Run(data, size);
  return 0;
}
