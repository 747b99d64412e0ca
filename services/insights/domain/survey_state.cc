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
  const std::string department = PathPrefixes(response.team).front();
  if (const auto held = round.department_of.find(response.respondent);
      held != round.department_of.end()) {
    Department& d = round.departments[held->second];
    const auto it = d.current.find(response.respondent);
    const ScoredResponse& r = it->second.response;
    const bool newer = response.submitted_at > r.submitted_at ||
                       (response.submitted_at == r.submitted_at &&
                        response.response_id > r.response_id);
    if (!newer) return true;  // stored, but never in force
    Remove(round, d, it->second);
    d.current.erase(it);
  }
  round.department_of[response.respondent] = department;
  round.teams_of[response.respondent].insert(response.team);
  Department& d = round.departments[department];
  const std::string respondent = response.respondent;
  const auto it =
      d.current.emplace(respondent, Contribution{std::move(response)}).first;
  Add(round, d, it->second);
  MaybeStep(round);
  return true;
}

void SurveyState::Add(Round& round, Department& d, Contribution& c) {
  const ScoredResponse& r = c.response;
  TeamCounts& t = d.teams[r.team];
  c.team = &t;
  ++t.in_force;
  ++t.unpublished;
  ++d.unpublished;
  d.changed_teams.insert(r.team);
  d.evaluated = false;
  for (const std::string& node : PathPrefixes(r.team)) ++round.subtree[node];
}

void SurveyState::Remove(Round& round, Department& d,
                         const Contribution& held) {
  const std::string& team = held.response.team;
  TeamCounts& t = d.teams[team];
  --t.in_force;
  if (!held.published) {
    --t.unpublished;
    --d.unpublished;
  }
  if (t.in_force == 0) d.teams.erase(team);
  d.changed_teams.insert(team);
  d.evaluated = false;
  for (const std::string& node : PathPrefixes(team)) {
    if (--round.subtree[node] == 0) round.subtree.erase(node);
  }
}

void SurveyState::Evaluate(Department& d) const {
  const int k = min_group_size_;
  std::map<std::string, int64_t> counts;
  for (const auto& [team, c] : d.teams) counts[team] = c.in_force;
  ReleasedGroups release = DecideReleasedGroups(counts, k);

  struct Region {
    int64_t in_force = 0;
    int64_t unpublished = 0;
    bool changed = false;
    std::set<std::string> nearest;  // nearest released descendants
  };
  std::map<std::string, Region> regions;
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
    if (auto c = d.teams.find(team); c != d.teams.end()) {
      r.in_force += c->second.in_force;
      r.unpublished += c->second.unpublished;
    }
    r.changed = r.changed || d.changed_teams.contains(team);
  };
  for (const auto& [team, c] : d.teams) place(team);
  for (const std::string& team : d.changed_teams) {
    if (!d.teams.contains(team)) place(team);  // emptied since
  }

  // A failing region's node is left out with its ancestors: a parent
  // stepping over a held child would publish the child's new responses in
  // its own region, and the child could never gather k of its own. The
  // nodes left keep their regions (a changed region would be an ancestor's).
  std::set<std::string> out;
  std::set<std::string> fresh_regions;
  for (const auto& [node, r] : regions) {
    if (r.in_force == 0) continue;  // sums nothing of its own
    const auto last = d.last_step.find(node);
    if (!r.changed && last != d.last_step.end() && last->second == r.nearest) {
      continue;  // (a): the previous step's region, unchanged
    }
    if (r.unpublished >= k) {  // (b): k contributions never published
      fresh_regions.insert(node);
      continue;
    }
    for (const std::string& n : PathPrefixes(node)) out.insert(n);
  }
  d.candidate.clear();
  d.candidate_is_last_step = false;
  d.fresh = false;
  for (auto& [node, r] : regions) {
    if (out.contains(node)) continue;
    d.candidate[node] = std::move(r.nearest);
    d.fresh = d.fresh || fresh_regions.contains(node);
  }
  d.evaluated = true;
}

void SurveyState::MaybeStep(Round& round) {
  const int k = min_group_size_;
  // Only a department with k unpublished contributions can have a region
  // that qualifies by (b); the others are evaluated if a step is taken.
  bool fresh = false;
  for (auto& [name, d] : round.departments) {
    if (!d.evaluated && d.unpublished >= k) Evaluate(d);
    fresh = fresh || (d.evaluated && d.fresh);
  }
  if (!fresh) return;

  ++round.steps;
  for (auto& [name, d] : round.departments) {
    if (!d.evaluated) Evaluate(d);
    if (d.fresh) {
      // New figures. A department that is not fresh re-releases only
      // regions unchanged since the last step: the same figures.
      PublishCandidate(round, d);
    }
    // Evaluated again now, the department would give the same candidate,
    // with nothing fresh. Most departments did not change since the last
    // step: their candidate is the last step already.
    if (!d.candidate_is_last_step) {
      d.last_step = d.candidate;
      d.candidate_is_last_step = true;
    }
    d.changed_teams.clear();
    d.fresh = false;
  }
}

// Every candidate node's figures, summed over the contributions in force in
// its subtree in respondent order (so floating sums are the same on every
// replica and replay). A step costs a pass over the department: the nodes
// on each team's path are found once per team, not once per respondent.
void SurveyState::PublishCandidate(Round& round, Department& d) {
  std::map<std::string, Sums> sums;
  std::vector<std::vector<Sums*>> paths;  // by TeamCounts::path
  paths.reserve(d.teams.size());
  for (auto& [team, counts] : d.teams) {
    counts.path = static_cast<int>(paths.size());
    std::vector<Sums*>& nodes = paths.emplace_back();
    for (const std::string& node : PathPrefixes(team)) {
      if (d.candidate.contains(node)) nodes.push_back(&sums[node]);
    }
  }
  for (auto& [respondent, c] : d.current) {
    const ScoredResponse& r = c.response;
    const std::vector<Sums*>& nodes = paths[c.team->path];
    for (Sums* s : nodes) {
      ++s->respondents;
      for (int i = 0; i < kDimensionCount; ++i) {
        s->dimensions[i] += r.dimension_scores[i];
      }
      if (r.enps >= 9) ++s->promoters;
      if (r.enps <= 6) ++s->detractors;
      s->intent += (r.intent_to_stay - 1) * 25.0;
      s->as_of = std::max(s->as_of, r.submitted_at);
    }
    if (!nodes.empty() && !c.published) {
      c.published = true;
      --c.team->unpublished;
      --d.unpublished;
    }
  }
  for (const auto& [node, nearest] : d.candidate) {
    round.published[node] = ToMorale(sums.at(node));
  }
}

std::vector<RoundReset> SurveyState::ErasureResets(
    absl::string_view respondent) const {
  std::vector<RoundReset> out;
  const std::string key(respondent);
  for (const auto& [id, round] : rounds_) {
    const auto teams = round.teams_of.find(key);
    if (teams == round.teams_of.end()) continue;
    std::set<std::string> withdrawn;
    for (const std::string& team : teams->second) {
      for (std::string& node : PathPrefixes(team)) {
        withdrawn.insert(std::move(node));
      }
    }
    RoundReset& reset = out.emplace_back();
    reset.round = id;
    reset.steps = round.steps;
    for (const auto& [node, figures] : round.published) {
      if (!withdrawn.contains(node)) reset.published.emplace(node, figures);
    }
  }
  return out;
}

void SurveyState::ApplyReset(const RoundReset& reset) {
  const auto it = rounds_.find(reset.round);
  if (it == rounds_.end()) return;
  Round& round = it->second;
  round.published = reset.published;
  round.steps = reset.steps;
  for (auto& [name, d] : round.departments) {
    // Which contributions were published depends on steps the erased
    // person's responses took part in, which a replay without them does not
    // take: counting all as published is the safe side of both.
    for (auto& [respondent, c] : d.current) c.published = true;
    for (auto& [team, counts] : d.teams) counts.unpublished = 0;
    d.unpublished = 0;
    d.last_step.clear();
    d.changed_teams.clear();
    d.candidate.clear();
    d.candidate_is_last_step = true;  // both empty
    d.evaluated = false;
    d.fresh = false;
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
