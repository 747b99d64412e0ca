// The manager view of every team, folded from stored events.
//
// Each entity (task, project, milestone, procedure, KPI month) keeps only
// order-independent state: "latest by occurred_at" registers (ties broken by
// the event's fingerprint), earliest/latest times, counters, and exact
// fixed-point sums. So the same set of events gives the same state in any
// arrival order, and figures are computed from that state at query time,
// as of an injected "now".
//
// Not thread-safe: Ledger guards it.
//
// Example:
//   ExecutionState state;
//   state.Apply(event, EventFingerprint(event.source, event.event_id));
//   absl::StatusOr<TeamExecution> f = state.Figures("eng", clock.Now());
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EXECUTION_STATE_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EXECUTION_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/storage/binary_codec.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/execution_figures.h"

namespace orgpulse::ingest {

// A source's stored events: how many, and the latest occurred_at.
struct SourceSummary {
  std::string source;
  int64_t events = 0;
  absl::Time last_event_at;
};

class ExecutionState {
 public:
  ExecutionState();
  ~ExecutionState();
  ExecutionState(ExecutionState&&) noexcept;
  ExecutionState& operator=(ExecutionState&&) noexcept;

  // Folds a valid event in. `fingerprint` is EventFingerprint of its key.
  // REQUIRES: ValidateBatch accepted the event; it was not applied before.
  void Apply(const Event& event, absl::uint128 fingerprint);

  // Figures of `prefix` and every team under it, as of `now`.
  // NOT_FOUND if no team matches.
  absl::StatusOr<TeamExecution> Figures(absl::string_view prefix,
                                        absl::Time now) const;

  // Figures of `team` alone, without the teams under it (for per-team
  // metrics). NOT_FOUND if unknown.
  absl::StatusOr<TeamExecution> OwnFigures(absl::string_view team,
                                           absl::Time now) const;

  // The teams under `prefix` (all for ""), sorted by id.
  std::vector<TeamSummary> Teams(absl::string_view prefix) const;

  bool HasTeam(absl::string_view team) const;
  size_t team_count() const;

  // The whole state as bytes, for a snapshot (ledger_snapshot.h). A team's
  // tasks go as their hash table's slots, copied back without rehashing.
  void Encode(BinaryWriter& out) const;
  // About how many bytes Encode writes (to reserve them).
  size_t EncodedSizeHint() const;
  // Reads what Encode wrote. DATA_LOSS naming what is wrong if it cannot be
  // a state (bytes missing, teams out of order, a task table too full).
  static absl::StatusOr<ExecutionState> Decode(BinaryReader& in);
  // Every source events came from, sorted by name (for the per-source
  // metrics: a source that stops pushing is noticed by its latest event).
  std::vector<SourceSummary> Sources() const;
  bool HasSource(absl::string_view source) const;
  size_t source_count() const;
  // The earliest occurred_at of any event folded in; InfiniteFuture when
  // there is none. Retention sweeps only when it is past the cutoff.
  absl::Time oldest_event() const;

  struct Team;

 private:
  // Sorted, so rollups and listings come out in a stable order.
  absl::btree_map<std::string, std::unique_ptr<Team>> teams_;
  // The same teams by name, for the commit path (a hash lookup instead of
  // a walk of string comparisons down the tree).
  absl::flat_hash_map<std::string, Team*> team_index_;
  struct Source {
    int64_t events = 0;
    int64_t first_event_at_us = 0;
    int64_t last_event_at_us = 0;
  };
  absl::flat_hash_map<std::string, Source> sources_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EXECUTION_STATE_H_
