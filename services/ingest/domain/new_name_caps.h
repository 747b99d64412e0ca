// The team and source caps (--max_teams, --max_sources) over a commit group:
// what each batch would add to the folded state, counted with the batches
// of the group admitted before it. Both commit paths (the ledger's own store
// and a shared log) refuse batches through this one check.
//
//   NewNameCaps caps(state, options.max_teams, options.max_sources);
//   if (std::optional<CapRefusal> r = caps.Admit(batch_events)) ...refuse
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_NEW_NAME_CAPS_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_NEW_NAME_CAPS_H_

#include <cstddef>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/execution_state.h"

namespace orgpulse::ingest {

struct CapRefusal {
  enum class Cap { kTeams, kSources };
  Cap cap;
  // RESOURCE_EXHAUSTED naming the cap, its flag, and the new names.
  absl::Status status;
};

class NewNameCaps {
 public:
  // `state` must outlive this object and not change while it is used (the
  // caller holds the state lock over the group).
  NewNameCaps(const ExecutionState& state, size_t max_teams,
              size_t max_sources);

  // The batch's events that would be stored. Admitted (nullopt): their new
  // teams and sources count against the caps for the batches after it.
  // Refused: nothing of the batch is counted.
  std::optional<CapRefusal> Admit(absl::Span<const Event* const> events);

  // Counts `team` / `source` as known though `state` lacks it: an earlier
  // group adds it and is not folded yet. Call before Admit; the name must
  // outlive this object.
  void AddUnfoldedTeam(absl::string_view team);
  void AddUnfoldedSource(absl::string_view source);

  // The names the admitted batches add (views into their events).
  const absl::flat_hash_set<absl::string_view>& new_teams() const {
    return new_teams_;
  }
  const absl::flat_hash_set<absl::string_view>& new_sources() const {
    return new_sources_;
  }

 private:
  const ExecutionState& state_;
  const size_t max_teams_;
  const size_t max_sources_;
  // Names the group's admitted batches add; views into their events.
  absl::flat_hash_set<absl::string_view> new_teams_;
  absl::flat_hash_set<absl::string_view> new_sources_;
  absl::flat_hash_set<absl::string_view> unfolded_teams_;
  absl::flat_hash_set<absl::string_view> unfolded_sources_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_NEW_NAME_CAPS_H_
