// InsightsCollector through Collect(), over a real InsightsEngine on an
// in-memory store, a fake ExecutionSource and a fixed clock: the families,
// types, labels and values for a known org, and that groups the privacy
// rules suppress (too small, or suppressed to protect a small sibling) have
// no series derived from survey answers.
#include "services/insights/metrics/insights_collector.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "services/insights/domain/insights_engine.h"
#include "tests/support/metric_families.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::Counter;
using ::orgpulse::testing::ExpectWellFormed;
using ::orgpulse::testing::FamilyShapes;
using ::orgpulse::testing::FindFamily;
using ::orgpulse::testing::Gauge;
using ::orgpulse::testing::SamplesWithLabel;
using ::orgpulse::testing::ShapesOf;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

using Families = std::vector<prometheus::MetricFamily>;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

class InMemorySurveyStore final : public SurveyStore {
 public:
  absl::Status Append(absl::Span<const ScoredResponse> responses) override {
    if (!fail_next_.ok()) return std::exchange(fail_next_, absl::OkStatus());
    stored_.insert(stored_.end(), responses.begin(), responses.end());
    return absl::OkStatus();
  }
  absl::Status Replay(absl::FunctionRef<void(const ScoredResponse&)> fn,
                      absl::FunctionRef<void(const RoundReset&)>) override {
    for (const ScoredResponse& r : stored_) fn(r);
    return absl::OkStatus();
  }
  // Only what the counters need (insights_engine_test covers erasure and
  // retention): the respondent's responses go, resets are not kept.
  absl::StatusOr<int64_t> Erase(absl::string_view respondent,
                                absl::Span<const RoundReset>) override {
    const size_t before = stored_.size();
    std::erase_if(stored_, [&](const ScoredResponse& r) {
      return r.respondent == respondent;
    });
    return static_cast<int64_t>(before - stored_.size());
  }
  absl::StatusOr<int64_t> DropRounds(const std::set<std::string>&) override {
    return absl::UnimplementedError("not in this fake");
  }
  void FailNextAppend(absl::Status s) { fail_next_ = std::move(s); }

 private:
  absl::Status fail_next_;
  std::vector<ScoredResponse> stored_;
};

class FakeSource final : public ExecutionSource {
 public:
  std::optional<ExecutionSnapshot> Get(absl::string_view node) const override {
    auto it = snapshots_.find(std::string(node));
    if (it == snapshots_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> Teams() const override {
    std::vector<std::string> out;
    for (const auto& [team, s] : snapshots_) out.push_back(team);
    return out;
  }
  SourceHealth Health() const override { return health_; }

  // Ingest knows `team`, with `on_time` as its only figure, fetched 30 s ago.
  void Set(const std::string& team, double on_time) {
    ExecutionSnapshot s;
    s.inputs.on_time_ratio = on_time;
    s.as_of = kNow - absl::Seconds(35);
    s.fetched_at = kNow - absl::Seconds(30);
    snapshots_[team] = s;
  }
  void SetHealth(SourceHealth health) { health_ = std::move(health); }

 private:
  std::map<std::string, ExecutionSnapshot> snapshots_;
  SourceHealth health_{.reachable = true,
                       .last_success = kNow - absl::Seconds(30)};
};

// `n` respondents of `team` in round "2026-q2", each answering `value` to
// every dimension, eNPS `enps` and intent to stay `intent`.
std::vector<SurveyResponse> Group(const std::string& team, int n, int value,
                                  int enps, int intent) {
  std::vector<SurveyResponse> out;
  for (int i = 0; i < n; ++i) {
    SurveyResponse r;
    r.response_id = absl::StrCat(team, ":", i);
    r.team = team;
    r.round = "2026-q2";
    r.respondent = absl::StrCat("hash-of-", team, "-", i);
    r.respondent_id_length = 12;
    r.submitted_at = kNow - absl::Hours(2);
    for (int d = 1; d <= kDimensionCount; ++d) {
      r.answers.push_back({static_cast<Dimension>(d), value, false});
    }
    r.enps = enps;
    r.intent_to_stay = intent;
    out.push_back(std::move(r));
  }
  return out;
}

// Families derived from survey answers: none may name a suppressed team.
const std::set<std::string> kSurveyFamilies = {
    "orgpulse_morale_score",         "orgpulse_enps",
    "orgpulse_intent_to_stay_score", "orgpulse_survey_respondents",
    "orgpulse_people_score",         "orgpulse_burnout_risk_ratio",
    "orgpulse_turnover_risk_ratio"};

std::vector<std::string> QuadrantSeries(const std::string& team) {
  std::vector<std::string> out;
  for (const char* q : {"thriving", "burnout_risk", "execution_gap", "at_risk",
                        "insufficient_data"}) {
    out.push_back(absl::StrCat("orgpulse_team_quadrant{quadrant=", q,
                               ",team=", team, ",}"));
  }
  return out;
}

class InsightsCollectorTest : public ::testing::Test {
 protected:
  InsightsCollectorTest()
      : clock_(kNow),
        engine_(store_, source_, clock_,
                {.min_group_size = 5, .max_teams = 4}) {
    EXPECT_TRUE(engine_.Recover().ok());
  }

  // eng/c (7 respondents) is released; eng/b (2) is too small, and eng/a
  // (6) is suppressed with it, or eng - eng/c would give eng/b away. ingest
  // knows eng/a and eng/c, and ops/oncall, which has no survey.
  void SubmitKnownOrg() {
    ASSERT_TRUE(engine_.Submit(Group("eng/c", 7, 4, 10, 5)).ok());
    ASSERT_TRUE(engine_.Submit(Group("eng/b", 2, 1, 0, 1)).ok());
    ASSERT_TRUE(engine_.Submit(Group("eng/a", 6, 2, 3, 2)).ok());
    source_.Set("eng/a", 0.4);
    source_.Set("eng/c", 0.9);
    source_.Set("ops/oncall", 0.8);
  }

  Families Collect() const { return collector_.Collect(); }

  InMemorySurveyStore store_;
  FakeSource source_;
  FixedClock clock_;
  InsightsEngine engine_;
  InsightsCollector collector_{engine_, source_};
};

TEST_F(InsightsCollectorTest, FamiliesHaveTheirNamesTypesAndLabels) {
  SubmitKnownOrg();
  const Families f = Collect();
  ExpectWellFormed(f, {"result", "reason", "team", "quadrant", "dimension"});

  // Every family of the collector, with its type and label names.
  using T = prometheus::MetricType;
  EXPECT_EQ(
      ShapesOf(f),
      (FamilyShapes{
          {"orgpulse_survey_responses_total", {T::Counter, {"result"}}},
          {"orgpulse_survey_responses_rejected_total",
           {T::Counter, {"reason"}}},
          {"orgpulse_survey_responses_stored", {T::Gauge, {}}},
          {"orgpulse_survey_responses_erased_total", {T::Counter, {}}},
          {"orgpulse_survey_rounds_dropped_total", {T::Counter, {}}},
          {"orgpulse_ingest_up", {T::Gauge, {}}},
          {"orgpulse_ingest_last_success_timestamp_seconds", {T::Gauge, {}}},
          {"orgpulse_ingest_partial_reads_total", {T::Counter, {}}},
          {"orgpulse_team_quadrant", {T::Gauge, {"team", "quadrant"}}},
          {"orgpulse_execution_score", {T::Gauge, {"team"}}},
          {"orgpulse_execution_figures_age_seconds", {T::Gauge, {"team"}}},
          {"orgpulse_morale_score", {T::Gauge, {"team", "dimension"}}},
          {"orgpulse_enps", {T::Gauge, {"team"}}},
          {"orgpulse_intent_to_stay_score", {T::Gauge, {"team"}}},
          {"orgpulse_survey_respondents", {T::Gauge, {"team"}}},
          {"orgpulse_people_score", {T::Gauge, {"team"}}},
          {"orgpulse_burnout_risk_ratio", {T::Gauge, {"team"}}},
          {"orgpulse_turnover_risk_ratio", {T::Gauge, {"team"}}},
      }));
}

TEST_F(InsightsCollectorTest, AReleasedTeamHasItsSurveyFigures) {
  SubmitKnownOrg();
  const Families f = Collect();
  const std::map<std::string, std::string> c = {{"team", "eng/c"}};

  // Every dimension answered 4 of 5: (4 - 1) / 4 = 75 of 100.
  for (int i = 0; i < kDimensionCount; ++i) {
    const std::string dimension = DimensionName(DimensionAt(i));
    EXPECT_EQ(Gauge(f, "orgpulse_morale_score",
                    {{"team", "eng/c"}, {"dimension", dimension}}),
              75)
        << dimension;
  }
  EXPECT_EQ(Gauge(f, "orgpulse_enps", c), 100);  // all promoters
  EXPECT_EQ(Gauge(f, "orgpulse_intent_to_stay_score", c), 100);
  // 7 answered; figures move in release steps of at least k = 5 responses
  // never published (docs/decisions/0003), so the 2 after the first step
  // wait for more.
  EXPECT_EQ(Gauge(f, "orgpulse_survey_respondents", c), 5);
  // 0.7 * 75 + 0.15 * 100 + 0.15 * (100 + 100) / 2
  EXPECT_DOUBLE_EQ(Gauge(f, "orgpulse_people_score", c), 82.5);
  EXPECT_EQ(Gauge(f, "orgpulse_execution_figures_age_seconds", c), 30);

  // Scores and risks are the engine's, as the API gives them.
  absl::StatusOr<TeamInsights> t = engine_.GetTeamInsights("eng/c", "");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->assessment.execution_score && t->assessment.burnout_risk &&
              t->assessment.turnover_risk);
  EXPECT_EQ(Gauge(f, "orgpulse_execution_score", c),
            *t->assessment.execution_score);
  EXPECT_EQ(Gauge(f, "orgpulse_burnout_risk_ratio", c),
            *t->assessment.burnout_risk);
  EXPECT_EQ(Gauge(f, "orgpulse_turnover_risk_ratio", c),
            *t->assessment.turnover_risk);
  ASSERT_EQ(t->assessment.quadrant, Quadrant::kThriving);
  EXPECT_EQ(Gauge(f, "orgpulse_team_quadrant",
                  {{"team", "eng/c"}, {"quadrant", "thriving"}}),
            1);
  for (const char* q :
       {"burnout_risk", "execution_gap", "at_risk", "insufficient_data"}) {
    EXPECT_EQ(Gauge(f, "orgpulse_team_quadrant",
                    {{"team", "eng/c"}, {"quadrant", q}}),
              0)
        << q;
  }
}

TEST_F(InsightsCollectorTest, SuppressedGroupsExposeNoSurveyFigures) {
  SubmitKnownOrg();
  // The engine's decision, which the collector must follow.
  for (const std::string team : {"eng/a", "eng/b"}) {
    absl::StatusOr<TeamInsights> t = engine_.GetTeamInsights(team, "");
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->morale.suppressed) << team;
  }
  const Families f = Collect();

  for (const std::string& family : kSurveyFamilies) {
    for (const std::string team : {"eng/a", "eng/b", "ops/oncall"}) {
      EXPECT_FALSE(orgpulse::testing::FindSample(f, family, {{"team", team}}))
          << family << " " << team;
    }
  }
  // What remains of them: the quadrant (insufficient data) and, where
  // ingest knows the team, the execution figures.
  std::vector<std::string> a = QuadrantSeries("eng/a");
  a.push_back("orgpulse_execution_score{team=eng/a,}");
  a.push_back("orgpulse_execution_figures_age_seconds{team=eng/a,}");
  EXPECT_THAT(SamplesWithLabel(f, "team", "eng/a"),
              UnorderedElementsAreArray(a));
  EXPECT_THAT(SamplesWithLabel(f, "team", "eng/b"),
              UnorderedElementsAreArray(QuadrantSeries("eng/b")));
  for (const std::string team : {"eng/a", "eng/b", "ops/oncall"}) {
    EXPECT_EQ(Gauge(f, "orgpulse_team_quadrant",
                    {{"team", team}, {"quadrant", "insufficient_data"}}),
              1)
        << team;
  }
  // Counts per group would tell its size: no respondents series at all but
  // the released team's.
  const prometheus::MetricFamily* respondents =
      FindFamily(f, "orgpulse_survey_respondents");
  ASSERT_NE(respondents, nullptr);
  ASSERT_EQ(respondents->metric.size(), 1u);
  EXPECT_EQ(respondents->metric[0].label[0].value, "eng/c");
}

TEST_F(InsightsCollectorTest, TheSurveyCountersCountResponsesByResult) {
  SubmitKnownOrg();                                              // 15 stored
  ASSERT_TRUE(engine_.Submit(Group("eng/c", 1, 3, 5, 3)).ok());  // duplicate
  std::vector<SurveyResponse> invalid = Group("eng/c", 2, 3, 5, 3);
  invalid[1].response_id = "new";
  invalid[1].enps = 11;
  EXPECT_FALSE(engine_.Submit(invalid).ok());
  // eng/a, eng/b, eng/c known, cap 4: two new teams are one too many.
  std::vector<SurveyResponse> over = Group("hr/x", 1, 3, 5, 3);
  over.push_back(Group("hr/y", 1, 3, 5, 3)[0]);
  EXPECT_FALSE(engine_.Submit(over).ok());
  store_.FailNextAppend(absl::UnavailableError("disk I/O error"));
  EXPECT_FALSE(engine_.Submit(Group("eng/d", 3, 3, 5, 3)).ok());

  const Families f = Collect();
  EXPECT_EQ(
      Counter(f, "orgpulse_survey_responses_total", {{"result", "accepted"}}),
      15);
  EXPECT_EQ(
      Counter(f, "orgpulse_survey_responses_total", {{"result", "duplicate"}}),
      1);
  EXPECT_EQ(Counter(f, "orgpulse_survey_responses_rejected_total",
                    {{"reason", "invalid"}}),
            2);
  EXPECT_EQ(Counter(f, "orgpulse_survey_responses_rejected_total",
                    {{"reason", "team_limit"}}),
            2);
  EXPECT_EQ(Counter(f, "orgpulse_survey_responses_rejected_total",
                    {{"reason", "storage"}}),
            3);
  EXPECT_EQ(Gauge(f, "orgpulse_survey_responses_stored"), 15);
}

TEST_F(InsightsCollectorTest, ErasuresAreCountedWithoutATeam) {
  SubmitKnownOrg();
  EXPECT_EQ(Counter(Collect(), "orgpulse_survey_responses_erased_total", {}),
            0);
  ASSERT_TRUE(engine_.Erase("hash-of-eng/c-3").ok());
  ASSERT_TRUE(engine_.Erase("hash-of-eng/c-3").ok());  // idempotent
  const Families f = Collect();
  EXPECT_EQ(Counter(f, "orgpulse_survey_responses_erased_total", {}), 1);
  EXPECT_EQ(Counter(f, "orgpulse_survey_rounds_dropped_total", {}), 0);
}

TEST_F(InsightsCollectorTest, IngestReachabilityIsExposed) {
  Families f = Collect();
  EXPECT_EQ(Gauge(f, "orgpulse_ingest_up"), 1);
  EXPECT_EQ(Gauge(f, "orgpulse_ingest_last_success_timestamp_seconds"),
            absl::ToUnixSeconds(kNow) - 30);
  EXPECT_EQ(FindFamily(f, "orgpulse_team_quadrant"), nullptr);  // no teams

  source_.SetHealth({.reachable = false,
                     .last_success = absl::InfinitePast(),
                     .last_error = "connection refused"});
  f = Collect();
  EXPECT_EQ(Gauge(f, "orgpulse_ingest_up"), 0);
  // Never reached: no timestamp rather than a date in year 1.
  EXPECT_EQ(FindFamily(f, "orgpulse_ingest_last_success_timestamp_seconds"),
            nullptr);
}

}  // namespace
}  // namespace orgpulse::insights
