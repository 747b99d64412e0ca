// The rows of one import file, each turned into the items (ingest events or
// survey responses) it stands for. CsvRowReader puts a CsvRowMapper (the
// generic format, Jira, a survey export) over the CSV reader;
// JsonLinesReader reads one protobuf JSON message per line. Pure: no I/O
// beyond the stream given.
//
// Example:
//   std::ifstream in(path, std::ios::binary);
//   CsvRowReader<v1::Event> rows(in, std::make_unique<JiraMapper>(options));
//   Row row;
//   google::protobuf::RepeatedPtrField<v1::Event> events;
//   while (rows.Next(row, events)) { if (!row.error.empty()) ...; }
//   if (!rows.status().ok()) ...;  // the file could not be read on
#ifndef ORGPULSE_CLI_IMPORT_ROW_READER_H_
#define ORGPULSE_CLI_IMPORT_ROW_READER_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/csv/csv_reader.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/util/json_util.h"

namespace orgpulse::cli {

template <typename Item>
using Items = google::protobuf::RepeatedPtrField<Item>;

// What became of one input row.
struct Row {
  // The line the row starts on (1-based).
  int64_t line = 0;
  // Non-empty: the row is bad, and why; it stands for no item.
  std::string error;
  // Non-empty: the row stands for no item on purpose, and why (an issue
  // without a due date); counted, not an error.
  std::string skipped;
};

template <typename Item>
class RowReader {
 public:
  virtual ~RowReader() = default;
  // Reads the next row and appends its items to `out` (none if the row is
  // bad or skipped). False at the end of the file, or when it cannot be read
  // on (see status()).
  virtual bool Next(Row& row, Items<Item>& out) = 0;
  // Not OK if the file could not be read to its end: unreadable, no header,
  // a required column missing, a record too long.
  virtual absl::Status status() const = 0;
  virtual int64_t bytes_consumed() const = 0;
};

// Turns the records of one CSV layout into items.
template <typename Item>
class CsvRowMapper {
 public:
  virtual ~CsvRowMapper() = default;
  // The header record. An error (a required column missing) stops the file.
  virtual absl::Status SetHeader(const csv::CsvHeader& header) = 0;
  // Appends the items of one record to `out`, or sets row.error (items it
  // appended are then dropped by the caller) or row.skipped.
  virtual void Map(const std::vector<std::string>& fields, Row& row,
                   Items<Item>& out) = 0;
};

template <typename Item>
class CsvRowReader final : public RowReader<Item> {
 public:
  CsvRowReader(std::istream& in, std::unique_ptr<CsvRowMapper<Item>> mapper)
      : reader_(in), mapper_(std::move(mapper)) {}

  bool Next(Row& row, Items<Item>& out) override {
    if (!status_.ok()) return false;
    if (!header_read_) {
      header_read_ = true;
      if (!reader_.Next(record_)) {
        status_ = reader_.status().ok()
                      ? absl::InvalidArgumentError("the file is empty")
                      : reader_.status();
        return false;
      }
      if (!record_.error.empty()) {
        status_ = absl::InvalidArgumentError(
            absl::StrCat("line ", record_.line, ": ", record_.error));
        return false;
      }
      status_ = mapper_->SetHeader(csv::CsvHeader(record_.fields));
      if (!status_.ok()) {
        status_ = absl::Status(
            status_.code(), absl::StrCat("line ", record_.line,
                                         " (the header): ", status_.message()));
        return false;
      }
    }
    if (!reader_.Next(record_)) {
      status_ = reader_.status();
      return false;
    }
    row.line = record_.line;
    row.error = record_.error;
    row.skipped.clear();
    if (!row.error.empty()) return true;
    const int before = out.size();
    mapper_->Map(record_.fields, row, out);
    if (!row.error.empty() || !row.skipped.empty()) {
      out.DeleteSubrange(before, out.size() - before);
    }
    return true;
  }
  absl::Status status() const override { return status_; }
  int64_t bytes_consumed() const override { return reader_.bytes_consumed(); }

 private:
  csv::CsvReader reader_;
  std::unique_ptr<CsvRowMapper<Item>> mapper_;
  csv::CsvRecord record_;
  bool header_read_ = false;
  absl::Status status_;
};

// One message per line in protobuf's JSON mapping (field names as in the
// .proto or in lowerCamelCase; unknown fields are errors). Blank lines are
// skipped. `complete` may fill in what a line left out (derived ids,
// defaults) or set row.error.
template <typename Item>
class JsonLinesReader final : public RowReader<Item> {
 public:
  using Completer = std::function<void(Item&, Row&)>;

  JsonLinesReader(std::istream& in, std::string kind, Completer complete)
      : in_(in), kind_(std::move(kind)), complete_(std::move(complete)) {}

  bool Next(Row& row, Items<Item>& out) override {
    std::string line;
    while (std::getline(in_, line)) {
      bytes_ += static_cast<int64_t>(line.size()) + 1;
      ++line_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      // A UTF-8 byte order mark, as some editors write one.
      if (line_ == 1 && absl::StartsWith(line, "\xEF\xBB\xBF"))
        line.erase(0, 3);
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      row.line = line_;
      row.error.clear();
      row.skipped.clear();
      Item* item = out.Add();
      const auto parsed =
          google::protobuf::util::JsonStringToMessage(line, item);
      if (!parsed.ok()) {
        row.error = absl::StrCat("not ", kind_,
                                 " in JSON: ", parsed.message().ToString());
      } else if (complete_) {
        complete_(*item, row);
      }
      if (!row.error.empty() || !row.skipped.empty()) out.RemoveLast();
      return true;
    }
    if (in_.bad()) status_ = absl::DataLossError("read error");
    return false;
  }
  absl::Status status() const override { return status_; }
  int64_t bytes_consumed() const override { return bytes_; }

 private:
  std::istream& in_;
  const std::string kind_;
  const Completer complete_;
  int64_t line_ = 0;
  int64_t bytes_ = 0;
  absl::Status status_;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_ROW_READER_H_
