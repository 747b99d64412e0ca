// SurveyStore on the shared SQLite log: one row per accepted batch in
// `data_dir`/responses.db, holding the scored responses (per-dimension
// scores, never item answers) with the respondent as a keyed hash, and one
// row per round reset an erasure left. Erasure and retention rewrite the
// batches in place (SqliteLog::Rewrite).
//
// Snapshots: the latest one in `data_dir`/survey.snapshot (replaced whole,
// common/storage/atomic_file.h), with the log's sequence and epoch. Erasure
// and retention delete it (durably) before their rewrite begins, under the
// lock SaveSnapshot takes, and the rewrite draws a new epoch in its own
// transaction: no snapshot holding removed data outlives the removal's
// commit, a crash in between leaves no snapshot (the whole log is
// replayed), and a snapshot encoded before the removal is refused when it
// comes to be saved.
#ifndef ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/sqlite_log.h"
#include "services/insights/domain/survey_store.h"
#include "services/insights/store/survey_codec.h"  // for its tests

namespace orgpulse::insights {

class SqliteSurveyStore final : public SurveyStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> Open(
      const std::string& dir, const SqliteLogOptions& options);

  absl::Status Append(absl::Span<const ScoredResponse> responses) override;
  absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override;
  absl::StatusOr<int64_t> Erase(absl::string_view respondent,
                                absl::Span<const RoundReset> resets) override;
  absl::StatusOr<int64_t> DropRounds(
      const std::set<std::string>& rounds) override;
  absl::StatusOr<SurveyLogRead> ReadAfter(
      const SurveyLogCursor& from,
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override;
  absl::StatusOr<SurveySnapshot> SnapshotMark(
      const SurveyLogCursor& folded) override;
  absl::Status SaveSnapshot(const SurveySnapshot& snapshot) override;
  absl::StatusOr<SurveySnapshot> LoadSnapshot() override;
  const std::string& snapshot_path() const { return snapshot_path_; }

  bool writable() const override { return log_->writable(); }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    log_->SetWritableObserver(std::move(observer));
  }

 private:
  SqliteSurveyStore(std::unique_ptr<SqliteLog> log, std::string snapshot_path)
      : log_(std::move(log)), snapshot_path_(std::move(snapshot_path)) {
    epoch_ = log_->epoch();
  }
  // The log's cursor. REQUIRES: the appending thread.
  SurveyLogCursor Cursor() const;
  // One rewrite of the log (SqliteLog::Rewrite: no removed byte left in the
  // files): the responses and resets picked leave, `append` is added.
  absl::StatusOr<int64_t> Remove(
      absl::FunctionRef<bool(const ScoredResponse&)> remove_response,
      absl::FunctionRef<bool(const RoundReset&)> remove_reset,
      absl::Span<const RoundReset> append);
  std::unique_ptr<SqliteLog> log_;
  const std::string snapshot_path_;
  // Held by SaveSnapshot and across a removal's deletion and rewrite.
  absl::Mutex snapshot_mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(snapshot_mu_);  // the log's, for Save
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_
