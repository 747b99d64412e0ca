// Fuzzes the decoder of insights' survey snapshots (SurveyState::Decode,
// services/insights/domain/survey_state_codec.cc): the bytes a restart reads
// back from the data directory or the database.
//
// Input: the first byte picks the mode and k (3 + byte / 2 % 5):
//   even: the rest is decoded as a snapshot, as it is;
//   odd:  the rest drives a small history (FuzzedDataProvider: responses of
//         6 people to 4 teams in 2 rounds, late and changed answers, moves,
//         an erasure's resets), whose snapshot is taken; up to 8 of the
//         history's bytes then overwrite snapshot bytes (offset, value)
//         before it is decoded, so damage lands in deep, valid structure.
//
// Invariants:
// - never a crash, a sanitizer report or an exception: a damaged snapshot
//   is refused (DATA_LOSS / FAILED_PRECONDITION) or decodes into a state
//   that answers every query and folds on;
// - an undamaged snapshot decodes, and the decoded state answers exactly
//   as the original (every node and round, doubles bit for bit), before
//   and after one more response.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {
namespace {

const char* const kTeams[] = {"a/x", "a/y", "a/y/z", "b"};
const char* const kNodes[] = {"", "a", "a/x", "a/y", "a/y/z", "b", "c"};
const char* const kRounds[] = {"", "r1", "r2", "r3"};

std::string Describe(const std::optional<GroupMorale>& m) {
  if (!m) return "-";
  std::string out = absl::StrCat(m->respondents, "/");
  auto bits = [&](double d) {
    uint64_t b;
    std::memcpy(&b, &d, sizeof b);
    absl::StrAppend(&out, b, ",");
  };
  for (double d : m->dimensions) bits(d);
  bits(m->enps);
  bits(m->intent_to_stay);
  absl::StrAppend(&out, absl::ToUnixMicros(m->as_of));
  return out;
}

// Everything a client can read of the state.
std::string Views(const SurveyState& s) {
  std::string out = absl::StrCat(s.response_count(), ";");
  for (const std::string& t : s.teams()) absl::StrAppend(&out, t, ",");
  for (const std::string& r : s.rounds()) {
    absl::StrAppend(&out, r, "=", s.release_steps(r), ";");
  }
  for (const char* node : kNodes) {
    for (const char* round : kRounds) {
      const MoraleView v = s.Morale(node, round);
      absl::StrAppend(&out, node, "@", round, ":", v.round, v.suppressed,
                      Describe(v.figures), v.previous_round,
                      Describe(v.previous), ";");
    }
  }
  for (int p = 0; p < 6; ++p) {
    for (const RoundReset& r : s.ErasureResets(absl::StrCat("p", p))) {
      absl::StrAppend(&out, r.round, r.steps, r.published.size(), ";");
    }
  }
  return out;
}

ScoredResponse NextResponse(FuzzedDataProvider& in, int id) {
  ScoredResponse r;
  r.response_id = absl::StrCat("id", in.ConsumeIntegralInRange(0, id));
  r.respondent = absl::StrCat("p", in.ConsumeIntegralInRange(0, 5));
  r.team = kTeams[in.ConsumeIntegralInRange(0, 3)];
  r.round = kRounds[in.ConsumeIntegralInRange(1, 2)];
  r.submitted_at = absl::FromUnixSeconds(in.ConsumeIntegralInRange(0, 50));
  for (double& d : r.dimension_scores) {
    d = in.ConsumeIntegralInRange(0, 16) * 6.25;
  }
  r.enps = in.ConsumeIntegralInRange(0, 10);
  r.intent_to_stay = in.ConsumeIntegralInRange(1, 5);
  return r;
}

// Whatever it decoded into, it answers and folds on.
void Exercise(SurveyState& s, FuzzedDataProvider& in, int id) {
  Views(s);
  s.Apply(NextResponse(in, id));
  Views(s);
}

}  // namespace
}  // namespace orgpulse::insights

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orgpulse::insights;
  if (size < 1) return 0;
  const int k = 3 + data[0] / 2 % 5;
  if (data[0] % 2 == 0) {
    absl::StatusOr<SurveyState> s = SurveyState::Decode(
        absl::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
        k);
    if (s.ok()) {
      FuzzedDataProvider none(nullptr, 0);
      Exercise(*s, none, 0);
    }
    return 0;
  }
  FuzzedDataProvider in(data + 1, size - 1);
  SurveyState state(k);
  int id = 0;
  const int steps = in.ConsumeIntegralInRange(0, 60);
  for (int i = 0; i < steps && in.remaining_bytes() > 0; ++i) {
    if (in.ConsumeIntegralInRange(0, 15) == 0) {
      // An erasure's resets; the person's responses stay (the fold does
      // not mind, and the snapshot must carry whatever the fold holds).
      for (const RoundReset& r : state.ErasureResets(
               absl::StrCat("p", in.ConsumeIntegralInRange(0, 5)))) {
        state.ApplyReset(r);
      }
      continue;
    }
    state.Apply(NextResponse(in, id++));
  }
  std::string bytes;
  state.Encode(bytes);
  const int damage = in.ConsumeIntegralInRange(0, 8);
  if (damage == 0) {
    absl::StatusOr<SurveyState> decoded = SurveyState::Decode(bytes, k);
    if (!decoded.ok() || Views(*decoded) != Views(state)) std::abort();
    const ScoredResponse next = NextResponse(in, id);
    decoded->Apply(next);
    state.Apply(next);
    if (Views(*decoded) != Views(state)) std::abort();
    return 0;
  }
  for (int i = 0; i < damage && !bytes.empty(); ++i) {
    const size_t at = in.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1);
    bytes[at] = static_cast<char>(in.ConsumeIntegral<uint8_t>());
  }
  absl::StatusOr<SurveyState> decoded = SurveyState::Decode(bytes, k);
  if (decoded.ok()) Exercise(*decoded, in, id);
  return 0;
}
