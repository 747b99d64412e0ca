// EventStore on the shared SQLite log (common/storage/sqlite_log.h): one
// row per committed group of events, in `data_dir`/events.db. Appends are
// sequential and one fsync serves a whole group, which is what makes group
// commit pay off; see docs/decisions/0001-ingest-storage.md. The latest
// snapshot of the folded state is `data_dir`/events.snapshot (SnapshotFile),
// matched to the log by the log's epoch and a row's sequence number.
//
// Example:
//   absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
//       SqliteEventStore::Open("/var/lib/orgpulse/ingest", {});
#ifndef ORGPULSE_SERVICES_INGEST_STORE_SQLITE_EVENT_STORE_H_
#define ORGPULSE_SERVICES_INGEST_STORE_SQLITE_EVENT_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/sqlite_log.h"
#include "services/ingest/domain/event_store.h"
#include "services/ingest/store/snapshot_file.h"

namespace orgpulse::ingest {

using SqliteEventStoreOptions = SqliteLogOptions;

class SqliteEventStore final : public EventStore {
 public:
  // Creates `dir` if needed and opens (or creates) `dir`/events.db; refuses
  // a file that fails SQLite's integrity check (DATA_LOSS).
  static absl::StatusOr<std::unique_ptr<SqliteEventStore>> Open(
      const std::string& dir, const SqliteEventStoreOptions& options);

  absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) override;
  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override;
  absl::Status ReplayBesideCommits(
      absl::FunctionRef<void(const Event&)> fn) override;
  absl::Status ReplayGroups(
      absl::FunctionRef<void(EventBatch&& group)> fn) override;
  absl::Status ReplayGroupsAfter(
      int64_t position,
      absl::FunctionRef<void(EventBatch&& group)> fn) override;
  // The last row's sequence number and the log's epoch.
  LogMark Mark() override { return {log_->last_seq(), log_->epoch()}; }
  absl::Status SaveSnapshot(const LogMark& mark,
                            absl::string_view bytes) override;
  absl::StatusOr<StoredSnapshot> LoadSnapshot() override;
  // One SQLite transaction over every row: rows with nothing to remove are
  // kept as they are, others are rewritten without the matching events or
  // deleted when none is left. The rewrite changes the log's epoch, which
  // retires the snapshot; its file is removed after the commit (it holds
  // figures and keys of removed events).
  absl::StatusOr<int64_t> Remove(const EventFilter& filter) override;
  int64_t EventCountHint() override { return log_->ItemCount(); }
  bool writable() const override { return log_->writable(); }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    log_->SetWritableObserver(std::move(observer));
  }

 private:
  SqliteEventStore(std::unique_ptr<SqliteLog> log, std::string snapshot_path)
      : log_(std::move(log)), snapshot_(std::move(snapshot_path)) {}

  std::unique_ptr<SqliteLog> log_;
  // Save may run on another thread than the appends; SnapshotFile is not
  // shared otherwise.
  absl::Mutex snapshot_mu_;
  SnapshotFile snapshot_ ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_SQLITE_EVENT_STORE_H_
