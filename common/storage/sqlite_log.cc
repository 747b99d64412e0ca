#include "common/storage/sqlite_log.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/random/random.h"
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
  -- One row: SqliteLog::epoch().
  CREATE TABLE IF NOT EXISTS log_epoch (epoch INTEGER NOT NULL);
)sql";

// A random epoch, never 0 (the epoch of no log).
int64_t NewEpoch() {
  absl::BitGen gen;
  int64_t epoch = 0;
  while (epoch == 0) {
    epoch = static_cast<int64_t>(absl::Uniform<uint64_t>(gen) >> 1);
  }
  return epoch;
}

constexpr absl::string_view kComponent = "storage";

// Each frame of the write-ahead log is a page and this header.
constexpr int64_t kWalFrameHeader = 24;

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

bool IsRefusal(int error) {
  return error == EACCES || error == EPERM || error == EROFS;
}

// Makes sure `dir` exists, is a directory and takes new files (SQLite
// creates the database and its -wal and -shm files there), trying it with the
// file at `probe_path`: tried, not predicted from mode bits, which do not
// bind root. SQLite itself would only say "unable to open database file".
// Other errors (a full disk) are left to SQLite and the out-of-space state.
absl::Status PrepareDirectory(const std::filesystem::path& dir,
                              const std::string& probe_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", dir.string(), " is not a directory"));
    }
  } else if (!fs::create_directories(dir, ec) && ec) {
    const std::error_code cause = ec;
    // The nearest existing ancestor is what refused.
    fs::path ancestor = dir.parent_path();
    while (!ancestor.empty() && !fs::exists(ancestor, ec)) {
      ancestor = ancestor.parent_path();
    }
    const std::string name = ancestor.empty() ? "." : ancestor.string();
    std::string why = cause.message();
    if (!fs::is_directory(name, ec)) {
      why = absl::StrCat(name, " is not a directory");
    } else if (IsRefusal(cause.value())) {
      why = absl::StrCat(name, " is not writable (", why, ")");
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", dir.string(), ": ", why));
  }
  const int fd =
      open(probe_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 && IsRefusal(errno)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", dir.string(), " is not writable (",
                     std::strerror(errno), ")"));
  }
  if (fd >= 0) close(fd);
  unlink(probe_path.c_str());  // also one left by a crash during a probe
  return absl::OkStatus();
}

// A POSIX record lock: held per process, so the same process may open the
// log again (tests do); another process is refused.
absl::StatusOr<int> LockAgainstOtherProcesses(const std::string& path) {
  const std::string lock_path = path + "-lock";
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", lock_path, ": ", std::strerror(errno)));
  }
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (fcntl(fd, F_SETLK, &lock) == 0) return fd;
  const int error = errno;
  struct flock holder = {};
  holder.l_type = F_WRLCK;
  holder.l_whence = SEEK_SET;
  const bool known =
      fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK;
  close(fd);
  if (error != EACCES && error != EAGAIN) {
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(error)));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      path, " is in use by another process",
      known ? absl::StrCat(" (pid ", holder.l_pid, ")") : std::string(),
      ": stop it first (two processes writing one store would each count "
      "only their own events)"));
}

}  // namespace

SqliteLog::ProcessLock::~ProcessLock() {
  if (fd >= 0) close(fd);
}

absl::StatusOr<std::unique_ptr<SqliteLog>> SqliteLog::Open(
    const std::string& path, const SqliteLogOptions& options) {
  std::error_code ec;
  const std::filesystem::path parent =
      std::filesystem::path(path).parent_path();
  const std::string probe_path = path + "-probe";
  absl::Status status =
      PrepareDirectory(parent.empty() ? "." : parent, probe_path);
  if (!status.ok()) return status;
  // Before anything reads the files another process may be writing.
  ProcessLock lock;
  absl::StatusOr<int> locked = LockAgainstOtherProcesses(path);
  if (!locked.ok()) return locked.status();
  lock.fd = *locked;

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

  std::unique_ptr<SqliteLog> log(new SqliteLog());
  log->path_ = path;
  log->process_lock_.fd = std::exchange(lock.fd, -1);
  absl::StatusOr<SqliteConnection> db = SqliteConnection::Open(
      path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!db.ok()) return log->Located(db.status());
  log->db_ = *std::move(db);
  // SQLite falls back to reading a file it may not write.
  if (sqlite3_db_readonly(log->db_.get(), "main") == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not writable (read-only file)"));
  }

  const std::string pragmas =
      absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                   SyncModeName(options.synchronous),
                   "; PRAGMA cache_size=-16384;"  // 16 MiB page cache
                   // A log that grew while checkpoints failed (a full disk) is
                   // cut back to this size once they succeed again.
                   " PRAGMA journal_size_limit=67108864;"
                   // Deleted rows are zeroed, not left in free pages
                   // (erasure and retention promise that).
                   " PRAGMA secure_delete=ON;");
  for (const std::string& sql : {pragmas, std::string(kSchema)}) {
    status = log->db_.Exec(sql, "initialise");
    if (!status.ok()) return log->Located(status);
  }
  if (absl::StatusOr<int64_t> page_size =
          log->db_.QueryInt64("PRAGMA page_size", "page size");
      page_size.ok()) {
    log->page_size_ = *page_size;
  }
  if (options.max_bytes > 0) {
    log->max_page_count_ =
        std::max<int64_t>(1, options.max_bytes / log->page_size_);
    // Best effort: without it appends are bounded by the disk only.
    log->db_
        .Exec(absl::StrCat("PRAGMA max_page_count=", log->max_page_count_),
              "size limit")
        .IgnoreError();
  }
  // quick_check verifies the B-trees in one pass over the file: a torn or
  // corrupt file stops start-up here, instead of serving wrong figures.
  {
    absl::StatusOr<SqliteStatement> check = SqliteStatement::Prepare(
        log->db_.get(), "PRAGMA quick_check", "integrity check");
    if (!check.ok()) return log->Located(check.status());
    absl::StatusOr<bool> row = check->Step();
    const std::string verdict = !row.ok() ? std::string(row.status().message())
                                : *row    ? std::string(check->ColumnText(0))
                                          : std::string();
    if (verdict != "ok") {
      return absl::DataLossError(
          absl::StrCat(path, " failed its integrity check (", verdict,
                       "); refusing to serve figures from it"));
    }
  }
  // Copy the write-ahead log into the database and empty it: frames dropped
  // after damage cannot trouble the next start, and old pages that a
  // Rewrite replaced just before a crash leave the files. After damage it
  // must succeed; otherwise a failure (a full disk) only leaves the
  // scrubbing to the next Rewrite, and the log opens.
  status = log->TruncateWal();
  if (!status.ok()) {
    if (wal->damaged()) return status;
    Log(LogLevel::kWarning, kComponent,
        absl::StrCat("cannot truncate the write-ahead log at start: ",
                     status.message()));
  }
  absl::StatusOr<SqliteStatement> insert = SqliteStatement::Prepare(
      log->db_.get(), "INSERT INTO log(items, blob) VALUES (?, ?)", "append",
      /*persistent=*/true);
  if (!insert.ok()) return log->Located(insert.status());
  log->insert_ = *std::move(insert);
  absl::Status counted = log->CountRows();
  if (!counted.ok()) return counted;
  if (absl::Status e = log->LoadEpoch(); !e.ok()) return e;
  if (wal->damaged()) {
    // Commits were dropped, and their row numbers will be handed out again:
    // what a reader remembers of this log no longer holds.
    const int64_t epoch = NewEpoch();
    if (log->db_
            .Exec(absl::StrCat("DELETE FROM log_epoch; INSERT INTO "
                               "log_epoch(epoch) VALUES (",
                               epoch, ")"),
                  "epoch")
            .ok()) {
      log->epoch_ = static_cast<uint64_t>(epoch);
    } else {
      log->epoch_ = 0;
    }
  }
  absl::StatusOr<SqliteConnection> background =
      SqliteConnection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!background.ok()) return log->Located(background.status());
  log->background_db_ = *std::move(background);
  sqlite3_busy_timeout(log->background_db_.get(), 1000);
  log->sync_ = options.synchronous;
  // Its checkpoints sync nothing: BackgroundCheckpoint syncs the files
  // outside wal_mu_, while the pin keeps the log from restarting.
  if (absl::Status s = log->background_db_.Exec("PRAGMA synchronous=OFF",
                                                "background: synchronous");
      !s.ok()) {
    return log->Located(s);
  }
  // A connection attaches to the write-ahead log at its first read; until
  // then a checkpoint on it copies nothing and still returns OK.
  if (absl::StatusOr<int64_t> read = log->background_db_.QueryInt64(
          "SELECT count(*) FROM sqlite_master", "attach to the log");
      !read.ok()) {
    return log->Located(read.status());
  }
  absl::StatusOr<SqliteConnection> pin =
      SqliteConnection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!pin.ok()) return log->Located(pin.status());
  log->pin_db_ = *std::move(pin);
  if (options.checkpoint_interval > absl::ZeroDuration()) {
    // Replaces SQLite's automatic checkpoints (themselves a WAL hook).
    sqlite3_wal_hook(
        log->db_.get(),
        +[](void* self, sqlite3*, const char*, int frames) {
          static_cast<SqliteLog*>(self)->wal_frames_ = frames;
          return SQLITE_OK;
        },
        log.get());
    log->wal_restart_frames_ =
        options.wal_restart_bytes / (log->page_size_ + kWalFrameHeader);
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
      const int rc = BackgroundCheckpoint();
      if (rc != SQLITE_OK && rc != SQLITE_BUSY && !checkpoint_failing) {
        checkpoint_failing = true;
        Log(LogLevel::kWarning, kComponent,
            absl::StrCat(path_, ": checkpoint failed (",
                         sqlite3_errmsg(background_db_.get()),
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

// SQLite's own checkpoint syncs the write-ahead log, copies its pages into
// the database, syncs the database (tens to hundreds of milliseconds on a
// slow disk) and only then lets the next write restart the log. Under
// wal_mu_ all of that would stall every append. So the copy runs without
// syncs (background_db_ is synchronous=OFF) under wal_mu_, and the
// database is synced after wal_mu_ is released, while a read transaction on
// pin_db_, begun in the same turn, keeps the log from restarting: a write
// restarts it only when no reader holds a snapshot of it, so the copied
// frames stay in the log until the database holds them durably. PASSIVE
// copies no frame past the pin's snapshot; when the pin found the log fully
// copied (it then reads the database only, and does not hold the log),
// there is nothing to copy, as no write comes between it and the copy.
int SqliteLog::BackgroundCheckpoint() {
  // After a failed sync of the database the pin stays: the log keeps every
  // frame (and grows), and the next start copies it all again.
  {
    absl::MutexLock pin_lock(&pin_mu_);
    if (pin_stuck_) return SQLITE_IOERR_FSYNC;
  }
  const std::string wal_path = path_ + "-wal";
  int rc = SQLITE_OK;
  bool copied = false;
  {
    absl::MutexLock wal_lock(&wal_mu_);
    const bool pinned =
        pin_db_.Exec("BEGIN", "pin: begin").ok() &&
        pin_db_.QueryInt64("SELECT count(*) FROM sqlite_master", "pin: read")
            .ok();
    if (!pinned) {
      if (!sqlite3_get_autocommit(pin_db_.get())) {
        pin_db_.Exec("ROLLBACK", "pin: end").IgnoreError();
      }
      return SQLITE_BUSY;  // tried again at the next tick
    }
    {
      absl::MutexLock pin_lock(&pin_mu_);
      pin_held_ = true;
    }
    // kNormal does not sync the log at commits: its frames reach the disk
    // before their pages may reach the database (what SQLite's checkpoint
    // does first). kFull synced them at each commit.
    if (sync_ == SyncMode::kNormal) {
      const int fd = open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || fdatasync(fd) != 0) rc = SQLITE_IOERR_FSYNC;
      if (fd >= 0) close(fd);
    }
    if (rc == SQLITE_OK) {
      copied = true;
      rc = sqlite3_wal_checkpoint_v2(background_db_.get(), nullptr,
                                     SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                     nullptr);
    }
  }
  // The copied pages reach the disk (also after an error: some may have
  // been copied); until then the pin holds the log.
  if (copied) {
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fdatasync(fd) != 0) {
      if (fd >= 0) close(fd);
      absl::MutexLock pin_lock(&pin_mu_);
      pin_stuck_ = true;
      return SQLITE_IOERR_FSYNC;
    }
    close(fd);
  }
  pin_db_.Exec("COMMIT", "pin: end").IgnoreError();
  absl::MutexLock pin_lock(&pin_mu_);
  pin_held_ = false;
  return rc;
}

bool SqliteLog::SpaceReturned(int64_t failed_bytes) {
  const int64_t needed =
      std::min(failed_bytes, kProbeMaxBytes) + kProbeMarginBytes;
  if (max_page_count_ > 0) {
    const int64_t pages =
        background_db_.QueryInt64("PRAGMA page_count", "page count")
            .value_or(max_page_count_);
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

absl::Status SqliteLog::Located(const absl::Status& status) const {
  return absl::Status(status.code(),
                      absl::StrCat(path_, ": ", status.message()));
}

absl::Status SqliteLog::Append(absl::string_view blob, int64_t items) {
  if (!writable()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        path_,
        ": out of space (the disk is full, or max_bytes is reached); nothing "
        "was stored. Appends resume by themselves once there is room again"));
  }
  absl::ReleasableMutexLock wal_lock(&wal_mu_);
  // A single INSERT is its own transaction: atomic, and durable on return.
  insert_.BindInt64(1, items);
  insert_.BindBlob(2, blob);
  const absl::Status appended = insert_.Run();
  if (appended.ok()) {
    last_seq_ = sqlite3_last_insert_rowid(db_.get());
    if (wal_restart_frames_ > 0 && wal_frames_ > wal_restart_frames_) {
      // See SqliteLogOptions::wal_restart_bytes. An error (a full disk) is
      // tried again at the next append. The background's pin, if any, would
      // keep the next append from restarting the log: wait for it (one
      // sync of the database, once per wal_restart_bytes).
      {
        absl::MutexLock pin_lock(&pin_mu_);
        pin_mu_.Await(absl::Condition(
            +[](SqliteLog* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->pin_mu_) {
              return !l->pin_held_ || l->pin_stuck_;
            },
            this));
      }
      sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                nullptr, nullptr);
    }
    return appended;
  }
  wal_lock.Release();
  // SQLite rolls the statement's transaction back itself; make sure, so the
  // next append starts clean.
  if (!sqlite3_get_autocommit(db_.get())) {
    db_.Exec("ROLLBACK", "rollback").IgnoreError();
  }
  if (appended.code() != absl::StatusCode::kResourceExhausted) {
    return Located(appended);
  }
  // SQLite reports both as SQLITE_FULL: the limit is what is near.
  bool cap = false;
  if (max_page_count_ > 0) {
    absl::StatusOr<int64_t> pages =
        db_.QueryInt64("PRAGMA page_count", "page count");
    const int64_t needed_pages =
        static_cast<int64_t>(blob.size()) / page_size_ + 1;
    cap = pages.ok() && *pages + needed_pages >= max_page_count_;
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

absl::Status SqliteLog::CountRows() {
  absl::StatusOr<int64_t> last =
      db_.QueryInt64("SELECT coalesce(max(seq), 0) FROM log", "last row");
  if (!last.ok()) return Located(last.status());
  last_seq_ = *last;
  return absl::OkStatus();
}

absl::Status SqliteLog::LoadEpoch() {
  absl::StatusOr<int64_t> epoch =
      db_.QueryInt64("SELECT coalesce(max(epoch), 0) FROM log_epoch", "epoch");
  if (!epoch.ok()) return Located(epoch.status());
  if (*epoch == 0) {
    *epoch = NewEpoch();
    absl::Status s = db_.Exec(
        absl::StrCat("INSERT INTO log_epoch(epoch) VALUES (", *epoch, ")"),
        "epoch");
    if (!s.ok()) {
      // A log from before epochs, on a full disk: it opens, with epoch 0,
      // which no reader takes for a known state.
      Log(LogLevel::kWarning, kComponent,
          absl::StrCat(path_, ": cannot record the log's epoch (", s.message(),
                       ")"));
      *epoch = 0;
    }
  }
  epoch_ = static_cast<uint64_t>(*epoch);
  return absl::OkStatus();
}

int64_t SqliteLog::ItemCount() {
  return db_.QueryInt64("SELECT coalesce(sum(items), 0) FROM log", "count")
      .value_or(0);
}

absl::Status SqliteLog::Replay(
    absl::FunctionRef<absl::Status(absl::string_view blob)> fn) {
  return ReplayAfter(0, fn);
}

absl::Status SqliteLog::ReplayAfter(
    int64_t seq, absl::FunctionRef<absl::Status(absl::string_view blob)> fn) {
  absl::StatusOr<SqliteStatement> select = SqliteStatement::Prepare(
      db_.get(), "SELECT blob FROM log WHERE seq > ? ORDER BY seq", "replay");
  if (!select.ok()) return Located(select.status());
  select->BindInt64(1, seq);
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return Located(row.status());
    if (!*row) return absl::OkStatus();
    if (absl::Status s = fn(select->ColumnBlob(0)); !s.ok()) return s;
  }
}

absl::Status SqliteLog::TruncateWal() {
  // After the background's checkpoint in progress, if any: a checkpoint
  // running on another connection makes this one fail with SQLITE_BUSY at
  // once, without waiting (an erasure answered UNAVAILABLE for it).
  absl::MutexLock lock(&wal_mu_);
  // Waits for readers, if any.
  sqlite3_busy_timeout(db_.get(), 5000);
  const int rc = sqlite3_wal_checkpoint_v2(
      db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(db_.get(), 0);
  if (rc == SQLITE_OK) return absl::OkStatus();
  return Located(SqliteError(db_.get(), rc, "truncating the write-ahead log"));
}

absl::StatusOr<int64_t> SqliteLog::Rewrite(
    absl::FunctionRef<absl::StatusOr<LogRowEdit>(absl::string_view blob)> edit,
    absl::Span<const LogRow> append) {
  // Edits are collected first: changing rows under a running SELECT of the
  // same table is not defined.
  std::vector<std::pair<int64_t, LogRowEdit>> edits;
  {
    absl::StatusOr<SqliteStatement> select = SqliteStatement::Prepare(
        db_.get(), "SELECT seq, blob FROM log ORDER BY seq", "rewrite: read");
    if (!select.ok()) return Located(select.status());
    while (true) {
      absl::StatusOr<bool> row = select->Step();
      if (!row.ok()) return Located(row.status());
      if (!*row) break;
      absl::StatusOr<LogRowEdit> e = edit(select->ColumnBlob(1));
      if (!e.ok()) return e.status();
      if (e->kind != LogRowEdit::Kind::kKeep) {
        edits.emplace_back(select->ColumnInt64(0), *std::move(e));
      }
    }
  }
  if (!edits.empty() || !append.empty()) {
    absl::MutexLock wal_lock(&wal_mu_);
    absl::Status s = db_.Exec("BEGIN IMMEDIATE", "rewrite: begin");
    if (!s.ok()) return Located(s);
    const int64_t new_epoch = NewEpoch();
    auto run = [&]() -> absl::Status {
      absl::StatusOr<SqliteStatement> update = SqliteStatement::Prepare(
          db_.get(), "UPDATE log SET items = ?, blob = ? WHERE seq = ?",
          "rewrite: replace");
      if (!update.ok()) return update.status();
      absl::StatusOr<SqliteStatement> remove = SqliteStatement::Prepare(
          db_.get(), "DELETE FROM log WHERE seq = ?", "rewrite: drop");
      if (!remove.ok()) return remove.status();
      for (const auto& [seq, e] : edits) {
        SqliteStatement& stmt =
            e.kind == LogRowEdit::Kind::kDrop ? *remove : *update;
        if (e.kind == LogRowEdit::Kind::kDrop) {
          stmt.BindInt64(1, seq);
        } else {
          stmt.BindInt64(1, e.row.items);
          stmt.BindBlob(2, e.row.blob);
          stmt.BindInt64(3, seq);
        }
        if (absl::Status r = stmt.Run(); !r.ok()) return r;
      }
      for (const LogRow& row : append) {
        insert_.BindInt64(1, row.items);
        insert_.BindBlob(2, row.blob);
        if (absl::Status r = insert_.Run(); !r.ok()) return r;
      }
      if (absl::Status r =
              db_.Exec(absl::StrCat("DELETE FROM log_epoch; INSERT INTO "
                                    "log_epoch(epoch) VALUES (",
                                    new_epoch, ")"),
                       "rewrite: epoch");
          !r.ok()) {
        return r;
      }
      return db_.Exec("COMMIT", "rewrite: commit");
    };
    s = run();
    if (!s.ok()) {
      if (!sqlite3_get_autocommit(db_.get())) {
        db_.Exec("ROLLBACK", "rollback").IgnoreError();
      }
      return Located(s);
    }
    epoch_ = static_cast<uint64_t>(new_epoch);
    // Dropping the last rows lowers it.
    CountRows().IgnoreError();
  }
  if (absl::Status s = TruncateWal(); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(
        s.message(),
        "; the change is durable, but removed data may remain in the "
        "write-ahead log until the next rewrite or start"));
  }
  return static_cast<int64_t>(edits.size());
}

absl::Status SqliteLog::ReplayOnReader(
    absl::FunctionRef<absl::Status(absl::string_view blob)> fn) {
  absl::MutexLock lock(&reader_mu_);
  if (reader_db_.get() == nullptr) {
    absl::StatusOr<SqliteConnection> reader = SqliteConnection::Open(
        path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    if (!reader.ok()) return Located(reader.status());
    reader_db_ = *std::move(reader);
    // A read waits out a log restart in progress instead of failing.
    sqlite3_busy_timeout(reader_db_.get(), 5000);
  }
  // One statement is one read transaction: one state of the log.
  absl::StatusOr<SqliteStatement> select = SqliteStatement::Prepare(
      reader_db_.get(), "SELECT blob FROM log ORDER BY seq", "replay (reader)");
  if (!select.ok()) return Located(select.status());
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return Located(row.status());
    if (!*row) return absl::OkStatus();
    if (absl::Status s = fn(select->ColumnBlob(0)); !s.ok()) return s;
  }
}

}  // namespace orgpulse
