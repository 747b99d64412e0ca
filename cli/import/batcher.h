// Groups the rows of one import file into request batches, checking each
// batch with the service's validation, and counts and reports what it saw.
// A row's items are never split between batches, and a row any of whose
// items is invalid is dropped whole and reported as bad. Pure: the caller
// pushes the batches (or, for a dry run or a check, only looks at them).
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

template <typename Request, typename Item>
class Batcher {
 public:
  // `validate` may be empty (no check); `on_bad_rows` receives each batch's
  // bad rows in line order and may be empty.
  Batcher(RowReader<Item>& rows, size_t batch_size,
          BatchValidator<Request> validate,
          std::function<void(const std::vector<BadRow>&)> on_bad_rows)
      : rows_(rows),
        batch_size_(std::max<size_t>(batch_size, 1)),
        validate_(std::move(validate)),
        on_bad_rows_(std::move(on_bad_rows)) {}

  // Fills `batch` (cleared first) with the items of whole rows, stopping
  // once it holds batch_size items or more; lines[i] is the line of item i.
  // False once the file has no more good items.
  bool Next(Request& batch, std::vector<int64_t>& lines) {
    batch.Clear();
    lines.clear();
    Items<Item>& items = MutableItems(batch);
    std::vector<BadRow> bad;
    while (static_cast<size_t>(items.size()) < batch_size_) {
      const int before = items.size();
      if (!rows_.Next(row_, items)) break;
      ++counts_.rows;
      if (!row_.error.empty()) {
        bad.push_back({row_.line, row_.error});
      } else if (!row_.skipped.empty()) {
        ++counts_.skipped[row_.skipped];
      }
      lines.insert(lines.end(), items.size() - before, row_.line);
    }
    if (validate_ && !items.empty()) DropInvalidRows(batch, lines, bad);
    counts_.items += items.size();
    counts_.bad_rows += static_cast<int64_t>(bad.size());
    if (!bad.empty() && on_bad_rows_) {
      std::sort(bad.begin(), bad.end(), [](const BadRow& a, const BadRow& b) {
        return a.line < b.line;
      });
      on_bad_rows_(bad);
    }
    return !items.empty();
  }

  const ImportCounts& counts() const { return counts_; }
  absl::Status status() const { return rows_.status(); }
  int64_t bytes_consumed() const { return rows_.bytes_consumed(); }

 private:
  void DropInvalidRows(Request& batch, std::vector<int64_t>& lines,
                       std::vector<BadRow>& bad) {
    const std::vector<FieldViolation> violations = validate_(batch);
    if (violations.empty()) return;
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
    Items<Item>& items = MutableItems(batch);
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
    for (auto& [line, reason] : reasons)
      bad.push_back({line, std::move(reason)});
  }

  RowReader<Item>& rows_;
  const size_t batch_size_;
  const BatchValidator<Request> validate_;
  const std::function<void(const std::vector<BadRow>&)> on_bad_rows_;
  Row row_;
  ImportCounts counts_;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_BATCHER_H_
