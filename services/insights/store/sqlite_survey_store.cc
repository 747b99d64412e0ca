#include "services/insights/store/sqlite_survey_store.h"

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/storage/binary_codec.h"

namespace orgpulse::insights {
namespace {
// A row's first byte: a batch of responses, or a round reset (an erasure).
constexpr uint8_t kFormatV1 = 1;
constexpr uint8_t kResetV1 = 2;

std::string EncodeReset(const RoundReset& reset) {
  std::string out;
  BinaryWriter w(out);
  w.Byte(kResetV1);
  w.String(reset.round);
  w.Varint(static_cast<uint64_t>(reset.steps));
  w.Varint(reset.published.size());
  for (const auto& [node, m] : reset.published) {
    w.String(node);
    w.Varint(static_cast<uint64_t>(m.respondents));
    for (double d : m.dimensions) w.Double(d);
    w.Double(m.enps);
    w.Double(m.intent_to_stay);
    w.Time(m.as_of);
  }
  return out;
}

absl::Status DecodeReset(absl::string_view blob, RoundReset& reset) {
  BinaryReader r(blob);
  r.Byte();
  r.String(reset.round);
  reset.steps = static_cast<int64_t>(r.Varint());
  const uint64_t count = r.Varint();
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    std::string node;
    GroupMorale m;
    r.String(node);
    m.respondents = static_cast<int64_t>(r.Varint());
    for (double& d : m.dimensions) r.Double(d);
    r.Double(m.enps);
    r.Double(m.intent_to_stay);
    r.Time(m.as_of);
    reset.published.emplace(std::move(node), m);
  }
  if (!r.ok() || !r.done()) {
    return absl::DataLossError("stored round reset: truncated or malformed");
  }
  return absl::OkStatus();
}

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

std::string EncodeResponses(absl::Span<const ScoredResponse> responses) {
  std::string out;
  BinaryWriter w(out);
  w.Byte(kFormatV1);
  w.Varint(responses.size());
  for (const ScoredResponse& r : responses) {
    w.String(r.response_id);
    w.String(r.team);
    w.String(r.round);
    w.String(r.respondent);
    w.Time(r.submitted_at);
    for (double d : r.dimension_scores) w.Double(d);
    w.Varint(static_cast<uint64_t>(r.enps));
    w.Varint(static_cast<uint64_t>(r.intent_to_stay));
  }
  return out;
}

absl::Status DecodeResponses(
    absl::string_view blob, absl::FunctionRef<void(const ScoredResponse&)> fn) {
  BinaryReader r(blob);
  if (r.Byte() != kFormatV1) {
    return absl::DataLossError("stored responses: unknown format");
  }
  const uint64_t count = r.Varint();
  ScoredResponse s;
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    r.String(s.response_id);
    r.String(s.team);
    r.String(s.round);
    r.String(s.respondent);
    r.Time(s.submitted_at);
    for (double& d : s.dimension_scores) r.Double(d);
    s.enps = static_cast<int>(r.Varint());
    s.intent_to_stay = static_cast<int>(r.Varint());
    if (r.ok()) fn(s);
  }
  if (!r.ok() || !r.done()) {
    return absl::DataLossError(
        "stored responses: truncated or malformed batch");
  }
  return absl::OkStatus();
}

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
    if (!blob.empty() && static_cast<uint8_t>(blob[0]) == kResetV1) {
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
        if (!blob.empty() && static_cast<uint8_t>(blob[0]) == kResetV1) {
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
