// InsightsEngine on a shared store (SurveyStore::shared: several replicas on
// one log), several engines over one in-memory log: each folds the log in
// position order, its own submissions included, so all release the same
// figures at the same position; a rewrite restarts every fold; an erasure
// computed from a stale position is retried from the new one.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/insights/domain/insights_engine.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

// The shared log's contract in memory: positions, rewrites, ids stored once,
// and a conditional erase.
class FakeSharedLog final : public SurveyStore {
 public:
  using Entry = std::variant<ScoredResponse, RoundReset>;

  bool shared() const override { return true; }

  absl::Status Append(absl::Span<const ScoredResponse> responses) override {
    for (const ScoredResponse& r : responses) {
      if (!ids_.insert(r.response_id).second) continue;
      log_.emplace_back(++head_.position, r);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<SurveyLogRead> ReadAfter(
      const SurveyLogCursor& from,
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override {
    ++reads_;
    SurveyLogRead read{
        head_, from == SurveyLogCursor{} || from.rewrites != head_.rewrites};
    for (const auto& [position, entry] : log_) {
      if (!read.from_start && position <= from.position) continue;
      if (const auto* r = std::get_if<ScoredResponse>(&entry)) {
        on_response(*r);
      } else {
        on_reset(std::get<RoundReset>(entry));
      }
    }
    return read;
  }
  absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override {
    return ReadAfter({}, on_response, on_reset).status();
  }
  absl::StatusOr<int64_t> EraseAt(
      const SurveyLogCursor& at, absl::string_view respondent,
      absl::Span<const RoundReset> resets) override {
    if (before_erase_) std::exchange(before_erase_, nullptr)();
    if (at != head_) return absl::AbortedError("the survey log moved");
    return Erase(respondent, resets);
  }
  absl::StatusOr<int64_t> Erase(absl::string_view respondent,
                                absl::Span<const RoundReset> resets) override {
    std::set<std::string> rounds;
    for (const RoundReset& r : resets) rounds.insert(r.round);
    int64_t removed = 0;
    std::erase_if(log_, [&](const auto& row) {
      if (const auto* r = std::get_if<ScoredResponse>(&row.second)) {
        if (r->respondent != respondent) return false;
        ids_.erase(r->response_id);
        ++removed;
        return true;
      }
      return rounds.contains(std::get<RoundReset>(row.second).round);
    });
    for (const RoundReset& r : resets) log_.emplace_back(++head_.position, r);
    ++head_.rewrites;
    return removed;
  }
  absl::StatusOr<int64_t> DropRounds(
      const std::set<std::string>& rounds) override {
    return absl::UnimplementedError("not used here");
  }

  // Runs once, inside the next EraseAt, before its check: another replica's
  // change landing between the erasing replica's fold and its erase.
  void BeforeNextErase(std::function<void()> fn) {
    before_erase_ = std::move(fn);
  }
  int reads() const { return reads_; }

 private:
  std::vector<std::pair<int64_t, Entry>> log_;
  std::set<std::string> ids_;
  SurveyLogCursor head_;
  std::function<void()> before_erase_;
  int reads_ = 0;
};

class NoExecution final : public ExecutionSource {
 public:
  std::optional<ExecutionSnapshot> Get(absl::string_view) const override {
    return std::nullopt;
  }
  std::vector<std::string> Teams() const override { return {}; }
  SourceHealth Health() const override { return {.reachable = true}; }
};

// A valid response answering every dimension with `value`.
SurveyResponse Response(const std::string& id, const std::string& team,
                        const std::string& respondent, int value,
                        absl::Duration ago) {
  SurveyResponse r;
  r.response_id = id;
  r.team = team;
  r.round = "r1";
  r.respondent = respondent;
  r.respondent_id_length = respondent.size();
  r.submitted_at = kNow - ago;
  for (int d = 1; d <= kDimensionCount; ++d) {
    r.answers.push_back({static_cast<Dimension>(d), value, false});
  }
  r.enps = 2 * value;
  r.intent_to_stay = value;
  return r;
}

// Every group's figures as a string, for comparing replicas.
std::string Figures(const InsightsEngine& engine) {
  std::string out;
  for (const char* node : {"eng", "eng/a", "eng/b", "eng/c"}) {
    absl::StatusOr<TeamInsights> t = engine.GetTeamInsights(node, "r1");
    if (!t.ok()) {
      absl::StrAppend(&out, node, ": ", t.status().ToString(), "\n");
      continue;
    }
    const MoraleView& m = t->morale;
    absl::StrAppend(&out, node, m.suppressed ? " suppressed" : "");
    if (m.figures) {
      absl::StrAppend(&out, " n=", m.figures->respondents,
                      " enps=", m.figures->enps);
      for (double d : m.figures->dimensions) absl::StrAppend(&out, " ", d);
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

class SharedEngineTest : public ::testing::Test {
 protected:
  std::unique_ptr<InsightsEngine> Replica() {
    auto engine = std::make_unique<InsightsEngine>(
        log_, source_, clock_, InsightsOptions{.min_group_size = 3});
    EXPECT_TRUE(engine->Recover().ok());
    return engine;
  }

  FakeSharedLog log_;
  NoExecution source_;
  FixedClock clock_{kNow};
};

TEST_F(SharedEngineTest, ReplicasFoldTheLogInOrderAndReleaseTheSame) {
  std::unique_ptr<InsightsEngine> a = Replica();
  std::unique_ptr<InsightsEngine> b = Replica();
  // Alternating submissions, each replica unaware of the other's until its
  // next fold: the log order is what counts, not the order each saw.
  int n = 0;
  for (int round = 0; round < 6; ++round) {
    for (InsightsEngine* via : {a.get(), b.get()}) {
      std::vector<SurveyResponse> batch;
      for (int i = 0; i < 2; ++i, ++n) {
        const std::string team = n % 3 == 0   ? "eng/a"
                                 : n % 3 == 1 ? "eng/b"
                                              : "eng/c";
        batch.push_back(Response(absl::StrCat("id-", n), team,
                                 absl::StrCat("p", n % 13), 1 + n % 5,
                                 absl::Minutes(100 - n)));
      }
      ASSERT_TRUE(via->Submit(std::move(batch)).ok());
    }
  }
  // b submitted last and has folded everything; a catches up.
  EXPECT_NE(a->log_cursor(), b->log_cursor());
  ASSERT_TRUE(a->CatchUp().ok());
  EXPECT_EQ(a->log_cursor(), b->log_cursor());
  EXPECT_EQ(a->stats().stored, 24);
  EXPECT_EQ(Figures(*a), Figures(*b));
  EXPECT_EQ(Figures(*Replica()), Figures(*a)) << "a replay from the start";
  // A resubmission through the other replica is a duplicate everywhere.
  ASSERT_TRUE(
      a->Submit({Response("id-0", "eng/a", "p0", 5, absl::Minutes(1))}).ok());
  EXPECT_EQ(a->stats().stored, 24);
}

TEST_F(SharedEngineTest, AnErasureFromAStalePositionIsComputedAgain) {
  std::unique_ptr<InsightsEngine> a = Replica();
  std::unique_ptr<InsightsEngine> b = Replica();
  std::vector<SurveyResponse> first;
  for (int i = 0; i < 4; ++i) {
    first.push_back(Response(absl::StrCat("a", i), "eng/a",
                             absl::StrCat("p", i), 3, absl::Minutes(50 - i)));
  }
  ASSERT_TRUE(a->Submit(first).ok());
  ASSERT_TRUE(b->CatchUp().ok());
  // While b erases p9, a stores p9's first response, which b has not seen:
  // erasing from b's position would miss it.
  log_.BeforeNextErase([&] {
    ASSERT_TRUE(
        a->Submit({Response("late", "eng/b", "p9", 2, absl::Minutes(5))}).ok());
  });
  absl::StatusOr<EraseResult> erased = b->Erase("p9");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased, 1);
  EXPECT_THAT(erased->rounds, ElementsAre("r1"));
  ASSERT_TRUE(a->CatchUp().ok());
  EXPECT_EQ(a->log_cursor(), b->log_cursor());
  EXPECT_EQ(Figures(*a), Figures(*b));
  EXPECT_EQ(a->stats().stored, 4);
}

TEST_F(SharedEngineTest, AnErasureGivesUpWhenTheLogNeverSettles) {
  std::unique_ptr<InsightsEngine> a = Replica();
  ASSERT_TRUE(
      a->Submit({Response("x", "eng/a", "p1", 3, absl::Minutes(5))}).ok());
  // Another replica changes the log before every attempt.
  int n = 0;
  std::function<void()> meddle = [&] {
    std::vector<ScoredResponse> one(1);
    one[0].response_id = absl::StrCat("other-", n++);
    one[0].team = "eng/b";
    one[0].round = "r1";
    one[0].respondent = "someone";
    ASSERT_TRUE(log_.Append(one).ok());
    log_.BeforeNextErase(meddle);
  };
  log_.BeforeNextErase(meddle);
  EXPECT_THAT(a->Erase("p1"), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(n, 8);
}

}  // namespace
}  // namespace orgpulse::insights
