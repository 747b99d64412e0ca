// What the ingest service's gRPC adapter needs of the domain: submit a batch
// of events and be told once it is durable, and read the figures. Ledger
// implements it; the adapter's tests put a fake behind it.
//
// Thread-safe: every method may be called from any thread, concurrently.
//
// Example:
//   EventLedger& ledger = ...;
//   ledger.Submit(std::move(batch), [](absl::StatusOr<PushResult> r) {...});
//   absl::StatusOr<TeamExecution> f = ledger.GetTeamExecution("eng");
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LEDGER_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LEDGER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_filter.h"
#include "services/ingest/domain/execution_figures.h"
#include "services/ingest/domain/history.h"

namespace orgpulse::ingest {

// What became of a stored batch: events newly stored, and events already
// stored before (same source and event_id), which change nothing.
struct PushResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  // The store's log position after the commit: a read that passes it
  // (AfterLogPosition) sees these events on any replica.
  int64_t log_position = 0;
};

// Undoing an import: the events `filter` matches leave the store and the
// figures; with dry_run only the report is made.
struct RemovalRequest {
  EventFilter filter;
  bool dry_run = false;
};

// One team that loses events, with its own figures (without the teams under
// it) before and after, as of the same "now".
struct TeamRemoval {
  std::string team;
  int64_t removed = 0;
  TeamExecution before;
  // Absent when no event of the team is left (the team disappears).
  std::optional<TeamExecution> after;
};

struct RemovalReport {
  bool dry_run = false;
  // Events removed (for a dry run: that would be).
  int64_t removed = 0;
  // Events stored afterwards (for a dry run: that would be).
  int64_t remaining = 0;
  // The teams that lose events, by id.
  std::vector<TeamRemoval> teams;
};

// A page of the figures of every node of the team tree (ListTeamExecutions).
struct TeamExecutionPage {
  std::vector<TeamExecution> executions;  // by node id
  // The last node id of the page, to pass as `after` for the next page;
  // empty when this page is the last.
  std::string next_after;
};

class EventLedger {
 public:
  using Callback = std::function<void(absl::StatusOr<PushResult>)>;
  using RemovalCallback = std::function<void(absl::StatusOr<RemovalReport>)>;

  virtual ~EventLedger() = default;

  // Stores `batch` all or nothing and calls `done` exactly once:
  //   OK with the counts once every event is durable or known as a duplicate;
  //   INVALID_ARGUMENT with a field violation per bad field (nothing stored);
  //   RESOURCE_EXHAUSTED over the team cap or when the disk is full;
  //   UNAVAILABLE while shutting down or on other storage errors.
  // `done` may run on the calling thread before Submit returns (a refused
  // batch), or later on another thread; it must be fast, as it may hold up
  // later commits. Callers must not rely on the order in which the `done`s
  // of different batches run.
  virtual void Submit(EventBatch batch, Callback done) = 0;

  // The figures of `prefix` and every team under it. NOT_FOUND if no team
  // matches. REQUIRES: `prefix` is a valid team id.
  virtual absl::StatusOr<TeamExecution> GetTeamExecution(
      absl::string_view prefix) const = 0;

  // One summary per team under `prefix` ("" for all), ordered by team id.
  virtual std::vector<TeamSummary> ListTeams(
      absl::string_view prefix) const = 0;

  // Removes the events `request.filter` matches from the store and the
  // figures, durably and all or nothing, and calls `done` once, later, on
  // another thread: OK with what was (or, for a dry run, would be) removed;
  // removing what is already gone is OK with 0. INVALID_ARGUMENT naming the
  // bad fields of the filter (see ValidateRemoval); the store's errors as for
  // Submit. Afterwards the figures are exactly those of a ledger that never
  // stored the removed events, and those events may be pushed again.
  virtual void Remove(RemovalRequest request, RemovalCallback done) = 0;

  // The figures of up to `page_size` nodes of the team tree (every team and
  // every path prefix of one, as GetTeamExecution gives them) whose ids
  // sort after `after` ("" for the first page), in order of id.
  // REQUIRES: page_size > 0.
  virtual TeamExecutionPage ListTeamExecutions(
      size_t page_size, absl::string_view after) const = 0;

  // Calls `then` once this replica's figures hold every commit up to the log
  // position `position` (a PushResult's log_position, maybe another
  // replica's): OK at once, on the calling thread, if they already do; else
  // later, on another thread, OK when they do, or UNAVAILABLE naming both
  // positions if they do not within `timeout` (capped by the ledger). The
  // default, for a ledger that folds every commit before acknowledging it,
  // answers OK at once.
  virtual void AfterLogPosition(int64_t position, absl::Duration timeout,
                                std::function<void(absl::Status)> then) {
    (void)position;
    (void)timeout;
    then(absl::OkStatus());
  }

  // The figures of `prefix` as GetTeamExecution would have given them at
  // `as_of`: the stored events with occurred_at <= as_of, evaluated as of
  // as_of (history.h). INVALID_ARGUMENT (field `as_of`) for a malformed time
  // or one after the clock's now; NOT_FOUND if no team under `prefix` has an
  // event by then. Reads the whole store: pushes wait meanwhile (a few
  // seconds per million stored events), other reads do not.
  // REQUIRES: `prefix` is a valid team id.
  virtual absl::StatusOr<TeamExecution> GetTeamExecutionAsOf(
      absl::string_view prefix, absl::Time as_of) = 0;

  // The figures of `prefix` at each time of TrendTimes(from, to) (or, with
  // a step, of StepTimes), in one read of the store (as
  // GetTeamExecutionAsOf). `to` defaults to the clock's now, `from` to
  // DefaultTrendFrom(to). With `own`, the figures of the team `prefix`
  // alone. INVALID_ARGUMENT naming `from`, `to` or `step` as TrendTimes and
  // StepTimes do; NOT_FOUND if no team matches `prefix` now (with `own`: no
  // team is `prefix`). A point before the first event counted has no team
  // and no event. REQUIRES: `prefix` is a valid team id.
  virtual absl::StatusOr<std::vector<TeamExecution>> GetTeamTrend(
      absl::string_view prefix, const TrendRequest& request) = 0;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LEDGER_H_
