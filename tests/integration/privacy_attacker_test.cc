// The attacker of the privacy rules, against the real insights binary,
// holding the whole history of what was released.
//
// For each seed: a random organisation (1-2 departments, path ids like
// `d1/t2/s3`, some intermediate nodes with members of their own, teams of 1
// to 9 people), 2 or 3 survey rounds with people joining, leaving and moving
// teams between rounds, and within a round: late responses (arriving while
// the next round runs), changed answers (a second response, later
// submitted_at), moves (answering again from another team), stale
// duplicates (an older response arriving after the newer one), and one or
// two erasures (EraseRespondent: a person leaves every round). A fresh
// insights binary gets the responses one at a time over gRPC (ingest is not
// running). After every single submission the test records what a
// dashboard and Prometheus would: GetTeamInsights of every node for the
// submission's round and for the latest round, ListTeamInsights of
// everything, and a scrape of /metrics; at the end of each round, and at the
// end, every node in every round and every prefix's list in both orders.
//
// The test knows the truth: which response of whom was in force in which
// team at every moment. Each distinct set of responses in force under a node
// is a "state" of the group; every released figure must be the exact means
// of one state of its group (the attacker, knowing who answered when, knows
// which). Each response that was ever in force is an unknown (a changed
// answer is a new unknown: the old answer stays private too).
//
// Model 1 (each round's answers independent): LinearPrivacySolver over
// every released state must determine no single answer, no sum of fewer
// than k answers (any state of any group or own team with 1..k-1 members,
// any union of a node's parts at the end, any suppressed group's state), and
// no difference between two consecutive states of a group (one late
// response, one changed answer, one move, one erasure). Any two released
// states of a group must differ by at least k respondents, and no figure
// served after an erasure may hold an erased answer.
// Model 2 (each person answers the same in every round): one unknown per
// person; the test prints how many are determined. The release model does
// not promise anything here (docs/insights.md has the measured residual).
//
// The test can fail: the same solver on what live k-anonymity releases (every
// state with at least k members) determines answers, and it fails against
// the code before release steps (docs/decisions/0003-release-model.md).
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
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/linear_privacy_solver.h"
#include "tests/support/loopback.h"
#include "tests/support/server_process.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::HttpGet;
using ::orgpulse::testing::LinearPrivacySolver;
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
constexpr int kSeeds = 20;

bool IsUnder(const std::string& team, const std::string& node) {
  return node.empty() || team == node ||
         (team.size() > node.size() &&
          team.compare(0, node.size(), node) == 0 && team[node.size()] == '/');
}

// ---------------------------------------------------------------------------
// The scenario, generated.

struct Submission {
  v1::SurveyResponse proto;
  int person;
  int round;
  std::array<double, kStats> stat;
  // Not a response: the operator erases `person` (every round) here;
  // `round` is the round then running.
  bool erase = false;
};

struct Scenario {
  uint64_t seed = 0;
  int k = 5;
  std::vector<std::string> nodes;    // every team and prefix, sorted
  std::vector<std::string> rounds;   // sorted ids
  std::vector<Submission> arrivals;  // in the order they are sent
  int people = 0;
};

Scenario Generate(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };

  Scenario sc;
  sc.seed = seed;
  sc.k = chance(0.5) ? 3 : 5;
  const int depth = uniform(2, 3);
  const std::string level_letters = "dts";
  std::vector<std::string> teams;  // nodes that have members of their own
  std::function<void(const std::string&, int)> grow =
      [&](const std::string& path, int level) {
        sc.nodes.push_back(path);
        int children = 0;
        if (level < depth)
          children = level == 1 ? uniform(2, 3) : uniform(0, 3);
        if (sc.nodes.size() > 10) children = 0;
        for (int c = 1; c <= children; ++c) {
          grow(absl::StrCat(path, "/", level_letters.substr(level, 1), c),
               level + 1);
        }
        if (children == 0 || chance(0.4)) teams.push_back(path);
      };
  const int departments = uniform(1, 2);
  for (int d = 1; d <= departments; ++d) grow(absl::StrCat("d", d), 1);
  std::sort(sc.nodes.begin(), sc.nodes.end());

  // People: team by person id; empty once they left.
  std::vector<std::string> team_of;
  auto hire = [&](const std::string& team, int n) {
    for (int i = 0; i < n; ++i) team_of.push_back(team);
  };
  for (const std::string& t : teams) {
    const bool intermediate = std::any_of(
        sc.nodes.begin(), sc.nodes.end(),
        [&](const std::string& n) { return n != t && IsUnder(n, t); });
    if (chance(0.08)) continue;  // starts empty, may hire later
    hire(t, intermediate ? uniform(1, 5)
                         : (chance(0.35) ? uniform(1, 4) : uniform(3, 9)));
  }
  auto any_team = [&] {
    return teams[uniform(0, static_cast<int>(teams.size()) - 1)];
  };

  const int rounds = uniform(2, 3);
  int response_seq = 0;
  auto make = [&](int person, const std::string& team, int round,
                  int64_t submitted_at) {
    Submission s{{}, person, round, {}};
    v1::SurveyResponse& r = s.proto;
    r.set_response_id(absl::StrCat("resp-", seed, "-", ++response_seq));
    r.set_team(team);
    r.set_round(sc.rounds[round]);
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
      s.stat[d] = sum / items;
    }
    r.set_enps(uniform(0, 10));
    s.stat[kEnps] = r.enps() >= 9 ? 1 : (r.enps() <= 6 ? -1 : 0);
    r.set_intent_to_stay(uniform(1, 5));
    s.stat[kIntent] = (r.intent_to_stay() - 1) * 25.0;
    return s;
  };

  std::vector<Submission> late;  // arrive while the next round runs
  for (int round = 0; round < rounds; ++round) {
    sc.rounds.push_back(absl::StrCat("2026-r", round + 1));
    if (round > 0) {  // turnover between rounds
      for (std::string& t : team_of) {
        if (t.empty()) continue;
        if (chance(0.1)) {
          t.clear();
        } else if (chance(0.08)) {
          t = any_team();
        }
      }
      for (const std::string& t : teams) {
        if (chance(0.3)) hire(t, uniform(1, 3));
      }
    }
    // Round r runs in month r+3 of 2026, well before kNow.
    const int64_t base = kNowSeconds - (10 - round) * 30 * 86400;
    std::vector<Submission> on_time;
    for (int person = 0; person < static_cast<int>(team_of.size()); ++person) {
      if (team_of[person].empty() || !chance(0.85)) continue;
      const int64_t at = base + uniform(0, 86400);
      Submission first = make(person, team_of[person], round, at);
      (chance(0.15) ? late : on_time).push_back(std::move(first));
      if (chance(0.12)) {  // a changed answer
        on_time.push_back(
            make(person, team_of[person], round, at + uniform(60, 3600)));
      }
      if (chance(0.06)) {  // answers again from another team
        on_time.push_back(
            make(person, any_team(), round, at + uniform(3601, 7200)));
      }
      if (chance(0.04)) {  // an older response, arriving after
        on_time.push_back(
            make(person, team_of[person], round, at - uniform(60, 3600)));
      }
    }
    std::shuffle(on_time.begin(), on_time.end(), rng);
    // The previous round's late responses, spread over this round.
    std::vector<Submission> carried;
    std::vector<Submission> still_late;
    for (Submission& s : late) {
      (s.round < round ? carried : still_late).push_back(std::move(s));
    }
    late = std::move(still_late);
    for (Submission& s : carried) {
      const size_t pos =
          std::uniform_int_distribution<size_t>(0, on_time.size())(rng);
      on_time.insert(on_time.begin() + static_cast<ptrdiff_t>(pos),
                     std::move(s));
    }
    for (Submission& s : on_time) sc.arrivals.push_back(std::move(s));
  }
  std::shuffle(late.begin(), late.end(), rng);
  for (Submission& s : late) sc.arrivals.push_back(std::move(s));
  sc.people = static_cast<int>(team_of.size());

  // Erasures, drawn last so the rest of the scenario is as without them:
  // one or two people, each some time after one of their responses (a
  // response of theirs arriving later is a new import).
  const int erasures = uniform(1, 2);
  for (int e = 0; e < erasures && !sc.arrivals.empty(); ++e) {
    const size_t after =
        std::uniform_int_distribution<size_t>(0, sc.arrivals.size() - 1)(rng);
    const size_t at = std::uniform_int_distribution<size_t>(
        after + 1, sc.arrivals.size())(rng);
    Submission erase{{}, sc.arrivals[after].person, 0, {}, true};
    erase.round = sc.arrivals[at - 1].round;
    sc.arrivals.insert(sc.arrivals.begin() + static_cast<ptrdiff_t>(at),
                       std::move(erase));
  }
  return sc;
}

// ---------------------------------------------------------------------------
// The truth, as the responses arrive.

struct Figures {
  int64_t respondents = 0;
  std::array<double, kStats> value{};  // eNPS on -100..100
};

bool Near(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

bool Same(const Figures& a, const Figures& b) {
  if (a.respondents != b.respondents) return false;
  for (int s = 0; s < kStats; ++s) {
    if (!Near(a.value[s], b.value[s])) return false;
  }
  return true;
}

struct Group {
  std::string node;
  int round;
  auto operator<=>(const Group&) const = default;
};

// A response that was in force at some moment: one unknown of model 1.
struct Version {
  int person;
  int round;
  std::string team;
  std::array<double, kStats> stat;
};

// One state of a group: the responses in force under it, sorted.
struct State {
  std::vector<int> members;  // version ids
  Figures figures;
};

class Truth {
 public:
  explicit Truth(const Scenario& sc)
      : sc_(sc), in_force_(sc.rounds.size()), held_at_(sc.rounds.size()) {}

  // Applies one arrival with the service's rule: the latest submitted_at (then
  // response id) of a person in a round is in force.
  void Apply(const Submission& s) {
    stored_.push_back({s.person, s.proto.team()});
    const int64_t at = s.proto.submitted_at().seconds();
    auto held = in_force_[s.round].find(s.person);
    if (held != in_force_[s.round].end()) {
      const auto& [held_at, held_id] = held_at_[s.round][s.person];
      if (at < held_at || (at == held_at && s.proto.response_id() < held_id))
        return;
    }
    versions_.push_back({s.person, s.round, s.proto.team(), s.stat});
    in_force_[s.round][s.person] = static_cast<int>(versions_.size()) - 1;
    held_at_[s.round][s.person] = {at, s.proto.response_id()};
    for (const std::string& node : sc_.nodes) {
      Track({node, s.round}, Members(node, s.round), states_);
      Track({node, s.round}, OwnMembers(node, s.round), own_states_);
    }
  }

  // The operator erases `person`: their responses leave every round; the
  // versions that were in force stay unknowns (they were released before),
  // and no figure may hold them from now on. Returns how many stored
  // responses of theirs the service should say it erased.
  int Erase(int person) {
    for (int r = 0; r < static_cast<int>(sc_.rounds.size()); ++r) {
      const auto held = in_force_[r].find(person);
      if (held == in_force_[r].end()) continue;
      in_force_[r].erase(held);
      held_at_[r].erase(person);
      for (const std::string& node : sc_.nodes) {
        Track({node, r}, Members(node, r), states_);
        Track({node, r}, OwnMembers(node, r), own_states_);
      }
    }
    for (int v = 0; v < static_cast<int>(versions_.size()); ++v) {
      if (versions_[v].person == person) erased_.insert(v);
    }
    const auto removed = std::erase_if(
        stored_, [&](const auto& entry) { return entry.first == person; });
    return static_cast<int>(removed);
  }
  // Versions erased so far.
  const std::set<int>& erased() const { return erased_; }

  std::vector<int> Members(const std::string& node, int round) const {
    std::vector<int> out;
    for (const auto& [person, v] : in_force_[round]) {
      if (IsUnder(versions_[v].team, node)) out.push_back(v);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<int> OwnMembers(const std::string& node, int round) const {
    std::vector<int> out;
    for (const auto& [person, v] : in_force_[round]) {
      if (versions_[v].team == node) out.push_back(v);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The latest round with responses in force under `node`; -1 if none.
  int LatestRound(const std::string& node) const {
    for (int r = static_cast<int>(sc_.rounds.size()) - 1; r >= 0; --r) {
      if (!Members(node, r).empty()) return r;
    }
    return -1;
  }
  // Anyone's response under `node` is stored (erased ones are not).
  bool Known(const std::string& node) const {
    return std::any_of(stored_.begin(), stored_.end(), [&](const auto& entry) {
      return IsUnder(entry.second, node);
    });
  }
  // A team of its own (a stored response from it), not only a prefix.
  bool IsTeam(const std::string& node) const {
    return std::any_of(stored_.begin(), stored_.end(),
                       [&](const auto& entry) { return entry.second == node; });
  }
  Figures Means(const std::vector<int>& members) const {
    Figures f;
    f.respondents = static_cast<int64_t>(members.size());
    for (int s = 0; s < kStats; ++s) {
      double sum = 0;
      for (int v : members) sum += versions_[v].stat[s];
      f.value[s] = (s == kEnps ? 100.0 : 1.0) * sum /
                   static_cast<double>(members.size());
    }
    return f;
  }
  // The latest state of `g` whose means are `f`; -1 if none.
  int Match(const Group& g, const Figures& f) const {
    const auto it = states_.find(g);
    if (it == states_.end()) return -1;
    for (int i = static_cast<int>(it->second.size()) - 1; i >= 0; --i) {
      if (Same(it->second[i].figures, f)) return i;
    }
    return -1;
  }

  const std::vector<Version>& versions() const { return versions_; }
  const std::map<Group, std::vector<State>>& states() const { return states_; }
  const std::map<Group, std::vector<State>>& own_states() const {
    return own_states_;
  }

 private:
  void Track(const Group& g, std::vector<int> members,
             std::map<Group, std::vector<State>>& into) {
    std::vector<State>& states = into[g];
    if (!states.empty() && states.back().members == members) return;
    if (states.empty() && members.empty()) return;
    Figures f = members.empty() ? Figures{} : Means(members);
    states.push_back({std::move(members), f});
  }

  const Scenario& sc_;
  std::vector<std::map<int, int>> in_force_;  // by round: person -> version
  std::vector<std::map<int, std::pair<int64_t, std::string>>> held_at_;
  std::vector<Version> versions_;
  std::vector<std::pair<int, std::string>> stored_;  // person, team
  std::set<int> erased_;
  std::map<Group, std::vector<State>> states_;      // subtrees
  std::map<Group, std::vector<State>> own_states_;  // own teams
};

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

// ---------------------------------------------------------------------------
// What was released.

std::string Name(const Scenario& sc, const Group& g) {
  return absl::StrCat(g.node, "@", sc.rounds[g.round]);
}

int RoundIndex(const Scenario& sc, const std::string& id) {
  auto it = std::find(sc.rounds.begin(), sc.rounds.end(), id);
  return it == sc.rounds.end() ? -1 : static_cast<int>(it - sc.rounds.begin());
}

// Everything the attacker saw, from every channel, as states of groups.
class Observations {
 public:
  Observations(const Scenario& sc, const Truth& truth)
      : sc_(sc), truth_(truth) {}

  // By group: the indices of its released states.
  const std::map<Group, std::set<int>>& released() const { return released_; }
  // Each group seen suppressed, with its members at that moment.
  const std::vector<std::pair<Group, std::vector<int>>>& suppressed() const {
    return suppressed_;
  }

  // One TeamInsights message. `asked_round`: the round asked for ("" for the
  // latest); unknown rounds are fine. Returns the figures, if released.
  std::optional<Figures> Observe(const v1::TeamInsights& t,
                                 const std::string& asked_round,
                                 const std::string& source) {
    SCOPED_TRACE(source);
    const v1::MoraleFigures& m = t.morale();
    const std::string& node = t.team();
    const int round = RoundIndex(sc_, m.round());
    if (asked_round.empty()) {
      const int latest = truth_.LatestRound(node);
      EXPECT_EQ(round, latest) << "latest round of " << node << " is "
                               << (latest < 0 ? "none" : sc_.rounds[latest])
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
      const std::vector<int> members =
          round >= 0 ? truth_.Members(node, round) : std::vector<int>{};
      if (m.suppressed()) {
        EXPECT_FALSE(members.empty()) << "suppressed, yet nobody answered";
        if (!members.empty()) suppressed_.push_back({{node, round}, members});
      } else {
        EXPECT_TRUE(members.empty()) << "has respondents, yet neither "
                                        "released nor marked suppressed";
      }
      return std::nullopt;
    }
    EXPECT_GE(round, 0) << "figures for an unknown round " << m.round();
    if (round < 0) return std::nullopt;
    const Group g{node, round};
    Figures f;
    f.respondents = m.respondents();
    std::set<int> dims_seen;
    for (const v1::DimensionScore& d : m.dimensions()) {
      const int i = static_cast<int>(d.dimension()) - 1;
      EXPECT_TRUE(i >= 0 && i < kDims && dims_seen.insert(i).second);
      if (i >= 0 && i < kDims) f.value[i] = d.score();
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
    EXPECT_EQ(t.drivers_size(), static_cast<int>(drivers.size()));
    for (int i = 0;
         i < t.drivers_size() && i < static_cast<int>(drivers.size()); ++i) {
      EXPECT_EQ(t.drivers(i).score(), v1::Driver::SCORE_PEOPLE);
      EXPECT_EQ(t.drivers(i).name(), drivers[i].first);
      EXPECT_TRUE(Near(t.drivers(i).value(), drivers[i].second));
    }
    EXPECT_EQ(t.recommendations_size(), t.drivers_size());

    // A `change` is a difference of two released means: the previous
    // round's figures as they stand (seen before in this pass).
    if (!m.previous_round().empty()) {
      const int prev = RoundIndex(sc_, m.previous_round());
      EXPECT_GE(prev, 0);
      EXPECT_LT(prev, round);
      const auto p = latest_.find({node, prev});
      EXPECT_TRUE(p != latest_.end())
          << "change since " << m.previous_round() << ", never released";
      if (p != latest_.end()) {
        for (const v1::DimensionScore& d : m.dimensions()) {
          const int i = static_cast<int>(d.dimension()) - 1;
          EXPECT_TRUE(Near(d.change(), f.value[i] - p->second.value[i]))
              << kStatNames[i] << " change " << d.change();
        }
        EXPECT_TRUE(
            Near(m.enps_change(), f.value[kEnps] - p->second.value[kEnps]));
      }
    } else {
      for (const v1::DimensionScore& d : m.dimensions())
        EXPECT_EQ(d.change(), 0);
      EXPECT_EQ(m.enps_change(), 0);
    }
    return f;
  }

  // A group's figures as seen in any channel: the exact means of one of the
  // group's states.
  void Record(const Group& g, const Figures& f, const std::string& source) {
    EXPECT_GE(f.respondents, sc_.k)
        << Name(sc_, g) << " released with " << f.respondents
        << " < k = " << sc_.k << " respondents by " << source;
    const int state = truth_.Match(g, f);
    EXPECT_GE(state, 0) << Name(sc_, g) << " by " << source
                        << ": figures that are no state of the group";
    if (state >= 0) {
      released_[g].insert(state);
      for (int v : truth_.states().at(g)[state].members) {
        EXPECT_FALSE(truth_.erased().contains(v))
            << Name(sc_, g) << " by " << source
            << ": figures that hold an erased person";
      }
    }
    latest_[g] = f;
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
    EXPECT_FALSE(t.has_risks());
    EXPECT_EQ(t.drivers_size(), 0);
    EXPECT_EQ(t.recommendations_size(), 0);
  }

  const Scenario& sc_;
  const Truth& truth_;
  std::map<Group, std::set<int>> released_;
  std::map<Group, Figures> latest_;
  std::vector<std::pair<Group, std::vector<int>>> suppressed_;
};

// ---------------------------------------------------------------------------
// The attack.

struct AttackResult {
  int variables = 0;
  int rank = 0;
  std::vector<std::string> findings;  // model 1: what must not happen
  int people = 0;                     // model 2
  int people_determined = 0;
};

// Solves everything released: `released` (by group, indices of its states in
// `truth`), and checks what must stay unknown.
AttackResult Attack(
    const Scenario& sc, const Truth& truth,
    const std::map<Group, std::set<int>>& released,
    const std::vector<std::pair<Group, std::vector<int>>>& suppressed) {
  AttackResult out;
  const std::vector<Version>& versions = truth.versions();
  out.variables = static_cast<int>(versions.size());
  LinearPrivacySolver solver(out.variables);
  std::set<std::vector<int>> released_sets;
  for (const auto& [g, states] : released) {
    for (int i : states) {
      const std::vector<int>& members = truth.states().at(g)[i].members;
      solver.AddEquation(members);
      released_sets.insert(members);
    }
  }
  out.rank = solver.rank();
  auto finding = [&](std::string what) {
    if (out.findings.size() < 25) out.findings.push_back(std::move(what));
  };
  auto describe = [&](int v) {
    return absl::StrCat("person ", versions[v].person, " in ", versions[v].team,
                        "@", sc.rounds[versions[v].round]);
  };

  // (1) No single answer.
  for (int v : solver.DeterminedVariables()) {
    finding(absl::StrCat("the answer of ", describe(v), " is determined"));
  }
  // (2) No sum of 1..k-1 answers: states of groups and own teams.
  auto check_small = [&](const std::vector<int>& members,
                         const std::string& what) {
    if (members.empty() || static_cast<int>(members.size()) >= sc.k) return;
    if (solver.IsSumDetermined(members)) {
      finding(absl::StrCat("the sum of ", members.size(), " < k = ", sc.k,
                           " answers (", what, ") is determined"));
    }
  };
  for (const auto* all : {&truth.states(), &truth.own_states()}) {
    for (const auto& [g, states] : *all) {
      for (size_t i = 0; i < states.size(); ++i) {
        check_small(states[i].members,
                    absl::StrCat(all == &truth.states() ? "" : "own team of ",
                                 Name(sc, g), " state ", i));
        // (3) No difference of two consecutive states: one late response,
        // one changed answer, one move.
        if (i == 0) continue;
        std::vector<std::pair<int, int64_t>> diff;
        for (const auto& [from, to, sign] :
             {std::tuple{&states[i - 1].members, &states[i].members, 1},
              std::tuple{&states[i].members, &states[i - 1].members, -1}}) {
          for (int v : *to) {
            if (!std::binary_search(from->begin(), from->end(), v))
              diff.push_back({v, sign});
          }
        }
        std::sort(diff.begin(), diff.end());
        if (!diff.empty() && solver.IsCombinationDetermined(diff)) {
          finding(absl::StrCat("the change of ", Name(sc, g), " from state ",
                               i - 1, " to ", i, " (", diff.size(),
                               " answers, e.g. ", describe(diff[0].first),
                               ") is determined"));
        }
      }
    }
  }
  // No suppressed group's sum, unless the same people were released.
  for (const auto& [g, members] : suppressed) {
    if (released_sets.contains(members)) continue;
    if (solver.IsSumDetermined(members)) {
      finding(absl::StrCat("suppressed ", Name(sc, g), " (", members.size(),
                           " answers) is determined"));
    }
  }
  // No union of a node's parts (own team, children) below k, at the end.
  for (int r = 0; r < static_cast<int>(sc.rounds.size()); ++r) {
    for (const std::string& node : sc.nodes) {
      std::vector<std::vector<int>> parts = {truth.OwnMembers(node, r)};
      for (const std::string& c : sc.nodes) {
        if (c.size() > node.size() && IsUnder(c, node) &&
            c.find('/', node.size() + 1) == std::string::npos) {
          parts.push_back(truth.Members(c, r));
        }
      }
      const int n = static_cast<int>(parts.size());
      for (int mask = 1; mask < (1 << n); ++mask) {
        std::vector<int> members;
        for (int p = 0; p < n; ++p) {
          if (mask & (1 << p))
            members.insert(members.end(), parts[p].begin(), parts[p].end());
        }
        std::sort(members.begin(), members.end());
        check_small(members, absl::StrCat("parts of ", node, "@", sc.rounds[r],
                                          " mask ", mask));
      }
    }
  }

  // Model 2: one unknown per person, the same in every round.
  LinearPrivacySolver stable(sc.people);
  for (const std::vector<int>& members : released_sets) {
    std::vector<int> people;
    for (int v : members) people.push_back(versions[v].person);
    stable.AddEquation(people);  // one version per person in a state
  }
  std::set<int> answered;
  for (const Version& v : versions) answered.insert(v.person);
  out.people = static_cast<int>(answered.size());
  out.people_determined = static_cast<int>(stable.DeterminedVariables().size());
  return out;
}

// Any two released states of a group differ by >= k respondents.
std::vector<std::string> SmallSteps(
    const Scenario& sc, const Truth& truth,
    const std::map<Group, std::set<int>>& released) {
  std::vector<std::string> out;
  for (const auto& [g, states] : released) {
    const std::vector<State>& all = truth.states().at(g);
    for (int a : states) {
      for (int b : states) {
        // The same people again (one moved away and back): the same figures.
        if (b <= a || all[a].members == all[b].members) continue;
        std::set<int> persons;
        for (const auto* s : {&all[a].members, &all[b].members}) {
          const auto* other =
              s == &all[a].members ? &all[b].members : &all[a].members;
          for (int v : *s) {
            if (!std::binary_search(other->begin(), other->end(), v))
              persons.insert(truth.versions()[v].person);
          }
        }
        if (static_cast<int>(persons.size()) < sc.k) {
          out.push_back(absl::StrCat(
              Name(sc, g), " states ", a, " (", all[a].members.size(), ") and ",
              b, " (", all[b].members.size(), ") differ by ", persons.size(),
              " < k = ", sc.k, " respondents"));
        }
      }
    }
  }
  return out;
}

// Released states per group, for failure messages.
std::string Describe(const Scenario& sc, const Truth& truth,
                     const std::map<Group, std::set<int>>& released) {
  std::string out = absl::StrCat("seed ", sc.seed, ", k = ", sc.k, "\n");
  for (const auto& [g, states] : truth.states()) {
    std::vector<std::string> sizes;
    for (int i : released.contains(g) ? released.at(g) : std::set<int>{}) {
      sizes.push_back(absl::StrCat(i, ":", states[i].members.size()));
    }
    absl::StrAppend(&out, "  ", Name(sc, g), " ", states.size(),
                    " states, released ",
                    sizes.empty() ? "none" : absl::StrJoin(sizes, " "), "\n");
  }
  return out;
}

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

// The body of GET /metrics ("" unless it answered 200).
std::string Scrape(int port) {
  const std::string response = HttpGet(port, "/metrics");
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos ||
      response.find(" 200 ") > body) {
    return "";
  }
  return response.substr(body + 4);
}

class PrivacyAttackerTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  // What one pass saw of each node's latest round: figures if released.
  using Latest = std::map<std::string, std::optional<Figures>>;

  void SetUp() override {
    TempDir& keys = keys_;
    const std::string key_file = keys.path() + "/respondent.key";
    std::ofstream(key_file) << "attacker-test-secret-0123456789abcdef\n";
    insights_ = std::make_unique<ServerProcess>(
        ORGPULSE_INSIGHTS_BINARY,
        std::vector<std::string>{
            absl::StrCat("--now=", kNow),
            absl::StrCat("--ingest_address=127.0.0.1:", UnusedPort()),
            "--ingest_deadline=200ms", "--respondent_key_file=" + key_file,
            absl::StrCat("--min_group_size=", sc_.k)});
    ASSERT_TRUE(insights_->Start().ok()) << insights_->Log();
    stub_ = v1::InsightsService::NewStub(insights_->Channel());
  }
  // SIGKILL: a graceful stop waits for gRPC to drain; not what this tests.
  void TearDown() override { insights_->Kill(); }

  // GetTeamInsights; NOT_FOUND exactly for nodes nobody ever answered under.
  std::optional<Figures> Get(const std::string& node, const std::string& round,
                             Observations& seen) {
    grpc::ClientContext context;
    v1::GetTeamInsightsRequest request;
    request.set_team(node);
    request.set_round(round);
    v1::TeamInsights t;
    const grpc::Status status = stub_->GetTeamInsights(&context, request, &t);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      EXPECT_FALSE(truth_.Known(node)) << node << " is known, yet NOT_FOUND";
      return std::nullopt;
    }
    EXPECT_TRUE(status.ok()) << node << ": " << status.error_message();
    EXPECT_TRUE(truth_.Known(node)) << node << " answered, nobody answered";
    if (!status.ok()) return std::nullopt;
    return seen.Observe(
        t, round, absl::StrCat("GetTeamInsights(", node, ", '", round, "')"));
  }

  std::vector<v1::TeamInsights> List(const std::string& prefix,
                                     v1::ListTeamInsightsRequest::Order order,
                                     Observations& seen) {
    grpc::ClientContext context;
    v1::ListTeamInsightsRequest request;
    request.set_prefix(prefix);
    request.set_order(order);
    v1::ListTeamInsightsResponse response;
    const grpc::Status status =
        stub_->ListTeamInsights(&context, request, &response);
    EXPECT_TRUE(status.ok()) << prefix << ": " << status.error_message();
    std::vector<v1::TeamInsights> out;
    for (const v1::TeamInsights& t : response.teams()) {
      EXPECT_TRUE(IsUnder(t.team(), prefix));
      seen.Observe(
          t, "",
          absl::StrCat("ListTeamInsights('", prefix, "', ",
                       v1::ListTeamInsightsRequest::Order_Name(order), ")"));
      out.push_back(t);
    }
    return out;
  }

  // The survey series of /metrics: each team's latest round, the same
  // figures as the API gave in this pass, and none for a suppressed team.
  void ScrapeAndCompare(const Latest& latest, Observations& seen) {
    const std::string scrape = Scrape(insights_->metrics_port());
    ASSERT_FALSE(scrape.empty());
    std::map<std::string, std::map<std::string, double>> by_team;
    for (const Sample& s : ParseMetrics(scrape)) {
      if (!SurveySeries().contains(s.name)) continue;
      ASSERT_TRUE(s.labels.contains("team")) << s.name;
      std::string key = s.name;
      if (s.labels.contains("dimension"))
        absl::StrAppend(&key, ":", s.labels.at("dimension"));
      by_team[s.labels.at("team")][key] = s.value;
    }
    for (const auto& [team, series] : by_team) {
      const std::string source = absl::StrCat("/metrics team=\"", team, "\"");
      SCOPED_TRACE(source);
      const int round = truth_.LatestRound(team);
      ASSERT_GE(round, 0) << "survey series for a team nobody answered in";
      auto get = [&](const std::string& key) {
        EXPECT_TRUE(series.contains(key)) << "missing " << key;
        return series.contains(key) ? series.at(key) : 0.0;
      };
      Figures f;
      f.respondents = static_cast<int64_t>(get("orgpulse_survey_respondents"));
      for (int d = 0; d < kDims; ++d) {
        f.value[d] = get(absl::StrCat("orgpulse_morale_score:", kDimNames[d]));
      }
      f.value[kEnps] = get("orgpulse_enps");
      f.value[kIntent] = get("orgpulse_intent_to_stay_score");
      seen.Record({team, round}, f, source);
      const auto api = latest.find(team);
      EXPECT_TRUE(api != latest.end() && api->second.has_value() &&
                  Same(*api->second, f))
          << "/metrics and GetTeamInsights differ";
      EXPECT_TRUE(Near(get("orgpulse_people_score"), PeopleScore(f)));
      EXPECT_TRUE(Near(get("orgpulse_burnout_risk_ratio"), BurnoutRisk(f)));
      EXPECT_TRUE(Near(get("orgpulse_turnover_risk_ratio"), TurnoverRisk(f)));
      EXPECT_EQ(series.size(), static_cast<size_t>(kDims + 6));
    }
    for (const auto& [node, figures] : latest) {
      if (figures && truth_.IsTeam(node)) {
        EXPECT_TRUE(by_team.contains(node)) << node << " not in /metrics";
      }
    }
  }

  // After one submission to `round`: what a dashboard and Prometheus see.
  void Pass(int round, Observations& seen) {
    Latest latest;
    for (const std::string& node : sc_.nodes) {
      Get(node, sc_.rounds[round], seen);
      latest[node] = Get(node, "", seen);
    }
    List("", v1::ListTeamInsightsRequest::ORDER_TEAM, seen);
    ScrapeAndCompare(latest, seen);
  }

  // Everything the API allows: every node in every round, every list.
  void FullPass(Observations& seen) {
    std::vector<std::string> asked_rounds = sc_.rounds;
    asked_rounds.insert(asked_rounds.end(), {"2026-r0", "2026-r9"});
    Latest latest;
    for (const std::string& node : sc_.nodes) {
      for (const std::string& round : asked_rounds) Get(node, round, seen);
      latest[node] = Get(node, "", seen);
    }
    std::vector<std::string> prefixes = sc_.nodes;
    prefixes.push_back("");
    for (const std::string& prefix : prefixes) {
      const auto by_team =
          List(prefix, v1::ListTeamInsightsRequest::ORDER_TEAM, seen);
      const auto by_risk =
          List(prefix, v1::ListTeamInsightsRequest::ORDER_RISK, seen);
      // The risk order is a function of released figures only: released
      // teams by combined risk, then the others in team order.
      std::vector<v1::TeamInsights> expected = by_team;
      auto risk = [](const v1::TeamInsights& t) -> std::optional<double> {
        if (!t.has_risks()) return std::nullopt;
        return std::max(t.burnout_risk(), t.turnover_risk());
      };
      std::stable_sort(
          expected.begin(), expected.end(),
          [&](const v1::TeamInsights& a, const v1::TeamInsights& b) {
            const auto ra = risk(a), rb = risk(b);
            if (ra.has_value() != rb.has_value()) return ra.has_value();
            return ra && *ra > *rb;
          });
      std::vector<std::string> want, got;
      for (const auto& t : expected) want.push_back(t.team());
      for (const auto& t : by_risk) got.push_back(t.team());
      EXPECT_EQ(got, want) << "risk order of prefix '" << prefix << "'";
    }
    ScrapeAndCompare(latest, seen);
  }

  const Scenario sc_ = Generate(GetParam());
  Truth truth_{sc_};
  TempDir keys_;
  std::unique_ptr<ServerProcess> insights_;
  std::unique_ptr<v1::InsightsService::Stub> stub_;
  int erasures_ = 0;
};

TEST_P(PrivacyAttackerTest, TheWholeHistoryDeterminesNoOne) {
  SCOPED_TRACE(absl::StrCat("scenario of seed ", sc_.seed));
  Observations seen(sc_, truth_);
  int latest_round = 0;
  for (size_t i = 0; i < sc_.arrivals.size(); ++i) {
    const Submission& s = sc_.arrivals[i];
    if (s.round > latest_round) {  // a round ends: look at everything
      FullPass(seen);
      latest_round = s.round;
    }
    if (s.erase) {
      grpc::ClientContext context;
      v1::EraseRespondentRequest request;
      request.set_respondent_id(
          absl::StrCat("person-", sc_.seed, "-", s.person));
      v1::EraseRespondentResponse response;
      const grpc::Status status =
          stub_->EraseRespondent(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(response.erased(), truth_.Erase(s.person));
      ++erasures_;
      FullPass(seen);  // what the erasure changed, everywhere
      continue;
    }
    grpc::ClientContext context;
    v1::SubmitSurveyResponsesRequest request;
    *request.add_responses() = s.proto;
    v1::SubmitSurveyResponsesResponse response;
    const grpc::Status status =
        stub_->SubmitSurveyResponses(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.accepted(), 1);
    truth_.Apply(s);
    Pass(s.round, seen);
    if (::testing::Test::HasFailure()) break;  // one story is enough
  }
  FullPass(seen);

  const std::string story = Describe(sc_, truth_, seen.released());
  const std::vector<std::string> steps =
      SmallSteps(sc_, truth_, seen.released());
  EXPECT_TRUE(steps.empty())
      << "released figures of a group moved by fewer than k people:\n  "
      << absl::StrJoin(steps, "\n  ") << "\n"
      << story;
  const AttackResult attack =
      Attack(sc_, truth_, seen.released(), seen.suppressed());
  EXPECT_TRUE(attack.findings.empty())
      << "model 1: the history of released figures determines:\n  "
      << absl::StrJoin(attack.findings, "\n  ") << "\n"
      << story;

  int released_states = 0, states = 0;
  for (const auto& [g, s] : seen.released())
    released_states += static_cast<int>(s.size());
  for (const auto& [g, s] : truth_.states())
    states += static_cast<int>(s.size());
  std::printf(
      "seed %llu: k=%d, %zu nodes, %zu rounds, %zu submissions, %d "
      "erasures, %zu answers "
      "in force at some time; %d of %d group states released, %zu groups "
      "released; rank %d. Model 2: %d of %d people determined\n",
      static_cast<unsigned long long>(sc_.seed), sc_.k, sc_.nodes.size(),
      sc_.rounds.size(), sc_.arrivals.size() - erasures_, erasures_,
      truth_.versions().size(), released_states, states, seen.released().size(),
      attack.rank, attack.people_determined, attack.people);
  EXPECT_FALSE(seen.released().empty()) << "nothing released proves little";
}

INSTANTIATE_TEST_SUITE_P(RandomOrganisations, PrivacyAttackerTest,
                         ::testing::Range<uint64_t>(1, kSeeds + 1));

// The attack works: live k-anonymity (every state of every group with at
// least k members released as it happens) gives people away in these
// scenarios, and the solver sees it.
TEST(PrivacyAttackerSanityTest, LiveKAnonymityLeaksAndTheAttackSeesIt) {
  int leaking = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const Scenario sc = Generate(seed);
    Truth truth(sc);
    for (const Submission& s : sc.arrivals) {
      if (s.erase) {
        truth.Erase(s.person);
      } else {
        truth.Apply(s);
      }
    }
    std::map<Group, std::set<int>> live;
    for (const auto& [g, states] : truth.states()) {
      for (size_t i = 0; i < states.size(); ++i) {
        if (static_cast<int>(states[i].members.size()) >= sc.k)
          live[g].insert(static_cast<int>(i));
      }
    }
    const AttackResult attack = Attack(sc, truth, live, {});
    if (!attack.findings.empty()) ++leaking;
    if (leaking == 1 && !attack.findings.empty()) {
      std::printf("live k-anonymity, seed %llu: %s\n",
                  static_cast<unsigned long long>(seed),
                  attack.findings.front().c_str());
    }
  }
  EXPECT_GE(leaking, kSeeds / 2);

  // By hand: a team of 6 (k = 5) released at 5 and again at 6 answers: the
  // difference is the sixth person's answer.
  Scenario sc;
  sc.k = 5;
  sc.nodes = {"d1"};
  sc.rounds = {"2026-r1"};
  sc.people = 6;
  Truth truth(sc);
  for (int p = 0; p < 6; ++p) {
    Submission s{{}, p, 0, {}};
    s.proto.set_team("d1");
    s.proto.set_response_id(absl::StrCat("r", p));
    s.stat.fill(p);
    truth.Apply(s);
  }
  const AttackResult live = Attack(sc, truth, {{{"d1", 0}, {4, 5}}}, {});
  ASSERT_FALSE(live.findings.empty());
  EXPECT_EQ(live.findings.front(),
            "the answer of person 5 in d1@2026-r1 is determined");
  EXPECT_EQ(live.people_determined, 1);
  const AttackResult once = Attack(sc, truth, {{{"d1", 0}, {5}}}, {});
  EXPECT_TRUE(once.findings.empty());
  EXPECT_EQ(once.people_determined, 0);
}

}  // namespace
}  // namespace orgpulse::insights
