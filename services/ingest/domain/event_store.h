// Where the ingest service keeps its events: a log in commit order
// (decision 0004). Append a group of events durably and atomically and learn
// the log position after it; replay everything on start; remove the events a
// predicate matches in one transaction; say whether it takes writes
// (StoreHealth). A store that several replicas share also decides
// duplicates in the append's own transaction (decides_duplicates()); for the
// embedded store, the single committer above it decides them (Ledger).
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_STORE_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/storage/store_health.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_filter.h"

namespace orgpulse::ingest {

// What one Append did.
struct AppendResult {
  // The log position after the append: a reader of the log that has seen
  // it has seen these events. Positions only grow; 0 is the empty log.
  int64_t head = 0;
  // Per event of the append, in order: true if the store already held its
  // (source, event_id), or an earlier event of the same append did, so it
  // stored nothing for it. Empty when the store does not decide duplicates
  // (every event given was stored).
  std::vector<bool> duplicate;
};

// Where the log stands, for a snapshot of the state folded from it: the
// position and the log's epoch, which changes with every removal (and
// differs between two logs), so that a snapshot taken before a removal is
// never taken for the log after it.
struct LogMark {
  int64_t position = 0;
  uint64_t epoch = 0;  // 0: unknown; no snapshot can be matched to it
  // A shared log's follower's check at `position` (LogCursor::check): kept
  // with the snapshot and checked against the log before it is loaded.
  std::string check;
};

// A snapshot as the store keeps it (the bytes are the ledger's, see
// ledger_snapshot.h).
struct StoredSnapshot {
  int64_t position = 0;
  std::string bytes;
  std::string check;  // as saved in its LogMark
  // Why newer snapshots were passed over for this one (OK: none were).
  absl::Status passed_over;
};

class EventStore : public StoreHealth {
 public:
  virtual ~EventStore() = default;

  // Stores `events` atomically. OK means they survive a crash of the
  // process (and, with SyncMode::kFull, of the machine). On error nothing
  // of `events` is stored: RESOURCE_EXHAUSTED when the disk is full (and
  // while !writable()), UNAVAILABLE for other I/O errors.
  // REQUIRES: one caller at a time.
  [[nodiscard]] virtual absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) = 0;

  // True if Append decides duplicates itself, in its transaction, against
  // everything any writer stored (a database that several replicas share).
  // False: the caller must give it only new events.
  virtual bool decides_duplicates() const { return false; }

  // About how many events are stored (for sizing memory before Replay); 0
  // if unknown.
  virtual int64_t EventCountHint() { return 0; }

  // Calls `fn` for every stored event, in the order stored. DATA_LOSS if
  // what is stored cannot be decoded.
  [[nodiscard]] virtual absl::Status Replay(
      absl::FunctionRef<void(const Event&)> fn) = 0;

  // As Replay, but may run beside Append, Remove and snapshots, so that a
  // long read (a trend, a past figure) does not hold up commits: a reader of
  // its own, which sees the log as it was when it began. UNIMPLEMENTED for a
  // store that cannot; the caller then holds commits while it Replays.
  [[nodiscard]] virtual absl::Status ReplayBesideCommits(
      absl::FunctionRef<void(const Event&)> fn) {
    return absl::UnimplementedError(
        "this event store reads only between commits");
  }

  // The same events, handed over in groups the caller owns (recovery moves
  // them to another thread without copying). The default groups Replay's
  // events; stores that keep groups override it to decode straight into
  // them.
  [[nodiscard]] virtual absl::Status ReplayGroups(
      absl::FunctionRef<void(EventBatch&& group)> fn) {
    EventBatch group;
    absl::Status s = Replay([&](const Event& e) {
      group.push_back(e);
      if (group.size() == 8192) {
        fn(std::move(group));
        group = EventBatch();
      }
    });
    if (s.ok() && !group.empty()) fn(std::move(group));
    return s;
  }

  // The events after log position `position` (0: all), as ReplayGroups.
  // The default can replay only from 0 (UNIMPLEMENTED otherwise).
  [[nodiscard]] virtual absl::Status ReplayGroupsAfter(
      int64_t position, absl::FunctionRef<void(EventBatch&& group)> fn) {
    if (position == 0) return ReplayGroups(fn);
    return absl::UnimplementedError(
        "this event store cannot replay from a log position");
  }

  // --- Snapshots of the folded state (decision 0004). A store that keeps
  // them holds the latest one.

  // Where the log stands now: what a state folded from every Append so far
  // covers. REQUIRES: as Append (no Append or Remove runs meanwhile).
  virtual LogMark Mark() { return {}; }

  // Keeps `bytes`, the state folded from the log up to `mark` (taken with
  // Mark() while the state covered exactly that, or a follower's cursor),
  // in place of the previous snapshot (or of the oldest of the few it
  // keeps); atomically: after a crash at any point, the previous ones or
  // this one too are kept whole. May run beside Append and Remove: a
  // snapshot whose mark a removal has replaced is kept but never loaded.
  // UNIMPLEMENTED by default.
  [[nodiscard]] virtual absl::Status SaveSnapshot(const LogMark& mark,
                                                  absl::string_view bytes) {
    (void)mark;
    (void)bytes;
    return absl::UnimplementedError("this event store keeps no snapshots");
  }

  // The latest snapshot, if the log still holds exactly what it covers (a
  // store that keeps several may hand back an older one that does).
  // NOT_FOUND when there is none; FAILED_PRECONDITION, saying why, when it
  // is of another log or from before a removal (start-up then replays the
  // whole log). REQUIRES: before the first Append.
  [[nodiscard]] virtual absl::StatusOr<StoredSnapshot> LoadSnapshot() {
    return absl::NotFoundError("this event store keeps no snapshots");
  }

  // Removes every stored event that `filter` matches, in one transaction:
  // after a crash at any point either all of them are gone or none is.
  // Returns how many were removed; 0 when none matches, so repeating a
  // removal is harmless. The order of the remaining events is kept. Errors
  // as Append's; on error nothing was removed. The default is UNIMPLEMENTED,
  // for stores that cannot remove.
  // REQUIRES: one caller at a time, and no Append meanwhile.
  [[nodiscard]] virtual absl::StatusOr<int64_t> Remove(
      const EventFilter& filter) {
    (void)filter;
    return absl::UnimplementedError("this event store cannot remove events");
  }
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_STORE_H_
