// Survey responses folded into per-round, per-group figures under the
// release model of docs/decisions/0003-release-model.md.
//
// A respondent's later response in a round replaces the earlier one (latest
// submitted_at; ties broken by response id). Each response in force is a
// "contribution"; a replaced one leaves the figures, its successor enters
// them as a new contribution (a changed answer, or a move to another team).
//
// Release steps. Figures are not live: each round has a sequence of release
// steps, decided after every applied response, in the order responses are
// applied (the store's log order), so a replay at start-up and every
// replica reach the same steps. At a step, every group in the step's release
// set R is published with the figures of the contributions then in force;
// groups left out keep the figures of their last step (held) or stay
// suppressed. R starts from DecideReleasedGroups (k-anonymity and
// complementary suppression) and is then narrowed until every nonempty
// region of R (a released node minus its nearest released descendants) is
// either
//   (a) the same region as at the round's previous step, unchanged since, or
//   (b) holds at least k contributions never published before;
// a failing region's node is left out with its ancestors (a parent stepping
// over a held child would publish the child's new responses in its own
// region, and the child could never gather k of its own). A step is taken
// only if some region qualifies by (b).
//
// Why this is enough: take any linear combination of figures ever published
// for the round, and the latest step t that contributes a nonzero vector.
// Step t's sets are nested, so its part is constant on each of its regions;
// the (a) regions are sums of the previous step's sets and can be moved
// there. If a (b) region keeps a nonzero coefficient, its >= k new
// contributions appear in no earlier set, so the combination has them all in
// its support; otherwise repeat with the steps before t. So every nonzero
// combination involves >= k distinct respondents: no answer, no change of
// an answer and no sum of fewer than k people is determined, across groups
// and steps. In particular two figures of one group differ by >= k
// contributions or by none. Nothing is promised across rounds (a person's
// answers in two rounds are independent unknowns to this model).
//
// Departments (top-level nodes) are separate trees: each is evaluated only
// after it changed, so a response costs DecideReleasedGroups over its own
// department at most.
//
// Erasure (an erased person's responses leave the store, and the state is
// rebuilt from it) is a change like any other, and more: figures published
// with the person inside must go too. Each round the person answered in gets
// a RoundReset, recorded in the log where the erasure happened: every group
// on the path of a team the person was in force in is withdrawn (held figures
// included), the other groups keep their figures, every contribution then in
// force counts as published, and the last step is forgotten. So a group of
// that round comes back only in a step where its region holds k
// contributions that arrived after the erasure: the proof above holds with
// the withdrawal as a step that publishes nothing, and the person's own
// unknowns appear in no figure served afterwards. Deterministic too: the
// reset carries what it keeps, so a replay without the person's responses
// reaches the same figures, whatever steps it took before the reset.
//
// Not thread-safe: InsightsEngine guards it.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STATE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STATE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

// A released group's figures in one round, as of its latest release step.
struct GroupMorale {
  int64_t respondents = 0;
  std::array<double, kDimensionCount> dimensions{};  // 0..100
  double enps = 0;                                   // -100..100
  double intent_to_stay = 0;                         // 0..100
  absl::Time as_of;  // latest submitted_at in the group at that step
};

// What may be said of a group in a round.
struct MoraleView {
  std::string round;  // empty: no responses at all
  bool suppressed = false;
  std::optional<GroupMorale> figures;  // set only when released
  std::string previous_round;          // previous round released for the group
  std::optional<GroupMorale> previous;
};

// What an erasure leaves of one round's releases (see above): the figures
// still published and the number of steps taken. No data of the erased
// person: the kept figures are groups they were never in.
struct RoundReset {
  std::string round;
  int64_t steps = 0;
  std::map<std::string, GroupMorale> published;  // by node
};

class SurveyState {
 public:
  // REQUIRES: min_group_size >= kMinGroupSizeFloor.
  explicit SurveyState(int min_group_size) : min_group_size_(min_group_size) {}
  // Moves only: contributions point into their department's team map, whose
  // nodes a move keeps and a copy would not.
  SurveyState(SurveyState&&) = default;
  SurveyState& operator=(SurveyState&&) = default;
  SurveyState(const SurveyState&) = delete;
  SurveyState& operator=(const SurveyState&) = delete;

  // False (and no change) if the response id was applied before. Otherwise
  // folds the response in and takes a release step of its round if the
  // rules allow one. The result depends on the order of Apply calls: apply
  // in the store's log order.
  bool Apply(ScoredResponse response);
  bool HasResponseId(absl::string_view id) const {
    return response_ids_.contains(id);
  }

  // The resets that erasing `respondent` (keyed hash) makes: one per round
  // with a response of theirs in force; empty if none.
  std::vector<RoundReset> ErasureResets(absl::string_view respondent) const;
  // Applies a reset after the round's responses, in log order (ignored for a
  // round without responses). REQUIRES: no response of the erased person is
  // in the state (the engine rebuilds it from a store without them).
  void ApplyReset(const RoundReset& reset);

  // `round` empty: the latest round with responses under `node`.
  MoraleView Morale(absl::string_view node, absl::string_view round) const;

  // Teams with at least one response, in any round.
  const std::set<std::string>& teams() const { return teams_; }
  // Rounds, in order.
  std::vector<std::string> rounds() const;
  int min_group_size() const { return min_group_size_; }
  // Release steps taken in `round` so far (0 for an unknown round).
  int64_t release_steps(absl::string_view round) const;
  // Responses applied so far (every response id known, replaced ones too).
  int64_t response_count() const {
    return static_cast<int64_t>(response_ids_.size());
  }

  // Snapshots (survey_state_codec.cc): the whole state as bytes, so that a
  // restart decodes it and folds only the log after it. Decode(Encode())
  // folds on exactly as this state would: the same steps, the same figures
  // to the bit. The bytes hold respondents' pseudonymised scores, as the
  // log does: a store deletes them with the responses they came from.
  void Encode(std::string& out) const;
  // FAILED_PRECONDITION for another format version or a state folded with
  // another min_group_size; DATA_LOSS, saying what is wrong, for bytes that
  // are not a whole, consistent state (never a crash: every count, index
  // and link is checked before it is used).
  static absl::StatusOr<SurveyState> Decode(absl::string_view bytes,
                                            int min_group_size);

 private:
  struct Sums {
    int64_t respondents = 0;
    std::array<double, kDimensionCount> dimensions{};
    int64_t promoters = 0, detractors = 0;
    double intent = 0;  // 0..100 scale
    absl::Time as_of = absl::InfinitePast();
  };
  struct TeamCounts {
    int64_t in_force = 0;
    int64_t unpublished = 0;  // contributions never published
    int path = 0;             // PublishCandidate's index of the team's nodes
  };
  struct Contribution {
    ScoredResponse response;
    bool published = false;  // inside a group published at some step
    // Its team's entry in Department::teams (stays while the team has a
    // contribution in force).
    TeamCounts* team = nullptr;
  };
  // A department's (top-level node's) part of a round. Departments are
  // separate trees: their releases are decided apart, and a department that
  // did not change since its last evaluation is not looked at again.
  struct Department {
    // By respondent (keyed hash): the contribution in force.
    std::map<std::string, Contribution> current;
    std::map<std::string, TeamCounts> teams;  // by own team
    int64_t unpublished = 0;                  // sum over teams
    std::set<std::string> changed_teams;      // since the round's last step
    // The last step's release set: node -> its nearest released
    // descendants (which fix the node's region).
    std::map<std::string, std::set<std::string>> last_step;
    // What a step now would release, as of the last evaluation; `fresh` if
    // some region of it has k unpublished contributions.
    std::map<std::string, std::set<std::string>> candidate;
    // Whether `candidate` equals `last_step` (a step took it and nothing
    // evaluated the department since): the step need not copy it again.
    bool candidate_is_last_step = true;
    bool evaluated = true;
    bool fresh = false;
  };
  struct Round {
    std::map<std::string, Department> departments;
    std::map<std::string, std::string> department_of;  // by respondent
    // By respondent: every team they had a response in force in (their
    // published figures can only be on these teams' paths).
    std::map<std::string, std::set<std::string>> teams_of;
    std::map<std::string, int64_t> subtree;        // in force, by node
    std::map<std::string, GroupMorale> published;  // latest figures by node
    int64_t steps = 0;
  };
  static GroupMorale ToMorale(const Sums& sums);
  void Add(Round& round, Department& d, Contribution& contribution);
  void Remove(Round& round, Department& d, const Contribution& held);
  void Evaluate(Department& d) const;
  void MaybeStep(Round& round);
  void PublishCandidate(Round& round, Department& d);
  // Decode's part: a department's contributions and the figures derived
  // from them (TeamCounts, subtree, department_of); false if inconsistent.
  static bool Derive(const std::string& name, Round& round, Department& d);

  int min_group_size_;
  std::map<std::string, Round> rounds_;  // ordered by round id
  absl::flat_hash_set<std::string> response_ids_;
  std::set<std::string> teams_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STATE_H_
