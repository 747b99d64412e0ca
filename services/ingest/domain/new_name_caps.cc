#include "services/ingest/domain/new_name_caps.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace orgpulse::ingest {

NewNameCaps::NewNameCaps(const ExecutionState& state, size_t max_teams,
                         size_t max_sources)
    : state_(state), max_teams_(max_teams), max_sources_(max_sources) {}

void NewNameCaps::AddUnfoldedTeam(absl::string_view team) {
  if (!state_.HasTeam(team)) unfolded_teams_.insert(team);
}

void NewNameCaps::AddUnfoldedSource(absl::string_view source) {
  if (!state_.HasSource(source)) unfolded_sources_.insert(source);
}

std::optional<CapRefusal> NewNameCaps::Admit(
    absl::Span<const Event* const> events) {
  std::vector<absl::string_view> batch_teams;
  std::vector<absl::string_view> batch_sources;
  absl::flat_hash_set<absl::string_view> seen_teams;
  absl::flat_hash_set<absl::string_view> seen_sources;
  // Most events name a known team and source: one hash lookup each.
  for (const Event* event : events) {
    if (!state_.HasTeam(event->team) &&
        !unfolded_teams_.contains(event->team) &&
        !new_teams_.contains(event->team) &&
        seen_teams.insert(event->team).second) {
      batch_teams.push_back(event->team);
    }
    if (!state_.HasSource(event->source) &&
        !unfolded_sources_.contains(event->source) &&
        !new_sources_.contains(event->source) &&
        seen_sources.insert(event->source).second) {
      batch_sources.push_back(event->source);
    }
  }
  const size_t teams_before =
      state_.team_count() + unfolded_teams_.size() + new_teams_.size();
  if (teams_before + batch_teams.size() > max_teams_) {
    return CapRefusal{
        CapRefusal::Cap::kTeams,
        absl::ResourceExhaustedError(absl::StrCat(
            "team limit reached: this batch would add ", batch_teams.size(),
            " new team(s) to ", teams_before, " known, over the limit of ",
            max_teams_, " (--max_teams); nothing of the batch was stored"))};
  }
  const size_t sources_before =
      state_.source_count() + unfolded_sources_.size() + new_sources_.size();
  if (sources_before + batch_sources.size() > max_sources_) {
    const size_t named = std::min<size_t>(batch_sources.size(), 3);
    return CapRefusal{
        CapRefusal::Cap::kSources,
        absl::ResourceExhaustedError(absl::StrCat(
            "source limit reached: this batch would add ", batch_sources.size(),
            " new source(s) (",
            absl::StrJoin(batch_sources.begin(), batch_sources.begin() + named,
                          ", "),
            named < batch_sources.size() ? ", ..." : "", ") to ",
            sources_before, " known, over the limit of ", max_sources_,
            " (--max_sources); nothing of the batch was stored"))};
  }
  new_teams_.insert(batch_teams.begin(), batch_teams.end());
  new_sources_.insert(batch_sources.begin(), batch_sources.end());
  return std::nullopt;
}

}  // namespace orgpulse::ingest
