// Scoring of a response, and the per-round, per-group figures of
// SurveyState under the privacy rules.
#include "services/insights/domain/survey_state.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kEps = 1e-9;

absl::Time At(int minute) {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 1, 9, 0, 0),
                         absl::UTCTimeZone()) +
         absl::Minutes(minute);
}

// A scored response whose every dimension scores `score`.
ScoredResponse Resp(std::string id, std::string team, std::string round,
                    std::string respondent, int minute, double score,
                    int enps = 8, int intent = 3) {
  ScoredResponse r;
  r.response_id = std::move(id);
  r.team = std::move(team);
  r.round = std::move(round);
  r.respondent = std::move(respondent);
  r.submitted_at = At(minute);
  r.dimension_scores.fill(score);
  r.enps = enps;
  r.intent_to_stay = intent;
  return r;
}

// n respondents of `team` in `round`, scores 0, 25, 50, ... (mod 125).
void AddTeam(SurveyState& state, const std::string& team,
             const std::string& round, int n, double score = 50) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(state.Apply(Resp(absl::StrCat(round, "/", team, "/", i), team,
                                 round, absl::StrCat(team, "#", i), i, score)));
  }
}

// --- Score -------------------------------------------------------------------

TEST(ScoreTest, MapsAnswersToZeroToHundredWithReverseItems) {
  SurveyResponse r;
  r.response_id = "r1";
  r.team = "eng";
  r.round = "2026-q1";
  r.respondent = "h";
  r.submitted_at = At(0);
  r.enps = 9;
  r.intent_to_stay = 2;
  for (int d = 1; d <= kDimensionCount; ++d) {
    r.answers.push_back({static_cast<Dimension>(d), d <= 5 ? d : 3, false});
  }
  // Wellbeing (value 5) gets two more items: "I often feel exhausted" = 2,
  // reverse-scored as 6 - 2 = 4 -> 75; and 1 reverse-scored -> 5 -> 100.
  r.answers.push_back({Dimension::kWellbeing, 2, true});
  r.answers.push_back({Dimension::kWellbeing, 1, true});
  const ScoredResponse s = Score(r);
  EXPECT_EQ(s.response_id, "r1");
  EXPECT_EQ(s.team, "eng");
  EXPECT_EQ(s.round, "2026-q1");
  EXPECT_EQ(s.respondent, "h");
  EXPECT_EQ(s.submitted_at, At(0));
  EXPECT_EQ(s.enps, 9);
  EXPECT_EQ(s.intent_to_stay, 2);
  // (v - 1) / 4 * 100: 1 -> 0, 2 -> 25, 3 -> 50, 4 -> 75.
  EXPECT_NEAR(
      s.dimension_scores[DimensionIndex(Dimension::kPsychologicalSafety)], 0,
      kEps);
  EXPECT_NEAR(s.dimension_scores[DimensionIndex(Dimension::kFeedback)], 25,
              kEps);
  EXPECT_NEAR(s.dimension_scores[DimensionIndex(Dimension::kRecognition)], 50,
              kEps);
  EXPECT_NEAR(s.dimension_scores[DimensionIndex(Dimension::kGrowth)], 75, kEps);
  // Wellbeing: mean(100, 75, 100) = 91.666...
  EXPECT_NEAR(s.dimension_scores[DimensionIndex(Dimension::kWellbeing)],
              275.0 / 3, kEps);
  EXPECT_NEAR(s.dimension_scores[DimensionIndex(Dimension::kCollaboration)], 50,
              kEps);
}

TEST(ScoreTest, ReverseScoredOneIsTheBest) {
  SurveyResponse r;
  for (int d = 1; d <= kDimensionCount; ++d) {
    r.answers.push_back({static_cast<Dimension>(d), 1, true});
  }
  for (double s : Score(r).dimension_scores) EXPECT_NEAR(s, 100, kEps);
}

TEST(DimensionNameTest, NamesAreLabels) {
  EXPECT_STREQ(DimensionName(Dimension::kPsychologicalSafety),
               "psychological_safety");
  EXPECT_STREQ(DimensionName(Dimension::kTrustInLeadership),
               "trust_in_leadership");
  EXPECT_STREQ(DimensionName(Dimension::kUnspecified), "unspecified");
  EXPECT_EQ(DimensionAt(DimensionIndex(Dimension::kVision)),
            Dimension::kVision);
}

// --- Figures -----------------------------------------------------------------

TEST(SurveyStateTest, ReleasedGroupFigures) {
  SurveyState state(5);
  // Scores 0, 25, 50, 75, 100 -> mean 50. eNPS answers 10, 9, 9, 7, 3:
  // 3 promoters, 1 detractor -> 100 * (3 - 1) / 5 = 40. Intent 5, 4, 3, 2,
  // 1 -> 100, 75, 50, 25, 0 -> mean 50.
  const int enps[] = {10, 9, 9, 7, 3};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        state.Apply(Resp(absl::StrCat("r", i), "eng/a", "2026-q1",
                         absl::StrCat("p", i), i, 25.0 * i, enps[i], 5 - i)));
  }
  const MoraleView v = state.Morale("eng/a", "");
  EXPECT_EQ(v.round, "2026-q1");
  EXPECT_FALSE(v.suppressed);
  ASSERT_TRUE(v.figures.has_value());
  EXPECT_EQ(v.figures->respondents, 5);
  for (double d : v.figures->dimensions) EXPECT_NEAR(d, 50, kEps);
  EXPECT_NEAR(v.figures->enps, 40, kEps);
  EXPECT_NEAR(v.figures->intent_to_stay, 50, kEps);
  EXPECT_EQ(v.figures->as_of, At(4));
  EXPECT_EQ(v.previous_round, "");
  EXPECT_FALSE(v.previous.has_value());
  // The rollup has the same members here.
  const MoraleView eng = state.Morale("eng", "");
  ASSERT_TRUE(eng.figures.has_value());
  EXPECT_EQ(eng.figures->respondents, 5);
  EXPECT_THAT(state.teams(), ElementsAre("eng/a"));
  EXPECT_THAT(state.rounds(), ElementsAre("2026-q1"));
}

TEST(SurveyStateTest, RollupAveragesEveryoneUnderTheNode) {
  SurveyState state(3);
  // Groups of k = 3 new respondents, so that every group is published.
  AddTeam(state, "eng/a", "r1", 3, 20);
  AddTeam(state, "eng/b", "r1", 6, 60);
  AddTeam(state, "eng", "r1", 3, 90);  // the node's own team
  const MoraleView v = state.Morale("eng", "r1");
  ASSERT_TRUE(v.figures.has_value());
  // (3*20 + 6*60 + 3*90) / 12 = 690 / 12 = 57.5.
  EXPECT_EQ(v.figures->respondents, 12);
  EXPECT_NEAR(v.figures->dimensions[0], 57.5, kEps);
  // "engineering" is not under "eng".
  EXPECT_FALSE(state.Morale("en", "r1").figures.has_value());
}

TEST(SurveyStateTest, SmallGroupIsSuppressedWithNoFigures) {
  SurveyState state(5);
  AddTeam(state, "eng/a", "r1", 4);
  for (const char* node : {"eng/a", "eng"}) {
    const MoraleView v = state.Morale(node, "");
    EXPECT_EQ(v.round, "r1") << node;
    EXPECT_TRUE(v.suppressed) << node;
    EXPECT_FALSE(v.figures.has_value()) << node;
    EXPECT_FALSE(v.previous.has_value()) << node;
  }
}

// eng/b (2) is never published; eng/a only as its first five; eng moves
// once (to 10, with five unpublished responses) and eng/c appears when it
// has 5 responses never published in its own region (eng/a is then
// suppressed at that step: eng - eng/c would otherwise be eng/a + eng/b).
TEST(SurveyStateTest, ComplementarySuppressionHoldsAcrossSteps) {
  SurveyState state(5);
  AddTeam(state, "eng/a", "r1", 6);
  AddTeam(state, "eng/b", "r1", 2);
  AddTeam(state, "eng/c", "r1", 7);
  EXPECT_EQ(state.release_steps("r1"), 3);
  EXPECT_EQ(state.Morale("eng", "r1").figures->respondents, 10);
  EXPECT_EQ(state.Morale("eng/c", "r1").figures->respondents, 7);
  EXPECT_EQ(state.Morale("eng/a", "r1").figures->respondents, 5);
  EXPECT_TRUE(state.Morale("eng/b", "r1").suppressed);
}

TEST(SurveyStateTest, UnknownNodeOrRoundSaysNothing) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 3);
  MoraleView v = state.Morale("ops", "");
  EXPECT_EQ(v.round, "");
  EXPECT_FALSE(v.suppressed);
  EXPECT_FALSE(v.figures.has_value());
  v = state.Morale("eng/a", "r9");
  EXPECT_EQ(v.round, "r9");
  EXPECT_FALSE(v.suppressed);
  EXPECT_FALSE(v.figures.has_value());
}

TEST(SurveyStateTest, DuplicateResponseIdChangesNothing) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 3, 40);
  EXPECT_TRUE(state.HasResponseId("r1/eng/a/0"));
  EXPECT_FALSE(state.HasResponseId("r1/eng/a/9"));
  // Same id, different content: refused.
  EXPECT_FALSE(
      state.Apply(Resp("r1/eng/a/0", "eng/a", "r1", "eng/a#0", 99, 100)));
  EXPECT_FALSE(state.Apply(Resp("r1/eng/a/1", "eng/b", "r1", "x", 99, 100)));
  const MoraleView v = state.Morale("eng/a", "r1");
  ASSERT_TRUE(v.figures.has_value());
  EXPECT_EQ(v.figures->respondents, 3);
  EXPECT_NEAR(v.figures->dimensions[0], 40, kEps);
  EXPECT_THAT(state.teams(), ElementsAre("eng/a"));
}

// A respondent's latest response in a round is the one in force, whatever
// order the responses arrive in.
TEST(SurveyStateTest, LaterResponseReplacesEarlierInAnyArrivalOrder) {
  const ScoredResponse early = Resp("a-early", "eng/a", "r1", "p0", 10, 0);
  const ScoredResponse late = Resp("a-late", "eng/a", "r1", "p0", 20, 100);
  for (bool late_first : {false, true}) {
    SurveyState state(3);
    AddTeam(state, "eng/a", "r1", 3, 40);  // respondents eng/a#0..2
    ASSERT_TRUE(state.Apply(late_first ? late : early));
    ASSERT_TRUE(state.Apply(late_first ? early : late));
    // Two more make k = 3 unpublished responses: a step.
    ASSERT_TRUE(state.Apply(Resp("q1", "eng/a", "r1", "q1", 30, 40)));
    ASSERT_TRUE(state.Apply(Resp("q2", "eng/a", "r1", "q2", 31, 40)));
    const MoraleView v = state.Morale("eng/a", "r1");
    ASSERT_TRUE(v.figures.has_value());
    // p0 counts once, with 100: (5*40 + 100) / 6 = 50.
    EXPECT_EQ(v.figures->respondents, 6) << late_first;
    EXPECT_NEAR(v.figures->dimensions[0], 50, kEps) << late_first;
  }
}

TEST(SurveyStateTest, SameTimeTieGoesToTheLargerResponseId) {
  for (bool b_first : {false, true}) {
    SurveyState state(3);
    const ScoredResponse a = Resp("id-a", "eng/a", "r1", "p", 5, 20);
    const ScoredResponse b = Resp("id-b", "eng/a", "r1", "p", 5, 80);
    ASSERT_TRUE(state.Apply(b_first ? b : a));
    ASSERT_TRUE(state.Apply(b_first ? a : b));
    AddTeam(state, "eng/a", "r1", 2, 0);  // the step
    // (0 + 0 + 80) / 3.
    EXPECT_NEAR(state.Morale("eng/a", "r1").figures->dimensions[0], 80.0 / 3,
                kEps);
  }
}

// The later response may name another team: the person then counts there
// only, once. A move changes both teams: neither moves on it alone, and the
// team left behind moves only with k new responses of its own.
TEST(SurveyStateTest, AMoveIsAChangeOfBothTeams) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 3);
  AddTeam(state, "eng/b", "r1", 3);
  auto respondents = [&](const char* node) {
    return state.Morale(node, "r1").figures->respondents;
  };
  ASSERT_TRUE(state.Apply(Resp("move", "eng/b", "r1", "eng/a#0", 50, 50)));
  EXPECT_EQ(respondents("eng/a"), 3);
  EXPECT_EQ(respondents("eng/b"), 3);
  EXPECT_EQ(respondents("eng"), 6);
  // With the mover and 2 new, eng/b has 6 and eng/a 2: eng/b is suppressed
  // (eng - eng/b would be eng/a's 2), and eng moves by its 3 new.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(state.Apply(Resp(absl::StrCat("b", i), "eng/b", "r1",
                                 absl::StrCat("new-b", i), 60 + i, 50)));
  }
  EXPECT_EQ(respondents("eng/a"), 3);
  EXPECT_EQ(respondents("eng/b"), 3);
  EXPECT_EQ(respondents("eng"), 8);
  // eng/a gets 3 new: it moves. eng/b would be a new region with nothing
  // unpublished (its 6 were all in eng's 8), so it and eng hold.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(state.Apply(Resp(absl::StrCat("a", i), "eng/a", "r1",
                                 absl::StrCat("new-a", i), 70 + i, 50)));
  }
  EXPECT_EQ(respondents("eng/a"), 5);
  EXPECT_EQ(respondents("eng/b"), 3);
  EXPECT_EQ(respondents("eng"), 8);
}

TEST(SurveyStateTest, ALateResponseDoesNotMoveTheFigures) {
  SurveyState state(5);
  AddTeam(state, "eng/a", "r1", 5, 40);
  EXPECT_EQ(state.Morale("eng/a", "r1").figures->respondents, 5);
  for (int i = 5; i < 9; ++i) {
    ASSERT_TRUE(state.Apply(Resp(absl::StrCat("late", i), "eng/a", "r1",
                                 absl::StrCat("late", i), 90 + i, 100)));
    const MoraleView v = state.Morale("eng/a", "r1");
    EXPECT_EQ(v.figures->respondents, 5) << i;
    EXPECT_NEAR(v.figures->dimensions[0], 40, kEps) << i;
  }
  // The fifth new response: a step of k.
  ASSERT_TRUE(state.Apply(Resp("late9", "eng/a", "r1", "late9", 99, 100)));
  const MoraleView v = state.Morale("eng/a", "r1");
  EXPECT_EQ(v.figures->respondents, 10);
  EXPECT_NEAR(v.figures->dimensions[0], 70, kEps);
  EXPECT_EQ(state.release_steps("r1"), 2);
}

TEST(SurveyStateTest, AChangedAnswerIsAChange) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 4, 40);  // published at 3; the 4th waits
  EXPECT_EQ(state.Morale("eng/a", "r1").figures->respondents, 3);
  // Two people change their answer: with the waiting one, 3 responses
  // never published.
  ASSERT_TRUE(state.Apply(Resp("c0", "eng/a", "r1", "eng/a#0", 50, 100)));
  EXPECT_NEAR(state.Morale("eng/a", "r1").figures->dimensions[0], 40, kEps);
  ASSERT_TRUE(state.Apply(Resp("c1", "eng/a", "r1", "eng/a#1", 51, 100)));
  const MoraleView v = state.Morale("eng/a", "r1");
  EXPECT_EQ(v.figures->respondents, 4);
  EXPECT_NEAR(v.figures->dimensions[0], 70, kEps);  // (2*40 + 2*100) / 4
}

// A child that cannot step holds its parent too: were eng to step over
// eng/a's one new response, eng/a could never gather k unpublished ones.
// When both children have stepped, eng minus them is empty: eng moves.
TEST(SurveyStateTest, AHeldChildHoldsItsParent) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 3, 0);
  AddTeam(state, "eng/b", "r1", 3, 0);
  auto respondents = [&](const char* node) {
    return state.Morale(node, "r1").figures->respondents;
  };
  ASSERT_TRUE(state.Apply(Resp("a3", "eng/a", "r1", "a3", 40, 90)));
  ASSERT_TRUE(state.Apply(Resp("b3", "eng/b", "r1", "b3", 41, 90)));
  ASSERT_TRUE(state.Apply(Resp("b4", "eng/b", "r1", "b4", 42, 90)));
  EXPECT_EQ(respondents("eng"), 6);
  EXPECT_EQ(respondents("eng/a"), 3);
  EXPECT_EQ(respondents("eng/b"), 3);
  ASSERT_TRUE(state.Apply(Resp("b5", "eng/b", "r1", "b5", 43, 90)));
  EXPECT_EQ(respondents("eng"), 6);
  EXPECT_EQ(respondents("eng/a"), 3);
  EXPECT_EQ(respondents("eng/b"), 6);
  ASSERT_TRUE(state.Apply(Resp("a4", "eng/a", "r1", "a4", 44, 90)));
  ASSERT_TRUE(state.Apply(Resp("a5", "eng/a", "r1", "a5", 45, 90)));
  EXPECT_EQ(respondents("eng"), 12);
  EXPECT_EQ(respondents("eng/a"), 6);
  EXPECT_EQ(respondents("eng/b"), 6);
}

TEST(SurveyStateTest, RoundsAreSeparateAndLatestIsPerNode) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "2026-01", 3, 20);
  AddTeam(state, "eng/b", "2026-01", 3, 40);
  AddTeam(state, "eng/a", "2026-02", 3, 60);
  EXPECT_THAT(state.rounds(), ElementsAre("2026-01", "2026-02"));
  MoraleView v = state.Morale("eng/a", "");
  EXPECT_EQ(v.round, "2026-02");
  EXPECT_EQ(v.figures->respondents, 3);
  // eng/b answered only in the first round: its latest is that one.
  v = state.Morale("eng/b", "");
  EXPECT_EQ(v.round, "2026-01");
  EXPECT_NEAR(v.figures->dimensions[0], 40, kEps);
  // Asked for explicitly.
  v = state.Morale("eng/a", "2026-01");
  EXPECT_EQ(v.round, "2026-01");
  EXPECT_NEAR(v.figures->dimensions[0], 20, kEps);
  v = state.Morale("eng/b", "2026-02");
  EXPECT_EQ(v.round, "2026-02");
  EXPECT_FALSE(v.figures.has_value());
  EXPECT_FALSE(v.suppressed);
}

TEST(SurveyStateTest, PreviousIsTheLatestEarlierReleasedRound) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 3, 10);
  AddTeam(state, "eng/a", "r2", 2, 20);  // suppressed
  AddTeam(state, "eng/a", "r3", 5, 30);
  MoraleView v = state.Morale("eng/a", "r3");
  ASSERT_TRUE(v.figures.has_value());
  EXPECT_EQ(v.previous_round, "r1");
  ASSERT_TRUE(v.previous.has_value());
  EXPECT_NEAR(v.previous->dimensions[0], 10, kEps);
  EXPECT_EQ(v.previous->respondents, 3);
  // A suppressed round carries no previous figures either.
  v = state.Morale("eng/a", "r2");
  EXPECT_TRUE(v.suppressed);
  EXPECT_EQ(v.previous_round, "");
  EXPECT_FALSE(v.previous.has_value());
  v = state.Morale("eng/a", "r1");
  EXPECT_EQ(v.previous_round, "");
}

TEST(SurveyStateTest, AStepNeedsKResponsesNeverPublished) {
  SurveyState state(3);
  AddTeam(state, "eng/a", "r1", 2);
  EXPECT_TRUE(state.Morale("eng/a", "r1").suppressed);
  EXPECT_EQ(state.release_steps("r1"), 0);
  ASSERT_TRUE(state.Apply(Resp("third", "eng/a", "r1", "p3", 9, 50)));
  EXPECT_EQ(state.Morale("eng/a", "r1").figures->respondents, 3);
  EXPECT_EQ(state.release_steps("r1"), 1);
  EXPECT_EQ(state.release_steps("r9"), 0);
  EXPECT_EQ(state.min_group_size(), 3);
}

TEST(SurveyStateTest, EmptyStateHasNoRoundsOrTeams) {
  SurveyState state(5);
  EXPECT_THAT(state.rounds(), IsEmpty());
  EXPECT_THAT(state.teams(), IsEmpty());
}

// --- Erasure -----------------------------------------------------------------

// The state a store holds after erasing `erased`: every other response in
// the same order, then the resets the live state made.
SurveyState ReplayWithout(const std::vector<ScoredResponse>& log,
                          const std::string& erased,
                          const std::vector<RoundReset>& resets, int k) {
  SurveyState state(k);
  for (const ScoredResponse& r : log) {
    if (r.respondent != erased) state.Apply(r);
  }
  for (const RoundReset& reset : resets) state.ApplyReset(reset);
  return state;
}

TEST(SurveyStateTest, AnErasureWithdrawsThePersonsGroupsUntilKNewResponses) {
  std::vector<ScoredResponse> log;
  for (int i = 0; i < 5; ++i) {
    log.push_back(Resp(absl::StrCat("a", i), "a/x", "r1", absl::StrCat("a#", i),
                       i, 20.0 * i));
    log.push_back(
        Resp(absl::StrCat("b", i), "b", "r1", absl::StrCat("b#", i), i, 50));
  }
  log.push_back(Resp("c0", "a/x", "r2", "a#0", 0, 10));  // another round
  SurveyState live(5);
  for (const ScoredResponse& r : log) ASSERT_TRUE(live.Apply(r));
  ASSERT_EQ(live.Morale("a/x", "r1").figures->respondents, 5);
  const GroupMorale b = *live.Morale("b", "r1").figures;

  const std::vector<RoundReset> resets = live.ErasureResets("a#0");
  ASSERT_EQ(resets.size(), 2u);
  EXPECT_EQ(resets[0].round, "r1");
  EXPECT_EQ(resets[0].steps, live.release_steps("r1"));
  // Only b keeps its figures: a/x and a held a#0.
  ASSERT_EQ(resets[0].published.size(), 1u);
  EXPECT_TRUE(resets[0].published.contains("b"));
  EXPECT_EQ(resets[1].round, "r2");
  EXPECT_THAT(live.ErasureResets("nobody"), IsEmpty());

  SurveyState state = ReplayWithout(log, "a#0", resets, 5);
  for (const char* node : {"a/x", "a"}) {
    const MoraleView v = state.Morale(node, "r1");
    EXPECT_TRUE(v.suppressed) << node;
    EXPECT_FALSE(v.figures.has_value()) << node;
  }
  ASSERT_TRUE(state.Morale("b", "r1").figures.has_value());
  EXPECT_EQ(state.Morale("b", "r1").figures->respondents, b.respondents);
  EXPECT_NEAR(state.Morale("b", "r1").figures->dimensions[0], b.dimensions[0],
              kEps);
  // r2 had only a#0: nothing is left of it.
  EXPECT_THAT(state.rounds(), ElementsAre("r1"));

  // The 4 left were published with a#0: they do not count towards a step.
  // Four new responses are not enough; the fifth is.
  for (int i = 5; i < 9; ++i) {
    ASSERT_TRUE(state.Apply(
        Resp(absl::StrCat("a", i), "a/x", "r1", absl::StrCat("a#", i), i, 80)));
    EXPECT_TRUE(state.Morale("a/x", "r1").suppressed) << i;
  }
  ASSERT_TRUE(state.Apply(Resp("a9", "a/x", "r1", "a#9", 9, 80)));
  ASSERT_TRUE(state.Morale("a/x", "r1").figures.has_value());
  EXPECT_EQ(state.Morale("a/x", "r1").figures->respondents, 9);
}

TEST(SurveyStateTest, AnErasureWithdrawsHeldFiguresOfEveryTeamThePersonWasIn) {
  SurveyState state(3);
  AddTeam(state, "d/x", "r1", 3);
  AddTeam(state, "d/y", "r1", 3);
  AddTeam(state, "e", "r1", 3);
  ASSERT_TRUE(state.Morale("d/x", "r1").figures.has_value());
  // d/x#0 moves to d/y: d/x holds figures that still contain them.
  ASSERT_TRUE(state.Apply(Resp("move", "d/y", "r1", "d/x#0", 60, 0)));
  const std::vector<RoundReset> resets = state.ErasureResets("d/x#0");
  ASSERT_EQ(resets.size(), 1u);
  std::vector<std::string> kept;
  for (const auto& [node, m] : resets[0].published) kept.push_back(node);
  EXPECT_THAT(kept, ElementsAre("e"));
}

// The erasure is decided on the live state, which took steps the erased
// person's responses took part in; a replay of the store without them takes
// other steps before the reset, and serves the same figures after it.
TEST(SurveyStateTest, AReplayWithoutThePersonServesTheSameFigures) {
  std::vector<ScoredResponse> log;
  for (int i = 0; i < 14; ++i) {
    const std::string team = i % 3 == 0 ? "d/x" : (i % 3 == 1 ? "d/y" : "e");
    log.push_back(Resp(absl::StrCat("r", i), team, "r1", absl::StrCat("p", i),
                       i, 7.0 * i));
  }
  SurveyState live(3);
  for (const ScoredResponse& r : log) live.Apply(r);
  const std::vector<RoundReset> resets = live.ErasureResets("p4");
  SurveyState replayed = ReplayWithout(log, "p4", resets, 3);
  for (const char* node : {"d", "d/x", "d/y", "e"}) {
    const MoraleView v = replayed.Morale(node, "r1");
    const auto kept = resets[0].published.find(node);
    ASSERT_EQ(v.figures.has_value(), kept != resets[0].published.end()) << node;
    if (!v.figures) continue;
    EXPECT_EQ(v.figures->respondents, kept->second.respondents) << node;
    EXPECT_EQ(v.figures->dimensions, kept->second.dimensions) << node;
    EXPECT_EQ(v.figures->dimensions,
              live.Morale(node, "r1").figures->dimensions)
        << node;
  }
  EXPECT_EQ(replayed.release_steps("r1"), live.release_steps("r1"));
  EXPECT_FALSE(replayed.Morale("d", "r1").figures.has_value());
  EXPECT_TRUE(replayed.Morale("e", "r1").figures.has_value());
}

}  // namespace
}  // namespace orgpulse::insights
