// Ingest's events in PostgreSQL, as the log of docs/decisions/0004: a commit
// decides which events are new in the same transaction that stores them, and
// gives them positions in commit order, so any number of replicas can follow
// the log from wherever they are and fold exactly what was committed, once.
//
// Tables (schema "ingest", versions in orgpulse_schema_migrations):
//   ingest_events(position, event_key, team, occurred_us, body)
//     UNIQUE (event_key): the source's length (4 bytes, big-endian), the
//     source and the event id as one bytea (migration 5); body is
//     event_codec's encoding of the event.
//   ingest_log_head(position)  one row: the last position handed out. A
//     commit locks it first, so commits are serial and positions follow
//     commit order (a sequence would not: its values are taken before
//     commit). Duplicates leave gaps; readers do not mind.
//   ingest_snapshots(position, written_by, written_at, body, log_check)
//     replicas' folded states; log_check is the writer's PgLogCursor at
//     `position`, checked before a snapshot is loaded (CheckCursor). The
//     newest few are kept.
//
// One connection, one caller at a time (the committer, or a follower): give
// each thread its own PgEventLog. After UNAVAILABLE the next call reconnects
// (every host of a multi-host connection string, in order).
//
// Example:
//   absl::StatusOr<std::unique_ptr<PgEventLog>> log =
//       PgEventLog::Open("host=db1,db2 target_session_attrs=read-write");
//   absl::StatusOr<PgCommit> commit = (*log)->Commit(events);
//   (*log)->ReadAfter(folded, 8192, [&](int64_t position, const Event& e) {
//     ...fold e...
//   });
#ifndef ORGPULSE_SERVICES_INGEST_STORE_PG_EVENT_LOG_H_
#define ORGPULSE_SERVICES_INGEST_STORE_PG_EVENT_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/storage/pg_connection.h"
#include "common/storage/pg_migrations.h"
#include "services/ingest/domain/event.h"

namespace orgpulse::ingest {

struct PgCommit {
  // Per event of the group, in order: stored now (false: a duplicate of an
  // event already in the log, or earlier in the same group).
  std::vector<bool> stored;
  int64_t stored_count = 0;
  // The log position after this commit: a follower that has read up to it
  // has seen this commit.
  int64_t head = 0;
};

// The last event a follower handed over, as the server stored it: a
// follower passes it to each ReadLog, which checks in the same snapshot that
// the log still holds it (see PgLogRead::diverged).
struct PgLogAnchor {
  int64_t position = 0;  // 0: no event handed over yet
  int64_t xmin = 0;      // the storing transaction's id
  std::string body;      // the stored bytes
};

// What a follower keeps with a snapshot of what it handed over up to a
// position (as LogCursor::check), so that a replica starting from that
// snapshot can check that the log still holds it: the last event handed
// over, and the last removal record at or before the position.
struct PgLogCursor {
  PgLogAnchor anchor;
  int64_t last_removal = 0;  // 0: none
};
std::string EncodePgLogCursor(const PgLogCursor& cursor);
// DATA_LOSS for bytes that are not a cursor (an empty check included).
absl::StatusOr<PgLogCursor> DecodePgLogCursor(absl::string_view bytes);

// What one ReadLog covered.
struct PgLogRead {
  // Every event after the read's start and up to here was handed over
  // (positions of duplicates and of removal records hold no event).
  int64_t position = 0;
  // A removal record at `position` (0: none): the events handed over are
  // those before it.
  int64_t removal = 0;
  // The last removal record the read's snapshot saw: the events it handed
  // over are what was left after that removal.
  int64_t removals_seen = 0;
  // The first removal record after the read's start in its snapshot (0:
  // none), whatever the limit.
  int64_t next_removal = 0;
  // The log's head in the read's snapshot.
  int64_t head = 0;
  // The server's log is not the one the reader handed over up to `after`
  // (ReadLog with an anchor only): its head is below `after`, or the
  // anchor's position holds another event or (with no removal record after
  // `after` to explain it) none, or an event lies between the anchor and
  // `after`. A failover to a standby that lacked commits the old primary
  // had shown does that. Nothing was handed over; `head` is set.
  bool diverged = false;
  // The last event handed over by this read (position 0: none).
  PgLogAnchor last;
};

struct PgSnapshot {
  int64_t position = 0;  // the log position the state covers
  std::string body;      // empty from ListSnapshots
  std::string check;     // as written (EncodePgLogCursor)
  std::string written_by;
};

// How many snapshots WriteSnapshot keeps: the newest, and older ones to
// fall back on when the newest no longer fits the log (CheckCursor).
inline constexpr int kKeptPgSnapshots = 3;

class PgEventLog {
 public:
  // Connects and brings the schema to this binary's version (see
  // pg_migrations.h). UNAVAILABLE when no server answers;
  // FAILED_PRECONDITION when the schema is newer than this binary.
  static absl::StatusOr<std::unique_ptr<PgEventLog>> Open(
      const std::string& conninfo);

  // The schema's migrations, in order (tests build a database at an earlier
  // version with the first few).
  static absl::Span<const PgMigration> Migrations();

  // Stores the new events of `events` atomically. On error nothing of them
  // is stored; UNAVAILABLE when the connection or server is lost (the outcome
  // of a commit whose answer was lost is unknown: commit again, and what
  // was stored comes back as duplicates).
  absl::StatusOr<PgCommit> Commit(absl::Span<const Event* const> events);

  // Calls `fn` for up to `limit` events with positions after `position`, in
  // position order; returns the position up to which the log was read: the
  // last event's when `limit` were read, else the head (`position` if there
  // is nothing after it), or, when the positions after `position` hold fewer
  // events (gaps of duplicates), the end of the window of positions one read
  // looks at (2 x limit, at least 1024): read again from there. DATA_LOSS if
  // a stored body does not decode.
  absl::StatusOr<int64_t> ReadAfter(
      int64_t position, int64_t limit,
      absl::FunctionRef<void(int64_t position, const Event& event)> fn);

  // A follower's read: as ReadAfter, but with `until` = 0 it stops at the
  // first removal record after `after` and says so (the reader must then
  // refold), and with `until` > 0 it reads no further than `until` and
  // passes removal records (a refold up to one). With `anchor` (the last
  // event the reader handed over at or before `after`), it first checks
  // that the log is still the one read up to `after` (PgLogRead::diverged).
  absl::StatusOr<PgLogRead> ReadLog(
      int64_t after, int64_t until, int64_t limit, const PgLogAnchor* anchor,
      absl::FunctionRef<void(int64_t position, const Event& event)> fn);

  // Deletes, in one transaction, the events of `source` (every source when
  // empty) whose occurred_at, in Unix microseconds, lies in [from_us, to_us),
  // and when it deleted any, writes a removal record at the next position
  // (followers that folded those events refold); returns how many.
  absl::StatusOr<int64_t> Remove(absl::string_view source, int64_t from_us,
                                 int64_t to_us);

  // The last position handed out.
  absl::StatusOr<int64_t> Head();

  // Stores a snapshot of the state at `position` (another one at the same
  // position is kept instead) and, in the same transaction, deletes all
  // but the newest `keep`: a crash at any point keeps the older ones.
  absl::Status WriteSnapshot(int64_t position, absl::string_view body,
                             absl::string_view written_by,
                             absl::string_view check = {},
                             int keep = kKeptPgSnapshots);
  // The snapshot with the highest position, if any.
  absl::StatusOr<std::optional<PgSnapshot>> LatestSnapshot();
  // Every snapshot without its body, the highest position first.
  absl::StatusOr<std::vector<PgSnapshot>> ListSnapshots();
  // The body of the snapshot at `position`; nullopt if it is gone.
  absl::StatusOr<std::optional<std::string>> ReadSnapshotBody(int64_t position);
  // In one read: OK if the log still holds what a follower at `cursor`
  // handed over up to `position`; FAILED_PRECONDITION saying why not: the
  // log has diverged (PgLogRead::diverged), a removal record lies after
  // `position`, or the records up to it are not those the follower saw.
  absl::Status CheckCursor(int64_t position, const PgLogCursor& cursor);

  // Subscribes this log's connection to commit announcements (LISTEN; a
  // no-op while still subscribed, again after reconnecting). A follower calls
  // it before each ReadAfter: a commit that lands between that read and
  // WaitForCommit is then announced rather than missed until the next poll.
  absl::Status Listen();
  // Waits up to `timeout` for another commit to the log (listening first if
  // not yet); true if one was announced. A follower calls ReadAfter after it
  // either way: a notification is a wake-up, never the data.
  bool WaitForCommit(absl::Duration timeout);

  // "host:port" of the server in use, for log lines.
  std::string server() const { return pg_->server(); }

 private:
  explicit PgEventLog(std::unique_ptr<PgConnection> pg) : pg_(std::move(pg)) {}
  absl::StatusOr<PgLogRead> Read(
      int64_t after, int64_t until, bool stop_at_removal, int64_t limit,
      const PgLogAnchor* anchor,
      absl::FunctionRef<void(int64_t position, const Event& event)> fn);
  // Reconnects if the last call lost the connection.
  absl::Status EnsureConnected();

  std::unique_ptr<PgConnection> pg_;
  bool listening_ = false;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_PG_EVENT_LOG_H_
