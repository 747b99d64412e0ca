#include "common/storage/sqlite_log.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/storage/wal_check.h"

namespace orgpulse {
namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY,  -- sequential: appends stay at the B-tree's end
    items INTEGER NOT NULL,
    blob BLOB NOT NULL
  );
)sql";

constexpr absl::string_view kComponent = "storage";

// The probe writes as much as the failed append needed, up to this (a larger
// batch then fails again, but does not keep a nearly empty disk "full"),
// plus room for the log's own growth.
constexpr int64_t kProbeMaxBytes = 1 << 20;
constexpr int64_t kProbeMarginBytes = 64 << 10;

// Writes `bytes` to a new file at `path`, syncs it and deletes it: whether
// the file system has that much room for us now.
bool CanWrite(const std::string& path, int64_t bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  static const std::string* zeros = new std::string(64 << 10, '\0');
  bool ok = true;
  for (int64_t done = 0; ok && done < bytes;) {
    const size_t n = static_cast<size_t>(
        std::min<int64_t>(bytes - done, static_cast<int64_t>(zeros->size())));
    const ssize_t w = write(fd, zeros->data(), n);
    ok = w > 0;
    done += w;
  }
  ok = ok && fsync(fd) == 0;
  close(fd);
  unlink(path.c_str());
  return ok;
}

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
  const std::string probe_path = path + "-probe";
  unlink(probe_path.c_str());  // left by a crash during a probe

  // Before SQLite reads the write-ahead log: would its recovery keep every
  // complete commit?
  const std::string wal_path = path + "-wal";
  absl::StatusOr<WalReport> wal = InspectWal(wal_path);
  if (!wal.ok()) return wal.status();
  if (wal->damaged()) {
    if (!options.discard_damaged_wal) {
      return absl::DataLossError(absl::StrCat(
          wal->Describe(),
          ". Refusing to open it: acknowledged data would be lost. Keep a copy "
          "of the data directory, then restore it from a backup, or start "
          "with --discard_damaged_wal to keep only what precedes the damage"));
    }
    const std::string copy =
        absl::StrCat(wal_path, ".damaged-", absl::ToUnixSeconds(absl::Now()));
    std::filesystem::copy_file(wal_path, copy, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot keep a copy of the damaged ", wal_path, " at ",
                       copy, ": ", ec.message(), "; nothing was discarded"));
    }
    Log(LogLevel::kError, kComponent,
        absl::StrCat("DISCARDING COMMITTED DATA (discard_damaged_wal): ",
                     wal->Describe(), ". A copy of the log is kept at ", copy));
  } else if (wal->break_offset >= 0) {
    Log(LogLevel::kInfo, kComponent,
        absl::StrCat("write-ahead log checked: ", wal->Describe()));
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
      "; PRAGMA cache_size=-16384;"  // 16 MiB page cache
      // A log that grew while checkpoints failed (a full disk) is cut back
      // to this size once they succeed again.
      " PRAGMA journal_size_limit=67108864;");
  for (const std::string& sql : {pragmas, std::string(kSchema)}) {
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return log->Error("initialise", rc);
  }
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      log->page_size_ = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  if (options.max_bytes > 0) {
    log->max_page_count_ =
        std::max<int64_t>(1, options.max_bytes / log->page_size_);
    const std::string limit =
        absl::StrCat("PRAGMA max_page_count=", log->max_page_count_);
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
  if (wal->damaged()) {
    // Copy what SQLite recovered into the database and empty the log, so
    // the dropped frames cannot trouble the next start.
    rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr,
                      nullptr);
    if (rc != SQLITE_OK) return log->Error("checkpoint after discarding", rc);
  }
  rc = sqlite3_prepare_v3(db, "INSERT INTO log(items, blob) VALUES (?, ?)", -1,
                          SQLITE_PREPARE_PERSISTENT, &log->insert_, nullptr);
  if (rc != SQLITE_OK) return log->Error("prepare", rc);
  rc = sqlite3_open_v2(path.c_str(), &log->background_db_,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return log->Error("open background connection", rc);
  sqlite3_busy_timeout(log->background_db_, 1000);
  if (options.checkpoint_interval > absl::ZeroDuration()) {
    sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0", nullptr, nullptr, nullptr);
  }
  log->background_ = std::thread([l = log.get(), options] {
    l->BackgroundLoop(options.checkpoint_interval, options.full_probe_interval);
  });
  return log;
}

SqliteLog::~SqliteLog() {
  if (background_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    background_.join();
  }
  sqlite3_close_v2(background_db_);
  sqlite3_finalize(insert_);
  sqlite3_close_v2(db_);
}

void SqliteLog::BackgroundLoop(absl::Duration checkpoint_interval,
                               absl::Duration probe_interval) {
  const bool checkpoints = checkpoint_interval > absl::ZeroDuration();
  const absl::Duration tick =
      checkpoints ? std::min(checkpoint_interval, probe_interval)
                  : probe_interval;
  absl::Time last_checkpoint = absl::Now();
  absl::Time last_probe = absl::Now();
  bool checkpoint_failing = false;
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick)) {
    mu_.Unlock();
    const absl::Time now = absl::Now();
    if (checkpoints && now - last_checkpoint >= checkpoint_interval) {
      last_checkpoint = now;
      // PASSIVE: copies what it can without blocking the appending
      // connection; the next append then restarts the log from its
      // beginning. When it fails (a full disk cannot take the pages) the
      // log keeps everything and grows; nothing is lost.
      const int rc = sqlite3_wal_checkpoint_v2(
          background_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY && !checkpoint_failing) {
        checkpoint_failing = true;
        Log(LogLevel::kWarning, kComponent,
            absl::StrCat(path_, ": checkpoint failed (",
                         sqlite3_errmsg(background_db_),
                         "); the write-ahead log grows until one succeeds"));
      } else if (rc == SQLITE_OK && checkpoint_failing) {
        checkpoint_failing = false;
        Log(LogLevel::kInfo, kComponent,
            absl::StrCat(path_, ": checkpoints succeed again"));
      }
    }
    int64_t failed_bytes = -1;  // -1: writable
    {
      absl::MutexLock state_lock(&state_mu_);
      if (!writable_) failed_bytes = failed_bytes_;
    }
    if (failed_bytes >= 0 && now - last_probe >= probe_interval) {
      last_probe = now;
      if (SpaceReturned(failed_bytes)) SetWritable(true, 0);
    }
    mu_.Lock();
  }
}

bool SqliteLog::SpaceReturned(int64_t failed_bytes) {
  const int64_t needed =
      std::min(failed_bytes, kProbeMaxBytes) + kProbeMarginBytes;
  if (max_page_count_ > 0) {
    sqlite3_stmt* stmt = nullptr;
    int64_t pages = max_page_count_;
    if (sqlite3_prepare_v2(background_db_, "PRAGMA page_count", -1, &stmt,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      pages = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if ((max_page_count_ - pages) * page_size_ < needed) return false;
  }
  return CanWrite(path_ + "-probe", needed);
}

bool SqliteLog::writable() const {
  absl::MutexLock lock(&state_mu_);
  return writable_;
}

void SqliteLog::SetWritableObserver(std::function<void(bool)> observer) {
  absl::MutexLock lock(&state_mu_);
  observer_ = std::move(observer);
  if (observer_) observer_(writable_);
}

void SqliteLog::SetWritable(bool writable, int64_t failed_bytes) {
  absl::MutexLock lock(&state_mu_);
  if (writable_ == writable) return;
  writable_ = writable;
  failed_bytes_ = failed_bytes;
  Log(writable ? LogLevel::kInfo : LogLevel::kError, kComponent,
      writable ? absl::StrCat(path_, ": space is back; appends resume")
               : absl::StrCat(path_,
                              ": out of space; appends are refused "
                              "until the probe finds room for ",
                              failed_bytes, " bytes"));
  if (observer_) observer_(writable);
}

bool SqliteLog::IsOutOfSpace(int rc) const {
  if ((rc & 0xff) == SQLITE_FULL) return true;
  // Other write errors (growing the shared-memory index, fsync) can also be
  // a full disk or quota underneath.
  const int e = sqlite3_system_errno(db_);
  return (rc & 0xff) == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT);
}

absl::Status SqliteLog::Error(absl::string_view what, int rc) const {
  const char* detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc),
                      absl::StrCat(path_, ": ", what, ": ", detail));
}

absl::Status SqliteLog::Append(absl::string_view blob, int64_t items) {
  if (!writable()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        path_,
        ": out of space (the disk is full, or max_bytes is reached); nothing "
        "was stored. Appends resume by themselves once there is room again"));
  }
  // A single INSERT is its own transaction: atomic, and durable on return.
  sqlite3_bind_int64(insert_, 1, items);
  sqlite3_bind_blob(insert_, 2, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_STATIC);
  const int rc = sqlite3_step(insert_);
  sqlite3_reset(insert_);
  sqlite3_clear_bindings(insert_);
  if (rc == SQLITE_DONE) return absl::OkStatus();
  // SQLite rolls the statement's transaction back itself; make sure, so the
  // next append starts clean.
  if (!sqlite3_get_autocommit(db_)) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  if (!IsOutOfSpace(rc)) return Error("append", rc);
  // SQLite reports both as SQLITE_FULL: the limit is what is near.
  bool cap = false;
  if (max_page_count_ > 0) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA page_count", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const int64_t needed_pages =
          static_cast<int64_t>(blob.size()) / page_size_ + 1;
      cap = sqlite3_column_int64(stmt, 0) + needed_pages >= max_page_count_;
    }
    sqlite3_finalize(stmt);
  }
  const absl::Status status = absl::ResourceExhaustedError(absl::StrCat(
      path_, ": ",
      cap ? absl::StrCat("the store reached its size limit (max_bytes ",
                         max_page_count_ * page_size_, ")")
          : std::string("the disk is full"),
      "; nothing of this append (", blob.size(),
      " bytes) was stored. Appends are refused until there is room again"));
  SetWritable(false, static_cast<int64_t>(blob.size()));
  return status;
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
