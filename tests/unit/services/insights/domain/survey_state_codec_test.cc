// SurveyState's snapshots: a state decoded from a snapshot folds on exactly
// as the state it was taken from (random seeded histories), and damaged
// bytes are refused, never a crash.
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {
namespace {

constexpr int kK = 3;
const char* const kTeams[] = {"d0/a", "d0/b", "d0/b/x", "d0/c",
                              "d1",   "d1/a", "d1/b",   "d2/a/b/c"};
const char* const kRounds[] = {"r1", "r2", "r3"};

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// Every field, doubles bit for bit.
std::string Describe(const std::optional<GroupMorale>& m) {
  if (!m) return "none";
  std::string out =
      absl::StrCat(m->respondents, " ", Bits(m->enps), " ",
                   Bits(m->intent_to_stay), " ", absl::FormatTime(m->as_of));
  for (double d : m->dimensions) absl::StrAppend(&out, " ", Bits(d));
  return out;
}

// What the state says of every node and round, as text to compare.
std::string Everything(const SurveyState& s) {
  std::vector<std::string> nodes = {"",   "nobody", "d0",    "d0/b",
                                    "d2", "d2/a",   "d2/a/b"};
  for (const char* t : kTeams) nodes.push_back(t);
  std::string out = absl::StrCat("responses=", s.response_count(), "\n");
  for (const std::string& t : s.teams())
    absl::StrAppend(&out, "team ", t, "\n");
  std::vector<std::string> rounds = {""};
  for (const std::string& r : s.rounds()) {
    rounds.push_back(r);
    absl::StrAppend(&out, "round ", r, " steps=", s.release_steps(r), "\n");
  }
  for (const std::string& node : nodes) {
    for (const std::string& round : rounds) {
      const MoraleView v = s.Morale(node, round);
      absl::StrAppend(&out, node, "@", round, ": ", v.round, " ", v.suppressed,
                      " ", Describe(v.figures), " prev ", v.previous_round, " ",
                      Describe(v.previous), "\n");
    }
  }
  return out;
}

SurveyState RoundTrip(const SurveyState& s) {
  std::string bytes;
  s.Encode(bytes);
  absl::StatusOr<SurveyState> decoded = SurveyState::Decode(bytes, kK);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return *std::move(decoded);
}

using Record = std::variant<ScoredResponse, RoundReset>;

SurveyState Replay(const std::vector<Record>& log) {
  SurveyState s(kK);
  for (const Record& r : log) {
    if (const auto* response = std::get_if<ScoredResponse>(&r)) {
      s.Apply(*response);
    } else {
      s.ApplyReset(std::get<RoundReset>(r));
    }
  }
  return s;
}

// A random history: responses from 24 people to 3 rounds, late answers
// (older submitted_at), changed answers, moves between teams, repeated ids,
// and erasures (the log rewritten, the state rebuilt from it, as the engine
// does). State A folds it all; state B goes through a snapshot at random
// points (and right after every erasure, as the engine writes one then).
// After every step both must say the same of everything.
void CheckHistory(uint64_t seed) {
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<Record> log;
  SurveyState a(kK), b(kK);
  int next_id = 0;
  for (int step = 0; step < 400; ++step) {
    const int what = pick(100);
    if (what < 3) {
      // An erasure: resets from the live state, the log without the person.
      const std::string person = absl::StrCat("p", pick(24));
      const std::vector<RoundReset> resets = a.ErasureResets(person);
      std::set<std::string> reset_rounds;
      for (const RoundReset& r : resets) reset_rounds.insert(r.round);
      std::vector<Record> kept;
      for (Record& r : log) {
        if (const auto* response = std::get_if<ScoredResponse>(&r)) {
          if (response->respondent == person) continue;
        } else if (reset_rounds.contains(std::get<RoundReset>(r).round)) {
          continue;
        }
        kept.push_back(std::move(r));
      }
      for (const RoundReset& r : resets) kept.push_back(r);
      log = std::move(kept);
      a = Replay(log);
      b = RoundTrip(Replay(log));
    } else {
      ScoredResponse r;
      // Now and then an id seen before (a duplicate, ignored by both).
      r.response_id = absl::StrCat(
          "id", what < 8 && next_id > 0 ? pick(next_id) : next_id++);
      r.respondent = absl::StrCat("p", pick(24));
      r.team = kTeams[pick(8)];
      r.round = kRounds[pick(3)];
      r.submitted_at = absl::FromUnixSeconds(1000 + pick(2000));
      for (double& d : r.dimension_scores) d = pick(17) * 6.25 / 3.0;
      r.enps = pick(11);
      r.intent_to_stay = 1 + pick(5);
      if (!a.HasResponseId(r.response_id)) log.push_back(r);
      ASSERT_EQ(a.Apply(r), b.Apply(r));
    }
    if (pick(10) == 0) b = RoundTrip(b);
    ASSERT_EQ(Everything(a), Everything(b)) << "after step " << step;
    for (int p = 0; p < 24; p += 5) {
      const std::string person = absl::StrCat("p", p);
      const std::vector<RoundReset> ra = a.ErasureResets(person);
      const std::vector<RoundReset> rb = b.ErasureResets(person);
      ASSERT_EQ(ra.size(), rb.size());
      for (size_t i = 0; i < ra.size(); ++i) {
        ASSERT_EQ(ra[i].round, rb[i].round);
        ASSERT_EQ(ra[i].steps, rb[i].steps);
        ASSERT_EQ(ra[i].published.size(), rb[i].published.size());
      }
    }
  }
}

TEST(SurveyStateCodecTest, ADecodedStateFoldsOnExactlyAsTheOriginal) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    CheckHistory(seed);
    if (HasFatalFailure()) return;
  }
}

TEST(SurveyStateCodecTest, AnEmptyStateRoundTrips) {
  SurveyState empty(kK);
  SurveyState decoded = RoundTrip(empty);
  EXPECT_EQ(Everything(decoded), Everything(empty));
}

SurveyState Sample() {
  SurveyState s(kK);
  for (int i = 0; i < 12; ++i) {
    ScoredResponse r;
    r.response_id = absl::StrCat("id", i);
    r.respondent = absl::StrCat("p", i % 7);
    r.team = kTeams[i % 4];
    r.round = kRounds[i % 2];
    r.submitted_at = absl::FromUnixSeconds(1000 + i);
    r.dimension_scores.fill(12.5 * (i % 8));
    r.enps = i % 11;
    r.intent_to_stay = 1 + i % 5;
    s.Apply(r);
  }
  return s;
}

TEST(SurveyStateCodecTest, AnotherMinGroupSizeOrFormatIsRefused) {
  std::string bytes;
  Sample().Encode(bytes);
  absl::StatusOr<SurveyState> other_k = SurveyState::Decode(bytes, kK + 1);
  EXPECT_EQ(other_k.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other_k.status().message()),
              ::testing::HasSubstr("min_group_size=3"));
  bytes[0] = 99;
  EXPECT_EQ(SurveyState::Decode(bytes, kK).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SurveyStateCodecTest, EveryTruncationIsRefused) {
  std::string bytes;
  Sample().Encode(bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    absl::StatusOr<SurveyState> s =
        SurveyState::Decode(absl::string_view(bytes).substr(0, n), kK);
    ASSERT_FALSE(s.ok()) << n;
    ASSERT_TRUE(absl::IsDataLoss(s.status()) ||
                absl::IsFailedPrecondition(s.status()))
        << n << ": " << s.status();
  }
  std::string longer = bytes + "x";
  EXPECT_EQ(SurveyState::Decode(longer, kK).status().code(),
            absl::StatusCode::kDataLoss);
}

// The checksum is the store's; the decoder must still survive anything: every
// byte changed to a few values either decodes into a state that answers, or
// is refused.
TEST(SurveyStateCodecTest, DamagedBytesNeverCrash) {
  std::string bytes;
  Sample().Encode(bytes);
  int refused = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(v);
      absl::StatusOr<SurveyState> s = SurveyState::Decode(damaged, kK);
      if (!s.ok()) {
        ++refused;
        continue;
      }
      // Whatever it decoded into, it folds and answers.
      Everything(*s);
      ScoredResponse r;
      r.response_id = "new";
      r.respondent = "p1";
      r.team = "d0/a";
      r.round = "r1";
      r.enps = 5;
      r.intent_to_stay = 3;
      s->Apply(r);
      s->ErasureResets("p2");
      Everything(*s);
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace orgpulse::insights
