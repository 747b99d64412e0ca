// Follows ingest's event log in PostgreSQL from a position, on a thread of
// its own, and hands every committed event to its sink in position order:
// what each replica folds, whatever replica committed it (decision 0004).
// Woken by the commits' NOTIFY, and polls every poll_interval besides (a
// lost notification costs at most that much delay). While the database is
// unreachable it keeps trying; position() stays where it was.
//
// A removal record (PgEventLog::Remove) after events this follower already
// handed over makes it refold: Sink::StartRefold, then the log again from its
// start up to the record. Records that were already there when the events
// were read need none (a replica starting from 0 refolds nothing).
//
// Every read also checks that the server's log is still the one handed over
// (PgLogRead::diverged: the last event handed over is still there, the same
// row, and nothing was added before the position reached). When it is not,
// as after a failover to a standby that lacked commits the old primary had
// shown, it hands over the log again from its start: Sink::StartOver.
//
// Each Fold carries the follower's cursor (PgLogCursor: the last event
// handed over, the last removal record up to the position), which a
// snapshot keeps; started from it, the follower checks it at its first read
// like any other, and starts over if the log no longer holds it.
//
// Example:
//   auto follower = PgLogFollower::Open(conninfo, {});
//   (*follower)->Start(snapshot_cursor, ledger);
//   (*follower)->WaitFor(push_response.log_position(), absl::Seconds(5));
#ifndef ORGPULSE_SERVICES_INGEST_STORE_PG_LOG_FOLLOWER_H_
#define ORGPULSE_SERVICES_INGEST_STORE_PG_LOG_FOLLOWER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_log_follower.h"
#include "services/ingest/store/pg_event_log.h"

namespace orgpulse::ingest {

struct PgLogFollowerOptions {
  absl::Duration poll_interval = absl::Seconds(1);
  int64_t read_batch = 8192;  // events per read
};

class PgLogFollower final : public EventLogFollower {
 public:
  // Connects (and migrates the schema, as PgEventLog::Open).
  static absl::StatusOr<std::unique_ptr<PgLogFollower>> Open(
      const std::string& conninfo, const PgLogFollowerOptions& options = {});
  ~PgLogFollower() override;  // Stop()

  absl::StatusOr<int64_t> Head() override;
  void Start(const LogCursor& from, Sink& sink) override;
  void Stop() override;

  // The position up to which every event has been handed over.
  int64_t position() const;
  // Waits until position() >= `position`; false after `timeout`.
  bool WaitFor(int64_t position, absl::Duration timeout) const;

 private:
  PgLogFollower(std::unique_ptr<PgEventLog> log,
                const PgLogFollowerOptions& options)
      : log_(std::move(log)), options_(options) {}
  void Loop(Sink& sink);
  // Waits for a commit or the poll interval; false when stopping.
  bool Idle(bool connected);
  // Hands over the log from its start up to `until` (after Sink::StartRefold
  // or StartOver); returns where it ended, nullopt when stopping first.
  // Starts over again (a new `until`) if the log diverges meanwhile.
  std::optional<int64_t> RefoldUpTo(int64_t until, Sink& sink);
  // The log is not the one handed over (PgLogRead::diverged): position()
  // drops to 0 and the sink is told to start over up to `head`.
  void StartOver(int64_t head, Sink& sink);
  bool stopping() const;
  void Advance(int64_t position);
  // What Sink::Fold gets with the events up to `position`.
  LogCursor Cursor(int64_t position) const;
  // After a read that handed over events up to read.position.
  void NoteRemovals(const PgLogRead& read);

  std::unique_ptr<PgEventLog> log_;  // the follower thread's (and Head's)
  const PgLogFollowerOptions options_;
  // The last removal record seen by the first read whose events were handed
  // over since the start or the last refold (none yet: nullopt). A record
  // after it removed events the sink may hold. Follower thread only.
  std::optional<int64_t> view_;
  // The last event handed over, checked by every read (nullopt: unknown,
  // after a start from a snapshot). Follower thread only.
  std::optional<PgLogAnchor> anchor_;
  // The last removal record at or before the position handed over (0:
  // none). Follower thread only.
  int64_t last_removal_ = 0;

  mutable absl::Mutex mu_;
  int64_t position_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_PG_LOG_FOLLOWER_H_
