// The insights service's core: stores validated survey batches (idempotent
// by response id, all or nothing, durable before the answer), keeps the
// leader view per group and round under the privacy rules, and joins it
// with the manager view from an ExecutionSource into team insights.
//
// Thread-safe. Queries answer from memory. Implements SurveyInsights, the
// interface the gRPC adapter uses.
//
// Example:
//   InsightsEngine engine(store, source, clock, {.min_group_size = 5});
//   if (absl::Status s = engine.Recover(); !s.ok()) return s;
//   absl::StatusOr<SubmitResult> r = engine.Submit(std::move(responses));
//   absl::StatusOr<TeamInsights> t = engine.GetTeamInsights("eng", "");
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_INSIGHTS_ENGINE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_INSIGHTS_ENGINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock/clock.h"
#include "services/insights/domain/execution_history.h"
#include "services/insights/domain/execution_source.h"
#include "services/insights/domain/scoring.h"
#include "services/insights/domain/survey.h"
#include "services/insights/domain/survey_insights.h"
#include "services/insights/domain/survey_state.h"
#include "services/insights/domain/survey_store.h"

namespace orgpulse::insights {

struct InsightsOptions {
  // Smallest group whose survey figures are released (k); >= 3.
  int min_group_size = 5;
  // Survey responses naming more teams than this are refused.
  size_t max_teams = 1000;
  // Execution figures older than this count as stale.
  absl::Duration stale_after = absl::Minutes(2);
  // Keep the survey rounds with the N greatest ids, drop older ones from
  // the store and the figures (at Recover and when a new round arrives); 0
  // keeps every round.
  int retain_rounds = 0;
  // Snapshots of the folded state (SurveyStore::SaveSnapshot), so that
  // Recover folds only the log after the latest: one is written, on a
  // thread of the engine's, once this many responses were stored (with a
  // shared store: folded, whichever replica stored them) since the last,
  // after an erasure or a retention drop (which delete the old ones), and
  // at Stop. Zero: none are written or loaded.
  int64_t snapshot_every_responses = 0;
};

// What Recover did, for the start-up log line.
struct SurveyRecovery {
  bool from_snapshot = false;
  SurveyLogCursor snapshot_cursor;  // where the snapshot stood in the log
  int64_t snapshot_responses = 0;   // responses in it
  absl::Duration snapshot_load_time;
  // Records (responses and resets) folded from the log: after the
  // snapshot, or all of them.
  int64_t replayed_records = 0;
  // Why a snapshot that was there was not used (OK if none was there, or
  // it was used); the whole log was replayed instead.
  absl::Status snapshot_refused;
};

// One snapshot written.
struct SurveySnapshotReport {
  SurveyLogCursor cursor;
  int64_t responses = 0;
  size_t bytes = 0;
  // Submissions (and a shared store's folds) wait while the state is
  // encoded; reads go on. The write runs beside everything.
  absl::Duration encode_time;
  absl::Duration write_time;
  absl::Time written_at;
};

struct InsightsStats {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected_invalid = 0;
  int64_t rejected_team_limit = 0;
  int64_t rejected_storage = 0;
  int64_t stored = 0;
  int64_t erased = 0;          // responses erased since the start
  int64_t dropped_rounds = 0;  // rounds dropped by retention since the start
};

class InsightsEngine final : public SurveyInsights {
 public:
  // `store`, `source`, `clock` and `history` must outlive the engine.
  // Without `history`, GetRoundInsights is FAILED_PRECONDITION.
  InsightsEngine(SurveyStore& store, const ExecutionSource& source,
                 const Clock& clock, InsightsOptions options,
                 const ExecutionHistory* history = nullptr);

  // Loads the store's latest snapshot (when snapshots are on) and folds the
  // log after it, or replays the whole log without one (recovery() says
  // which, and why a snapshot was refused); then drops the rounds retention
  // does not keep, and starts the snapshot thread.
  // REQUIRES: called once, before anything else.
  [[nodiscard]] absl::Status Recover();
  SurveyRecovery recovery() const;
  ~InsightsEngine() override;

  // Writes a snapshot of the folded state now. FAILED_PRECONDITION when
  // snapshots are off, or while the state may not match the store (a
  // rebuild after a removal failed).
  absl::StatusOr<SurveySnapshotReport> WriteSnapshot();
  // Hears every snapshot the engine's thread (or Stop) wrote or failed to
  // write. Set before Recover; must be fast.
  using SnapshotObserver =
      std::function<void(const absl::StatusOr<SurveySnapshotReport>&)>;
  void set_snapshot_observer(SnapshotObserver observer);
  // The last snapshot written since the start, if any (for metrics).
  std::optional<SurveySnapshotReport> last_snapshot() const;
  // Stops the snapshot thread and writes a snapshot if anything changed
  // since the last. Idempotent.
  void Stop();

  // INVALID_ARGUMENT (with field violations) if any response is invalid;
  // RESOURCE_EXHAUSTED over the team cap or when the disk is full;
  // OUT_OF_RANGE for a response to a round older than retention keeps.
  // Nothing of a refused batch is stored. When the batch brings a round
  // beyond the kept number, the oldest are dropped before the answer (an
  // error then says the batch is stored and the drop is tried again at the
  // next batch or start).
  absl::StatusOr<SubmitResult> Submit(
      std::vector<SurveyResponse> batch) override;

  absl::StatusOr<EraseResult> Erase(absl::string_view respondent) override;

  // `round` empty: the latest round. NOT_FOUND if neither survey nor
  // ingest knows anything under `node`.
  absl::StatusOr<TeamInsights> GetTeamInsights(
      absl::string_view node, absl::string_view round) const override;

  // Asks `history` outside the lock: a slow ingest holds up no other call.
  absl::StatusOr<TeamInsights> GetRoundInsights(
      absl::string_view node, absl::string_view round) const override;

  // Each team under `prefix` ("" for all), each with its own insights.
  std::vector<TeamInsights> ListTeamInsights(
      absl::string_view prefix, InsightsOrder order) const override;

  // A shared store (SurveyStore::shared, several replicas): folds what the
  // log holds past the last fold, in log order (a rewrite since: the state
  // is built again from the whole log). Called by the store's watcher after
  // another replica's change; Submit and Erase fold their own changes the
  // same way before they answer. Skipped while the store is unreachable, so
  // reads never wait on a reconnection. A no-op for a store of one process.
  absl::Status CatchUp();
  // How far the state has folded a shared store's log ({0, 0} otherwise):
  // replicas at the same cursor serve the same figures.
  SurveyLogCursor log_cursor() const;

  InsightsStats stats() const;
  const InsightsOptions& options() const { return options_; }

 private:
  TeamInsights Build(absl::string_view node, absl::string_view round,
                     std::vector<std::string> teams) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<std::string> TeamsUnder(absl::string_view prefix) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The state, built again from the store: after an erasure or a drop, the
  // figures are exactly those a restart would serve.
  absl::Status Rebuild() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Folds the store's log past folded_ (see CatchUp); returns the records
  // folded.
  absl::StatusOr<int64_t> CatchUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the rounds beyond options_.retain_rounds from the store, then
  // rebuilds.
  absl::Status DropOldRounds() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The oldest round retention keeps, if rounds older than it are not kept.
  std::optional<std::string> OldestKeptRound() const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // Loads the snapshot into state_ and folds the log after it; false (and
  // recovery_.snapshot_refused set, unless there was none) if not used.
  bool RecoverFromSnapshotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts `changes` toward the next snapshot (`force`: one is due now)
  // and wakes the snapshot thread when one is due.
  void NoteChanges(int64_t changes, bool force = false)
      ABSL_LOCKS_EXCLUDED(snapshot_mu_);
  bool snapshots_on() const { return options_.snapshot_every_responses > 0; }
  void SnapshotLoop();

  SurveyStore& store_;
  const ExecutionSource& source_;
  const Clock& clock_;
  const InsightsOptions options_;
  const ExecutionHistory* const history_;  // may be null

  mutable absl::Mutex mu_;
  SurveyState state_ ABSL_GUARDED_BY(mu_);
  InsightsStats stats_ ABSL_GUARDED_BY(mu_);
  SurveyLogCursor folded_ ABSL_GUARDED_BY(mu_);  // shared stores only
  SurveyRecovery recovery_ ABSL_GUARDED_BY(mu_);
  // False after a removal whose rebuild failed: state_ may still hold what
  // the store removed, and must never be snapshotted.
  bool state_matches_store_ ABSL_GUARDED_BY(mu_) = true;

  // Lock order: snapshot_write_mu_, then mu_, then snapshot_mu_.
  absl::Mutex snapshot_write_mu_;  // one snapshot written at a time
  mutable absl::Mutex snapshot_mu_;
  int64_t unsnapshotted_ ABSL_GUARDED_BY(snapshot_mu_) = 0;
  bool snapshot_forced_ ABSL_GUARDED_BY(snapshot_mu_) = false;
  bool snapshot_due_ ABSL_GUARDED_BY(snapshot_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(snapshot_mu_) = false;
  std::optional<SurveySnapshotReport> last_snapshot_
      ABSL_GUARDED_BY(snapshot_mu_);
  SnapshotObserver snapshot_observer_;  // set before Recover
  std::thread snapshot_thread_;
};

// The combined risk used to rank teams: the larger of burnout and turnover
// risk; nullopt when the people figures are not released.
std::optional<double> CombinedRisk(const TeamInsights& insights);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_INSIGHTS_ENGINE_H_
