// SurveyState's snapshot bytes. What the fold keeps but can count again
// from the contributions (TeamCounts, the subtree counts, department_of) is
// not written: Decode derives it, so it cannot disagree with them. Teams go
// as indices into the sorted team set.
//
// Layout (BinaryWriter's varints, strings, doubles, times):
//   format byte, min_group_size, response ids, teams,
//   per round: id, steps, published (node -> GroupMorale), teams_of
//     (respondent -> team indices), per department: name, contributions
//     (respondent, response id, team index, submitted_at, scores, eNPS,
//     intent, published), changed teams, last_step, candidate, flags.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/storage/binary_codec.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {
namespace {

// Bump with any change of the layout above or of what it means.
constexpr uint8_t kSnapshotFormat = 1;

void WriteMorale(BinaryWriter& w, const GroupMorale& m) {
  w.Varint(static_cast<uint64_t>(m.respondents));
  for (double d : m.dimensions) w.Double(d);
  w.Double(m.enps);
  w.Double(m.intent_to_stay);
  w.Time(m.as_of);
}

void ReadMorale(BinaryReader& r, GroupMorale& m) {
  m.respondents = static_cast<int64_t>(r.Varint());
  for (double& d : m.dimensions) r.Double(d);
  r.Double(m.enps);
  r.Double(m.intent_to_stay);
  r.Time(m.as_of);
}

using NodeSets = std::map<std::string, std::set<std::string>>;

void WriteNodeSets(BinaryWriter& w, const NodeSets& sets) {
  w.Varint(sets.size());
  for (const auto& [node, nearest] : sets) {
    w.String(node);
    w.Varint(nearest.size());
    for (const std::string& n : nearest) w.String(n);
  }
}

// Decoded maps and sets come in key order (as encoded): each key goes at
// the end, without a search. False for a key not after the last (a
// duplicate, or bytes out of order).
template <typename Map, typename Key>
typename Map::mapped_type* AppendInOrder(Map& map, Key&& key) {
  if (!map.empty() && !(map.rbegin()->first < key)) return nullptr;
  return &map.emplace_hint(map.end(), std::forward<Key>(key),
                           typename Map::mapped_type())
              ->second;
}
bool AppendInOrder(std::set<std::string>& set, std::string key) {
  if (!set.empty() && !(*set.rbegin() < key)) return false;
  set.emplace_hint(set.end(), std::move(key));
  return true;
}

bool ReadNodeSets(BinaryReader& r, NodeSets& sets) {
  const uint64_t count = r.Varint();
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    std::string node;
    r.String(node);
    std::set<std::string>* nearest = AppendInOrder(sets, std::move(node));
    if (nearest == nullptr) return false;
    const uint64_t n = r.Varint();
    for (uint64_t j = 0; j < n && r.ok(); ++j) {
      std::string s;
      r.String(s);
      if (!AppendInOrder(*nearest, std::move(s))) return false;
    }
  }
  return r.ok();
}

// Encoded teams: indices into the state's sorted team set.
class TeamIndex {
 public:
  explicit TeamIndex(const std::set<std::string>& teams) {
    int64_t i = 0;
    for (const std::string& t : teams) index_.emplace(t, i++);
  }
  uint64_t operator()(const std::string& team) const {
    return static_cast<uint64_t>(index_.at(team));
  }

 private:
  std::map<absl::string_view, int64_t> index_;
};

absl::Status Damaged(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("survey state snapshot: ", what,
                   "; the snapshot is not used and the log is replayed"));
}

}  // namespace

void SurveyState::Encode(std::string& out) const {
  // About what a response in force takes (its id twice, its respondent
  // twice, scores): one allocation rather than a doubling series.
  out.reserve(out.size() + 160 * response_ids_.size());
  BinaryWriter w(out);
  w.Byte(kSnapshotFormat);
  w.Varint(static_cast<uint64_t>(min_group_size_));
  w.Varint(response_ids_.size());
  for (const std::string& id : response_ids_) w.String(id);
  w.Varint(teams_.size());
  for (const std::string& t : teams_) w.String(t);
  const TeamIndex index(teams_);
  w.Varint(rounds_.size());
  for (const auto& [id, round] : rounds_) {
    w.String(id);
    w.Varint(static_cast<uint64_t>(round.steps));
    w.Varint(round.published.size());
    for (const auto& [node, m] : round.published) {
      w.String(node);
      WriteMorale(w, m);
    }
    w.Varint(round.teams_of.size());
    for (const auto& [respondent, teams] : round.teams_of) {
      w.String(respondent);
      w.Varint(teams.size());
      for (const std::string& t : teams) w.Varint(index(t));
    }
    w.Varint(round.departments.size());
    for (const auto& [name, d] : round.departments) {
      w.String(name);
      w.Varint(d.current.size());
      for (const auto& [respondent, c] : d.current) {
        const ScoredResponse& s = c.response;
        w.String(respondent);
        w.String(s.response_id);
        w.Varint(index(s.team));
        w.Time(s.submitted_at);
        for (double score : s.dimension_scores) w.Double(score);
        w.Varint(static_cast<uint64_t>(s.enps));
        w.Varint(static_cast<uint64_t>(s.intent_to_stay));
        w.Byte(c.published);
      }
      w.Varint(d.changed_teams.size());
      for (const std::string& t : d.changed_teams) w.Varint(index(t));
      WriteNodeSets(w, d.last_step);
      WriteNodeSets(w, d.candidate);
      w.Byte(static_cast<uint8_t>(d.candidate_is_last_step) |
             static_cast<uint8_t>(d.evaluated) << 1 |
             static_cast<uint8_t>(d.fresh) << 2);
    }
  }
}

bool SurveyState::Derive(const std::string& name, Round& round, Department& d) {
  for (auto& [respondent, c] : d.current) {
    const std::string& team = c.response.team;
    if (absl::string_view(team).substr(0, team.find('/')) != name) {
      return false;
    }
    if (!round.department_of.emplace(respondent, name).second) return false;
    TeamCounts& t = d.teams[team];
    c.team = &t;
    ++t.in_force;
    if (!c.published) {
      ++t.unpublished;
      ++d.unpublished;
    }
  }
  for (const auto& [team, counts] : d.teams) {
    for (size_t slash = team.find('/'); slash != std::string::npos;
         slash = team.find('/', slash + 1)) {
      round.subtree[team.substr(0, slash)] += counts.in_force;
    }
    round.subtree[team] += counts.in_force;
  }
  // A step publishes an evaluated candidate's nodes with the sums of the
  // teams under them: each must have one.
  if (!d.evaluated) return true;
  for (const auto& [node, nearest] : d.candidate) {
    bool under = false;
    for (const auto& [team, counts] : d.teams) {
      if (team == node ||
          (team.size() > node.size() &&
           absl::string_view(team).substr(0, node.size()) == node &&
           team[node.size()] == '/')) {
        under = true;
        break;
      }
    }
    if (!under) return false;
  }
  return true;
}

absl::StatusOr<SurveyState> SurveyState::Decode(absl::string_view bytes,
                                                int min_group_size) {
  BinaryReader r(bytes);
  if (const uint8_t format = r.Byte(); format != kSnapshotFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat("survey state snapshot of format ", format,
                     ", this binary reads format ", kSnapshotFormat));
  }
  const uint64_t k = r.Varint();
  if (r.ok() && k != static_cast<uint64_t>(min_group_size)) {
    return absl::FailedPreconditionError(
        absl::StrCat("survey state snapshot folded with min_group_size=", k,
                     ", the service runs with ", min_group_size));
  }
  SurveyState state(min_group_size);
  const uint64_t ids = r.Varint();
  // Each id takes at least a byte: no more than the bytes can hold.
  state.response_ids_.reserve(std::min<uint64_t>(ids, bytes.size()));
  for (uint64_t i = 0; i < ids && r.ok(); ++i) {
    std::string id;
    r.String(id);
    if (!state.response_ids_.insert(std::move(id)).second) {
      return Damaged("a response id twice");
    }
  }
  std::vector<const std::string*> teams;
  const uint64_t team_count = r.Varint();
  for (uint64_t i = 0; i < team_count && r.ok(); ++i) {
    std::string t;
    r.String(t);
    if (!state.teams_.empty() && !(*state.teams_.rbegin() < t)) {
      return Damaged("teams out of order");
    }
    teams.push_back(&*state.teams_.emplace_hint(state.teams_.end(), t));
  }
  // A team index, checked; nullptr after a failed read.
  auto team_at = [&](BinaryReader& r) -> const std::string* {
    const uint64_t i = r.Varint();
    if (!r.ok() || i >= teams.size()) return r.Fail(), nullptr;
    return teams[i];
  };
  const uint64_t rounds = r.Varint();
  for (uint64_t i = 0; i < rounds && r.ok(); ++i) {
    std::string id;
    r.String(id);
    const auto [at, added] = state.rounds_.try_emplace(id);
    if (!added) return Damaged("a round twice");
    Round& round = at->second;
    round.steps = static_cast<int64_t>(r.Varint());
    const uint64_t published = r.Varint();
    for (uint64_t j = 0; j < published && r.ok(); ++j) {
      std::string node;
      GroupMorale m;
      r.String(node);
      ReadMorale(r, m);
      GroupMorale* at = AppendInOrder(round.published, std::move(node));
      if (at == nullptr) return Damaged("published nodes out of order");
      *at = m;
    }
    const uint64_t people = r.Varint();
    for (uint64_t j = 0; j < people && r.ok(); ++j) {
      std::string respondent;
      r.String(respondent);
      std::set<std::string>* of =
          AppendInOrder(round.teams_of, std::move(respondent));
      if (of == nullptr) return Damaged("respondents out of order");
      const uint64_t n = r.Varint();
      for (uint64_t t = 0; t < n && r.ok(); ++t) {
        const std::string* team = team_at(r);
        if (team != nullptr && !AppendInOrder(*of, *team)) {
          return Damaged("a respondent's teams out of order");
        }
      }
    }
    const uint64_t departments = r.Varint();
    for (uint64_t j = 0; j < departments && r.ok(); ++j) {
      std::string name;
      r.String(name);
      Department* at = AppendInOrder(round.departments, name);
      if (at == nullptr) return Damaged("departments out of order");
      Department& d = *at;
      const uint64_t current = r.Varint();
      for (uint64_t c = 0; c < current && r.ok(); ++c) {
        std::string respondent;
        ScoredResponse s;
        r.String(respondent);
        r.String(s.response_id);
        const std::string* team = team_at(r);
        r.Time(s.submitted_at);
        for (double& score : s.dimension_scores) r.Double(score);
        const uint64_t enps = r.Varint();
        const uint64_t intent = r.Varint();
        const uint8_t published = r.Byte();
        if (!r.ok()) break;
        if (enps > 10 || intent < 1 || intent > 5 || published > 1) {
          return Damaged("a contribution out of range");
        }
        if (!state.response_ids_.contains(s.response_id)) {
          return Damaged("a contribution of an unknown response id");
        }
        const auto of = round.teams_of.find(respondent);
        if (of == round.teams_of.end() || !of->second.contains(*team)) {
          return Damaged("a contribution outside its respondent's teams");
        }
        s.team = *team;
        s.round = id;
        s.respondent = respondent;
        s.enps = static_cast<int>(enps);
        s.intent_to_stay = static_cast<int>(intent);
        Contribution* in = AppendInOrder(d.current, std::move(respondent));
        if (in == nullptr) return Damaged("contributions out of order");
        in->response = std::move(s);
        in->published = published == 1;
      }
      const uint64_t changed = r.Varint();
      for (uint64_t t = 0; t < changed && r.ok(); ++t) {
        const std::string* team = team_at(r);
        if (team != nullptr && !AppendInOrder(d.changed_teams, *team)) {
          return Damaged("changed teams out of order");
        }
      }
      if (!ReadNodeSets(r, d.last_step) || !ReadNodeSets(r, d.candidate)) {
        r.Fail();
      }
      const uint8_t flags = r.Byte();
      if (!r.ok()) break;
      if (flags > 7) return Damaged("unknown department flags");
      d.candidate_is_last_step = (flags & 1) != 0;
      d.evaluated = (flags & 2) != 0;
      d.fresh = (flags & 4) != 0;
      if (!Derive(name, round, d)) {
        return Damaged(
            "a contribution in another department, a respondent in force in "
            "two, or a release candidate without responses");
      }
    }
  }
  if (!r.ok()) return Damaged("truncated or malformed");
  if (!r.done()) return Damaged("bytes after the end");
  return state;
}

}  // namespace orgpulse::insights
