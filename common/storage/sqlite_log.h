// A durable append-only log of blobs in one SQLite file (WAL mode): the
// storage both services build on. Each Append is one atomic, durable
// transaction adding one row at the end of the table (sequential rowids, so
// appends never touch random pages); Replay reads every row in order.
//
// Example:
//   absl::StatusOr<std::unique_ptr<SqliteLog>> log =
//       SqliteLog::Open("/var/lib/orgpulse/insights/responses.db", {});
//   absl::Status s = (*log)->Append(blob, /*items=*/12);
#ifndef ORGPULSE_COMMON_STORAGE_SQLITE_LOG_H_
#define ORGPULSE_COMMON_STORAGE_SQLITE_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace orgpulse {

struct SqliteLogOptions {
  // "full": fsync on every append (survives power loss). "normal": the WAL
  // is synced at checkpoints (survives a process crash, not power loss).
  std::string synchronous = "full";
  // Upper bound on the file's size in bytes; 0 for none. Appends past it
  // fail with RESOURCE_EXHAUSTED, as on a full disk.
  int64_t max_bytes = 0;
  // How often a background thread copies the write-ahead log into the
  // database (a PASSIVE checkpoint, on its own connection). SQLite's default
  // runs checkpoints inside the append that crosses 1,000 pages, which
  // stalls that append, and every request waiting on it, by tens of
  // milliseconds. Zero keeps SQLite's default.
  absl::Duration checkpoint_interval = absl::Milliseconds(250);
};

class SqliteLog {
 public:
  // Creates the parent directory if needed and opens (or creates) `path`.
  // Runs SQLite's quick_check and refuses a corrupt file (DATA_LOSS).
  static absl::StatusOr<std::unique_ptr<SqliteLog>> Open(
      const std::string& path, const SqliteLogOptions& options);
  ~SqliteLog();

  // Appends one row atomically and durably. `items` is informational (how
  // many records the blob holds). RESOURCE_EXHAUSTED when the disk (or
  // max_bytes) is full, UNAVAILABLE on other I/O errors; then nothing was
  // appended. REQUIRES: one caller at a time.
  [[nodiscard]] absl::Status Append(absl::string_view blob, int64_t items);

  // The sum of `items` over all rows; 0 on error.
  int64_t ItemCount();

  // Calls `fn` with every row's blob in append order; stops at the first
  // error `fn` returns and returns it.
  [[nodiscard]] absl::Status Replay(
      absl::FunctionRef<absl::Status(absl::string_view blob)> fn);

 private:
  explicit SqliteLog(sqlite3* db) : db_(db) {}
  absl::Status Error(absl::string_view what, int rc) const;
  void CheckpointLoop(absl::Duration interval);

  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
  std::string path_;

  // The background checkpointer and its own connection.
  sqlite3* checkpoint_db_ = nullptr;
  std::thread checkpointer_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_SQLITE_LOG_H_
