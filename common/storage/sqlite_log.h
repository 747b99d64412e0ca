// A durable append-only log of blobs in one SQLite file (WAL mode): the
// storage both services build on. Each Append is one atomic, durable
// transaction adding one row at the end of the table (sequential rowids, so
// appends never touch random pages); Replay reads every row in order.
// Rewrite changes or removes rows in place, for erasure and retention, and
// leaves no removed byte in the files.
//
// A full disk (or max_bytes) is a state, not only an error: once an append
// fails for lack of space the log refuses appends at once with
// RESOURCE_EXHAUSTED, and a background probe (every full_probe_interval)
// writes and deletes a file as large as the failed append beside the
// database; when that succeeds the log takes appends again. An observer hears
// both changes (the services turn health NOT_SERVING and back). See
// docs/storage-faults.md.
//
// Example:
//   absl::StatusOr<std::unique_ptr<SqliteLog>> log =
//       SqliteLog::Open("/var/lib/orgpulse/insights/responses.db", {});
//   absl::Status s = (*log)->Append(blob, /*items=*/12);
#ifndef ORGPULSE_COMMON_STORAGE_SQLITE_LOG_H_
#define ORGPULSE_COMMON_STORAGE_SQLITE_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/storage/sqlite_handle.h"
#include "common/storage/sync_mode.h"

namespace orgpulse {

struct SqliteLogOptions {
  // kFull: fsync on every append (survives power loss). kNormal: the WAL
  // is synced at checkpoints (survives a process crash, not power loss).
  SyncMode synchronous = SyncMode::kFull;
  // Upper bound on the file's size in bytes; 0 for none. Appends past it
  // fail with RESOURCE_EXHAUSTED, as on a full disk.
  int64_t max_bytes = 0;
  // How often a background thread copies the write-ahead log into the
  // database (a PASSIVE checkpoint, on its own connection). SQLite's default
  // runs checkpoints inside the append that crosses 1,000 pages, which
  // stalls that append, and every request waiting on it, by tens of
  // milliseconds. Zero keeps SQLite's default.
  absl::Duration checkpoint_interval = absl::Milliseconds(250);
  // With background checkpoints: when the write-ahead log holds more than
  // this after an append, the appending connection copies what the
  // background has not yet copied (a PASSIVE checkpoint: it never waits), so
  // that the next append starts the log over. Under appends that never
  // pause, the background copies the log but cannot restart it: by the time
  // it is done the next append has added to it, and the log would grow with
  // every append. Zero: never.
  int64_t wal_restart_bytes = 16 << 20;
  // While appends are refused for lack of space, how often the background
  // probe checks whether space has returned.
  absl::Duration full_probe_interval = absl::Seconds(1);
  // When the write-ahead log is damaged before complete commits (see
  // wal_check.h), open anyway and drop them (a copy of the log is kept beside
  // it, and the loss is logged as an error) instead of refusing (DATA_LOSS).
  bool discard_damaged_wal = false;
};

// One row of the log, and what SqliteLog::Rewrite does with one.
struct LogRow {
  std::string blob;
  int64_t items = 0;
};
struct LogRowEdit {
  enum class Kind { kKeep, kReplace, kDrop };
  static LogRowEdit Keep() { return {}; }
  static LogRowEdit Drop() { return {Kind::kDrop, {}}; }
  static LogRowEdit Replace(LogRow row) {
    return {Kind::kReplace, std::move(row)};
  }
  Kind kind = Kind::kKeep;
  LogRow row;  // kReplace: the row's new content
};

class SqliteLog {
 public:
  // Creates the parent directory if needed and opens (or creates) `path`.
  // FAILED_PRECONDITION, in one line naming the directory or file, when the
  // directory is not a directory, cannot be created, or does not take new
  // files, or when `path` is read-only. Before SQLite sees the write-ahead
  // log, checks that its recovery would keep every complete commit
  // (wal_check.h); then runs SQLite's quick_check. Refuses damage with
  // DATA_LOSS and a message naming the file and offset. FAILED_PRECONDITION
  // naming the pid when another process has `path` open through SqliteLog.
  static absl::StatusOr<std::unique_ptr<SqliteLog>> Open(
      const std::string& path, const SqliteLogOptions& options);
  ~SqliteLog();

  // Appends one row atomically and durably. `items` is informational (how
  // many records the blob holds). RESOURCE_EXHAUSTED when the disk (or
  // max_bytes) is full, and at once, without trying, while !writable();
  // UNAVAILABLE on other I/O errors. On error nothing was appended and the
  // connection is ready for the next append. REQUIRES: one caller at a time.
  [[nodiscard]] absl::Status Append(absl::string_view blob, int64_t items);

  // False from an append that failed for lack of space until the probe sees
  // space again.
  bool writable() const;

  // `observer` is called at once with writable(), then with each new value,
  // in order, on the appending thread or the background one; it must be fast
  // and must not call back into the log. Setting it (nullptr to clear) waits
  // for a call in progress, so clear it before what it refers to goes away.
  void SetWritableObserver(std::function<void(bool writable)> observer);

  // As Replay, on a read connection of its own (opened at the first call):
  // may run beside Append, Rewrite and the other calls, and sees the log as
  // it was when it began. One such read at a time (others wait).
  [[nodiscard]] absl::Status ReplayOnReader(
      absl::FunctionRef<absl::Status(absl::string_view blob)> fn);

  // The sum of `items` over all rows; 0 on error.
  int64_t ItemCount();

  // The sequence number of the last row (rows are numbered from 1 in append
  // order); 0 for an empty log. A log position for readers of the log.
  // REQUIRES: the appending thread.
  int64_t last_seq() const { return last_seq_; }

  // A random number drawn when the log is created, again by every Rewrite
  // that changes it (in the rewrite's own transaction) and by an Open that
  // discards damaged commits; appends keep it. A
  // reader that remembers (epoch, seq) knows, while the epoch is unchanged,
  // that rows 1..seq are exactly what it read (a rewrite may renumber them:
  // dropping the last rows lets their numbers be handed out again). 0 when
  // unknown (it could not be recorded): no state can be matched to the log.
  // REQUIRES: the appending thread.
  uint64_t epoch() const { return epoch_; }

  // Calls `fn` with every row's blob in append order; stops at the first
  // error `fn` returns and returns it.
  [[nodiscard]] absl::Status Replay(
      absl::FunctionRef<absl::Status(absl::string_view blob)> fn);
  // The same for the rows after sequence number `seq` only.
  [[nodiscard]] absl::Status ReplayAfter(
      int64_t seq, absl::FunctionRef<absl::Status(absl::string_view blob)> fn);

  // Rewrites the log in one atomic, durable transaction: `edit` sees every
  // row's blob in append order and says what becomes of it (a replaced row
  // keeps its place in the order), then `append` is added at the end.
  // Returns how many rows were replaced or dropped. An error from `edit`
  // is returned with nothing changed.
  //
  // What it removes leaves no bytes in the files (erasure, retention):
  // freed space is zeroed (secure_delete is on for the connection), and after
  // the commit the write-ahead log, which still holds the old pages, is
  // copied into the database and truncated to nothing. If that truncation
  // cannot finish, UNAVAILABLE says so although the rewrite is durable; the
  // next Rewrite (even one changing nothing) or the next Open scrubs it.
  // REQUIRES: one caller at a time, together with Append.
  [[nodiscard]] absl::StatusOr<int64_t> Rewrite(
      absl::FunctionRef<absl::StatusOr<LogRowEdit>(absl::string_view blob)>
          edit,
      absl::Span<const LogRow> append);

 private:
  SqliteLog() = default;
  // `status` from the wrappers, with the file's path in front.
  absl::Status Located(const absl::Status& status) const;
  void SetWritable(bool writable, int64_t failed_bytes)
      ABSL_LOCKS_EXCLUDED(state_mu_);
  // Reads last_seq_ from the table.
  absl::Status CountRows();
  // Reads epoch_, drawing one for a new log.
  absl::Status LoadEpoch();
  // Checkpoints the write-ahead log into the database and truncates it.
  absl::Status TruncateWal();
  // True if an append of the size that failed would fit now.
  bool SpaceReturned(int64_t failed_bytes);
  void BackgroundLoop(absl::Duration checkpoint_interval,
                      absl::Duration probe_interval);

  // An advisory lock on `path`-lock while the log is open: a second process
  // (another service on the same data directory, a copy while the service
  // runs) is refused at Open instead of writing beside this one, where each
  // would fold only its own commits. Declared first, released last.
  struct ProcessLock {
    int fd = -1;
    ProcessLock() = default;
    ProcessLock(const ProcessLock&) = delete;
    ProcessLock& operator=(const ProcessLock&) = delete;
    ~ProcessLock();
  };
  ProcessLock process_lock_;
  // Declared before the statement, which is finalized first.
  SqliteConnection db_;
  SqliteStatement insert_;
  std::string path_;
  int64_t page_size_ = 4096;
  int64_t max_page_count_ = 0;  // 0: no max_bytes
  int64_t last_seq_ = 0;
  uint64_t epoch_ = 0;
  // Frames in the write-ahead log after the last commit on db_ (its WAL
  // hook), and the count past which Append checkpoints; 0: never.
  int64_t wal_frames_ = 0;
  int64_t wal_restart_frames_ = 0;

  // Serialises changes of `writable_` with their notifications.
  mutable absl::Mutex state_mu_;
  bool writable_ ABSL_GUARDED_BY(state_mu_) = true;
  int64_t failed_bytes_ ABSL_GUARDED_BY(state_mu_) = 0;
  std::function<void(bool)> observer_ ABSL_GUARDED_BY(state_mu_);

  // ReplayOnReader's connection. Only reads: it never checkpoints or
  // writes, so it takes no turn in wal_mu_; declared after db_, so it closes
  // before it and db_ stays the last connection (the one that checkpoints).
  absl::Mutex reader_mu_;
  SqliteConnection reader_db_ ABSL_GUARDED_BY(reader_mu_);

  // The background's PASSIVE checkpoint; holds wal_mu_ only while it copies
  // pages, not while they reach the disk (see the .cc).
  int BackgroundCheckpoint();

  // The background thread (checkpoints, the space probe) and its own
  // connection (synchronous=OFF: BackgroundCheckpoint syncs the files
  // itself), plus a connection whose read transaction pins the log while
  // the checkpoint's pages are synced.
  SqliteConnection background_db_;
  SqliteConnection pin_db_;
  SyncMode sync_ = SyncMode::kFull;
  // Whether pin_db_ holds the log (Append's own checkpoint waits for it to
  // let go), or holds it for good after a failed sync.
  absl::Mutex pin_mu_;
  bool pin_held_ ABSL_GUARDED_BY(pin_mu_) = false;
  bool pin_stuck_ ABSL_GUARDED_BY(pin_mu_) = false;
  std::thread background_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Held around every checkpoint and every write: they take turns. SQLite
  // up to 3.51.2 (Debian 12 ships 3.40.1) corrupts the database when a
  // checkpoint starts on one connection while another commits the write
  // that restarts the log (the "WAL-reset bug"); a write then waits for a
  // background checkpoint in progress, if any.
  absl::Mutex wal_mu_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_SQLITE_LOG_H_
