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
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/execution_figures.h"

namespace orgpulse::ingest {

// What became of a stored batch: events newly stored, and events already
// stored before (same source and event_id), which change nothing.
struct PushResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
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

  // The figures of up to `page_size` nodes of the team tree (every team and
  // every path prefix of one, as GetTeamExecution gives them) whose ids
  // sort after `after` ("" for the first page), in order of id.
  // REQUIRES: page_size > 0.
  virtual TeamExecutionPage ListTeamExecutions(
      size_t page_size, absl::string_view after) const = 0;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LEDGER_H_
