// Survey responses folded into per-round, per-group figures, with the
// privacy rules applied: only groups released by DecideReleasedGroups get
// numbers. A respondent's later response in a round replaces the earlier
// one (latest submitted_at; ties broken by response id), so the state does
// not depend on arrival order.
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

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

// A released group's figures in one round.
struct GroupMorale {
  int64_t respondents = 0;
  std::array<double, kDimensionCount> dimensions{};  // 0..100
  double enps = 0;                                   // -100..100
  double intent_to_stay = 0;                         // 0..100
  absl::Time as_of;  // latest submitted_at in the group
};

// What may be said of a group in a round.
struct MoraleView {
  std::string round;  // empty: no responses at all
  bool suppressed = false;
  std::optional<GroupMorale> figures;  // set only when released
  std::string previous_round;          // previous round released for the group
  std::optional<GroupMorale> previous;
};

class SurveyState {
 public:
  // REQUIRES: min_group_size >= kMinGroupSizeFloor.
  explicit SurveyState(int min_group_size) : min_group_size_(min_group_size) {}

  // False (and no change) if the response id was applied before.
  bool Apply(ScoredResponse response);
  bool HasResponseId(absl::string_view id) const {
    return response_ids_.contains(id);
  }

  // Recomputes the figures and releases of the rounds changed since the
  // last call. Call after a batch of Apply.
  void Refresh();

  // `round` empty: the latest round with responses under `node`.
  // REQUIRES: Refresh() after the last Apply.
  MoraleView Morale(absl::string_view node, absl::string_view round) const;

  // Teams with at least one response, in any round.
  const std::set<std::string>& teams() const { return teams_; }
  // Rounds, in order.
  std::vector<std::string> rounds() const;
  int min_group_size() const { return min_group_size_; }

 private:
  struct Sums {
    int64_t respondents = 0;
    std::array<double, kDimensionCount> dimensions{};
    int64_t promoters = 0, detractors = 0;
    double intent = 0;  // 0..100 scale
    absl::Time as_of = absl::InfinitePast();
  };
  struct Round {
    // By respondent (keyed hash): the response in force.
    std::map<std::string, ScoredResponse> current;
    bool dirty = true;
    std::map<std::string, Sums> subtree;  // by node (team or prefix)
    ReleasedGroups released;
  };
  static GroupMorale ToMorale(const Sums& sums);

  int min_group_size_;
  std::map<std::string, Round> rounds_;  // ordered by round id
  absl::flat_hash_set<std::string> response_ids_;
  std::set<std::string> teams_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STATE_H_
