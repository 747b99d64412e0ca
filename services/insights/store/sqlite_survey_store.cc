#include "services/insights/store/sqlite_survey_store.h"

#include <filesystem>

#include "common/storage/binary_codec.h"

namespace orgpulse::insights {
namespace {
constexpr uint8_t kFormatV1 = 1;
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
    absl::FunctionRef<void(const ScoredResponse&)> fn) {
  return log_->Replay(
      [&](absl::string_view blob) { return DecodeResponses(blob, fn); });
}

}  // namespace orgpulse::insights
