#include "cli/csv/csv_reader.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace orgpulse::csv {
namespace {

constexpr size_t kBufferBytes = 1 << 16;

}  // namespace

CsvReader::CsvReader(std::istream& in, Options options)
    : in_(in), options_(options), buffer_(kBufferBytes, '\0') {}

bool CsvReader::Fill() {
  if (pos_ < end_) return true;
  if (!in_.good()) return false;
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  const std::streamsize n = in_.gcount();
  if (in_.bad()) {
    status_ = absl::DataLossError(absl::StrCat("read error at line ", line_));
    stopped_ = true;
    return false;
  }
  pos_ = 0;
  end_ = static_cast<size_t>(n);
  bytes_buffered_ += n;
  return n > 0;
}

void CsvReader::ConsumeLineBreak() {
  const char c = buffer_[pos_++];
  ++line_;
  if (c == '\r' && Fill() && buffer_[pos_] == '\n') ++pos_;
}

void CsvReader::SkipLine() {
  while (Fill()) {
    const char c = buffer_[pos_];
    if (c == '\n' || c == '\r') {
      ConsumeLineBreak();
      return;
    }
    ++pos_;
  }
}

bool CsvReader::Next(CsvRecord& record) {
  if (stopped_) return false;
  if (at_start_) {
    at_start_ = false;
    // A UTF-8 byte order mark; the first buffer holds all three bytes
    // unless the input is shorter.
    if (Fill() && end_ - pos_ >= 3 &&
        buffer_.compare(pos_, 3, "\xEF\xBB\xBF") == 0) {
      pos_ += 3;
    }
  }
  const char delimiter = options_.delimiter;
  for (;;) {  // until a record that is not a blank line
    if (!Fill()) return false;
    record.line = line_;
    record.error.clear();
    size_t count = 0;
    auto next_field = [&]() -> std::string& {
      if (count < record.fields.size()) {
        record.fields[count].clear();
      } else {
        record.fields.emplace_back();
      }
      return record.fields[count++];
    };
    size_t record_bytes = 0;
    std::string* field = &next_field();
    enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
    State state = State::kFieldStart;
    bool done = false;
    while (!done) {
      if (!Fill()) {  // end of input ends the record
        if (state == State::kQuoted) {
          record.error =
              absl::StrCat("a quoted field opened on line ", record.line,
                           " is not closed before the end of the file");
        }
        break;
      }
      const char c = buffer_[pos_];
      switch (state) {
        case State::kFieldStart:
          if (c == '"') {
            ++pos_;
            state = State::kQuoted;
            break;
          }
          state = State::kUnquoted;
          [[fallthrough]];
        case State::kUnquoted: {
          // The common case: a run of plain bytes, appended at once.
          size_t run = pos_;
          while (run < end_ && buffer_[run] != delimiter &&
                 buffer_[run] != '\n' && buffer_[run] != '\r' &&
                 buffer_[run] != '"') {
            ++run;
          }
          field->append(buffer_, pos_, run - pos_);
          record_bytes += run - pos_;
          pos_ = run;
          if (pos_ == end_) break;
          const char stop = buffer_[pos_];
          if (stop == delimiter) {
            ++pos_;
            field = &next_field();
            state = State::kFieldStart;
          } else if (stop == '"') {
            record.error = absl::StrCat(
                "a quote inside an unquoted field (column ", count, ")");
            SkipLine();
            done = true;
          } else {
            ConsumeLineBreak();
            done = true;
          }
          break;
        }
        case State::kQuoted: {
          size_t run = pos_;
          while (run < end_ && buffer_[run] != '"' && buffer_[run] != '\n') {
            ++run;
          }
          field->append(buffer_, pos_, run - pos_);
          record_bytes += run - pos_;
          pos_ = run;
          if (pos_ == end_) break;
          if (buffer_[pos_] == '\n') {
            field->push_back('\n');
            ++pos_;
            ++line_;
            ++record_bytes;
          } else {
            ++pos_;
            state = State::kQuoteInQuoted;
          }
          break;
        }
        case State::kQuoteInQuoted:
          if (c == '"') {
            field->push_back('"');
            ++pos_;
            ++record_bytes;
            state = State::kQuoted;
          } else if (c == delimiter) {
            ++pos_;
            field = &next_field();
            state = State::kFieldStart;
          } else if (c == '\n' || c == '\r') {
            ConsumeLineBreak();
            done = true;
          } else {
            record.error = absl::StrCat(
                "text after the closing quote of a field (column ", count, ")");
            SkipLine();
            done = true;
          }
          break;
      }
      if (record_bytes > options_.max_record_bytes) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            "the record starting on line ", record.line, " is longer than ",
            options_.max_record_bytes, " bytes (an unclosed quote?)"));
        stopped_ = true;
        return false;
      }
    }
    if (stopped_) return false;
    record.fields.resize(count);
    const bool blank = count == 1 && record.fields[0].empty() &&
                       state != State::kQuoteInQuoted && record.error.empty();
    if (!blank) return true;
  }
}

namespace {

std::string Key(absl::string_view name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
}

}  // namespace

CsvHeader::CsvHeader(const std::vector<std::string>& names) : names_(names) {
  keys_.reserve(names.size());
  for (const std::string& name : names) keys_.push_back(Key(name));
}

std::optional<size_t> CsvHeader::Find(absl::string_view name) const {
  const std::string key = Key(name);
  const auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return std::nullopt;
  return static_cast<size_t>(it - keys_.begin());
}

}  // namespace orgpulse::csv
