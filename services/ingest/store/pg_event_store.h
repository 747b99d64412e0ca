// EventStore on PostgreSQL (PgEventLog): ingest's events in a shared
// database instead of the embedded SQLite file, selected with --postgres.
//
// Several replicas may share the database: the database decides duplicates
// in each commit (decides_duplicates()), so a commit retried after its answer
// was lost stores nothing twice, and the ledger folds the figures from a
// PgLogFollower, not from what it commits. Remove writes a removal record
// that every replica's follower refolds at.
//
// Snapshots: the ledger's folded state with its follower's cursor
// (LogMark::check), in ingest_snapshots; the newest kKeptPgSnapshots are
// kept. LoadSnapshot hands back the newest whose cursor the log still holds
// (PgEventLog::CheckCursor), and says why it passed newer ones over. Both
// run on a connection of their own, so a snapshot is written beside
// commits.
//
// Health: a background probe asks the server every probe_interval whether
// it takes writes (on a connection of its own; after a failure, every host
// of the connection string in order). An unreachable server or a read-only
// standby, seen by the probe or by a failed append, turns the store
// unwritable: the service reports NOT_SERVING and refuses pushes with
// UNAVAILABLE at once. The store is writable again as soon as the probe
// reaches a primary.
//
// Example:
//   absl::StatusOr<std::unique_ptr<PgEventStore>> store =
//       PgEventStore::Open("host=db1,db2 dbname=orgpulse "
//                          "target_session_attrs=read-write", {});
#ifndef ORGPULSE_SERVICES_INGEST_STORE_PG_EVENT_STORE_H_
#define ORGPULSE_SERVICES_INGEST_STORE_PG_EVENT_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage/pg_health_probe.h"
#include "services/ingest/domain/event_store.h"
#include "services/ingest/store/pg_event_log.h"

namespace orgpulse::ingest {

struct PgEventStoreOptions {
  // How often, while the server is unreachable, the probe tries again.
  absl::Duration probe_interval = absl::Seconds(1);
};

class PgEventStore final : public EventStore {
 public:
  // Connects and migrates the schema; UNAVAILABLE (one line, naming the
  // hosts tried) when no server answers.
  static absl::StatusOr<std::unique_ptr<PgEventStore>> Open(
      const std::string& conninfo, const PgEventStoreOptions& options);

  absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) override;
  bool decides_duplicates() const override { return true; }
  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override;
  // On a connection of its own for the read (opened per call).
  absl::Status ReplayBesideCommits(
      absl::FunctionRef<void(const Event&)> fn) override;
  absl::StatusOr<int64_t> Remove(const EventFilter& filter) override;
  int64_t EventCountHint() override;
  absl::Status SaveSnapshot(const LogMark& mark,
                            absl::string_view bytes) override;
  absl::StatusOr<StoredSnapshot> LoadSnapshot() override;
  bool writable() const override { return health_.writable(); }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    health_.SetWritableObserver(std::move(observer));
  }

 private:
  PgEventStore(const std::string& conninfo, std::unique_ptr<PgEventLog> log,
               const PgEventStoreOptions& options);

  // The snapshots' connection, opened at first use.
  absl::StatusOr<PgEventLog*> SnapshotLog()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(snapshot_mu_);

  const std::string conninfo_;
  PgHealthProbe health_;
  std::unique_ptr<PgEventLog> log_;  // the appending thread's
  absl::Mutex snapshot_mu_;
  std::unique_ptr<PgEventLog> snapshot_log_ ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_PG_EVENT_STORE_H_
