// What the release model costs on the sample organisation of the demo
// (tools/sample_org): how many groups are published at the end, and how
// fresh the published figures are while the responses arrive, under three
// policies: live k-anonymity (the model before release steps, which leaks
// under history), release steps (SurveyState), and release when the round
// closes. docs/decisions/0003-release-model.md quotes the printed lines.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/domain/survey_state.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse::insights {
namespace {

constexpr int kK = 5;

ScoredResponse FromProto(const v1::SurveyResponse& p) {
  ScoredResponse r;
  r.response_id = p.response_id();
  r.team = p.team();
  r.round = p.round();
  r.respondent = p.respondent_id();
  r.submitted_at = absl::FromUnixSeconds(p.submitted_at().seconds());
  std::array<int, kDimensionCount> items{};
  for (const v1::Answer& a : p.answers()) {
    const int d = static_cast<int>(a.dimension()) - 1;
    const int v = a.reverse_scored() ? 6 - a.value() : a.value();
    r.dimension_scores[d] += (v - 1) / 4.0 * 100;
    ++items[d];
  }
  for (int d = 0; d < kDimensionCount; ++d) {
    if (items[d] > 0) r.dimension_scores[d] /= items[d];
  }
  r.enps = p.enps();
  r.intent_to_stay = p.intent_to_stay();
  return r;
}

std::vector<std::string> Prefixes(const std::string& team) {
  std::vector<std::string> out;
  for (size_t s = team.find('/'); s != std::string::npos;
       s = team.find('/', s + 1)) {
    out.push_back(team.substr(0, s));
  }
  out.push_back(team);
  return out;
}

struct Cost {
  int published = 0;  // groups (node, round) with figures at the end
  int groups = 0;     // groups with any response at the end
  int lagging = 0;    // of the published: figures behind the responses
  // Mean over arrivals of: respondents in the figures shown for the teams
  // of the arriving response's round / respondents in force in those teams.
  double freshness = 0;
  std::vector<std::string> names;  // the published groups, node@round
};

enum class Policy { kLive, kSteps, kRoundClose };

Cost Measure(const std::vector<ScoredResponse>& arrivals, Policy policy) {
  SurveyState steps(kK);
  // round -> respondent -> team, for the live and round-close policies.
  std::map<std::string, std::map<std::string, std::string>> in_force;
  std::map<std::string, std::map<std::string, absl::Time>> at;
  Cost cost;
  auto counts = [&](const std::string& round) {
    std::map<std::string, int64_t> own, subtree;
    for (const auto& [who, team] : in_force[round]) {
      ++own[team];
      for (const std::string& n : Prefixes(team)) ++subtree[n];
    }
    return std::pair{own, subtree};
  };
  // Respondents in the figures shown for `node` in `round` (0: none).
  auto shown = [&](const std::string& node, const std::string& round,
                   bool closed) -> int64_t {
    if (policy == Policy::kSteps) {
      const MoraleView v = steps.Morale(node, round);
      return v.figures ? v.figures->respondents : 0;
    }
    if (policy == Policy::kRoundClose && !closed) return 0;
    const auto [own, subtree] = counts(round);
    return DecideReleasedGroups(own, kK).contains(node) ? subtree.at(node) : 0;
  };
  int samples = 0;
  for (const ScoredResponse& r : arrivals) {
    steps.Apply(r);
    auto held = at[r.round].find(r.respondent);
    if (held == at[r.round].end() || r.submitted_at > held->second) {
      at[r.round][r.respondent] = r.submitted_at;
      in_force[r.round][r.respondent] = r.team;
    }
    const auto [own, subtree] = counts(r.round);
    int64_t in = 0, out = 0;
    for (const auto& [team, n] : own) {
      in += n;
      out += shown(team, r.round, false);
    }
    cost.freshness += static_cast<double>(out) / static_cast<double>(in);
    ++samples;
  }
  cost.freshness /= samples;
  for (const auto& [round, people] : in_force) {
    const auto [own, subtree] = counts(round);
    for (const auto& [node, n] : subtree) {
      ++cost.groups;
      const int64_t m = shown(node, round, true);
      if (m > 0) {
        ++cost.published;
        cost.names.push_back(absl::StrCat(node, "@", round));
      }
      if (m > 0 && m != n) ++cost.lagging;
    }
  }
  return cost;
}

TEST(ReleaseCostTest, SampleOrganisation) {
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12), absl::UTCTimeZone());
  std::vector<ScoredResponse> demo_order;  // as the demo submits: by team
  for (const v1::SurveyResponse& p : sample::SampleSurveyResponses(now)) {
    demo_order.push_back(FromProto(p));
  }
  std::vector<ScoredResponse> time_order = demo_order;  // as people answer
  std::stable_sort(time_order.begin(), time_order.end(),
                   [](const ScoredResponse& a, const ScoredResponse& b) {
                     return a.submitted_at < b.submitted_at;
                   });
  std::map<std::pair<int, int>, Cost> costs;
  for (int order = 0; order < 2; ++order) {
    for (Policy policy : {Policy::kLive, Policy::kSteps, Policy::kRoundClose}) {
      const Cost c = Measure(order == 0 ? demo_order : time_order, policy);
      costs[{order, static_cast<int>(policy)}] = c;
      std::printf(
          "%-10s %-11s published %d of %d groups at the end (%d behind their "
          "responses), freshness while answering %.0f%%\n",
          order == 0 ? "by team" : "by time",
          policy == Policy::kLive    ? "live"
          : policy == Policy::kSteps ? "steps"
                                     : "round close",
          c.published, c.groups, c.lagging, 100 * c.freshness);
      std::printf("  %s\n", absl::StrJoin(c.names, " ").c_str());
    }
  }
  // Live and round close publish the same groups at the end, all current;
  // steps publish no more, and (in the demo's order) some figures while the
  // round runs, which round close never does.
  for (int order = 0; order < 2; ++order) {
    const Cost& live = costs[{order, static_cast<int>(Policy::kLive)}];
    const Cost& close = costs[{order, static_cast<int>(Policy::kRoundClose)}];
    const Cost& steps = costs[{order, static_cast<int>(Policy::kSteps)}];
    EXPECT_EQ(live.published, close.published);
    EXPECT_EQ(live.lagging, 0);
    EXPECT_EQ(close.freshness, 0);
    EXPECT_LE(steps.published, live.published);
  }
  const Cost& steps_by_team = costs[{0, static_cast<int>(Policy::kSteps)}];
  EXPECT_GT(steps_by_team.freshness, 0);
}

// The demo's story: eng/payments' figures do not move on one new response,
// and move by k.
TEST(ReleaseCostTest, SampleTeamMovesOnlyInStepsOfK) {
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12), absl::UTCTimeZone());
  SurveyState state(kK);
  std::vector<int64_t> seen;
  for (const v1::SurveyResponse& p : sample::SampleSurveyResponses(now)) {
    if (p.team() != "eng/payments" || p.round() != "2026-q4") continue;
    state.Apply(FromProto(p));
    const MoraleView v = state.Morale("eng/payments", "2026-q4");
    seen.push_back(v.figures ? v.figures->respondents : 0);
  }
  // 9 respondents: nothing until 5, then 5 until the 10th that never comes.
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 0, 0, 0, 5, 5, 5, 5, 5}));
}

}  // namespace
}  // namespace orgpulse::insights
