// Following a shared event log (decision 0004): a replica over a store that
// several replicas write folds the log only through its follower, in
// position order, its own commits included, so that every replica folds the
// same events in the same order. The PostgreSQL follower
// (store/pg_log_follower.h) implements it; the embedded store needs none
// (its single committer folds what it commits).
//
// Example:
//   absl::StatusOr<int64_t> head = follower.Head();   // what "caught up" is
//   follower.Start({}, sink);  // sink.Fold(...) on the follower's thread
//   ...
//   follower.Stop();
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LOG_FOLLOWER_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LOG_FOLLOWER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "services/ingest/domain/event.h"

namespace orgpulse::ingest {

// Where a follower stands in the log, as a snapshot keeps it: the position
// handed over up to, and the follower's own bytes for checking, when it is
// started there again, that the log still holds what it handed over
// (PostgreSQL: the last event's row and the last removal record up to
// `position`). Opaque to the sink. {} is the log's start.
struct LogCursor {
  int64_t position = 0;
  std::string check;
};

class EventLogFollower {
 public:
  // What the follower hands the log to. Called on the follower's thread
  // only, one call at a time.
  class Sink {
   public:
    virtual ~Sink() = default;
    // The log's events after the last position handed over and up to
    // `cursor.position`, in position order (possibly none: positions of
    // duplicates and removals hold no event). A state holding everything
    // handed over so far may be snapshotted with `cursor`, and the follower
    // started from it later (Start).
    virtual void Fold(const LogCursor& cursor, EventBatch&& events) = 0;
    // Events already handed over were removed at log position `position`:
    // the next Folds hand over the log again from its start, as it is now,
    // up to `position` (the last of them with exactly `position`); then the
    // log goes on after it.
    virtual void StartRefold(int64_t position) = 0;
    // The log no longer holds what was handed over (a failover to a standby
    // that lacked commits the old primary had shown, whose positions now
    // hold other commits): forget all of it. The next Folds hand over the
    // log from its start up to `position`, as after StartRefold.
    virtual void StartOver(int64_t position) = 0;
  };

  virtual ~EventLogFollower() = default;

  // The log's head now: what a replica starting must fold to be caught up.
  // REQUIRES: before Start.
  virtual absl::StatusOr<int64_t> Head() = 0;
  // Hands `sink` every event after `from` (a cursor a Fold gave, kept with
  // a snapshot; {}: the whole log), on a thread of the follower's own, and
  // follows on as commits arrive; while the log is unreachable it keeps
  // trying. If the log no longer holds what `from` covers, it starts over
  // (Sink::StartOver). REQUIRES: called once.
  virtual void Start(const LogCursor& from, Sink& sink) = 0;
  // Stops the thread; `sink` is not called afterwards. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_LOG_FOLLOWER_H_
