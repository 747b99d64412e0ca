// The ingest service's core: validates pushed batches, drops events already
// stored (by (source, event_id)), enforces the team cap, commits groups of
// batches to the EventStore and only then folds them into the figures.
//
// One committer thread decides writes. Batches submitted while a commit is
// in flight are grouped into the next one (group commit), so one fsync
// serves many requests. Three threads pass each group on, in commit order:
// the committer decides it (duplicates, caps), an appending thread appends
// it to the store, and a folding thread folds it into the figures and
// acknowledges its batches; so group N+1 is decided while N is appended and
// N-1 folded. Each batch is all-or-nothing: it is rejected whole, or every
// event in it is stored or recognised as a duplicate.
//
// Over a store that several replicas share (decides_duplicates(), with an
// EventLogFollower), the store decides duplicates in the commit and the
// figures are folded only from the follower, in log order, this replica's
// commits included; a push is acknowledged once committed and folded here
// (bounded by fold_wait), so a read on the same replica sees it. The team
// cap is checked against the folded figures before the commit: two replicas
// adding different new teams at the same moment can together pass it by
// the teams of one commit each. Commits start once the follower has caught
// up with the log's head as it was at Recover. Snapshots there hold the
// folded state with the follower's cursor (LogCursor), taken between two
// folds, and Recover starts the follower from the one it loads.
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
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
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
#include "services/ingest/domain/event_log_follower.h"
#include "services/ingest/domain/event_store.h"
#include "services/ingest/domain/execution_state.h"
#include "services/ingest/domain/fingerprint_set.h"

namespace orgpulse::ingest {

struct LedgerOptions {
  // Batches creating more teams than this are refused (RESOURCE_EXHAUSTED).
  size_t max_teams = 1000;
  // Batches bringing events of more sources than this are refused
  // (RESOURCE_EXHAUSTED): each source is a series of the per-source metrics.
  size_t max_sources = 100;
  // A commit takes queued batches up to about this many events.
  size_t max_events_per_commit = 50'000;
  // Retention: events whose occurred_at is older than the clock's now minus
  // this are dropped by Recover and every retention_sweep_interval (of real
  // time), and batches holding one are refused. Zero keeps every event.
  absl::Duration retain_events_for = absl::ZeroDuration();
  absl::Duration retention_sweep_interval = absl::Hours(1);
  // With a follower: how long a push's acknowledgement waits for this
  // replica to fold its commit (then it is acknowledged anyway: it is
  // durable), and the most a read waits for a log position.
  absl::Duration fold_wait = absl::Seconds(5);
  // Snapshots of the folded state (the store's SaveSnapshot), so that
  // Recover replays only the log after the latest one. One is written once
  // this many events were stored (with a follower: folded, whichever
  // replica stored them) since the last, once snapshot_interval passed
  // with any event stored since, after a removal, and at Stop (with a
  // follower: once caught up, and not while refolding). Zero: no snapshots
  // are written or loaded.
  int64_t snapshot_every_events = 0;
  // Zero: by count, removal and Stop only.
  absl::Duration snapshot_interval = absl::ZeroDuration();
};

// What Recover did, for the start-up log line.
struct RecoveryReport {
  bool from_snapshot = false;
  int64_t snapshot_position = 0;  // the log position the snapshot covered
  int64_t snapshot_events = 0;    // events in it
  absl::Duration snapshot_load_time;
  // Read from the log, after the snapshot if any (with a follower: folded
  // until first caught up).
  int64_t replayed_events = 0;
  // Why a snapshot that was there was not used (OK if none was there, or
  // it was used); the whole log was replayed instead, or (from_snapshot)
  // an older snapshot was loaded.
  absl::Status snapshot_refused;
};

// One snapshot written.
struct SnapshotReport {
  int64_t position = 0;
  int64_t events = 0;
  size_t bytes = 0;
  // Commits wait while the state is encoded (the rest runs beside them).
  absl::Duration encode_time;
  absl::Duration write_time;
};

// Counters for metrics; monotonic over the process's life.
struct LedgerStats {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected_invalid = 0;       // events in batches refused as invalid
  int64_t rejected_team_limit = 0;    // events in batches over the team cap
  int64_t rejected_source_limit = 0;  // events in batches over the source cap
  int64_t rejected_storage = 0;       // events in batches the store refused
  int64_t commits = 0;
  int64_t stored_events = 0;  // including those recovered at start
  size_t teams = 0;
  int64_t removed_by_request = 0;    // events removed by Remove
  int64_t removed_by_retention = 0;  // events dropped as expired
  int64_t retention_failures = 0;    // sweeps that failed (retried later)
};

class Ledger final : public EventLedger, private EventLogFollower::Sink {
 public:
  // Observes each commit's duration (for a latency histogram). Called on the
  // thread that appends; must be fast.
  using CommitObserver = std::function<void(absl::Duration, size_t events)>;

  // `follower`, for a store that decides duplicates and that replicas share,
  // is the only source of the figures (it must outlive the ledger); nullptr:
  // the ledger folds what it commits.
  Ledger(EventStore& store, const Clock& clock, LedgerOptions options,
         EventLogFollower* follower = nullptr);
  ~Ledger() override;  // Stops; pending batches still commit.

  // Loads the store's latest snapshot (when snapshots are on), replays the
  // log after it (all of it without one) into memory and starts the
  // committer. A snapshot that does not decode or does not match the log is
  // not used (recovery().snapshot_refused says why). With a follower, starts
  // it from the snapshot's cursor (or the log's start) instead and returns:
  // the figures catch up in the background (see OnCaughtUp).
  // REQUIRES: called once, before Submit.
  [[nodiscard]] absl::Status Recover();
  RecoveryReport recovery() const;

  // Writes a snapshot of the folded state now; commits wait while it is
  // encoded, not while it is written. FAILED_PRECONDITION when snapshots
  // are off. REQUIRES: after Recover.
  absl::StatusOr<SnapshotReport> WriteSnapshot();
  // Hears every snapshot written (or failed) on the maintenance thread and
  // at Stop. Set before Recover; must be fast.
  using SnapshotObserver =
      std::function<void(const absl::StatusOr<SnapshotReport>&)>;
  void set_snapshot_observer(SnapshotObserver observer);

  // `fn` runs once the figures hold the log up to its head as Recover saw
  // it (at once in Recover without a follower or for an empty log; else on
  // the follower's thread). REQUIRES: called before Recover.
  void OnCaughtUp(std::function<void()> fn);
  // `fn` runs (on the follower's thread) when the follower finds that the
  // log no longer holds what the figures were folded from (a failover to a
  // standby that lacked commits the old primary had shown): the figures are
  // folded again from the log's start, reads with a log position and
  // acknowledgements wait for that, and OnCaughtUp's `fn` runs again once
  // it is done. REQUIRES: called before Recover.
  void OnStartOver(std::function<void()> fn);
  // The log position up to which the figures hold every commit.
  int64_t folded_position() const;

  // Validates `batch` on the calling thread; if invalid, `done` runs at once
  // with INVALID_ARGUMENT naming every bad field. Otherwise `done` runs on
  // the committer thread once the batch is durable (or failed); the `done`s
  // of accepted batches run in submission order.
  void Submit(EventBatch batch, Callback done) override;

  // Submit and wait.
  absl::StatusOr<PushResult> Push(EventBatch batch);

  // Waits for queued batches, then stops the committer and writes a
  // snapshot if anything changed since the last. Later Submits fail with
  // UNAVAILABLE. Idempotent.
  void Stop();

  absl::StatusOr<TeamExecution> GetTeamExecution(
      absl::string_view prefix) const override;
  std::vector<TeamSummary> ListTeams(absl::string_view prefix) const override;
  // Every source of stored events, sorted by name.
  std::vector<SourceSummary> ListSources() const;
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

  void AfterLogPosition(int64_t position, absl::Duration timeout,
                        std::function<void(absl::Status)> then) override;
  // History (ledger_history.cc).
  absl::StatusOr<TeamExecution> GetTeamExecutionAsOf(absl::string_view prefix,
                                                     absl::Time as_of) override;
  absl::StatusOr<std::vector<TeamExecution>> GetTeamTrend(
      absl::string_view prefix, const TrendRequest& request) override;

  LedgerStats stats() const;
  void set_commit_observer(CommitObserver observer);
  // Groups decided and not yet acknowledged (deciding, appending, folding).
  size_t groups_in_flight() const;

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

  // A group the committer has decided, on its way to the appending thread
  // (which appends it, or fails it) and then to the folding thread, which
  // folds its accepted events, counts it and acknowledges its batches, in
  // commit order.
  struct Committed {
    // 1, 2, ... in commit order: that of the last batches decided into it.
    uint64_t id = 0;
    std::vector<Pending> group;
    std::vector<absl::StatusOr<PushResult>> results;  // one per batch
    // The key of every event of the group, batch after batch.
    std::vector<absl::uint128> all_keys;
    // The events to store (empty once the store refused the group).
    std::vector<const Event*> events;
    std::vector<absl::uint128> keys;  // keys[i] is events[i]'s
    int64_t head = 0;                 // log position after it
    bool appended = false;            // the store took events
    int64_t rejected_team_limit = 0;
    int64_t rejected_source_limit = 0;
    int64_t rejected_storage = 0;
  };
  // Names of teams and sources that a committed group adds and that may
  // not be folded yet: the caps count them for the groups after it.
  struct UnfoldedNames {
    uint64_t id;
    std::vector<std::string> teams;
    std::vector<std::string> sources;
  };

  void CommitLoop();
  // Decides `group` (keys, duplicates, caps) and hands it to the appending
  // thread: into the group it takes next, or as a group of its own (then
  // waits while kMaxInFlight groups are in flight). REQUIRES: write_mu_.
  void DecideGroup(std::vector<Pending>& group);
  // Moves `later`, decided after `group`, into it.
  static void AddToGroup(Committed& group, Committed&& later);
  void AppendLoop();
  // Appends `c`, or fails it after an earlier group's Append failed.
  void AppendDecided(Committed& c);
  // Fails (with `error`) the batches of `c`, whose Append failed or was
  // decided after one that failed, that may have been decided wrongly.
  void FailDependents(Committed& c, const absl::Status& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pipeline_mu_);
  void FoldLoop();
  void FoldCommitted(Committed& c);
  // Returns once every decided group is appended (or failed), folded and
  // acknowledged, and the keys of groups that failed are out of
  // stored_keys_: the state agrees with the store and stored_keys_.
  // REQUIRES: write_mu_ held (no group is decided meanwhile).
  void AwaitFolds();
  // Drains the appending and then the folding thread and stops them.
  // REQUIRES: the committer has stopped.
  void StopPipeline();

  // With a follower (ledger.cc): commit without deciding duplicates,
  // acknowledge once folded.
  absl::Status RecoverFromLog();
  void CommitGroupToLog(std::vector<Pending>& group);
  // EventLogFollower::Sink, on the follower's thread.
  void Fold(const LogCursor& cursor, EventBatch&& events) override;
  void StartRefold(int64_t position) override;
  void StartOver(int64_t position) override;
  // Runs `fn(true)` once position is folded, or `fn(false)` at `deadline`
  // (real time), on the acknowledging thread.
  void WhenFolded(int64_t position, absl::Time deadline,
                  std::function<void(bool)> fn);
  void AckLoop();
  void StopAcks();

  EventStore& store_;
  const Clock& clock_;
  const LedgerOptions options_;
  EventLogFollower* const follower_;  // nullptr: the committer folds

  absl::Mutex queue_mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(queue_mu_);
  // Batches ever queued; the appending thread compares it with
  // decided_batches_ (group commit, see AppendLoop).
  uint64_t queued_batches_ ABSL_GUARDED_BY(queue_mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  // With a follower, false until caught up (the team cap needs the figures).
  bool commits_open_ ABSL_GUARDED_BY(queue_mu_);
  std::thread committer_;
  CommitObserver commit_observer_;  // set before Recover

  // Touched only by the committer thread (and Recover before it starts), and
  // by a removal while it holds write_mu_. Holds the keys of stored events
  // and of decided groups not yet appended (taken out again by AwaitFolds
  // if their Append fails).
  FingerprintSet stored_keys_;
  // The committer's too (under write_mu_): the last group's id, and the
  // names of groups that may be unfolded.
  uint64_t committed_groups_ = 0;
  std::deque<UnfoldedNames> unfolded_names_;
  // The appending thread's (and Recover's before it starts): the last
  // Append's head.
  int64_t appended_head_ = 0;

  // The pipeline, committer -> appending thread -> folding thread: while
  // group N is appended (the committer's wait, on the disk, is half its
  // time), group N+1 is decided and group N-1 folded and acknowledged.
  // Folding only after the append keeps the figures a fold of durable
  // events; acknowledging only after the fold keeps reads after an ack
  // seeing the push.
  static constexpr size_t kMaxInFlight = 3;
  mutable absl::Mutex pipeline_mu_;
  std::deque<Committed> to_append_ ABSL_GUARDED_BY(pipeline_mu_);
  std::deque<Committed> to_fold_ ABSL_GUARDED_BY(pipeline_mu_);
  // Decided and not yet folded and acknowledged.
  size_t in_flight_ ABSL_GUARDED_BY(pipeline_mu_) = 0;
  uint64_t decided_batches_ ABSL_GUARDED_BY(pipeline_mu_) = 0;  // ever
  // AwaitFolds is waiting (so the committer decides nothing meanwhile).
  bool awaiting_folds_ ABSL_GUARDED_BY(pipeline_mu_) = false;
  bool appends_stopping_ ABSL_GUARDED_BY(pipeline_mu_) = false;
  bool folds_stopping_ ABSL_GUARDED_BY(pipeline_mu_) = false;
  // Set when an Append fails, until AwaitFolds (which the committer runs
  // before it decides another group) has taken unstored_keys_ out of
  // stored_keys_. The groups decided meanwhile saw those keys and counted
  // the failed group's names: they fail too (FailDependents).
  std::optional<absl::Status> append_failed_ ABSL_GUARDED_BY(pipeline_mu_);
  // Keys of events that failed groups put into stored_keys_.
  absl::flat_hash_set<absl::uint128> unstored_keys_
      ABSL_GUARDED_BY(pipeline_mu_);
  std::thread appender_;
  std::thread folder_;

  mutable absl::Mutex state_mu_;
  ExecutionState state_ ABSL_GUARDED_BY(state_mu_);
  LedgerStats stats_ ABSL_GUARDED_BY(state_mu_);
  uint64_t folded_groups_ ABSL_GUARDED_BY(state_mu_) = 0;  // last id folded

  // What has been folded, and who waits for a position (with a follower).
  struct Waiter {
    int64_t position;
    absl::Time deadline;
    std::function<void(bool reached)> fn;
  };
  mutable absl::Mutex position_mu_;
  int64_t folded_position_ ABSL_GUARDED_BY(position_mu_) = 0;
  int64_t catch_up_target_ ABSL_GUARDED_BY(position_mu_) = 0;
  bool caught_up_ ABSL_GUARDED_BY(position_mu_) = false;
  int64_t refolds_ ABSL_GUARDED_BY(position_mu_) = 0;  // completed
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(position_mu_);
  bool waiters_added_ ABSL_GUARDED_BY(position_mu_) = false;
  bool acks_stopping_ ABSL_GUARDED_BY(position_mu_) = false;
  std::function<void()> on_caught_up_;   // set before Recover
  std::function<void()> on_start_over_;  // set before Recover
  std::thread acker_;
  // A refold in progress: the follower thread's only.
  std::unique_ptr<ExecutionState> refolding_;
  int64_t refold_until_ = 0;
  int64_t refold_events_ = 0;
  bool first_caught_up_ = false;  // the follower thread's

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
  // beside commits, or else from the store while holding write_mu_ after
  // AwaitFolds (the store takes one caller at a time).
  absl::StatusOr<std::vector<Event>> SubtreeEvents(absl::string_view prefix,
                                                   absl::Time until);
  // Before Recover replays: nothing is in memory yet.
  absl::Status DropExpiredFromStore();
  void StartMaintenance();
  void StopMaintenance();
  void MaintenanceLoop();
  // Whether a snapshot is due by count, time or a removal (or, with
  // `any_change`, because anything was stored since the last).
  bool SnapshotDue(absl::Time now, bool any_change = false)
      ABSL_LOCKS_EXCLUDED(state_mu_);
  bool snapshots_on() const { return options_.snapshot_every_events > 0; }
  // Loads the store's snapshot into state_ (and stored_keys_), filling
  // recovery_; the cursor it covers ({} when none was used).
  LogCursor LoadSnapshotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);

  // Held by the committer around each group it decides and by a removal
  // throughout: whoever holds it may change stored_keys_, and after
  // AwaitFolds (no Append runs then) use the store.
  absl::Mutex write_mu_;
  // Snapshots: stats_.accepted when the last was taken, the events that
  // Recover replayed after it (both count towards the next), and whether
  // one is due regardless (a removal retired the last).
  int64_t accepted_at_snapshot_ ABSL_GUARDED_BY(state_mu_) = 0;
  int64_t unsnapshotted_at_start_ ABSL_GUARDED_BY(state_mu_) = 0;
  bool snapshot_forced_ ABSL_GUARDED_BY(state_mu_) = false;
  // With a follower: the cursor that state_ holds the log up to (nullopt
  // while a refold replaces it), and the events folded into it since the
  // last snapshot.
  std::optional<LogCursor> folded_cursor_ ABSL_GUARDED_BY(state_mu_);
  int64_t folded_since_snapshot_ ABSL_GUARDED_BY(state_mu_) = 0;
  absl::Time last_snapshot_at_ ABSL_GUARDED_BY(state_mu_);
  bool snapshots_unsupported_ ABSL_GUARDED_BY(state_mu_) = false;
  RecoveryReport recovery_ ABSL_GUARDED_BY(state_mu_);
  SnapshotObserver snapshot_observer_;  // set before Recover

  absl::Mutex maintenance_mu_;
  std::deque<RemovalJob> removals_ ABSL_GUARDED_BY(maintenance_mu_);
  bool maintenance_stopping_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  std::thread maintenance_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_H_
