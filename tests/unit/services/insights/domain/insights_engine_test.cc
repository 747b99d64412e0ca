// InsightsEngine over an in-memory store that can be told to fail and a fake
// ExecutionSource: submission (idempotent, all or nothing), queries, the
// privacy rules as the API applies them, and an attacker that solves
// everything the engine answers over several rounds.
#include "services/insights/domain/insights_engine.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/org/team_id.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/linear_privacy_solver.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::LinearPrivacySolver;
using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr double kEps = 1e-9;
const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

// The store's contract in memory: responses and resets in log order.
class FakeStore final : public SurveyStore {
 public:
  using Entry = std::variant<ScoredResponse, RoundReset>;

  absl::Status Append(absl::Span<const ScoredResponse> responses) override {
    ++appends_;
    if (!fail_.ok()) return fail_;
    log_.insert(log_.end(), responses.begin(), responses.end());
    return absl::OkStatus();
  }
  absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override {
    for (const Entry& e : log_) {
      if (const auto* r = std::get_if<ScoredResponse>(&e)) {
        on_response(*r);
      } else {
        on_reset(std::get<RoundReset>(e));
      }
    }
    return replay_status_;
  }
  absl::StatusOr<int64_t> Erase(absl::string_view respondent,
                                absl::Span<const RoundReset> resets) override {
    if (!fail_.ok()) return fail_;
    std::set<std::string> rounds;
    for (const RoundReset& r : resets) rounds.insert(r.round);
    const int64_t erased = RemoveIf(
        [&](const ScoredResponse& r) { return r.respondent == respondent; },
        rounds);
    log_.insert(log_.end(), resets.begin(), resets.end());
    Rewritten();
    return erased;
  }
  absl::StatusOr<int64_t> DropRounds(
      const std::set<std::string>& rounds) override {
    if (!fail_.ok()) return fail_;
    const int64_t dropped = RemoveIf(
        [&](const ScoredResponse& r) { return rounds.contains(r.round); },
        rounds);
    Rewritten();
    return dropped;
  }

  // Snapshots, as SqliteSurveyStore keeps them: positions count log
  // entries, a removal draws a new epoch and deletes the snapshot.
  absl::StatusOr<SurveyLogRead> ReadAfter(
      const SurveyLogCursor& from,
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override {
    SurveyLogRead read{.cursor = Cursor()};
    read.from_start = from == SurveyLogCursor{} || from.rewrites != epoch_;
    for (size_t i = read.from_start ? 0 : from.position; i < log_.size(); ++i) {
      if (const auto* r = std::get_if<ScoredResponse>(&log_[i])) {
        on_response(*r);
      } else {
        on_reset(std::get<RoundReset>(log_[i]));
      }
    }
    return read;
  }
  absl::StatusOr<SurveySnapshot> SnapshotMark(const SurveyLogCursor&) override {
    return SurveySnapshot{.cursor = Cursor()};
  }
  absl::Status SaveSnapshot(const SurveySnapshot& snapshot) override {
    absl::MutexLock lock(&snapshot_mu_);
    if (snapshot.cursor.rewrites != epoch_) {
      return absl::AbortedError("rewritten since");
    }
    snapshot_ = snapshot;
    ++saved_;
    return absl::OkStatus();
  }
  absl::StatusOr<SurveySnapshot> LoadSnapshot() override {
    absl::MutexLock lock(&snapshot_mu_);
    if (!snapshot_) return absl::NotFoundError("none");
    return *snapshot_;
  }
  std::optional<SurveySnapshot> snapshot() {
    absl::MutexLock lock(&snapshot_mu_);
    return snapshot_;
  }
  void DamageSnapshot() {
    absl::MutexLock lock(&snapshot_mu_);
    snapshot_->state.resize(snapshot_->state.size() / 2);
  }
  int saved() {
    absl::MutexLock lock(&snapshot_mu_);
    return saved_;
  }

  void FailWith(absl::Status s) { fail_ = std::move(s); }
  void FailReplayWith(absl::Status s) { replay_status_ = std::move(s); }
  std::vector<ScoredResponse> stored() const {
    std::vector<ScoredResponse> out;
    for (const Entry& e : log_) {
      if (const auto* r = std::get_if<ScoredResponse>(&e)) out.push_back(*r);
    }
    return out;
  }
  const std::vector<Entry>& log() const { return log_; }
  int appends() const { return appends_; }

 private:
  // Removes the responses `remove` picks and the resets of `rounds`.
  template <typename Pred>
  int64_t RemoveIf(Pred remove, const std::set<std::string>& rounds) {
    int64_t removed = 0;
    std::erase_if(log_, [&](const Entry& e) {
      if (const auto* r = std::get_if<ScoredResponse>(&e)) {
        removed += remove(*r) ? 1 : 0;
        return remove(*r);
      }
      return rounds.contains(std::get<RoundReset>(e).round);
    });
    return removed;
  }

  SurveyLogCursor Cursor() const {
    return {static_cast<int64_t>(log_.size()), epoch_};
  }
  void Rewritten() {
    absl::MutexLock lock(&snapshot_mu_);
    ++epoch_;
    snapshot_.reset();
  }

  absl::Status fail_;
  absl::Status replay_status_;
  std::vector<Entry> log_;
  int appends_ = 0;
  absl::Mutex snapshot_mu_;  // the engine saves on a thread of its own
  int64_t epoch_ = 1;
  std::optional<SurveySnapshot> snapshot_;
  int saved_ = 0;
};

class FakeSource final : public ExecutionSource {
 public:
  std::optional<ExecutionSnapshot> Get(absl::string_view node) const override {
    auto it = snapshots_.find(std::string(node));
    if (it == snapshots_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> Teams() const override { return teams_; }
  SourceHealth Health() const override { return health_; }

  void Set(const std::string& node, ExecutionSnapshot s) {
    snapshots_[node] = s;
  }
  void AddTeam(const std::string& team) { teams_.push_back(team); }
  void SetReachable(bool reachable, std::string error = "") {
    health_.reachable = reachable;
    health_.last_error = std::move(error);
  }

 private:
  std::map<std::string, ExecutionSnapshot> snapshots_;
  std::vector<std::string> teams_;
  SourceHealth health_{
      .reachable = true, .last_success = kNow, .last_error = ""};
};

// A valid response answering every dimension with `value`.
SurveyResponse Response(const std::string& id, const std::string& team,
                        const std::string& round, const std::string& respondent,
                        int value = 3, int enps = 8, int intent = 3,
                        absl::Time at = kNow - absl::Hours(1)) {
  SurveyResponse r;
  r.response_id = id;
  r.team = team;
  r.round = round;
  r.respondent = respondent;
  r.respondent_id_length = respondent.size();
  r.submitted_at = at;
  for (int d = 1; d <= kDimensionCount; ++d) {
    r.answers.push_back({static_cast<Dimension>(d), value, false});
  }
  r.enps = enps;
  r.intent_to_stay = intent;
  return r;
}

// n respondents of `team` answering `value` everywhere.
std::vector<SurveyResponse> Team(const std::string& team,
                                 const std::string& round, int n, int value = 3,
                                 int enps = 8, int intent = 3) {
  std::vector<SurveyResponse> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Response(absl::StrCat(round, ":", team, ":", i), team, round,
                           absl::StrCat(team, "#", i), value, enps, intent));
  }
  return out;
}

ExecutionSnapshot Snapshot(double on_time, absl::Time fetched_at) {
  ExecutionSnapshot s;
  s.inputs.on_time_ratio = on_time;
  s.as_of = fetched_at - absl::Seconds(5);
  s.fetched_at = fetched_at;
  return s;
}

class InsightsEngineTest : public ::testing::Test {
 protected:
  InsightsEngine& Engine(InsightsOptions options = {}) {
    engine_ =
        std::make_unique<InsightsEngine>(store_, source_, clock_, options);
    EXPECT_TRUE(engine_->Recover().ok());
    return *engine_;
  }

  FakeStore store_;
  FakeSource source_;
  FixedClock clock_{kNow};
  std::unique_ptr<InsightsEngine> engine_;
};

// --- Submit ------------------------------------------------------------------

TEST_F(InsightsEngineTest, SubmitStoresScoredResponsesAndReleases) {
  InsightsEngine& engine = Engine();
  absl::StatusOr<SubmitResult> r = engine.Submit(Team("eng/a", "r1", 5, 4));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 5);
  EXPECT_EQ(r->duplicates, 0);
  ASSERT_EQ(store_.stored().size(), 5u);
  EXPECT_EQ(store_.appends(), 1);  // one atomic append per batch
  EXPECT_EQ(store_.stored()[0].respondent, "eng/a#0");
  EXPECT_NEAR(store_.stored()[0].dimension_scores[0], 75, kEps);

  absl::StatusOr<TeamInsights> t = engine.GetTeamInsights("eng/a", "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->team, "eng/a");
  EXPECT_THAT(t->teams, ElementsAre("eng/a"));
  EXPECT_EQ(t->morale.round, "r1");
  ASSERT_TRUE(t->morale.figures.has_value());
  EXPECT_EQ(t->morale.figures->respondents, 5);
  const InsightsStats stats = engine.stats();
  EXPECT_EQ(stats.accepted, 5);
  EXPECT_EQ(stats.stored, 5);
}

TEST_F(InsightsEngineTest, DuplicatesByResponseIdChangeNothing) {
  InsightsEngine& engine = Engine();
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 5, 4)).ok());
  // Resent with other content under the same ids: duplicates, not stored.
  absl::StatusOr<SubmitResult> r = engine.Submit(Team("eng/a", "r1", 5, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 0);
  EXPECT_EQ(r->duplicates, 5);
  EXPECT_EQ(store_.stored().size(), 5u);
  EXPECT_EQ(store_.appends(), 1);
  // Twice within one batch: the first counts.
  std::vector<SurveyResponse> batch = Team("ops/b", "r1", 1, 2);
  batch.push_back(batch[0]);
  batch.back().answers[0].value = 5;
  r = engine.Submit(batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1);
  EXPECT_EQ(r->duplicates, 1);
  EXPECT_EQ(store_.stored().size(), 6u);
  EXPECT_NEAR(store_.stored().back().dimension_scores[0], 25, kEps);

  const TeamInsights t = *engine.GetTeamInsights("eng/a", "");
  ASSERT_TRUE(t.morale.figures.has_value());
  EXPECT_NEAR(t.morale.figures->dimensions[0], 75, kEps);
  EXPECT_EQ(engine.stats().duplicates, 6);
}

TEST_F(InsightsEngineTest, InvalidBatchStoresNothing) {
  InsightsEngine& engine = Engine();
  std::vector<SurveyResponse> batch = Team("eng/a", "r1", 3);
  batch[1].enps = 11;
  batch[2].team = "Eng";
  absl::StatusOr<SubmitResult> r = engine.Submit(batch);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("nothing was stored")));
  const std::vector<FieldViolation> v = GetFieldViolations(r.status());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].field, "responses[1].enps");
  EXPECT_EQ(v[1].field, "responses[2].team");
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("eng/a#")));
  EXPECT_TRUE(store_.stored().empty());
  EXPECT_EQ(store_.appends(), 0);
  EXPECT_THAT(engine.GetTeamInsights("eng/a", ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(engine.stats().rejected_invalid, 3);
  // The valid responses were not remembered either: resending them works.
  batch.resize(1);
  ASSERT_EQ(engine.Submit(batch)->accepted, 1);
}

TEST_F(InsightsEngineTest, StoreFailureStoresNothingAndCanBeRetried) {
  InsightsEngine& engine = Engine({.min_group_size = 3});
  store_.FailWith(absl::ResourceExhaustedError("disk full"));
  const std::vector<SurveyResponse> batch = Team("eng/a", "r1", 3);
  EXPECT_THAT(engine.Submit(batch),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(engine.GetTeamInsights("eng/a", ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(engine.stats().rejected_storage, 3);
  EXPECT_EQ(engine.stats().accepted, 0);

  store_.FailWith(absl::OkStatus());
  absl::StatusOr<SubmitResult> r = engine.Submit(batch);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, 3);
  EXPECT_EQ(r->duplicates, 0);
  EXPECT_EQ(engine.GetTeamInsights("eng/a", "")->morale.figures->respondents,
            3);
}

TEST_F(InsightsEngineTest, TeamCapRefusesTheWholeBatch) {
  InsightsEngine& engine = Engine({.min_group_size = 3, .max_teams = 2});
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 1)).ok());
  ASSERT_TRUE(engine.Submit(Team("eng/b", "r1", 1)).ok());
  std::vector<SurveyResponse> batch = Team("eng/a", "r2", 2);
  for (SurveyResponse& r : Team("eng/c", "r2", 1)) batch.push_back(r);
  EXPECT_THAT(
      engine.Submit(batch),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("--max_teams")));
  EXPECT_EQ(store_.stored().size(), 2u);
  EXPECT_EQ(engine.stats().rejected_team_limit, 3);
  // Known teams still take responses.
  batch.pop_back();
  EXPECT_EQ(engine.Submit(batch)->accepted, 2);
  EXPECT_EQ(store_.stored().size(), 4u);
}

TEST_F(InsightsEngineTest, TeamCapCountsNewTeamsOfOneBatch) {
  InsightsEngine& engine = Engine({.max_teams = 2});
  std::vector<SurveyResponse> batch;
  for (const char* team : {"a", "b", "c"})
    batch.push_back(Team(team, "r1", 1)[0]);
  EXPECT_THAT(engine.Submit(batch),
              StatusIs(absl::StatusCode::kResourceExhausted));
  batch.pop_back();
  EXPECT_TRUE(engine.Submit(batch).ok());
}

TEST_F(InsightsEngineTest, LaterResponseWinsRegardlessOfArrival) {
  InsightsEngine& engine = Engine({.min_group_size = 3});
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 2, 1)).ok());
  // p's later answer (5 -> 100) arrives first, the earlier (1 -> 0) second.
  ASSERT_TRUE(engine
                  .Submit({Response("late", "eng/a", "r1", "p", 5, 8, 3,
                                    kNow - absl::Minutes(10))})
                  .ok());
  ASSERT_TRUE(engine
                  .Submit({Response("early", "eng/a", "r1", "p", 1, 8, 3,
                                    kNow - absl::Minutes(20))})
                  .ok());
  const TeamInsights t = *engine.GetTeamInsights("eng/a", "");
  EXPECT_EQ(t.morale.figures->respondents, 3);
  EXPECT_NEAR(t.morale.figures->dimensions[0], 100.0 / 3, kEps);
}

// --- Queries -----------------------------------------------------------------

TEST_F(InsightsEngineTest, SuppressedGroupSaysNothingDerivedFromAnswers) {
  source_.Set("eng/a", Snapshot(0.5, kNow));
  InsightsEngine& engine = Engine();  // k = 5
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 4, 1, 0, 1)).ok());
  const TeamInsights t = *engine.GetTeamInsights("eng/a", "");
  EXPECT_EQ(t.morale.round, "r1");
  EXPECT_TRUE(t.morale.suppressed);
  EXPECT_FALSE(t.morale.figures.has_value());
  EXPECT_FALSE(t.morale.previous.has_value());
  const Assessment& a = t.assessment;
  EXPECT_FALSE(a.people_score.has_value());
  EXPECT_FALSE(a.burnout_risk.has_value());
  EXPECT_FALSE(a.turnover_risk.has_value());
  EXPECT_EQ(a.quadrant, Quadrant::kInsufficientData);
  // The execution side is still there, and only it drives.
  EXPECT_NEAR(*a.execution_score, 50, kEps);
  ASSERT_THAT(a.drivers, ::testing::SizeIs(1));
  EXPECT_EQ(a.drivers[0].name, "on_time_ratio");
  EXPECT_FALSE(CombinedRisk(t).has_value());
}

TEST_F(InsightsEngineTest, ReleasedGroupJoinsBothViews) {
  source_.Set("eng/a", Snapshot(0.9, kNow));
  InsightsEngine& engine = Engine();
  // Everyone answers 5 (100), eNPS 10 (+100), intent 5 (100): people 100.
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 5, 5, 10, 5)).ok());
  const TeamInsights t = *engine.GetTeamInsights("eng/a", "");
  EXPECT_NEAR(*t.assessment.people_score, 100, kEps);
  EXPECT_NEAR(*t.assessment.execution_score, 90, kEps);
  EXPECT_EQ(t.assessment.quadrant, Quadrant::kThriving);
  EXPECT_NEAR(*t.assessment.burnout_risk, 0, kEps);
  EXPECT_NEAR(*t.assessment.turnover_risk, 0, kEps);
  EXPECT_NEAR(*CombinedRisk(t), 0, kEps);
  EXPECT_NEAR(t.morale.figures->enps, 100, kEps);
}

TEST_F(InsightsEngineTest, PreviousRoundAndLatestRound) {
  InsightsEngine& engine = Engine({.min_group_size = 3});
  ASSERT_TRUE(engine.Submit(Team("eng/a", "2026-q1", 3, 3)).ok());  // 50
  ASSERT_TRUE(engine.Submit(Team("eng/a", "2026-q2", 4, 4)).ok());  // 75
  ASSERT_TRUE(engine.Submit(Team("eng/b", "2026-q1", 3, 2)).ok());  // 25
  TeamInsights t = *engine.GetTeamInsights("eng/a", "");
  EXPECT_EQ(t.morale.round, "2026-q2");
  EXPECT_NEAR(t.morale.figures->dimensions[0], 75, kEps);
  EXPECT_EQ(t.morale.previous_round, "2026-q1");
  EXPECT_NEAR(t.morale.previous->dimensions[0], 50, kEps);
  // The latest round is per group.
  t = *engine.GetTeamInsights("eng/b", "");
  EXPECT_EQ(t.morale.round, "2026-q1");
  t = *engine.GetTeamInsights("eng/a", "2026-q1");
  EXPECT_EQ(t.morale.round, "2026-q1");
  EXPECT_NEAR(t.morale.figures->dimensions[0], 50, kEps);
  EXPECT_EQ(t.morale.previous_round, "");
  // The rollup: latest round 2026-q2 (only eng/a answered).
  t = *engine.GetTeamInsights("eng", "");
  EXPECT_EQ(t.morale.round, "2026-q2");
  EXPECT_THAT(t.teams, ElementsAre("eng/a", "eng/b"));
  EXPECT_EQ(t.morale.previous_round, "2026-q1");
  EXPECT_EQ(t.morale.previous->respondents, 6);
}

TEST_F(InsightsEngineTest, UnknownTeamIsNotFound) {
  source_.AddTeam("ops/x");
  InsightsEngine& engine = Engine();
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 5)).ok());
  EXPECT_THAT(engine.GetTeamInsights("nope", ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(engine.GetTeamInsights("en", ""),
              StatusIs(absl::StatusCode::kNotFound));
  // Known only to ingest: found, with no survey figures.
  absl::StatusOr<TeamInsights> t = engine.GetTeamInsights("ops", "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->teams, ElementsAre("ops/x"));
  EXPECT_EQ(t->morale.round, "");
  EXPECT_FALSE(t->morale.suppressed);
  EXPECT_FALSE(t->morale.figures.has_value());
}

TEST_F(InsightsEngineTest, ExecutionFreshAndStale) {
  InsightsEngine& engine = Engine({.stale_after = absl::Minutes(2)});
  source_.Set("fresh", Snapshot(0.8, kNow - absl::Seconds(10)));
  source_.Set("old", Snapshot(0.8, kNow - absl::Minutes(5)));
  source_.AddTeam("fresh");
  source_.AddTeam("old");
  source_.AddTeam("never");

  TeamInsights t = *engine.GetTeamInsights("fresh", "");
  ASSERT_TRUE(t.execution.snapshot.has_value());
  EXPECT_NEAR(t.execution.age_seconds, 10, kEps);
  EXPECT_FALSE(t.execution.stale);
  EXPECT_EQ(t.execution.stale_reason, "");

  t = *engine.GetTeamInsights("old", "");
  EXPECT_TRUE(t.execution.stale);
  EXPECT_THAT(t.execution.stale_reason, HasSubstr("older than"));
  EXPECT_NEAR(t.execution.age_seconds, 300, kEps);

  t = *engine.GetTeamInsights("never", "");
  EXPECT_FALSE(t.execution.snapshot.has_value());
  EXPECT_FALSE(t.execution.stale);

  // Ingest down: the last known figures, marked stale with the reason.
  source_.SetReachable(false, "connection refused");
  t = *engine.GetTeamInsights("fresh", "");
  ASSERT_TRUE(t.execution.snapshot.has_value());
  EXPECT_TRUE(t.execution.stale);
  EXPECT_EQ(t.execution.stale_reason, "ingest unreachable: connection refused");
  EXPECT_NEAR(*t.assessment.execution_score, 80, kEps);
  t = *engine.GetTeamInsights("never", "");
  EXPECT_TRUE(t.execution.stale);
  EXPECT_EQ(t.execution.stale_reason, "ingest unreachable: connection refused");

  // Time passes: the age follows the injected clock.
  source_.SetReachable(true);
  clock_.Advance(absl::Minutes(3));
  t = *engine.GetTeamInsights("fresh", "");
  EXPECT_NEAR(t.execution.age_seconds, 190, kEps);
  EXPECT_TRUE(t.execution.stale);
}

// ingest's figures of the past: on time until `change`, late after it.
class FakeHistory final : public ExecutionHistory {
 public:
  absl::StatusOr<std::optional<ExecutionSnapshot>> GetAsOf(
      absl::string_view node, absl::Time as_of) const override {
    asked_.emplace_back(std::string(node), as_of);
    if (!fail_.ok()) return fail_;
    if (as_of < first_event_) return std::optional<ExecutionSnapshot>();
    ExecutionSnapshot s = Snapshot(as_of < change_ ? 0.9 : 0.2, kNow);
    s.as_of = as_of;
    return s;
  }

  void FailWith(absl::Status s) { fail_ = std::move(s); }
  absl::Time first_event_ = kNow - absl::Hours(24 * 90);
  absl::Time change_ = kNow - absl::Hours(24 * 7);
  mutable std::vector<std::pair<std::string, absl::Time>> asked_;

 private:
  absl::Status fail_;
};

// n respondents of `team` answering 5 everywhere (people score 100),
// submitted at `at`.
std::vector<SurveyResponse> HappyTeamAt(const std::string& team,
                                        const std::string& round, int n,
                                        absl::Time at) {
  std::vector<SurveyResponse> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Response(absl::StrCat(round, ":", team, ":", i), team, round,
                           absl::StrCat(team, "#", i), 5, 10, 5,
                           at - absl::Minutes(i)));
  }
  return out;
}

TEST_F(InsightsEngineTest, EachRoundIsPairedWithExecutionAsOfItsEnd) {
  FakeHistory history;
  // Today's figures are the late ones: pairing every round with them would
  // give EXECUTION_GAP throughout.
  source_.Set("eng/a", Snapshot(0.2, kNow));
  engine_ = std::make_unique<InsightsEngine>(store_, source_, clock_,
                                             InsightsOptions{}, &history);
  ASSERT_TRUE(engine_->Recover().ok());
  const absl::Time q1_end = kNow - absl::Hours(24 * 30);
  const absl::Time q2_end = kNow - absl::Hours(1);
  ASSERT_TRUE(engine_->Submit(HappyTeamAt("eng/a", "2026-q1", 5, q1_end)).ok());
  ASSERT_TRUE(engine_->Submit(HappyTeamAt("eng/a", "2026-q2", 5, q2_end)).ok());
  // A round stamped ahead of the server's time is asked about at its time.
  ASSERT_TRUE(
      engine_->Submit(HappyTeamAt("eng/a", "2026-q3", 5, kNow + absl::Hours(2)))
          .ok());
  // Three answered in q4: suppressed, so no end to ask about.
  ASSERT_TRUE(engine_->Submit(HappyTeamAt("eng/a", "2026-q4", 3, kNow)).ok());

  absl::StatusOr<TeamInsights> q1 =
      engine_->GetRoundInsights("eng/a", "2026-q1");
  ASSERT_TRUE(q1.ok()) << q1.status();
  EXPECT_EQ(q1->assessment.quadrant, Quadrant::kThriving);
  EXPECT_NEAR(*q1->assessment.execution_score, 90, kEps);
  ASSERT_TRUE(q1->execution.snapshot.has_value());
  EXPECT_EQ(q1->execution.snapshot->as_of, q1_end);
  EXPECT_FALSE(q1->execution.stale);

  absl::StatusOr<TeamInsights> q2 =
      engine_->GetRoundInsights("eng/a", "2026-q2");
  ASSERT_TRUE(q2.ok()) << q2.status();
  EXPECT_EQ(q2->assessment.quadrant, Quadrant::kExecutionGap);

  absl::StatusOr<TeamInsights> q3 =
      engine_->GetRoundInsights("eng/a", "2026-q3");
  ASSERT_TRUE(q3.ok()) << q3.status();
  EXPECT_EQ(q3->assessment.quadrant, Quadrant::kExecutionGap);

  absl::StatusOr<TeamInsights> q4 =
      engine_->GetRoundInsights("eng/a", "2026-q4");
  ASSERT_TRUE(q4.ok()) << q4.status();
  EXPECT_TRUE(q4->morale.suppressed);
  EXPECT_EQ(q4->assessment.quadrant, Quadrant::kInsufficientData);
  EXPECT_FALSE(q4->execution.snapshot.has_value());
  EXPECT_FALSE(q4->assessment.execution_score.has_value());

  EXPECT_THAT(history.asked_,
              ElementsAre(std::pair<std::string, absl::Time>("eng/a", q1_end),
                          std::pair<std::string, absl::Time>("eng/a", q2_end),
                          std::pair<std::string, absl::Time>("eng/a", kNow)));
  // GetTeamInsights still pairs the round with today's figures.
  EXPECT_EQ(engine_->GetTeamInsights("eng/a", "2026-q1")->assessment.quadrant,
            Quadrant::kExecutionGap);
}

TEST_F(InsightsEngineTest, ARoundBeforeAnyEventHasNoExecution) {
  FakeHistory history;
  history.first_event_ = kNow - absl::Hours(24);
  engine_ = std::make_unique<InsightsEngine>(store_, source_, clock_,
                                             InsightsOptions{}, &history);
  ASSERT_TRUE(engine_->Recover().ok());
  ASSERT_TRUE(engine_
                  ->Submit(HappyTeamAt("eng/a", "2026-q1", 5,
                                       kNow - absl::Hours(24 * 30)))
                  .ok());
  absl::StatusOr<TeamInsights> t = engine_->GetRoundInsights("eng/a", "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->execution.snapshot.has_value());
  EXPECT_EQ(t->assessment.quadrant, Quadrant::kInsufficientData);
  EXPECT_NEAR(*t->assessment.people_score, 100, kEps);
}

TEST_F(InsightsEngineTest, RoundInsightsSayWhenIngestCannotAnswer) {
  FakeHistory history;
  history.FailWith(absl::PermissionDeniedError("needs ingest:read"));
  engine_ = std::make_unique<InsightsEngine>(store_, source_, clock_,
                                             InsightsOptions{}, &history);
  ASSERT_TRUE(engine_->Recover().ok());
  ASSERT_TRUE(engine_->Submit(HappyTeamAt("eng/a", "r1", 5, kNow)).ok());
  EXPECT_THAT(
      engine_->GetRoundInsights("eng/a", "r1"),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("ingest's figures of eng/a as of "),
                     HasSubstr("PERMISSION_DENIED: needs ingest:read"))));
  // Without a reader of the past there is no answer at all.
  InsightsEngine& without = Engine();
  EXPECT_THAT(without.GetRoundInsights("eng/a", "r1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(without.GetRoundInsights("nope", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(InsightsEngineTest, ListOrdersByRiskWithSuppressedAndUnknownLast) {
  source_.AddTeam("fin/y");  // execution only
  InsightsEngine& engine = Engine();
  // Separate departments, so that no complementary suppression applies.
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 5, 5, 10, 5)).ok());  // 0
  ASSERT_TRUE(engine.Submit(Team("hr/b", "r1", 5, 1, 0, 1)).ok());    // 1
  ASSERT_TRUE(engine.Submit(Team("mkt/c", "r1", 5, 3, 8, 3)).ok());   // 0.5
  ASSERT_TRUE(engine.Submit(Team("ops/x", "r1", 2, 1, 0, 1)).ok());   // hidden
  auto names = [](const std::vector<TeamInsights>& list) {
    std::vector<std::string> out;
    for (const TeamInsights& t : list) out.push_back(t.team);
    return out;
  };
  const std::vector<TeamInsights> by_risk =
      engine.ListTeamInsights("", InsightsOrder::kRisk);
  EXPECT_THAT(names(by_risk),
              ElementsAre("hr/b", "mkt/c", "eng/a", "fin/y", "ops/x"));
  EXPECT_NEAR(*CombinedRisk(by_risk[0]), 1, kEps);
  // mkt/c: all 50, eNPS 0 (8 is passive), intent 50. Burnout 0.5*0.5 +
  // 0.2*0.5 + 0.15*0.5 = 0.425; turnover 0.45*0.5 + 0.2*100/200 +
  // 0.15*0.5 + 0.2*0.5 = 0.5.
  EXPECT_NEAR(*CombinedRisk(by_risk[1]), 0.5, kEps);
  EXPECT_THAT(names(engine.ListTeamInsights("", InsightsOrder::kTeam)),
              ElementsAre("eng/a", "fin/y", "hr/b", "mkt/c", "ops/x"));
  EXPECT_THAT(names(engine.ListTeamInsights("hr", InsightsOrder::kRisk)),
              ElementsAre("hr/b"));
  EXPECT_THAT(engine.ListTeamInsights("none", InsightsOrder::kRisk), IsEmpty());
}

TEST_F(InsightsEngineTest, RecoverReplaysTheStore) {
  {
    InsightsEngine& engine = Engine({.min_group_size = 3});
    ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 3, 4)).ok());
  }
  // A second engine over the same store: same figures, same duplicates.
  engine_.reset();
  InsightsEngine& engine = Engine({.min_group_size = 3});
  EXPECT_EQ(engine.stats().stored, 3);
  EXPECT_EQ(engine.stats().accepted, 0);
  EXPECT_NEAR(
      engine.GetTeamInsights("eng/a", "")->morale.figures->dimensions[0], 75,
      kEps);
  EXPECT_EQ(engine.Submit(Team("eng/a", "r1", 3, 4))->duplicates, 3);
}

TEST_F(InsightsEngineTest, RecoverReportsAStoreError) {
  store_.FailReplayWith(absl::DataLossError("corrupt"));
  InsightsEngine engine(store_, source_, clock_, {});
  EXPECT_THAT(engine.Recover(), StatusIs(absl::StatusCode::kDataLoss));
}

// --- The attacker ------------------------------------------------------------

// A random organisation over several rounds, with people joining, leaving
// and moving, some answering twice in a round (the later answer counts).
// Every query the engine allows is made, every released figure becomes an
// equation, and the solver must determine no one's answer in any round, nor
// the total of any team below k.
class AttackerTest : public ::testing::TestWithParam<int> {};

TEST_P(AttackerTest, LearnsNoIndividualAcrossRounds) {
  const int k = GetParam();
  std::mt19937 rng(4242 + k);
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const std::vector<std::string> rounds = {"2026-01", "2026-02", "2026-03"};
  int checked_people = 0, released = 0, suppressed = 0, held = 0, solved = 0;
  for (int org = 0; org < 12; ++org) {
    // Teams of an org of up to 3 levels; intermediate nodes may have people.
    std::vector<std::string> teams;
    const int departments = uniform(1, 2);
    for (int d = 0; d < departments; ++d) {
      const std::string dept = absl::StrCat("d", d);
      if (uniform(0, 2) == 0) teams.push_back(dept);
      const int depts_teams = uniform(1, 3);
      for (int t = 0; t < depts_teams; ++t) {
        const std::string team = absl::StrCat(dept, "/t", t);
        const int subteams = uniform(0, 2);
        if (subteams == 0 || uniform(0, 2) == 0) teams.push_back(team);
        for (int s = 0; s < subteams; ++s) {
          teams.push_back(absl::StrCat(team, "/s", s));
        }
      }
    }
    // Membership per round: person -> team.
    std::vector<std::map<int, std::string>> member(rounds.size());
    int people = 0;
    for (const std::string& team : teams) {
      for (int n = uniform(0, 1) ? uniform(1, 15) : uniform(0, 4); n > 0; --n) {
        member[0][people++] = team;
      }
    }
    for (size_t r = 1; r < rounds.size(); ++r) {
      for (const auto& [person, team] : member[r - 1]) {
        const int fate = uniform(0, 9);
        if (fate == 0) continue;  // left
        member[r][person] =
            fate == 1 ? teams[uniform(0, teams.size() - 1)] : team;
      }
      for (int joiners = uniform(0, 6); joiners > 0; --joiners) {
        member[r][people++] = teams[uniform(0, teams.size() - 1)];
      }
    }

    // Variables: (person, round).
    auto var = [&](int person, size_t r) {
      return static_cast<int>(person * rounds.size() + r);
    };
    // Responses, submitted in random order in random batches.
    std::vector<SurveyResponse> all;
    std::map<int, double> truth;  // by variable: the score in force
    for (size_t r = 0; r < rounds.size(); ++r) {
      for (const auto& [person, team] : member[r]) {
        const absl::Time at = kNow - absl::Hours(24 * (rounds.size() - r)) +
                              absl::Minutes(person);
        const int value = uniform(1, 5);
        all.push_back(Response(absl::StrCat(rounds[r], "/", person), team,
                               rounds[r], absl::StrCat("p", person), value,
                               uniform(0, 10), uniform(1, 5), at));
        truth[var(person, r)] = (value - 1) * 25.0;
        if (uniform(0, 9) == 0) {  // an earlier answer, replaced
          all.push_back(Response(absl::StrCat(rounds[r], "/", person, "/old"),
                                 teams[uniform(0, teams.size() - 1)], rounds[r],
                                 absl::StrCat("p", person), uniform(1, 5),
                                 uniform(0, 10), uniform(1, 5),
                                 at - absl::Minutes(1)));
        }
      }
    }
    std::shuffle(all.begin(), all.end(), rng);
    FakeStore store;
    FakeSource source;
    FixedClock clock(kNow);
    InsightsEngine engine(store, source, clock, {.min_group_size = k});
    ASSERT_TRUE(engine.Recover().ok());
    for (size_t i = 0; i < all.size();) {
      const size_t n = std::min<size_t>(all.size() - i, uniform(1, 40));
      std::vector<SurveyResponse> batch(all.begin() + i, all.begin() + i + n);
      ASSERT_TRUE(engine.Submit(std::move(batch)).ok());
      i += n;
    }

    LinearPrivacySolver solver(people * static_cast<int>(rounds.size()));
    std::set<std::string> nodes;
    for (const std::string& team : teams) {
      for (size_t end = 0; end != std::string::npos;) {
        end = team.find('/', end == 0 ? 0 : end + 1);
        nodes.insert(team.substr(0, end));
      }
    }
    auto members = [&](const std::string& node, size_t r) {
      std::vector<int> out;
      for (const auto& [person, team] : member[r]) {
        if (IsInTeamTree(team, node)) out.push_back(var(person, r));
      }
      return out;
    };
    auto round_index = [&](const std::string& round) {
      return static_cast<size_t>(
          std::find(rounds.begin(), rounds.end(), round) - rounds.begin());
    };
    // One released figure: check it is what the attacker thinks it sums,
    // then add its equation.
    // Figures held from an earlier release step are sums over an earlier
    // state, which this snapshot attacker does not know: they are counted,
    // not solved (tests/integration/privacy_attacker_test.cc solves the
    // whole history).
    auto learn = [&](const std::string& node, const std::string& round,
                     const GroupMorale& m) {
      const size_t r = round_index(round);
      ASSERT_LT(r, rounds.size()) << round;
      ASSERT_GE(m.respondents, k);
      const std::vector<int> group = members(node, r);
      double sum = 0;
      for (int v : group) sum += truth.at(v);
      if (m.respondents != static_cast<int64_t>(group.size()) ||
          std::fabs(m.dimensions[0] * m.respondents - sum) > 1e-6) {
        ++held;
        return;
      }
      solver.AddEquation(group);
      ++solved;
    };
    auto observe = [&](const TeamInsights& t) {
      const MoraleView& mv = t.morale;
      if (mv.suppressed || !mv.figures) {
        EXPECT_FALSE(mv.figures.has_value());
        EXPECT_FALSE(mv.previous.has_value());
        EXPECT_FALSE(t.assessment.people_score.has_value());
        EXPECT_FALSE(t.assessment.burnout_risk.has_value());
        EXPECT_FALSE(t.assessment.turnover_risk.has_value());
        ++suppressed;
        return;
      }
      ++released;
      learn(t.team, mv.round, *mv.figures);
      if (mv.previous) learn(t.team, mv.previous_round, *mv.previous);
    };
    for (const std::string& node : nodes) {
      for (const std::string& round :
           {std::string(), rounds[0], rounds[1], rounds[2]}) {
        absl::StatusOr<TeamInsights> t = engine.GetTeamInsights(node, round);
        if (absl::IsNotFound(t.status())) {  // no one, ever
          for (size_t r = 0; r < rounds.size(); ++r) {
            EXPECT_THAT(members(node, r), IsEmpty()) << node;
          }
          continue;
        }
        ASSERT_TRUE(t.ok()) << node << " " << t.status();
        observe(*t);
      }
      for (const TeamInsights& t :
           engine.ListTeamInsights(node, InsightsOrder::kRisk)) {
        observe(t);
      }
    }

    for (size_t r = 0; r < rounds.size(); ++r) {
      for (const auto& [person, team] : member[r]) {
        EXPECT_FALSE(solver.IsDetermined(var(person, r)))
            << "org " << org << ": p" << person << " in " << rounds[r];
        ++checked_people;
      }
      for (const std::string& node : nodes) {
        std::vector<int> own;
        for (const auto& [person, team] : member[r]) {
          if (team == node) own.push_back(var(person, r));
        }
        const std::vector<int> subtree = members(node, r);
        for (const std::vector<int>& group : {own, subtree}) {
          if (!group.empty() && static_cast<int>(group.size()) < k) {
            EXPECT_FALSE(solver.IsSumDetermined(group))
                << "org " << org << ": " << node << " (" << group.size()
                << ") in " << rounds[r];
          }
        }
      }
    }
  }
  // Not vacuous: much is released, much suppressed, many people checked.
  EXPECT_GT(released, 50);
  EXPECT_GT(suppressed, 20);
  EXPECT_GT(checked_people, 300);
  EXPECT_GT(solved, 10);
  EXPECT_GT(held, 0);
}

INSTANTIATE_TEST_SUITE_P(K, AttackerTest, ::testing::Values(3, 5, 7));

}  // namespace
}  // namespace orgpulse::insights

namespace orgpulse::insights {
namespace {

// --- Erasure -----------------------------------------------------------------

// Every node's morale in every round, for comparing two engines.
std::vector<std::string> AllMorale(const InsightsEngine& engine,
                                   const std::vector<std::string>& nodes,
                                   const std::vector<std::string>& rounds) {
  std::vector<std::string> out;
  for (const std::string& node : nodes) {
    for (const std::string& round : rounds) {
      absl::StatusOr<TeamInsights> t = engine.GetTeamInsights(node, round);
      if (!t.ok()) {
        out.push_back(absl::StrCat(node, "@", round, " ", t.status().code()));
        continue;
      }
      const MoraleView& m = t->morale;
      out.push_back(absl::StrCat(
          node, "@", round, " ", m.round, m.suppressed ? " suppressed" : "",
          m.figures ? absl::StrCat(" n=", m.figures->respondents,
                                   " d0=", m.figures->dimensions[0])
                    : ""));
    }
  }
  return out;
}

// --- Snapshots ---------------------------------------------------------------

TEST_F(InsightsEngineTest, ARestartFromASnapshotFoldsOnlyTheTail) {
  const InsightsOptions options = {.min_group_size = 3,
                                   .snapshot_every_responses = 1000};
  InsightsEngine& engine = Engine(options);
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 4, 4)).ok());
  ASSERT_TRUE(engine.Submit(Team("eng/b", "r1", 3, 2)).ok());
  absl::StatusOr<SurveySnapshotReport> written = engine.WriteSnapshot();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->responses, 7);
  EXPECT_EQ(written->cursor.position, 7);
  ASSERT_TRUE(engine.Submit(Team("eng/b", "r2", 3, 5)).ok());
  ASSERT_TRUE(engine.Submit({Response("late", "eng/a", "r1", "eng/a#0", 1)})
                  .ok());  // a changed answer, after the snapshot
  const std::vector<std::string> nodes = {"eng", "eng/a", "eng/b"};
  const std::vector<std::string> rounds = {"r1", "r2", ""};
  const std::vector<std::string> live = AllMorale(engine, nodes, rounds);

  InsightsEngine restarted(store_, source_, clock_, options);
  ASSERT_TRUE(restarted.Recover().ok());
  const SurveyRecovery r = restarted.recovery();
  EXPECT_TRUE(r.from_snapshot);
  EXPECT_TRUE(r.snapshot_refused.ok()) << r.snapshot_refused;
  EXPECT_EQ(r.snapshot_cursor.position, 7);
  EXPECT_EQ(r.snapshot_responses, 7);
  EXPECT_EQ(r.replayed_records, 4);
  EXPECT_EQ(restarted.stats().stored, 11);
  EXPECT_EQ(AllMorale(restarted, nodes, rounds), live);
  EXPECT_EQ(restarted.Submit(Team("eng/b", "r2", 3, 5))->duplicates, 3);
}

TEST_F(InsightsEngineTest, ADamagedSnapshotIsRefusedAndTheLogReplayed) {
  const InsightsOptions options = {.min_group_size = 3,
                                   .snapshot_every_responses = 1000};
  InsightsEngine& engine = Engine(options);
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 4, 4)).ok());
  ASSERT_TRUE(engine.WriteSnapshot().ok());
  store_.DamageSnapshot();
  InsightsEngine restarted(store_, source_, clock_, options);
  ASSERT_TRUE(restarted.Recover().ok());
  EXPECT_FALSE(restarted.recovery().from_snapshot);
  EXPECT_THAT(restarted.recovery().snapshot_refused,
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(restarted.recovery().replayed_records, 4);
  EXPECT_EQ(AllMorale(restarted, {"eng/a"}, {"r1"}),
            AllMorale(engine, {"eng/a"}, {"r1"}));
  // Another k: refused too.
  ASSERT_TRUE(engine.WriteSnapshot().ok());
  InsightsEngine other_k(store_, source_, clock_,
                         {.min_group_size = 4, .snapshot_every_responses = 1});
  ASSERT_TRUE(other_k.Recover().ok());
  EXPECT_THAT(other_k.recovery().snapshot_refused,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("min_group_size=3")));
}

// Every N responses, on the engine's thread; after an erasure (which
// deleted the snapshot with the person), from the state without them.
TEST_F(InsightsEngineTest, SnapshotsFollowResponsesAndErasures) {
  absl::Mutex mu;
  std::vector<SurveySnapshotReport> reports;
  engine_ = std::make_unique<InsightsEngine>(
      store_, source_, clock_,
      InsightsOptions{.min_group_size = 3, .snapshot_every_responses = 5});
  engine_->set_snapshot_observer(
      [&](const absl::StatusOr<SurveySnapshotReport>& r) {
        absl::MutexLock lock(&mu);
        if (r.ok()) reports.push_back(*r);
      });
  ASSERT_TRUE(engine_->Recover().ok());
  auto written = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto done = [&] { return reports.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
  };
  ASSERT_TRUE(engine_->Submit(Team("eng/a", "r1", 4, 4)).ok());
  ASSERT_TRUE(engine_->Submit(Team("eng/b", "r1", 3, 4)).ok());
  ASSERT_TRUE(written(1));
  EXPECT_EQ(store_.snapshot()->cursor.position, 7);
  ASSERT_NE(store_.snapshot()->state.find("eng/a#1"), std::string::npos);

  ASSERT_TRUE(engine_->Erase("eng/a#1").ok());
  ASSERT_TRUE(written(2));
  ASSERT_TRUE(store_.snapshot().has_value());
  EXPECT_EQ(store_.snapshot()->state.find("eng/a#1"), std::string::npos);
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(reports.back().responses, 6);
  }
  // Stop writes one only if something changed since.
  const int saved = store_.saved();
  engine_->Stop();
  EXPECT_EQ(store_.saved(), saved);
}

TEST_F(InsightsEngineTest, NoSnapshotOfAStateThatMayHoldErasedData) {
  InsightsEngine& engine =
      Engine({.min_group_size = 3, .snapshot_every_responses = 1000});
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 4, 4)).ok());
  store_.FailReplayWith(absl::UnavailableError("disk"));
  ASSERT_FALSE(engine.Erase("eng/a#1").ok());  // erased, not rebuilt
  EXPECT_THAT(engine.WriteSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(store_.snapshot().has_value());
  EXPECT_EQ(store_.saved(), 0);
}

// A store's error may come after its commit (SQLite's scrub of the
// write-ahead log): the state may hold the person until rebuilt.
TEST_F(InsightsEngineTest, NoSnapshotAfterAFailedEraseUntilRebuilt) {
  InsightsEngine& engine =
      Engine({.min_group_size = 3, .snapshot_every_responses = 1000});
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 4, 4)).ok());
  store_.FailWith(absl::UnavailableError("scrub"));
  ASSERT_FALSE(engine.Erase("eng/a#1").ok());
  EXPECT_THAT(engine.WriteSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  store_.FailWith(absl::OkStatus());
  ASSERT_TRUE(engine.Erase("eng/a#1").ok());
  EXPECT_TRUE(engine.WriteSnapshot().ok());
}

TEST_F(InsightsEngineTest, EraseRemovesThePersonFromStoreAndFigures) {
  InsightsEngine& engine = Engine();
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 6, 4)).ok());
  ASSERT_TRUE(engine.Submit(Team("ops", "r1", 5, 2)).ok());
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r2", 5, 3)).ok());
  ASSERT_TRUE(engine.GetTeamInsights("eng/a", "r1")->morale.figures);
  const std::vector<std::string> ops_before =
      AllMorale(engine, {"ops"}, {"r1"});

  absl::StatusOr<EraseResult> erased = engine.Erase("eng/a#0");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased, 2);
  EXPECT_THAT(erased->rounds, ElementsAre("r1", "r2"));
  for (const ScoredResponse& r : store_.stored()) {
    EXPECT_NE(r.respondent, "eng/a#0");
  }
  EXPECT_EQ(engine.stats().stored, 14);
  EXPECT_EQ(engine.stats().erased, 2);
  // The groups they were in are withdrawn; ops keeps its figures.
  for (const char* node : {"eng/a", "eng"}) {
    for (const char* round : {"r1", "r2"}) {
      const TeamInsights t = *engine.GetTeamInsights(node, round);
      EXPECT_TRUE(t.morale.suppressed) << node << "@" << round;
      EXPECT_FALSE(t.morale.figures.has_value()) << node << "@" << round;
    }
  }
  EXPECT_EQ(AllMorale(engine, {"ops"}, {"r1"}), ops_before);

  // Idempotent.
  erased = engine.Erase("eng/a#0");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased, 0);
  EXPECT_THAT(erased->rounds, IsEmpty());
  EXPECT_THAT(engine.Erase(""), StatusIs(absl::StatusCode::kInvalidArgument));

  // A restart (a new engine on the same store) serves the same figures.
  const std::vector<std::string> nodes = {"eng", "eng/a", "ops"};
  const std::vector<std::string> rounds = {"r1", "r2", ""};
  const std::vector<std::string> live = AllMorale(engine, nodes, rounds);
  InsightsEngine restarted(store_, source_, clock_, {});
  ASSERT_TRUE(restarted.Recover().ok());
  EXPECT_EQ(AllMorale(restarted, nodes, rounds), live);
}

TEST_F(InsightsEngineTest, AFailedEraseChangesNothing) {
  InsightsEngine& engine = Engine();
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 5, 4)).ok());
  store_.FailWith(absl::UnavailableError("disk I/O error"));
  EXPECT_THAT(engine.Erase("eng/a#0"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(store_.stored().size(), 5u);
  EXPECT_TRUE(engine.GetTeamInsights("eng/a", "r1")->morale.figures);
}

// --- Retention ---------------------------------------------------------------

TEST_F(InsightsEngineTest, RetentionKeepsTheLastRoundsAndRefusesOlderOnes) {
  InsightsEngine& engine = Engine({.retain_rounds = 2});
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r1", 5)).ok());
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r2", 5)).ok());
  ASSERT_TRUE(engine.GetTeamInsights("eng/a", "r1")->morale.figures);
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r3", 5)).ok());

  for (const ScoredResponse& r : store_.stored()) EXPECT_NE(r.round, "r1");
  EXPECT_EQ(store_.stored().size(), 10u);
  EXPECT_EQ(engine.stats().dropped_rounds, 1);
  EXPECT_EQ(engine.stats().stored, 10);
  EXPECT_THAT(engine.GetTeamInsights("eng/a", "r1"),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr("round r1 is not kept"),
                             HasSubstr("the oldest kept is r2"))));
  // r2's figures are as before; their previous round is gone.
  const TeamInsights r2 = *engine.GetTeamInsights("eng/a", "r2");
  ASSERT_TRUE(r2.morale.figures);
  EXPECT_EQ(r2.morale.previous_round, "");
  // A late response to a dropped round is refused, the whole batch with it.
  std::vector<SurveyResponse> batch = Team("ops", "r3", 1);
  batch.push_back(Team("ops", "r1", 1)[0]);
  EXPECT_THAT(engine.Submit(batch),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr("round r1"), HasSubstr("r2"),
                             HasSubstr("nothing of the batch was stored"))));
  EXPECT_EQ(store_.stored().size(), 10u);
  // A round between kept ones arrives: the oldest goes.
  ASSERT_TRUE(engine.Submit(Team("eng/a", "r2b", 5)).ok());
  EXPECT_THAT(engine.GetTeamInsights("eng/a", "r2"),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(store_.stored().size(), 10u);
}

TEST_F(InsightsEngineTest, RetentionDropsOldRoundsAtStartUp) {
  {
    InsightsEngine& engine = Engine();
    for (const char* round : {"r1", "r2", "r3"}) {
      ASSERT_TRUE(engine.Submit(Team("eng/a", round, 5)).ok());
    }
    ASSERT_TRUE(engine.Erase("eng/a#1").ok());  // leaves resets in r1..r3
  }
  InsightsEngine& engine = Engine({.retain_rounds = 1});
  EXPECT_EQ(engine.stats().dropped_rounds, 2);
  for (const auto& e : store_.log()) {
    if (const auto* r = std::get_if<ScoredResponse>(&e)) {
      EXPECT_EQ(r->round, "r3");
    } else {
      EXPECT_EQ(std::get<RoundReset>(e).round, "r3");
    }
  }
  EXPECT_EQ(store_.stored().size(), 4u);
  EXPECT_THAT(engine.GetTeamInsights("eng/a", "r2"),
              StatusIs(absl::StatusCode::kOutOfRange));
}

}  // namespace
}  // namespace orgpulse::insights
