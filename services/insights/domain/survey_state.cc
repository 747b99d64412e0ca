#include "services/insights/domain/survey_state.h"

#include <utility>

namespace orgpulse::insights {

bool SurveyState::Apply(ScoredResponse response) {
  if (!response_ids_.insert(response.response_id).second) return false;
  teams_.insert(response.team);
  Round& round = rounds_[response.round];
  round.dirty = true;
  auto [it, inserted] =
      round.current.try_emplace(response.respondent, response);
  if (!inserted) {
    const ScoredResponse& held = it->second;
    const bool newer = response.submitted_at > held.submitted_at ||
                       (response.submitted_at == held.submitted_at &&
                        response.response_id > held.response_id);
    if (newer) it->second = std::move(response);
  }
  return true;
}

void SurveyState::Refresh() {
  for (auto& [id, round] : rounds_) {
    if (!round.dirty) continue;
    round.dirty = false;
    round.subtree.clear();
    std::map<std::string, int64_t> own_counts;
    // Iterating `current` in key order keeps floating sums deterministic.
    for (const auto& [respondent, r] : round.current) {
      ++own_counts[r.team];
      // Add to the team and every prefix of it.
      for (size_t end = 0; end != std::string::npos;) {
        end = r.team.find('/', end + (end == 0 ? 0 : 1));
        Sums& s = round.subtree[r.team.substr(0, end)];
        ++s.respondents;
        for (int d = 0; d < kDimensionCount; ++d) {
          s.dimensions[d] += r.dimension_scores[d];
        }
        if (r.enps >= 9) ++s.promoters;
        if (r.enps <= 6) ++s.detractors;
        s.intent += (r.intent_to_stay - 1) * 25.0;
        s.as_of = std::max(s.as_of, r.submitted_at);
      }
    }
    round.released = DecideReleasedGroups(own_counts, min_group_size_);
  }
}

GroupMorale SurveyState::ToMorale(const Sums& s) {
  GroupMorale m;
  m.respondents = s.respondents;
  const double n = static_cast<double>(s.respondents);
  for (int d = 0; d < kDimensionCount; ++d)
    m.dimensions[d] = s.dimensions[d] / n;
  m.enps = 100.0 * static_cast<double>(s.promoters - s.detractors) / n;
  m.intent_to_stay = s.intent / n;
  m.as_of = s.as_of;
  return m;
}

MoraleView SurveyState::Morale(absl::string_view node,
                               absl::string_view round_id) const {
  MoraleView view;
  const std::string key(node);
  // The round: as asked, or the latest with responses under the node.
  auto round = rounds_.end();
  if (!round_id.empty()) {
    round = rounds_.find(std::string(round_id));
  } else {
    for (auto it = rounds_.rbegin(); it != rounds_.rend(); ++it) {
      if (it->second.subtree.contains(key)) {
        round = std::prev(it.base());
        break;
      }
    }
  }
  if (round == rounds_.end() || !round->second.subtree.contains(key)) {
    view.round = std::string(round_id);
    return view;
  }
  view.round = round->first;
  if (!round->second.released.contains(key)) {
    view.suppressed = true;
    return view;
  }
  view.figures = ToMorale(round->second.subtree.at(key));
  for (auto it = std::make_reverse_iterator(round); it != rounds_.rend();
       ++it) {
    if (it->second.released.contains(key)) {
      view.previous_round = it->first;
      view.previous = ToMorale(it->second.subtree.at(key));
      break;
    }
  }
  return view;
}

std::vector<std::string> SurveyState::rounds() const {
  std::vector<std::string> out;
  for (const auto& [id, round] : rounds_) out.push_back(id);
  return out;
}

}  // namespace orgpulse::insights
