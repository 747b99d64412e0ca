// SurveyStore on the shared SQLite log: one row per accepted batch in
// `data_dir`/responses.db, holding the scored responses (per-dimension
// scores, never item answers) with the respondent as a keyed hash.
#ifndef ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/storage/sqlite_log.h"
#include "services/insights/domain/survey_store.h"

namespace orgpulse::insights {

// The encoding of a batch of scored responses (exposed for tests).
std::string EncodeResponses(absl::Span<const ScoredResponse> responses);
absl::Status DecodeResponses(absl::string_view blob,
                             absl::FunctionRef<void(const ScoredResponse&)> fn);

class SqliteSurveyStore final : public SurveyStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> Open(
      const std::string& dir, const SqliteLogOptions& options);

  absl::Status Append(absl::Span<const ScoredResponse> responses) override;
  absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> fn) override;
  bool writable() const override { return log_->writable(); }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    log_->SetWritableObserver(std::move(observer));
  }

 private:
  explicit SqliteSurveyStore(std::unique_ptr<SqliteLog> log)
      : log_(std::move(log)) {}
  std::unique_ptr<SqliteLog> log_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_STORE_SQLITE_SURVEY_STORE_H_
