// The ingest service's core: validates pushed batches, drops events already
// stored (by (source, event_id)), enforces the team cap, commits groups of
// batches to the EventStore and only then folds them into the figures.
//
// One committer thread owns writes. Batches submitted while a commit is in
// flight are grouped into the next one (group commit), so one fsync serves
// many requests. Each batch is all-or-nothing: it is rejected whole, or
// every event in it is stored or recognised as a duplicate.
//
// Removals (undoing an import, retention) run apart from the committer, on
// a maintenance thread, and exclude commits while they work: the store
// removes the events in one transaction and the figures are refolded from
// what remains, so they are exactly those of a ledger that never stored
// the removed events.
//
// Thread-safe. Implements EventLedger, the interface the gRPC adapter uses.
//
// Example:
//   Ledger ledger(store, clock, {.max_teams = 1000});
//   if (absl::Status s = ledger.Recover(); !s.ok()) return s;
//   ledger.Submit(std::move(batch), [](absl::StatusOr<PushResult> r) {...});
//   absl::StatusOr<TeamExecution> f = ledger.GetTeamExecution("eng");
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/status/field_violations.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_filter.h"
#include "services/ingest/domain/event_ledger.h"
#include "services/ingest/domain/event_store.h"
#include "services/ingest/domain/execution_state.h"
#include "services/ingest/domain/fingerprint_set.h"

namespace orgpulse::ingest {

struct LedgerOptions {
  // Batches creating more teams than this are refused (RESOURCE_EXHAUSTED).
  size_t max_teams = 1000;
  // A commit takes queued batches up to about this many events.
  size_t max_events_per_commit = 50'000;
  // Retention: events whose occurred_at is older than the clock's now minus
  // this are dropped by Recover and every retention_sweep_interval (of real
  // time), and batches holding one are refused. Zero keeps every event.
  absl::Duration retain_events_for = absl::ZeroDuration();
  absl::Duration retention_sweep_interval = absl::Hours(1);
};

// Counters for metrics; monotonic over the process's life.
struct LedgerStats {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected_invalid = 0;     // events in batches refused as invalid
  int64_t rejected_team_limit = 0;  // events in batches over the team cap
  int64_t rejected_storage = 0;     // events in batches the store refused
  int64_t commits = 0;
  int64_t stored_events = 0;  // including those recovered at start
  size_t teams = 0;
  int64_t removed_by_request = 0;    // events removed by Remove
  int64_t removed_by_retention = 0;  // events dropped as expired
  int64_t retention_failures = 0;    // sweeps that failed (retried later)
};

class Ledger final : public EventLedger {
 public:
  // Observes each commit's duration (for a latency histogram). Called on the
  // committer thread; must be fast.
  using CommitObserver = std::function<void(absl::Duration, size_t events)>;

  Ledger(EventStore& store, const Clock& clock, LedgerOptions options);
  ~Ledger() override;  // Stops; pending batches still commit.

  // Replays the store into memory and starts the committer.
  // REQUIRES: called once, before Submit.
  [[nodiscard]] absl::Status Recover();

  // Validates `batch` on the calling thread; if invalid, `done` runs at once
  // with INVALID_ARGUMENT naming every bad field. Otherwise `done` runs on
  // the committer thread once the batch is durable (or failed); the `done`s
  // of accepted batches run in submission order.
  void Submit(EventBatch batch, Callback done) override;

  // Submit and wait.
  absl::StatusOr<PushResult> Push(EventBatch batch);

  // Waits for queued batches, then stops the committer. Later Submits fail
  // with UNAVAILABLE. Idempotent.
  void Stop();

  absl::StatusOr<TeamExecution> GetTeamExecution(
      absl::string_view prefix) const override;
  std::vector<TeamSummary> ListTeams(absl::string_view prefix) const override;
  // Holds the state lock for one node's figures at a time.
  TeamExecutionPage ListTeamExecutions(size_t page_size,
                                       absl::string_view after) const override;

  // Calls `fn` with each team's summary and own figures (without the teams
  // under it), in team order, all as of one `now`; for metrics at scrape
  // time. The state lock is held for one team's figures at a time and
  // never while `fn` runs, so a scrape delays a commit by one team's
  // computation at most (not by the whole scrape). A team's summary is
  // taken at the start: its events and last event may trail its figures
  // by the commits made during the call.
  void ForEachTeamOwnFigures(
      absl::FunctionRef<void(const TeamSummary&, const TeamExecution&)> fn)
      const;

  // History (ledger_history.cc).
  absl::StatusOr<TeamExecution> GetTeamExecutionAsOf(absl::string_view prefix,
                                                     absl::Time as_of) override;
  absl::StatusOr<std::vector<TeamExecution>> GetTeamTrend(
      absl::string_view prefix, const TrendRequest& request) override;

  LedgerStats stats() const;
  void set_commit_observer(CommitObserver observer);

  // Removal and retention (ledger_removal.cc). Remove runs the request on
  // the ledger's maintenance thread; RemoveNow runs it on the calling thread.
  // Either holds up commits (not reads) while it replays the store.
  void Remove(RemovalRequest request, RemovalCallback done) override;
  [[nodiscard]] absl::StatusOr<RemovalReport> RemoveNow(
      const RemovalRequest& request);
  // Drops the events older than options.retain_events_for as of the clock's
  // now (what each sweep does); how many. 0 when retention is off.
  [[nodiscard]] absl::StatusOr<int64_t> DropExpired();

 private:
  struct Pending {
    EventBatch batch;
    Callback done;
  };

  void CommitLoop();
  void CommitGroup(std::vector<Pending>& group);

  EventStore& store_;
  const Clock& clock_;
  const LedgerOptions options_;

  absl::Mutex queue_mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread committer_;
  CommitObserver commit_observer_;  // set before Recover

  // Touched only by the committer thread (and Recover before it starts), and
  // by a removal while it holds write_mu_. Holds the keys of stored events
  // and, while a group commits, its accepted keys (taken out again if the
  // store refuses the group).
  FingerprintSet stored_keys_;

  mutable absl::Mutex state_mu_;
  ExecutionState state_ ABSL_GUARDED_BY(state_mu_);
  LedgerStats stats_ ABSL_GUARDED_BY(state_mu_);

  // Removal and retention (ledger_removal.cc).
  struct Refold;
  struct RemovalJob {
    RemovalRequest request;
    RemovalCallback done;
  };
  // The events of the store that `filter` does not match, folded anew.
  // REQUIRES: write_mu_ held.
  absl::StatusOr<Refold> RefoldWithout(const EventFilter& filter);
  absl::StatusOr<RemovalReport> RemoveLocked(const RemovalRequest& request,
                                             bool retention)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  EventFilter ExpiredFilter() const;
  // Appends a violation for each event of `batch` that retention would drop.
  void AddRetentionViolations(const EventBatch& batch,
                              std::vector<FieldViolation>& out) const;
  // The stored events of `prefix`'s subtree with occurred_at <= until, read
  // from the store while holding write_mu_ (the store takes one caller at a
  // time).
  absl::StatusOr<std::vector<Event>> SubtreeEvents(absl::string_view prefix,
                                                   absl::Time until);
  // Before Recover replays: nothing is in memory yet.
  absl::Status DropExpiredFromStore();
  void StartMaintenance();
  void StopMaintenance();
  void MaintenanceLoop();

  // Held by the committer around each group and by a removal throughout:
  // whoever holds it may change the store and stored_keys_.
  absl::Mutex write_mu_;
  absl::Mutex maintenance_mu_;
  std::deque<RemovalJob> removals_ ABSL_GUARDED_BY(maintenance_mu_);
  bool maintenance_stopping_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  std::thread maintenance_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_H_
