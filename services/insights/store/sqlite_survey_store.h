// SurveyStore on the shared SQLite log: one row per accepted batch in
// `data_dir`/responses.db, holding the scored responses (per-dimension
// scores, never item answers) with the respondent as a keyed hash, and one
// row per round reset an erasure left. Erasure and retention rewrite the
// batches in place (SqliteLog::Rewrite).
#ifndef ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
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
  bool writable() const override { return log_->writable(); }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    log_->SetWritableObserver(std::move(observer));
  }

 private:
  explicit SqliteSurveyStore(std::unique_ptr<SqliteLog> log)
      : log_(std::move(log)) {}
  // One rewrite of the log (SqliteLog::Rewrite: no removed byte left in the
  // files): the responses and resets picked leave, `append` is added.
  absl::StatusOr<int64_t> Remove(
      absl::FunctionRef<bool(const ScoredResponse&)> remove_response,
      absl::FunctionRef<bool(const RoundReset&)> remove_reset,
      absl::Span<const RoundReset> append);
  std::unique_ptr<SqliteLog> log_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_
