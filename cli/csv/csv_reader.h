// A streaming reader of CSV (RFC 4180): fields separated by commas, records
// by CRLF, LF or CR; a field in double quotes may hold commas, line breaks
// and doubled quotes (`"say ""hi"""` is `say "hi"`). Also accepted: a UTF-8
// byte order mark at the start (spreadsheet and Jira exports write one), a
// last record without a line break, and blank lines, which are skipped.
//
// A malformed record (a quote inside an unquoted field, text after a
// closing quote, a quoted field still open at the end of the input) is
// returned with `error` set and reading goes on with the next line, so that
// a caller can name every bad line of a file in one pass.
//
// Example:
//   std::ifstream in("export.csv", std::ios::binary);
//   CsvReader reader(in);
//   CsvRecord record;
//   while (reader.Next(record)) {
//     if (!record.error.empty()) { report(record.line, record.error); continue;
//     } use(record.fields);
//   }
//   if (!reader.status().ok()) ...;  // I/O error or an oversized record
#ifndef ORGPULSE_CLI_CSV_CSV_READER_H_
#define ORGPULSE_CLI_CSV_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace orgpulse::csv {

struct CsvRecord {
  // The line the record starts on, 1-based (a quoted line break makes a
  // record span several lines).
  int64_t line = 0;
  std::vector<std::string> fields;
  // Non-empty if the record is malformed; `fields` is then incomplete.
  std::string error;
};

class CsvReader {
 public:
  struct Options {
    char delimiter = ',';
    // A longer record stops the reader (status() says so): it is most
    // likely an unclosed quote swallowing the rest of the file.
    size_t max_record_bytes = 1 << 20;
  };

  explicit CsvReader(std::istream& in) : CsvReader(in, Options()) {}
  CsvReader(std::istream& in, Options options);

  // Reads the next record into `record` (reusing its storage). False at the
  // end of the input or when the reader stopped (see status()).
  bool Next(CsvRecord& record);

  // OK unless reading stopped early: an I/O error or an oversized record.
  const absl::Status& status() const { return status_; }

  // Bytes of the input consumed so far (for progress).
  int64_t bytes_consumed() const {
    return bytes_buffered_ - static_cast<int64_t>(end_ - pos_);
  }

 private:
  // Makes at least one unread byte available; false at the end of input.
  bool Fill();
  // Skips to just after the next line break.
  void SkipLine();
  // Consumes a line break starting at the current byte ('\r', '\n' or
  // "\r\n").
  void ConsumeLineBreak();

  std::istream& in_;
  const Options options_;
  std::string buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  int64_t bytes_buffered_ = 0;
  bool at_start_ = true;
  bool stopped_ = false;
  int64_t line_ = 1;
  absl::Status status_;
};

// Column lookup by name, ignoring case and surrounding blanks; the first of
// several columns with one name wins (Jira repeats some).
class CsvHeader {
 public:
  CsvHeader() = default;
  explicit CsvHeader(const std::vector<std::string>& names);
  std::optional<size_t> Find(absl::string_view name) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;  // as given
  std::vector<std::string> keys_;   // normalised
};

// The field at `index`, or "" if the record is shorter.
inline absl::string_view FieldAt(const std::vector<std::string>& fields,
                                 std::optional<size_t> index) {
  if (!index || *index >= fields.size()) return {};
  return fields[*index];
}

}  // namespace orgpulse::csv

#endif  // ORGPULSE_CLI_CSV_CSV_READER_H_
