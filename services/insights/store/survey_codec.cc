#include "services/insights/store/survey_codec.h"

#include <utility>

#include "common/storage/binary_codec.h"

namespace orgpulse::insights {
namespace {
// A row's first byte: a batch of responses, or a round reset (an erasure).
constexpr uint8_t kFormatV1 = 1;
constexpr uint8_t kResetV1 = 2;

}  // namespace

bool IsResetRecord(absl::string_view blob) {
  return !blob.empty() && static_cast<uint8_t>(blob[0]) == kResetV1;
}

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

}  // namespace orgpulse::insights
