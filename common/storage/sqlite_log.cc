#include "common/storage/sqlite_log.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace orgpulse {
namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY,  -- sequential: appends stay at the B-tree's end
    items INTEGER NOT NULL,
    blob BLOB NOT NULL
  );
)sql";

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteLog>> SqliteLog::Open(
    const std::string& path, const SqliteLogOptions& options) {
  if (options.synchronous != "full" && options.synchronous != "normal") {
    return absl::InvalidArgumentError(
        "synchronous must be \"full\" or \"normal\"");
  }
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create data directory ", dir.string(), ": ", ec.message()));
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  std::unique_ptr<SqliteLog> log(new SqliteLog(db));
  log->path_ = path;
  if (rc != SQLITE_OK) return log->Error("open", rc);

  const std::string pragmas = absl::StrCat(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=", options.synchronous,
      "; PRAGMA cache_size=-16384;");  // 16 MiB page cache
  for (const std::string& sql : {pragmas, std::string(kSchema)}) {
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return log->Error("initialise", rc);
  }
  if (options.max_bytes > 0) {
    sqlite3_stmt* stmt = nullptr;
    int page_size = 4096;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      page_size = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
    const std::string limit =
        absl::StrCat("PRAGMA max_page_count=",
                     std::max<int64_t>(1, options.max_bytes / page_size));
    sqlite3_exec(db, limit.c_str(), nullptr, nullptr, nullptr);
  }
  // quick_check verifies the B-trees in one pass over the file: a torn or
  // corrupt file stops start-up here, instead of serving wrong figures.
  {
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return log->Error("integrity check", rc);
    std::string verdict;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (verdict != "ok") {
      return absl::DataLossError(
          absl::StrCat(path, " failed its integrity check (", verdict,
                       "); refusing to serve figures from it"));
    }
  }
  rc = sqlite3_prepare_v3(db, "INSERT INTO log(items, blob) VALUES (?, ?)", -1,
                          SQLITE_PREPARE_PERSISTENT, &log->insert_, nullptr);
  if (rc != SQLITE_OK) return log->Error("prepare", rc);
  if (options.checkpoint_interval > absl::ZeroDuration()) {
    rc = sqlite3_open_v2(path.c_str(), &log->checkpoint_db_,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return log->Error("open checkpointer", rc);
    sqlite3_busy_timeout(log->checkpoint_db_, 1000);
    sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0", nullptr, nullptr, nullptr);
    log->checkpointer_ = std::thread(
        [l = log.get(), interval = options.checkpoint_interval] {
          l->CheckpointLoop(interval);
        });
  }
  return log;
}

SqliteLog::~SqliteLog() {
  if (checkpointer_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    checkpointer_.join();
  }
  sqlite3_close_v2(checkpoint_db_);
  sqlite3_finalize(insert_);
  sqlite3_close_v2(db_);
}

void SqliteLog::CheckpointLoop(absl::Duration interval) {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) {
    mu_.Unlock();
    // PASSIVE: copies what it can without blocking the appending connection;
    // the next append then restarts the log from its beginning.
    sqlite3_wal_checkpoint_v2(checkpoint_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                              nullptr, nullptr);
    mu_.Lock();
  }
}

absl::Status SqliteLog::Error(absl::string_view what, int rc) const {
  const char* detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc),
                      absl::StrCat(path_, ": ", what, ": ", detail));
}

absl::Status SqliteLog::Append(absl::string_view blob, int64_t items) {
  // A single INSERT is its own transaction: atomic, and durable on return.
  sqlite3_bind_int64(insert_, 1, items);
  sqlite3_bind_blob(insert_, 2, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_STATIC);
  const int rc = sqlite3_step(insert_);
  sqlite3_reset(insert_);
  sqlite3_clear_bindings(insert_);
  if (rc != SQLITE_DONE) return Error("append", rc);
  return absl::OkStatus();
}

int64_t SqliteLog::ItemCount() {
  sqlite3_stmt* stmt = nullptr;
  int64_t count = 0;
  if (sqlite3_prepare_v2(db_, "SELECT coalesce(sum(items), 0) FROM log", -1,
                         &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    count = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return count;
}

absl::Status SqliteLog::Replay(
    absl::FunctionRef<absl::Status(absl::string_view blob)> fn) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT blob FROM log ORDER BY seq", -1,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return Error("replay", rc);
  absl::Status status = absl::OkStatus();
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const void* data = sqlite3_column_blob(stmt, 0);
    const int size = sqlite3_column_bytes(stmt, 0);
    status = fn(absl::string_view(static_cast<const char*>(data), size));
    if (!status.ok()) break;
  }
  if (status.ok() && rc != SQLITE_DONE) status = Error("replay", rc);
  sqlite3_finalize(stmt);
  return status;
}

}  // namespace orgpulse
