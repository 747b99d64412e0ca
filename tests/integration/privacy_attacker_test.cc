// The attacker of the privacy rules, against the real insights binary.
//
// For each seed: a random organisation (1-2 departments, 2-4 levels of path
// ids like `d1/t2/s3`, some intermediate nodes with their own members, teams
// of 1 to 15 people), 2 to 4 survey rounds with people joining, leaving and
// moving teams between rounds, random answers per person per round (some
// people answer twice in a round, sometimes from another team: the later
// response is the one in force). A fresh insights binary gets every
// response over gRPC (ingest is not running: its address is an unused
// loopback port). Then the test asks everything the API and /metrics allow:
// GetTeamInsights for every node (team or path prefix) and every round (and
// the latest, and unknown rounds), ListTeamInsights for every prefix in both
// orders, and a scrape of /metrics.
//
// Every released group figure (a node in one round) becomes equations over
// the variables (respondent, round, statistic): per dimension, its mean times
// the respondents is the sum of the members' scores; eNPS gives promoters
// minus detractors; intent to stay gives a sum. A `change` is the difference
// of two released means. People score, risks and drivers are checked to be
// functions of the same group's released figures, so they add nothing. The
// attacker knows exactly who answered in which team (the strongest attacker:
// counts then add nothing either). LinearPrivacySolver then decides what is
// determined: no single answer may be, and no sum over a group of 1 to k-1
// respondents (a team's own part, a subtree, a union of a node's parts).
//
// The test can fail: the same attack on what k-anonymity alone would release
// (every group with at least k respondents) determines someone.
//
// Out of scope (not linear): a released extreme (eNPS 100, a score of 0)
// says every member answered the same way; that is what k-anonymity accepts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/linear_privacy_solver.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::LinearPrivacySolver;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;

constexpr char kNow[] = "2026-11-20T12:00:00Z";
constexpr int64_t kNowSeconds = 1795176000;  // kNow, Unix seconds
constexpr int kDims = 9;
// Statistics per answer: the 9 dimension scores (0..100), eNPS as
// +1 (promoter) / 0 / -1 (detractor), intent to stay (0..100).
constexpr int kEnps = kDims;
constexpr int kIntent = kDims + 1;
constexpr int kStats = kDims + 2;
constexpr std::array<const char*, kDims> kDimNames = {"psychological_safety",
                                                      "feedback",
                                                      "recognition",
                                                      "growth",
                                                      "wellbeing",
                                                      "trust_in_leadership",
                                                      "vision",
                                                      "autonomy",
                                                      "collaboration"};
constexpr std::array<const char*, kStats> kStatNames = {"psychological_safety",
                                                        "feedback",
                                                        "recognition",
                                                        "growth",
                                                        "wellbeing",
                                                        "trust_in_leadership",
                                                        "vision",
                                                        "autonomy",
                                                        "collaboration",
                                                        "enps",
                                                        "intent_to_stay"};
constexpr int kSeeds = 40;

bool IsUnder(const std::string& team, const std::string& node) {
  return node.empty() || team == node ||
         (team.size() > node.size() &&
          team.compare(0, node.size(), node) == 0 && team[node.size()] == '/');
}

// ---------------------------------------------------------------------------
// The organisation, generated.

struct Respondent {
  int person;
  std::string team;
  std::array<double, kStats> stat;  // the response in force
};

struct Org {
  uint64_t seed = 0;
  int k = 5;
  std::vector<std::string> nodes;   // every team and prefix, sorted
  std::vector<std::string> rounds;  // sorted ids
  // By round: who answered (the response in force), in which team.
  std::vector<std::vector<Respondent>> respondents;
  std::vector<v1::SurveyResponse> submissions;  // everything sent, shuffled

  std::vector<int> Members(const std::string& node, int round) const {
    std::vector<int> out;
    for (size_t i = 0; i < respondents[round].size(); ++i) {
      if (IsUnder(respondents[round][i].team, node))
        out.push_back(static_cast<int>(i));
    }
    return out;
  }
  std::vector<int> OwnMembers(const std::string& node, int round) const {
    std::vector<int> out;
    for (size_t i = 0; i < respondents[round].size(); ++i) {
      if (respondents[round][i].team == node)
        out.push_back(static_cast<int>(i));
    }
    return out;
  }
  std::vector<std::string> Children(const std::string& node) const {
    std::vector<std::string> out;
    for (const std::string& n : nodes) {
      if (n.size() > node.size() && IsUnder(n, node) &&
          n.find('/', node.size() + 1) == std::string::npos) {
        out.push_back(n);
      }
    }
    return out;
  }
  // The latest round with respondents under `node`; -1 if none.
  int LatestRound(const std::string& node) const {
    for (int r = static_cast<int>(rounds.size()) - 1; r >= 0; --r) {
      if (!Members(node, r).empty()) return r;
    }
    return -1;
  }
  int RoundIndex(const std::string& id) const {
    auto it = std::find(rounds.begin(), rounds.end(), id);
    return it == rounds.end() ? -1 : static_cast<int>(it - rounds.begin());
  }
  // The variable of (respondent i of round r, statistic s).
  int Var(int round, int i, int s) const {
    int offset = 0;
    for (int r = 0; r < round; ++r)
      offset += static_cast<int>(respondents[r].size());
    return (offset + i) * kStats + s;
  }
  int Variables() const {
    int n = 0;
    for (const auto& r : respondents) n += static_cast<int>(r.size());
    return n * kStats;
  }
};

Org GenerateOrg(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };

  Org org;
  org.seed = seed;
  org.k = chance(0.5) ? 3 : 5;
  const int depth = uniform(2, 4);
  const std::string level_letters = "dtsu";
  std::vector<std::string> teams;  // nodes that have members of their own
  std::function<void(const std::string&, int)> grow =
      [&](const std::string& path, int level) {
        org.nodes.push_back(path);
        int children = 0;
        if (level < depth)
          children = level == 1 ? uniform(2, 3) : uniform(0, 3);
        if (org.nodes.size() > 20) children = 0;
        for (int c = 1; c <= children; ++c) {
          grow(absl::StrCat(path, "/", level_letters.substr(level, 1), c),
               level + 1);
        }
        if (children == 0 || chance(0.4)) teams.push_back(path);
      };
  const int departments = uniform(1, 2);
  for (int d = 1; d <= departments; ++d) grow(absl::StrCat("d", d), 1);
  std::sort(org.nodes.begin(), org.nodes.end());

  // People: team by person id; -1 once they left.
  std::vector<std::string> team_of;
  auto hire = [&](const std::string& team, int n) {
    for (int i = 0; i < n; ++i) team_of.push_back(team);
  };
  for (const std::string& t : teams) {
    const bool intermediate = std::any_of(
        org.nodes.begin(), org.nodes.end(),
        [&](const std::string& n) { return n != t && IsUnder(n, t); });
    if (chance(0.08)) continue;  // starts empty, may hire later
    hire(t, intermediate ? (chance(0.7) ? uniform(1, 6) : uniform(1, 15))
                         : (chance(0.35) ? uniform(1, 4) : uniform(1, 15)));
  }

  const int rounds = uniform(2, 4);
  int response_seq = 0;
  auto make_response = [&](int person, const std::string& team, int round,
                           int64_t submitted_at,
                           std::array<double, kStats>& stat) {
    v1::SurveyResponse r;
    r.set_response_id(
        absl::StrCat("resp-", seed, "-", round, "-", ++response_seq));
    r.set_team(team);
    r.set_round(org.rounds[round]);
    r.set_respondent_id(absl::StrCat("person-", seed, "-", person));
    r.mutable_submitted_at()->set_seconds(submitted_at);
    for (int d = 0; d < kDims; ++d) {
      const int items = uniform(1, 2);
      double sum = 0;
      for (int it = 0; it < items; ++it) {
        v1::Answer& a = *r.add_answers();
        a.set_item(absl::StrCat("q", d, "-", it));
        a.set_dimension(static_cast<v1::Dimension>(d + 1));
        a.set_value(uniform(1, 5));
        a.set_reverse_scored(chance(0.25));
        const int scored = a.reverse_scored() ? 6 - a.value() : a.value();
        sum += (scored - 1) / 4.0 * 100;
      }
      stat[d] = sum / items;
    }
    r.set_enps(uniform(0, 10));
    stat[kEnps] = r.enps() >= 9 ? 1 : (r.enps() <= 6 ? -1 : 0);
    r.set_intent_to_stay(uniform(1, 5));
    stat[kIntent] = (r.intent_to_stay() - 1) * 25.0;
    return r;
  };

  for (int round = 0; round < rounds; ++round) {
    org.rounds.push_back(absl::StrCat("2026-r", round + 1));
    if (round > 0) {  // turnover between rounds
      for (std::string& t : team_of) {
        if (t.empty()) continue;
        if (chance(0.1)) {
          t.clear();
        } else if (chance(0.06)) {
          t = teams[uniform(0, static_cast<int>(teams.size()) - 1)];
        }
      }
      for (const std::string& t : teams) {
        if (chance(0.3)) hire(t, uniform(1, 3));
      }
    }
    // Round r runs in month r+3 of 2026, well before kNow.
    const int64_t base = kNowSeconds - (10 - round) * 30 * 86400;
    std::vector<Respondent> in_force;
    for (int person = 0; person < static_cast<int>(team_of.size()); ++person) {
      if (team_of[person].empty() || !chance(0.85)) continue;
      const int64_t at = base + uniform(0, 86400);
      Respondent resp{person, team_of[person], {}};
      org.submissions.push_back(
          make_response(person, resp.team, round, at, resp.stat));
      if (chance(0.03))
        org.submissions.push_back(org.submissions.back());  // resent
      if (chance(0.1)) {
        // An earlier response of the same person, replaced by the one above
        // whatever the order of arrival; sometimes from another team.
        std::array<double, kStats> ignored;
        const std::string team =
            chance(0.3) ? teams[uniform(0, static_cast<int>(teams.size()) - 1)]
                        : resp.team;
        org.submissions.push_back(
            make_response(person, team, round, at - uniform(1, 3600), ignored));
      }
      in_force.push_back(std::move(resp));
    }
    org.respondents.push_back(std::move(in_force));
  }
  std::shuffle(org.submissions.begin(), org.submissions.end(), rng);
  return org;
}

// ---------------------------------------------------------------------------
// What was released.

struct Group {
  std::string node;
  int round;
  auto operator<=>(const Group&) const = default;
};

std::string Name(const Org& org, const Group& g) {
  return absl::StrCat(g.node, "@", org.rounds[g.round]);
}

// A released group's figures: respondents and the 11 means (dimension
// scores, eNPS on -100..100, intent to stay).
struct Figures {
  int64_t respondents = 0;
  std::array<double, kStats> value{};
};

Figures Expected(const Org& org, const Group& g) {
  Figures f;
  const std::vector<int> members = org.Members(g.node, g.round);
  f.respondents = static_cast<int64_t>(members.size());
  for (int s = 0; s < kStats; ++s) {
    double sum = 0;
    for (int i : members) sum += org.respondents[g.round][i].stat[s];
    f.value[s] =
        (s == kEnps ? 100.0 : 1.0) * sum / static_cast<double>(members.size());
  }
  return f;
}

bool Near(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

std::string FiguresMismatch(const Figures& got, const Figures& want) {
  std::string out;
  if (got.respondents != want.respondents) {
    absl::StrAppend(&out, " respondents ", got.respondents,
                    " != ", want.respondents);
  }
  for (int s = 0; s < kStats; ++s) {
    if (!Near(got.value[s], want.value[s])) {
      absl::StrAppend(&out, " ", kStatNames[s], " ", got.value[s],
                      " != ", want.value[s]);
    }
  }
  return out;
}

double PeopleScore(const Figures& f) {
  double mean = 0;
  for (int d = 0; d < kDims; ++d) mean += f.value[d];
  mean /= kDims;
  return 0.7 * mean + 0.15 * f.value[kIntent] +
         0.15 * (f.value[kEnps] + 100) / 2;
}
double Low(const Figures& f, int d) { return 1 - f.value[d] / 100; }
double BurnoutRisk(const Figures& f) {  // no execution figures: no pressure
  return std::clamp(0.5 * Low(f, 4) + 0.2 * Low(f, 2) + 0.15 * Low(f, 7), 0.0,
                    1.0);
}
double TurnoverRisk(const Figures& f) {
  return std::clamp(0.45 * (1 - f.value[kIntent] / 100) +
                        0.2 * (100 - f.value[kEnps]) / 200 + 0.15 * Low(f, 3) +
                        0.2 * Low(f, 5),
                    0.0, 1.0);
}
// The people drivers the formulas give for released figures, worst first.
std::vector<std::pair<std::string, double>> PeopleDrivers(const Figures& f) {
  struct Ranked {
    std::string name;
    double value, shortfall;
  };
  std::vector<Ranked> ranked;
  auto consider = [&](std::string name, double value, double threshold,
                      double scale) {
    if (value < threshold)
      ranked.push_back({std::move(name), value, (threshold - value) / scale});
  };
  for (int d = 0; d < kDims; ++d) consider(kDimNames[d], f.value[d], 60, 100);
  consider("enps", f.value[kEnps], 0, 200);
  consider("intent_to_stay", f.value[kIntent], 60, 100);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) {
                     return a.shortfall > b.shortfall;
                   });
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < ranked.size() && i < 5; ++i) {
    out.push_back({ranked[i].name, ranked[i].value});
  }
  return out;
}

struct Change {
  Group group;
  int previous_round;
  std::array<double, kStats> change;  // dimensions and eNPS (intent: none)
  std::string source;
};

// Everything the attacker saw, from every channel.
class Observations {
 public:
  explicit Observations(const Org& org) : org_(org) {}

  const std::map<Group, Figures>& released() const { return released_; }
  const std::map<Group, std::string>& suppressed() const { return suppressed_; }
  const std::vector<Change>& changes() const { return changes_; }
  const std::map<Group, std::string>& first_source() const {
    return first_source_;
  }

  // One TeamInsights message. `asked_round`: the round asked for ("" for the
  // latest); unknown rounds are fine.
  void Observe(const v1::TeamInsights& t, const std::string& asked_round,
               const std::string& source) {
    SCOPED_TRACE(source);
    const v1::MoraleFigures& m = t.morale();
    const std::string& node = t.team();
    int round = org_.RoundIndex(m.round());
    if (asked_round.empty()) {
      const int latest = org_.LatestRound(node);
      EXPECT_EQ(round, latest) << "latest round of " << node << " is "
                               << (latest < 0 ? "none" : org_.rounds[latest])
                               << ", answered " << m.round();
    } else {
      EXPECT_EQ(m.round(), asked_round);
    }
    // No execution figures at all (ingest is down and never answered).
    EXPECT_FALSE(t.execution().available());
    EXPECT_FALSE(t.has_execution_score());
    EXPECT_EQ(t.quadrant(), v1::QUADRANT_INSUFFICIENT_DATA);

    const bool has_figures = m.respondents() != 0 || m.dimensions_size() != 0;
    if (m.suppressed() || !has_figures) {
      ExpectNoNumbers(t);
      const bool has_members = round >= 0 && !org_.Members(node, round).empty();
      if (m.suppressed()) {
        EXPECT_TRUE(has_members) << "suppressed, yet nobody answered";
        if (round >= 0) suppressed_.try_emplace({node, round}, source);
      } else {
        EXPECT_FALSE(has_members) << "has respondents, yet neither released "
                                     "nor marked suppressed";
      }
      return;
    }
    ASSERT_GE(round, 0) << "figures for an unknown round " << m.round();
    const Group g{node, round};
    Figures f;
    f.respondents = m.respondents();
    std::set<int> dims_seen;
    for (const v1::DimensionScore& d : m.dimensions()) {
      const int i = static_cast<int>(d.dimension()) - 1;
      ASSERT_TRUE(i >= 0 && i < kDims && dims_seen.insert(i).second);
      f.value[i] = d.score();
    }
    EXPECT_EQ(dims_seen.size(), static_cast<size_t>(kDims));
    f.value[kEnps] = m.enps();
    f.value[kIntent] = m.intent_to_stay();
    Record(g, f, source);

    // Derived figures: functions of this group's released figures only.
    EXPECT_TRUE(t.has_people_score());
    EXPECT_TRUE(Near(t.people_score(), PeopleScore(f))) << t.people_score();
    EXPECT_TRUE(t.has_risks());
    EXPECT_TRUE(Near(t.burnout_risk(), BurnoutRisk(f))) << t.burnout_risk();
    EXPECT_TRUE(Near(t.turnover_risk(), TurnoverRisk(f))) << t.turnover_risk();
    const auto drivers = PeopleDrivers(f);
    ASSERT_EQ(t.drivers_size(), static_cast<int>(drivers.size()));
    for (int i = 0; i < t.drivers_size(); ++i) {
      EXPECT_EQ(t.drivers(i).score(), v1::Driver::SCORE_PEOPLE);
      EXPECT_EQ(t.drivers(i).name(), drivers[i].first);
      EXPECT_TRUE(Near(t.drivers(i).value(), drivers[i].second));
    }
    EXPECT_EQ(t.recommendations_size(), t.drivers_size());

    if (!m.previous_round().empty()) {
      Change c{g, org_.RoundIndex(m.previous_round()), {}, source};
      EXPECT_GE(c.previous_round, 0);
      EXPECT_LT(c.previous_round, round);
      for (const v1::DimensionScore& d : m.dimensions()) {
        c.change[static_cast<int>(d.dimension()) - 1] = d.change();
      }
      c.change[kEnps] = m.enps_change();
      if (c.previous_round >= 0) changes_.push_back(c);
    } else {
      for (const v1::DimensionScore& d : m.dimensions())
        EXPECT_EQ(d.change(), 0);
      EXPECT_EQ(m.enps_change(), 0);
    }
  }

  // A group's figures as seen in any channel: the same every time, and the
  // test's own means of the members' answers.
  void Record(const Group& g, const Figures& f, const std::string& source) {
    EXPECT_GE(f.respondents, org_.k)
        << Name(org_, g) << " released with " << f.respondents
        << " < k = " << org_.k << " respondents by " << source;
    const std::string wrong = FiguresMismatch(f, Expected(org_, g));
    EXPECT_TRUE(wrong.empty())
        << Name(org_, g) << " by " << source << ":" << wrong;
    auto [it, inserted] = released_.try_emplace(g, f);
    if (inserted) {
      first_source_[g] = source;
    } else {
      const std::string differs = FiguresMismatch(f, it->second);
      EXPECT_TRUE(differs.empty())
          << Name(org_, g) << " differs between " << first_source_[g] << " and "
          << source << ":" << differs;
    }
  }

  // A `change` is a difference of two means; each must be released too, and
  // the previous round must be the latest earlier one released.
  void CheckChanges() {
    for (const Change& c : changes_) {
      SCOPED_TRACE(c.source);
      const Group prev{c.group.node, c.previous_round};
      auto p = released_.find(prev);
      EXPECT_TRUE(p != released_.end())
          << "change since " << Name(org_, prev) << ", which was not released";
      for (int r = c.previous_round + 1; r < c.group.round; ++r) {
        EXPECT_FALSE(released_.contains({c.group.node, r}))
            << "previous round skips the released " << org_.rounds[r];
      }
      if (p == released_.end()) continue;
      const Figures& now = released_.at(c.group);
      for (int s = 0; s < kStats; ++s) {
        if (s == kIntent) continue;
        EXPECT_TRUE(Near(c.change[s], now.value[s] - p->second.value[s]))
            << kStatNames[s] << " change " << c.change[s];
      }
    }
  }

 private:
  void ExpectNoNumbers(const v1::TeamInsights& t) {
    const v1::MoraleFigures& m = t.morale();
    EXPECT_EQ(m.respondents(), 0);
    EXPECT_EQ(m.dimensions_size(), 0);
    EXPECT_EQ(m.enps(), 0);
    EXPECT_EQ(m.intent_to_stay(), 0);
    EXPECT_EQ(m.enps_change(), 0);
    EXPECT_EQ(m.previous_round(), "");
    EXPECT_FALSE(m.has_as_of());
    EXPECT_FALSE(t.has_people_score());
    EXPECT_EQ(t.people_score(), 0);
    EXPECT_FALSE(t.has_risks());
    EXPECT_EQ(t.burnout_risk(), 0);
    EXPECT_EQ(t.turnover_risk(), 0);
    EXPECT_EQ(t.drivers_size(), 0);
    EXPECT_EQ(t.recommendations_size(), 0);
  }

  const Org& org_;
  std::map<Group, Figures> released_;
  std::map<Group, std::string> first_source_;
  std::map<Group, std::string> suppressed_;
  std::vector<Change> changes_;
};

// ---------------------------------------------------------------------------
// The attack.

struct AttackResult {
  int variables = 0;
  int rank = 0;
  std::vector<std::string> individuals;   // determined single answers
  std::vector<std::string> small_groups;  // determined sums of 1..k-1 people
};

// Solves everything released. `changes` (may be null) go through the
// adapter below: LinearPrivacySolver takes 0/1 equations only.
AttackResult Attack(const Org& org, const std::set<Group>& released,
                    const std::vector<Change>* changes) {
  AttackResult out;
  out.variables = org.Variables();
  LinearPrivacySolver solver(out.variables);
  auto vars = [&](const std::vector<int>& members, int round, int s) {
    std::vector<int> v;
    for (int i : members) v.push_back(org.Var(round, i, s));
    return v;
  };
  for (const Group& g : released) {
    const std::vector<int> members = org.Members(g.node, g.round);
    for (int s = 0; s < kStats; ++s)
      solver.AddEquation(vars(members, g.round, s));
  }
  // Adapter: `change` = mean(A) - mean(B), i.e. sum(A)/|A| - sum(B)/|B|
  // (the attacker knows both sizes). With one of the two sums determined it
  // is equivalent to the 0/1 equation of the other, which is added; with
  // neither it has no 0/1 form, so the test fails rather than ignore it.
  if (changes != nullptr) {
    for (const Change& c : *changes) {
      const Group prev{c.group.node, c.previous_round};
      if (prev.round < 0) continue;
      const std::vector<int> a = org.Members(c.group.node, c.group.round);
      const std::vector<int> b = org.Members(prev.node, prev.round);
      for (int s = 0; s < kStats; ++s) {
        if (s == kIntent) continue;  // no change of intent is released
        const bool da = solver.IsSumDetermined(vars(a, c.group.round, s));
        const bool db =
            !b.empty() && solver.IsSumDetermined(vars(b, prev.round, s));
        if (da && !b.empty()) solver.AddEquation(vars(b, prev.round, s));
        if (db) solver.AddEquation(vars(a, c.group.round, s));
        if (!da && !db) {
          out.individuals.push_back(absl::StrCat(
              "change of ", Name(org, c.group), " since ", Name(org, prev),
              " is not a difference of released means (", c.source, ")"));
        }
      }
    }
  }
  out.rank = solver.rank();

  // Findings as "what: statistics" lines, one per person or group.
  std::map<std::string, std::vector<std::string>> individuals, small_groups;
  // (1) No single answer.
  for (int v : solver.DeterminedVariables()) {
    const int s = v % kStats;
    int rest = v / kStats, round = 0;
    while (rest >= static_cast<int>(org.respondents[round].size())) {
      rest -= static_cast<int>(org.respondents[round].size());
      ++round;
    }
    const Respondent& r = org.respondents[round][rest];
    individuals[absl::StrCat("person ", r.person, " of ", r.team, " in ",
                             org.rounds[round])]
        .push_back(absl::StrCat(kStatNames[s], " = ", r.stat[s]));
  }

  // (2) No sum of 1..k-1 people: every node's own part, its subtree, and
  // every union of its parts (own part and children's subtrees).
  for (int round = 0; round < static_cast<int>(org.rounds.size()); ++round) {
    for (const std::string& node : org.nodes) {
      std::vector<std::pair<std::string, std::vector<int>>> parts;
      parts.push_back({node + " (own team)", org.OwnMembers(node, round)});
      for (const std::string& c : org.Children(node)) {
        parts.push_back({c, org.Members(c, round)});
      }
      const int n = static_cast<int>(parts.size());
      for (int mask = 1; mask < (1 << n); ++mask) {
        std::vector<int> members;
        std::vector<std::string> names;
        for (int p = 0; p < n; ++p) {
          if (!(mask & (1 << p)) || parts[p].second.empty()) continue;
          members.insert(members.end(), parts[p].second.begin(),
                         parts[p].second.end());
          names.push_back(parts[p].first);
        }
        // Each non-empty union once (skip masks that only add empty parts).
        bool minimal = true;
        for (int p = 0; p < n; ++p) {
          if ((mask & (1 << p)) && parts[p].second.empty()) minimal = false;
        }
        if (!minimal || members.empty() ||
            static_cast<int>(members.size()) >= org.k) {
          continue;
        }
        for (int s = 0; s < kStats; ++s) {
          if (solver.IsSumDetermined(vars(members, round, s))) {
            small_groups[absl::StrCat("sum of ", members.size(),
                                      " < k = ", org.k, " answers (",
                                      absl::StrJoin(names, " + "), ") in ",
                                      org.rounds[round])]
                .push_back(kStatNames[s]);
          }
        }
      }
    }
  }
  for (const auto& [what, stats] : individuals) {
    out.individuals.push_back(
        absl::StrCat(what, ": ", absl::StrJoin(stats, ", ")));
  }
  for (const auto& [what, stats] : small_groups) {
    out.small_groups.push_back(
        absl::StrCat(what, ": ", absl::StrJoin(stats, ", ")));
  }
  return out;
}

// What k-anonymity alone would release: every group with at least k.
std::set<Group> NaiveRelease(const Org& org) {
  std::set<Group> out;
  for (int r = 0; r < static_cast<int>(org.rounds.size()); ++r) {
    for (const std::string& node : org.nodes) {
      if (static_cast<int>(org.Members(node, r).size()) >= org.k)
        out.insert({node, r});
    }
  }
  return out;
}

// The org tree with respondents per round, for failure messages:
//   d1/t2  own 3,2,0  subtree 8,6,4  released Y,-,n
std::string Describe(const Org& org, const std::set<Group>& released) {
  std::string out =
      absl::StrCat("org of seed ", org.seed, ", k = ", org.k, ", rounds ",
                   absl::StrJoin(org.rounds, ","), "\n");
  for (const std::string& node : org.nodes) {
    std::vector<std::string> own, sub, rel;
    for (int r = 0; r < static_cast<int>(org.rounds.size()); ++r) {
      own.push_back(absl::StrCat(org.OwnMembers(node, r).size()));
      const size_t n = org.Members(node, r).size();
      sub.push_back(absl::StrCat(n));
      rel.push_back(released.contains({node, r}) ? "Y" : (n == 0 ? "-" : "n"));
    }
    absl::StrAppend(&out, "  ", node, "  own ", absl::StrJoin(own, ","),
                    "  subtree ", absl::StrJoin(sub, ","), "  released ",
                    absl::StrJoin(rel, ","), "\n");
  }
  return out;
}

// ---------------------------------------------------------------------------
// The service.

// A loopback port nothing listens on (bound, read, closed).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// One sample of the scrape: `name{labels} value`.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

std::vector<Sample> ParseMetrics(const std::string& text) {
  std::vector<Sample> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    if (brace != absl::string_view::npos && brace < space) {
      s.name = std::string(line.substr(0, brace));
      const size_t close = line.rfind('}');
      for (absl::string_view kv :
           absl::StrSplit(line.substr(brace + 1, close - brace - 1), "\",")) {
        const size_t eq = kv.find("=\"");
        if (eq == absl::string_view::npos) continue;
        std::string value(kv.substr(eq + 2));
        if (!value.empty() && value.back() == '"') value.pop_back();
        s.labels[std::string(kv.substr(0, eq))] = value;
      }
    } else {
      s.name = std::string(line.substr(0, line.find(' ')));
    }
    s.value = std::stod(std::string(line.substr(space + 1)));
    out.push_back(std::move(s));
  }
  return out;
}

const std::set<std::string>& SurveySeries() {
  static const auto* series = new std::set<std::string>{
      "orgpulse_morale_score",         "orgpulse_enps",
      "orgpulse_intent_to_stay_score", "orgpulse_survey_respondents",
      "orgpulse_people_score",         "orgpulse_burnout_risk_ratio",
      "orgpulse_turnover_risk_ratio"};
  return *series;
}

class PrivacyAttackerTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PrivacyAttackerTest, EverythingReleasedDeterminesNoOne) {
  const Org org = GenerateOrg(GetParam());
  SCOPED_TRACE(absl::StrCat("organisation of seed ", org.seed));

  TempDir keys;
  const std::string key_file = keys.path() + "/respondent.key";
  std::ofstream(key_file) << "attacker-test-secret-0123456789abcdef\n";
  ServerProcess insights(
      ORGPULSE_INSIGHTS_BINARY,
      {absl::StrCat("--now=", kNow),
       absl::StrCat("--ingest_address=127.0.0.1:", UnusedPort()),
       "--ingest_deadline=200ms", "--respondent_key_file=" + key_file,
       absl::StrCat("--min_group_size=", org.k)});
  ASSERT_TRUE(insights.Start().ok()) << insights.Log();
  auto stub = v1::InsightsService::NewStub(insights.Channel());

  // Every response, in batches.
  for (size_t i = 0; i < org.submissions.size(); i += 100) {
    v1::SubmitSurveyResponsesRequest request;
    for (size_t j = i; j < std::min(org.submissions.size(), i + 100); ++j) {
      *request.add_responses() = org.submissions[j];
    }
    grpc::ClientContext context;
    v1::SubmitSurveyResponsesResponse response;
    const grpc::Status status =
        stub->SubmitSurveyResponses(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  Observations seen(org);
  // GetTeamInsights: every node, every round, the latest, unknown rounds.
  std::vector<std::string> asked_rounds = org.rounds;
  asked_rounds.insert(asked_rounds.end(), {"", "2026-r0", "2026-r9"});
  for (const std::string& node : org.nodes) {
    bool known = false;
    for (int r = 0; r < static_cast<int>(org.rounds.size()); ++r) {
      if (!org.Members(node, r).empty()) known = true;
    }
    for (const std::string& round : asked_rounds) {
      grpc::ClientContext context;
      v1::GetTeamInsightsRequest request;
      request.set_team(node);
      request.set_round(round);
      v1::TeamInsights t;
      const grpc::Status status = stub->GetTeamInsights(&context, request, &t);
      // Known to the service: anyone ever answered from the node's subtree
      // (including replaced responses, which the test does not count).
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
        EXPECT_FALSE(known) << node << " has respondents, yet NOT_FOUND";
        continue;
      }
      ASSERT_TRUE(status.ok()) << node << ": " << status.error_message();
      seen.Observe(t, round,
                   absl::StrCat("GetTeamInsights(", node, ", '", round, "')"));
    }
  }

  // ListTeamInsights: every prefix and "", both orders.
  std::vector<std::string> prefixes = org.nodes;
  prefixes.push_back("");
  for (const std::string& prefix : prefixes) {
    std::vector<v1::TeamInsights> by_order[2];
    for (auto order : {v1::ListTeamInsightsRequest::ORDER_RISK,
                       v1::ListTeamInsightsRequest::ORDER_TEAM}) {
      grpc::ClientContext context;
      v1::ListTeamInsightsRequest request;
      request.set_prefix(prefix);
      request.set_order(order);
      v1::ListTeamInsightsResponse response;
      const grpc::Status status =
          stub->ListTeamInsights(&context, request, &response);
      ASSERT_TRUE(status.ok()) << prefix << ": " << status.error_message();
      for (const v1::TeamInsights& t : response.teams()) {
        EXPECT_TRUE(IsUnder(t.team(), prefix));
        seen.Observe(
            t, "",
            absl::StrCat("ListTeamInsights('", prefix, "', ",
                         v1::ListTeamInsightsRequest::Order_Name(order), ")"));
        by_order[order].push_back(t);
      }
    }
    // The risk order is a function of released figures only: released
    // teams by combined risk, then the others in team order.
    std::vector<v1::TeamInsights> expected =
        by_order[v1::ListTeamInsightsRequest::ORDER_TEAM];
    auto risk = [](const v1::TeamInsights& t) -> std::optional<double> {
      if (!t.has_risks()) return std::nullopt;
      return std::max(t.burnout_risk(), t.turnover_risk());
    };
    std::stable_sort(expected.begin(), expected.end(),
                     [&](const v1::TeamInsights& a, const v1::TeamInsights& b) {
                       const auto ra = risk(a), rb = risk(b);
                       if (ra.has_value() != rb.has_value())
                         return ra.has_value();
                       return ra && *ra > *rb;
                     });
    std::vector<std::string> want, got;
    for (const auto& t : expected) want.push_back(t.team());
    for (const auto& t : by_order[v1::ListTeamInsightsRequest::ORDER_RISK]) {
      got.push_back(t.team());
    }
    EXPECT_EQ(got, want) << "risk order of prefix '" << prefix << "'";
  }

  // /metrics: the survey series of each team are its latest round's group.
  const std::string scrape = RunCommand(absl::StrCat(
      "curl -sf http://127.0.0.1:", insights.metrics_port(), "/metrics")).output;
  ASSERT_FALSE(scrape.empty());
  std::map<std::string, std::map<std::string, double>>
      survey_series;  // by team
  for (const Sample& s : ParseMetrics(scrape)) {
    if (!SurveySeries().contains(s.name)) continue;
    ASSERT_TRUE(s.labels.contains("team")) << s.name;
    std::string key = s.name;
    if (s.labels.contains("dimension"))
      absl::StrAppend(&key, ":", s.labels.at("dimension"));
    survey_series[s.labels.at("team")][key] = s.value;
  }
  for (const auto& [team, series] : survey_series) {
    const std::string source = absl::StrCat("/metrics team=\"", team, "\"");
    SCOPED_TRACE(source);
    const int round = org.LatestRound(team);
    ASSERT_GE(round, 0) << "survey series for a team nobody answered in";
    Figures f;
    auto get = [&](const std::string& key) {
      EXPECT_TRUE(series.contains(key)) << "missing " << key;
      return series.contains(key) ? series.at(key) : 0.0;
    };
    f.respondents = static_cast<int64_t>(get("orgpulse_survey_respondents"));
    for (int d = 0; d < kDims; ++d) {
      f.value[d] = get(absl::StrCat("orgpulse_morale_score:", kDimNames[d]));
    }
    f.value[kEnps] = get("orgpulse_enps");
    f.value[kIntent] = get("orgpulse_intent_to_stay_score");
    const Group g{team, round};
    EXPECT_TRUE(seen.released().contains(g))
        << "/metrics has figures of " << Name(org, g)
        << ", not released by the API";
    seen.Record(g, f, source);
    EXPECT_TRUE(Near(get("orgpulse_people_score"), PeopleScore(f)));
    EXPECT_TRUE(Near(get("orgpulse_burnout_risk_ratio"), BurnoutRisk(f)));
    EXPECT_TRUE(Near(get("orgpulse_turnover_risk_ratio"), TurnoverRisk(f)));
    EXPECT_EQ(series.size(), static_cast<size_t>(kDims + 6));
  }
  // And every team whose latest group is suppressed has no survey series;
  // every released one has them.
  for (const auto& [g, source] : seen.suppressed()) {
    if (org.LatestRound(g.node) == g.round) {
      EXPECT_FALSE(survey_series.contains(g.node))
          << "/metrics has survey series of suppressed " << Name(org, g);
    }
  }
  for (const auto& [g, f] : seen.released()) {
    const bool is_team = std::any_of(
        org.respondents.begin(), org.respondents.end(), [&](const auto& rs) {
          return std::any_of(rs.begin(), rs.end(), [&](const Respondent& r) {
            return r.team == g.node;
          });
        });
    if (is_team && org.LatestRound(g.node) == g.round) {
      EXPECT_TRUE(survey_series.contains(g.node))
          << Name(org, g) << " not in /metrics";
    }
  }

  seen.CheckChanges();
  for (const auto& [g, source] : seen.suppressed()) {
    EXPECT_FALSE(seen.released().contains(g))
        << Name(org, g) << " suppressed by " << source << " but released by "
        << seen.first_source().at(g);
  }

  // The attack.
  std::set<Group> released;
  for (const auto& [g, f] : seen.released()) released.insert(g);
  const AttackResult attack = Attack(org, released, &seen.changes());
  const std::string tree = Describe(org, released);
  EXPECT_TRUE(attack.individuals.empty())
      << "the released figures determine individual answers:\n  "
      << absl::StrJoin(attack.individuals, "\n  ") << "\n"
      << tree;
  EXPECT_TRUE(attack.small_groups.empty())
      << "the released figures determine sums over fewer than k people:\n  "
      << absl::StrJoin(attack.small_groups, "\n  ") << "\n"
      << tree;

  // Something was released and something suppressed, or the test proves little.
  int respondent_rounds = 0;
  for (const auto& r : org.respondents)
    respondent_rounds += static_cast<int>(r.size());
  std::printf(
      "seed %llu: k=%d, %zu nodes, %zu rounds, %d answers, %zu responses sent, "
      "%zu groups released, %zu suppressed, %zu changes; %d variables, rank "
      "%d\n",
      static_cast<unsigned long long>(org.seed), org.k, org.nodes.size(),
      org.rounds.size(), respondent_rounds, org.submissions.size(),
      released.size(), seen.suppressed().size(), seen.changes().size(),
      attack.variables, attack.rank);
  EXPECT_FALSE(released.empty());
  // SIGKILL: a graceful stop waits ~5 s for gRPC to drain, and shutdown is
  // not what this test is about.
  insights.Kill();
}

INSTANTIATE_TEST_SUITE_P(RandomOrganisations, PrivacyAttackerTest,
                         ::testing::Range<uint64_t>(1, kSeeds + 1));

// The attack works: on what k-anonymity alone would release, the same
// solver determines individual answers in these organisations.
TEST(PrivacyAttackerSanityTest, KAnonymityAloneLeaksAndTheAttackSeesIt) {
  int leaking = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const Org org = GenerateOrg(seed);
    const AttackResult naive = Attack(org, NaiveRelease(org), nullptr);
    if (!naive.individuals.empty()) {
      ++leaking;
      if (leaking == 1) {
        std::printf(
            "naive release of seed %llu determines %zu answers, e.g. %s\n%s",
            static_cast<unsigned long long>(seed), naive.individuals.size(),
            naive.individuals.front().c_str(),
            Describe(org, NaiveRelease(org)).c_str());
      }
    }
  }
  EXPECT_GE(leaking, 1) << "no organisation leaks under k-anonymity alone: the "
                           "attack could not fail";

  // A hand-made case: d1 = d1/t1 (6) + d1/t2 (1), k = 5. k-anonymity alone
  // releases d1 and d1/t1, so d1 - d1/t1 is d1/t2's one answer.
  Org org;
  org.k = 5;
  org.nodes = {"d1", "d1/t1", "d1/t2"};
  org.rounds = {"2026-r1"};
  org.respondents.resize(1);
  for (int p = 0; p < 7; ++p) {
    org.respondents[0].push_back({p, p < 6 ? "d1/t1" : "d1/t2", {}});
  }
  const AttackResult naive = Attack(org, NaiveRelease(org), nullptr);
  ASSERT_EQ(naive.individuals.size(), 1u);
  EXPECT_EQ(naive.individuals[0].substr(0, 30),
            "person 6 of d1/t2 in 2026-r1: ");
  EXPECT_EQ(
      std::count(naive.individuals[0].begin(), naive.individuals[0].end(), '='),
      kStats);
  const AttackResult safe = Attack(org, {{"d1", 0}}, nullptr);
  EXPECT_TRUE(safe.individuals.empty());
  EXPECT_TRUE(safe.small_groups.empty());
}

}  // namespace
}  // namespace orgpulse::insights
