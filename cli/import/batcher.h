// Groups the rows of one import file into request batches, checking each
// batch with the service's validation, and counts and reports what it saw.
// A row's items are never split between batches, and a row any of whose
// items is invalid is dropped whole and reported as bad. Pure: the caller
// pushes the batches (or, for a dry run or a check, only looks at them).
// RowBatcher and DropInvalidRows are the two halves, for callers that read
// and validate on different threads.
//
// Example:
//   Batcher<v1::PushRequest, v1::Event> batcher(rows, 1000, validate, report);
//   v1::PushRequest batch;
//   std::vector<int64_t> lines;
//   while (batcher.Next(batch, lines)) push(batch);
//   if (!batcher.status().ok()) ...;  // the file could not be read to its end
#ifndef ORGPULSE_CLI_IMPORT_BATCHER_H_
#define ORGPULSE_CLI_IMPORT_BATCHER_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "cli/import/batch_validation.h"
#include "cli/import/row_reader.h"
#include "common/status/field_violations.h"
#include "orgpulse/ingest/v1/ingest.pb.h"
#include "orgpulse/insights/v1/insights.pb.h"

namespace orgpulse::cli {

inline Items<ingest::v1::Event>& MutableItems(ingest::v1::PushRequest& r) {
  return *r.mutable_events();
}
inline Items<insights::v1::SurveyResponse>& MutableItems(
    insights::v1::SubmitSurveyResponsesRequest& r) {
  return *r.mutable_responses();
}

struct BadRow {
  int64_t line = 0;
  std::string reason;
};

struct ImportCounts {
  int64_t rows = 0;   // data rows read
  int64_t items = 0;  // events or responses of the good rows
  int64_t bad_rows = 0;
  std::map<std::string, int64_t> skipped;  // why -> rows
};

template <typename Request>
using BatchValidator =
    std::function<std::vector<FieldViolation>(const Request&)>;

// Removes from `batch` every item of every row that `violations` (named
// `events[i]...` / `responses[i]...`, as the services name them) point at;
// returns those rows with their reasons, in line order.
template <typename Request>
std::vector<BadRow> DropInvalidRows(
    Request& batch, std::vector<int64_t>& lines,
    const std::vector<FieldViolation>& violations) {
  if (violations.empty()) return {};
  absl::btree_map<int64_t, std::string> reasons;  // by line
  for (const FieldViolation& v : violations) {
    const auto item = SplitItemField(v.field);
    if (!item || item->first < 0 ||
        static_cast<size_t>(item->first) >= lines.size()) {
      continue;
    }
    std::string& reason = reasons[lines[item->first]];
    absl::StrAppend(&reason, reason.empty() ? "" : "; ", item->second,
                    item->second.empty() ? "" : " ", v.description);
  }
  auto& items = MutableItems(batch);
  int kept = 0;
  for (int i = 0; i < items.size(); ++i) {
    if (reasons.contains(lines[i])) continue;
    if (kept != i) {
      items.SwapElements(kept, i);
      lines[kept] = lines[i];
    }
    ++kept;
  }
  items.DeleteSubrange(kept, items.size() - kept);
  lines.resize(kept);
  std::vector<BadRow> bad;
  for (auto& [line, reason] : reasons) bad.push_back({line, std::move(reason)});
  return bad;
}

// Reads and maps rows into batches of whole rows; does not validate them.
template <typename Request, typename Item>
class RowBatcher {
 public:
  RowBatcher(RowReader<Item>& rows, size_t batch_size)
      : rows_(rows), batch_size_(std::max<size_t>(batch_size, 1)) {}

  // Fills `batch` (cleared first) with the items of whole rows, stopping
  // once it holds batch_size items or more; lines[i] is the line of item i,
  // and `bad` (cleared first) gets the rows that could not be mapped. False
  // at the end of the file (with everything empty).
  bool Next(Request& batch, std::vector<int64_t>& lines,
            std::vector<BadRow>& bad) {
    batch.Clear();
    lines.clear();
    bad.clear();
    Items<Item>& items = MutableItems(batch);
    bool any = false;
    while (static_cast<size_t>(items.size()) < batch_size_) {
      const int before = items.size();
      if (!rows_.Next(row_, items)) break;
      any = true;
      ++counts_.rows;
      if (!row_.error.empty()) {
        bad.push_back({row_.line, row_.error});
      } else if (!row_.skipped.empty()) {
        ++counts_.skipped[row_.skipped];
      }
      lines.insert(lines.end(), items.size() - before, row_.line);
    }
    counts_.items += items.size();
    counts_.bad_rows += static_cast<int64_t>(bad.size());
    return any;
  }

  // Rows read, items mapped (before validation), rows that could not be
  // mapped, rows skipped.
  const ImportCounts& counts() const { return counts_; }
  absl::Status status() const { return rows_.status(); }
  int64_t bytes_consumed() const { return rows_.bytes_consumed(); }

 private:
  RowReader<Item>& rows_;
  const size_t batch_size_;
  Row row_;
  ImportCounts counts_;
};

// RowBatcher and validation in one: batches of good rows only.
template <typename Request, typename Item>
class Batcher {
 public:
  // `validate` may be empty (no check); `on_bad_rows` receives each batch's
  // bad rows in line order and may be empty.
  Batcher(RowReader<Item>& rows, size_t batch_size,
          BatchValidator<Request> validate,
          std::function<void(const std::vector<BadRow>&)> on_bad_rows)
      : rows_(rows, batch_size),
        validate_(std::move(validate)),
        on_bad_rows_(std::move(on_bad_rows)) {}

  // Like RowBatcher::Next, but drops (and reports) the rows the validator
  // refuses and skips batches left empty. False once the file has no more
  // good items.
  bool Next(Request& batch, std::vector<int64_t>& lines) {
    std::vector<BadRow> bad;
    while (rows_.Next(batch, lines, bad)) {
      if (validate_ && !lines.empty()) {
        std::vector<BadRow> invalid =
            DropInvalidRows(batch, lines, validate_(batch));
        invalid_rows_ += static_cast<int64_t>(invalid.size());
        bad.insert(bad.end(), std::make_move_iterator(invalid.begin()),
                   std::make_move_iterator(invalid.end()));
      }
      Report(bad);
      if (!lines.empty()) {
        good_items_ += static_cast<int64_t>(lines.size());
        return true;
      }
    }
    return false;
  }

  ImportCounts counts() const {
    ImportCounts c = rows_.counts();
    c.items = good_items_;
    c.bad_rows += invalid_rows_;
    return c;
  }
  absl::Status status() const { return rows_.status(); }
  int64_t bytes_consumed() const { return rows_.bytes_consumed(); }

 private:
  void Report(std::vector<BadRow>& bad) {
    if (bad.empty() || !on_bad_rows_) return;
    std::sort(bad.begin(), bad.end(),
              [](const BadRow& a, const BadRow& b) { return a.line < b.line; });
    on_bad_rows_(bad);
  }

  RowBatcher<Request, Item> rows_;
  const BatchValidator<Request> validate_;
  const std::function<void(const std::vector<BadRow>&)> on_bad_rows_;
  int64_t good_items_ = 0;
  int64_t invalid_rows_ = 0;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_BATCHER_H_
