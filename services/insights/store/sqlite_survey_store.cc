#include "services/insights/store/sqlite_survey_store.h"

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/insights/store/survey_codec.h"

namespace orgpulse::insights {
namespace {

// The row without the responses `remove` picks: kept, replaced or dropped;
// `removed` counts them.
absl::StatusOr<LogRowEdit> WithoutResponses(
    absl::string_view blob,
    absl::FunctionRef<bool(const ScoredResponse&)> remove, int64_t& removed) {
  std::vector<ScoredResponse> kept;
  int64_t dropped = 0;
  absl::Status s = DecodeResponses(blob, [&](const ScoredResponse& r) {
    if (remove(r)) {
      ++dropped;
    } else {
      kept.push_back(r);
    }
  });
  if (!s.ok()) return s;
  removed += dropped;
  if (dropped == 0) return LogRowEdit::Keep();
  if (kept.empty()) return LogRowEdit::Drop();
  return LogRowEdit::Replace(
      {EncodeResponses(kept), static_cast<int64_t>(kept.size())});
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> SqliteSurveyStore::Open(
    const std::string& dir, const SqliteLogOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(
      (std::filesystem::path(dir) / "responses.db").string(), options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<SqliteSurveyStore>(
      new SqliteSurveyStore(*std::move(log)));
}

absl::Status SqliteSurveyStore::Append(
    absl::Span<const ScoredResponse> responses) {
  if (responses.empty()) return absl::OkStatus();
  return log_->Append(EncodeResponses(responses),
                      static_cast<int64_t>(responses.size()));
}

absl::Status SqliteSurveyStore::Replay(
    absl::FunctionRef<void(const ScoredResponse&)> on_response,
    absl::FunctionRef<void(const RoundReset&)> on_reset) {
  return log_->Replay([&](absl::string_view blob) {
    if (IsResetRecord(blob)) {
      RoundReset reset;
      if (absl::Status s = DecodeReset(blob, reset); !s.ok()) return s;
      on_reset(reset);
      return absl::OkStatus();
    }
    return DecodeResponses(blob, on_response);
  });
}

absl::StatusOr<int64_t> SqliteSurveyStore::Remove(
    absl::FunctionRef<bool(const ScoredResponse&)> remove_response,
    absl::FunctionRef<bool(const RoundReset&)> remove_reset,
    absl::Span<const RoundReset> append) {
  int64_t removed = 0;
  std::vector<LogRow> rows;
  for (const RoundReset& reset : append)
    rows.push_back({EncodeReset(reset), 0});
  absl::StatusOr<int64_t> rewritten = log_->Rewrite(
      [&](absl::string_view blob) -> absl::StatusOr<LogRowEdit> {
        if (IsResetRecord(blob)) {
          RoundReset reset;
          if (absl::Status s = DecodeReset(blob, reset); !s.ok()) return s;
          return remove_reset(reset) ? LogRowEdit::Drop() : LogRowEdit::Keep();
        }
        return WithoutResponses(blob, remove_response, removed);
      },
      rows);
  if (!rewritten.ok()) return rewritten.status();
  return removed;
}

absl::StatusOr<int64_t> SqliteSurveyStore::Erase(
    absl::string_view respondent, absl::Span<const RoundReset> resets) {
  if (respondent.empty()) {
    return absl::InvalidArgumentError("no respondent to erase");
  }
  std::set<std::string> rounds;
  for (const RoundReset& r : resets) rounds.insert(r.round);
  return Remove(
      [&](const ScoredResponse& r) { return r.respondent == respondent; },
      [&](const RoundReset& r) { return rounds.contains(r.round); }, resets);
}

absl::StatusOr<int64_t> SqliteSurveyStore::DropRounds(
    const std::set<std::string>& rounds) {
  return Remove(
      [&](const ScoredResponse& r) { return rounds.contains(r.round); },
      [&](const RoundReset& r) { return rounds.contains(r.round); }, {});
}

}  // namespace orgpulse::insights
