#include "services/insights/domain/survey_state.h"

#include <algorithm>
#include <utility>

namespace orgpulse::insights {
namespace {

// "a", "a/b", "a/b/c" for "a/b/c".
std::vector<std::string> PathPrefixes(const std::string& team) {
  std::vector<std::string> out;
  for (size_t slash = team.find('/'); slash != std::string::npos;
       slash = team.find('/', slash + 1)) {
    out.push_back(team.substr(0, slash));
  }
  out.push_back(team);
  return out;
}

// The deepest node of `nodes` that is `team` or a prefix of it; "" if none.
std::string LowestReleased(const std::string& team,
                           const ReleasedGroups& nodes) {
  const std::vector<std::string> prefixes = PathPrefixes(team);
  for (auto it = prefixes.rbegin(); it != prefixes.rend(); ++it) {
    if (nodes.contains(*it)) return *it;
  }
  return "";
}

}  // namespace

bool SurveyState::Apply(ScoredResponse response) {
  if (!response_ids_.insert(response.response_id).second) return false;
  teams_.insert(response.team);
  Round& round = rounds_[response.round];
  auto it = round.current.find(response.respondent);
  if (it == round.current.end()) {
    it = round.current.emplace(response.respondent, Contribution{response})
             .first;
  } else {
    const ScoredResponse& held = it->second.response;
    const bool newer = response.submitted_at > held.submitted_at ||
                       (response.submitted_at == held.submitted_at &&
                        response.response_id > held.response_id);
    if (!newer) return true;  // stored, but never in force
    Remove(round, it->second);
    it->second = Contribution{std::move(response)};
  }
  Add(round, it->second.response);
  MaybeStep(round);
  return true;
}

void SurveyState::Add(Round& round, const ScoredResponse& r) {
  TeamCounts& t = round.teams[r.team];
  ++t.in_force;
  ++t.unpublished;
  ++round.unpublished;
  round.changed_teams.insert(r.team);
  for (const std::string& node : PathPrefixes(r.team)) ++round.subtree[node];
}

void SurveyState::Remove(Round& round, const Contribution& held) {
  const std::string& team = held.response.team;
  TeamCounts& t = round.teams[team];
  --t.in_force;
  if (!held.published) {
    --t.unpublished;
    --round.unpublished;
  }
  if (t.in_force == 0) round.teams.erase(team);
  round.changed_teams.insert(team);
  for (const std::string& node : PathPrefixes(team)) {
    if (--round.subtree[node] == 0) round.subtree.erase(node);
  }
}

void SurveyState::MaybeStep(Round& round) {
  const int k = min_group_size_;
  // Every step that publishes anything needs k unpublished contributions.
  if (round.changed_teams.empty() || round.unpublished < k) return;
  std::map<std::string, int64_t> counts;
  for (const auto& [team, c] : round.teams) counts[team] = c.in_force;
  ReleasedGroups release = DecideReleasedGroups(counts, k);

  struct Region {
    int64_t in_force = 0;
    int64_t unpublished = 0;
    bool changed = false;
    std::set<std::string> nearest;  // nearest released descendants
  };
  std::map<std::string, Region> regions;
  while (true) {
    regions.clear();
    for (const std::string& node : release) regions[node];
    for (const std::string& node : release) {
      const size_t slash = node.rfind('/');
      if (slash == std::string::npos) continue;
      const std::string above = LowestReleased(node.substr(0, slash), release);
      if (!above.empty()) regions[above].nearest.insert(node);
    }
    auto place = [&](const std::string& team) {
      const std::string owner = LowestReleased(team, release);
      if (owner.empty()) return;
      Region& r = regions[owner];
      if (auto c = round.teams.find(team); c != round.teams.end()) {
        r.in_force += c->second.in_force;
        r.unpublished += c->second.unpublished;
      }
      r.changed = r.changed || round.changed_teams.contains(team);
    };
    for (const auto& [team, c] : round.teams) place(team);
    for (const std::string& team : round.changed_teams) {
      if (!round.teams.contains(team)) place(team);  // emptied since
    }

    bool fresh = false;
    std::string failing;
    for (const auto& [node, r] : regions) {
      if (r.in_force == 0) continue;  // sums nothing of its own
      const auto last = round.last_step.find(node);
      if (!r.changed && last != round.last_step.end() &&
          last->second == r.nearest) {
        continue;  // (a): the previous step's region, unchanged
      }
      if (r.unpublished >= k) {  // (b): k contributions never published
        fresh = true;
        continue;
      }
      // Leave out the deepest failing node; its region joins its parent's.
      const auto depth = [](const std::string& n) {
        return std::count(n.begin(), n.end(), '/');
      };
      if (failing.empty() || depth(node) > depth(failing)) failing = node;
    }
    if (failing.empty()) {
      if (!fresh) return;  // nothing new to publish: no step
      break;
    }
    // Its ancestors too: a parent stepping over a held child would publish
    // the child's responses in its own region, and the child could then
    // never gather k unpublished ones of its own.
    for (const std::string& node : PathPrefixes(failing)) release.erase(node);
  }

  ++round.steps;
  std::map<std::string, Sums> sums;
  // Iterating `current` in key order keeps floating sums deterministic.
  for (auto& [respondent, c] : round.current) {
    const ScoredResponse& r = c.response;
    bool inside = false;
    for (const std::string& node : PathPrefixes(r.team)) {
      if (!release.contains(node)) continue;
      inside = true;
      Sums& s = sums[node];
      ++s.respondents;
      for (int d = 0; d < kDimensionCount; ++d) {
        s.dimensions[d] += r.dimension_scores[d];
      }
      if (r.enps >= 9) ++s.promoters;
      if (r.enps <= 6) ++s.detractors;
      s.intent += (r.intent_to_stay - 1) * 25.0;
      s.as_of = std::max(s.as_of, r.submitted_at);
    }
    if (inside && !c.published) {
      c.published = true;
      --round.teams[r.team].unpublished;
      --round.unpublished;
    }
  }
  round.last_step.clear();
  for (const std::string& node : release) {
    round.published[node] = ToMorale(sums.at(node));
    round.last_step[node] = std::move(regions[node].nearest);
  }
  round.changed_teams.clear();
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
  const auto figures = round->second.published.find(key);
  if (figures == round->second.published.end()) {
    view.suppressed = true;
    return view;
  }
  view.figures = figures->second;
  for (auto it = std::make_reverse_iterator(round); it != rounds_.rend();
       ++it) {
    if (const auto p = it->second.published.find(key);
        p != it->second.published.end()) {
      view.previous_round = it->first;
      view.previous = p->second;
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

int64_t SurveyState::release_steps(absl::string_view round) const {
  const auto it = rounds_.find(std::string(round));
  return it == rounds_.end() ? 0 : it->second.steps;
}

}  // namespace orgpulse::insights
