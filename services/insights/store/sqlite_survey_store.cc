#include "services/insights/store/sqlite_survey_store.h"

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/storage/atomic_file.h"
#include "services/insights/store/survey_codec.h"
#include "services/insights/store/survey_snapshot_codec.h"

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

// One row: a batch of responses or a round reset.
absl::Status DecodeRow(
    absl::string_view blob,
    absl::FunctionRef<void(const ScoredResponse&)> on_response,
    absl::FunctionRef<void(const RoundReset&)> on_reset) {
  if (IsResetRecord(blob)) {
    RoundReset reset;
    if (absl::Status s = DecodeReset(blob, reset); !s.ok()) return s;
    on_reset(reset);
    return absl::OkStatus();
  }
  return DecodeResponses(blob, on_response);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> SqliteSurveyStore::Open(
    const std::string& dir, const SqliteLogOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(
      (std::filesystem::path(dir) / "responses.db").string(), options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<SqliteSurveyStore>(new SqliteSurveyStore(
      *std::move(log),
      (std::filesystem::path(dir) / "survey.snapshot").string()));
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
    return DecodeRow(blob, on_response, on_reset);
  });
}

SurveyLogCursor SqliteSurveyStore::Cursor() const {
  return {log_->last_seq(), static_cast<int64_t>(log_->epoch())};
}

absl::StatusOr<SurveyLogRead> SqliteSurveyStore::ReadAfter(
    const SurveyLogCursor& from,
    absl::FunctionRef<void(const ScoredResponse&)> on_response,
    absl::FunctionRef<void(const RoundReset&)> on_reset) {
  SurveyLogRead read;
  read.cursor = Cursor();
  read.from_start =
      from == SurveyLogCursor{} || from.rewrites != read.cursor.rewrites;
  // Decoded whole before the first call, as the contract asks.
  std::vector<std::variant<ScoredResponse, RoundReset>> records;
  absl::Status s = log_->ReplayAfter(
      read.from_start ? 0 : from.position, [&](absl::string_view blob) {
        return DecodeRow(
            blob, [&](const ScoredResponse& r) { records.emplace_back(r); },
            [&](const RoundReset& r) { records.emplace_back(r); });
      });
  if (!s.ok()) return s;
  for (const auto& record : records) {
    if (const auto* r = std::get_if<ScoredResponse>(&record)) {
      on_response(*r);
    } else {
      on_reset(std::get<RoundReset>(record));
    }
  }
  return read;
}

absl::StatusOr<SurveySnapshot> SqliteSurveyStore::SnapshotMark(
    const SurveyLogCursor&) {
  if (log_->epoch() == 0) {
    return absl::FailedPreconditionError(
        "the survey log has no epoch recorded: no snapshot could be matched "
        "to it");
  }
  SurveySnapshot mark;
  mark.cursor = Cursor();
  return mark;
}

absl::Status SqliteSurveyStore::SaveSnapshot(const SurveySnapshot& snapshot) {
  const std::string bytes = SealSurveySnapshot(snapshot);
  absl::MutexLock lock(&snapshot_mu_);
  if (static_cast<int64_t>(epoch_) != snapshot.cursor.rewrites) {
    return absl::AbortedError(
        "the survey log was rewritten (an erasure or a retention drop) since "
        "the snapshot was taken; not saved");
  }
  return WriteFileAtomically(snapshot_path_, {bytes});
}

absl::StatusOr<SurveySnapshot> SqliteSurveyStore::LoadSnapshot() {
  absl::StatusOr<std::string> bytes;
  {
    absl::MutexLock lock(&snapshot_mu_);
    bytes = ReadWholeFile(snapshot_path_);
  }
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<SurveySnapshot> snapshot = OpenSurveySnapshot(*bytes);
  if (!snapshot.ok()) {
    return absl::DataLossError(
        absl::StrCat(snapshot_path_, ": ", snapshot.status().message()));
  }
  const SurveyLogCursor log = Cursor();
  if (snapshot->cursor.rewrites != log.rewrites) {
    return absl::FailedPreconditionError(absl::StrCat(
        snapshot_path_,
        " is of another survey log or from before an erasure or retention "
        "drop (epoch differs)"));
  }
  if (snapshot->cursor.position > log.position) {
    return absl::FailedPreconditionError(absl::StrCat(
        snapshot_path_, " covers the log up to row ", snapshot->cursor.position,
        ", beyond its last row ", log.position));
  }
  return snapshot;
}

absl::StatusOr<int64_t> SqliteSurveyStore::Remove(
    absl::FunctionRef<bool(const ScoredResponse&)> remove_response,
    absl::FunctionRef<bool(const RoundReset&)> remove_reset,
    absl::Span<const RoundReset> append) {
  // The snapshot holds what is removed: gone for good before the rewrite,
  // and none saved until the rewrite's new epoch is known (see the header).
  absl::MutexLock lock(&snapshot_mu_);
  if (absl::Status s = ScrubAndRemoveFile(snapshot_path_); !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("nothing removed: the survey snapshot could "
                               "not be deleted first: ",
                               s.message()));
  }
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
  epoch_ = log_->epoch();
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
