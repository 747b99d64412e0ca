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
#include <deque>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/csv/csv_reader.h"
#include "cli/import/values.h"
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
  // The order of numeric dates the file showed (CsvRowReader), if any.
  virtual DateOrder date_order() const { return DateOrder::kUnknown; }
};

// Turns the records of one CSV layout into items.
template <typename Item>
class CsvRowMapper {
 public:
  virtual ~CsvRowMapper() = default;
  // How many records the header takes (SurveyMonkey writes two), and the
  // column names they give; by default the first record's fields.
  virtual int header_rows() const { return 1; }
  virtual absl::StatusOr<std::vector<std::string>> HeaderNames(
      const std::vector<std::vector<std::string>>& records) {
    return records.front();
  }
  // The header. An error (a required column missing) stops the file.
  virtual absl::Status SetHeader(const csv::CsvHeader& header) = 0;
  // The syntax the mapper reads times with; CsvRowReader sets its
  // date_order once the file tells it.
  virtual TimeSyntax& times() = 0;
  // Appends the items of one record to `out`, or sets row.error (items it
  // appended are then dropped by the caller) or row.skipped.
  virtual void Map(const std::vector<std::string>& fields, Row& row,
                   Items<Item>& out) = 0;
};

template <typename Item>
class CsvRowReader final : public RowReader<Item> {
 public:
  // The rows that wait for the order of numeric dates may hold this many
  // bytes at most (see below).
  static constexpr size_t kMaxWaitingBytes = 64 << 20;

  // With `learn_date_order` (and a mapper that does not know the order
  // yet), the order of numeric dates (03/04/2026) is learnt while the file
  // is read, so that it is read once: the first numeric date with a day
  // over 12 sets it (DateEvidence) for every row. A row that needs it
  // before then waits in memory, with the rows after it, until it is known
  // or the file ends (the row is then refused as ambiguous). Waiting rows
  // of more than `max_waiting_bytes` stop the file.
  CsvRowReader(std::istream& in, std::unique_ptr<CsvRowMapper<Item>> mapper,
               bool learn_date_order = false,
               size_t max_waiting_bytes = kMaxWaitingBytes)
      : reader_(in),
        mapper_(std::move(mapper)),
        learning_(learn_date_order &&
                  mapper_->times().date_order == DateOrder::kUnknown),
        max_waiting_bytes_(max_waiting_bytes) {}

  bool Next(Row& row, Items<Item>& out) override {
    if (!status_.ok()) return false;
    if (!header_read_ && !ReadHeader()) return false;
    // The oldest waiting row goes first, once the order is known.
    while (waiting_.empty() || learning_) {
      if (!reader_.Next(record_)) {
        status_ = reader_.status();
        learning_ = false;
        if (!status_.ok() || waiting_.empty()) return false;
        break;
      }
      bool wait = false;
      if (learning_) wait = record_.error.empty() ? Learn() : !waiting_.empty();
      if (!wait && waiting_.empty()) {
        MapRecord(record_, row, out);
        return true;
      }
      for (const std::string& field : record_.fields) {
        waiting_bytes_ += field.size() + 1;
      }
      waiting_.push_back(std::move(record_));
      if (waiting_bytes_ > max_waiting_bytes_) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            "line ", waiting_.front().line, ": \"", first_ambiguous_,
            "\" could be day/month or month/day, and none of the ",
            waiting_.size() - 1,
            " rows after it, as many as are kept in memory, has a day over "
            "12 to tell; give --time-format"));
        return false;
      }
    }
    MapRecord(waiting_.front(), row, out);
    for (const std::string& field : waiting_.front().fields) {
      waiting_bytes_ -= field.size() + 1;
    }
    waiting_.pop_front();
    return true;
  }
  absl::Status status() const override { return status_; }
  int64_t bytes_consumed() const override { return reader_.bytes_consumed(); }
  // The order of the file's numeric dates, as the mapper reads them.
  DateOrder date_order() const override { return mapper_->times().date_order; }

 private:
  bool ReadHeader() {
    header_read_ = true;
    std::vector<std::vector<std::string>> records;
    while (static_cast<int>(records.size()) < mapper_->header_rows()) {
      if (!reader_.Next(record_)) {
        status_ = reader_.status().ok()
                      ? absl::InvalidArgumentError(records.empty()
                                                       ? "the file is empty"
                                                       : "the file has no rows")
                      : reader_.status();
        return false;
      }
      if (!record_.error.empty()) {
        status_ = absl::InvalidArgumentError(
            absl::StrCat("line ", record_.line, ": ", record_.error));
        return false;
      }
      records.push_back(std::move(record_.fields));
    }
    absl::StatusOr<std::vector<std::string>> names =
        mapper_->HeaderNames(records);
    status_ = names.ok() ? mapper_->SetHeader(csv::CsvHeader(*names))
                         : names.status();
    if (!status_.ok()) {
      status_ = absl::Status(
          status_.code(),
          absl::StrCat(records.size() == 1 ? "line " : "lines 1-", record_.line,
                       " (the header): ", status_.message()));
      return false;
    }
    return true;
  }

  // Looks at record_'s dates while the order is unknown; true if the record
  // must wait for it.
  bool Learn() {
    const DateEvidence evidence = ScanDates(record_.fields, mapper_->times());
    seen_numeric_ = seen_numeric_ || evidence.numeric;
    if (evidence.shown != DateOrder::kUnknown) {
      mapper_->times().date_order = evidence.shown;
      learning_ = false;
      return false;
    }
    if (!seen_numeric_ && record_.line > kDateOrderScanRecords) {
      learning_ = false;  // a file without numeric dates
      return false;
    }
    if (evidence.needs_order && waiting_.empty()) {
      for (const std::string& cell : record_.fields) {
        if (ScanDates({cell}, mapper_->times()).needs_order) {
          first_ambiguous_ = Excerpt(absl::StripAsciiWhitespace(cell));
          break;
        }
      }
    }
    return evidence.needs_order || !waiting_.empty();
  }

  void MapRecord(const csv::CsvRecord& record, Row& row, Items<Item>& out) {
    row.line = record.line;
    row.error = record.error;
    row.skipped.clear();
    if (!row.error.empty()) return;
    const int before = out.size();
    mapper_->Map(record.fields, row, out);
    if (!row.error.empty() || !row.skipped.empty()) {
      out.DeleteSubrange(before, out.size() - before);
    }
  }

  csv::CsvReader reader_;
  std::unique_ptr<CsvRowMapper<Item>> mapper_;
  csv::CsvRecord record_;
  bool header_read_ = false;
  absl::Status status_;
  // The date order is still being learnt (see the constructor).
  bool learning_;
  bool seen_numeric_ = false;
  const size_t max_waiting_bytes_;
  std::deque<csv::CsvRecord> waiting_;
  size_t waiting_bytes_ = 0;
  std::string first_ambiguous_;
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
