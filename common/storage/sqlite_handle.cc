#include "common/storage/sqlite_handle.h"

#include <sqlite3.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"

namespace orgpulse {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  switch (rc & 0xff) {
    case SQLITE_FULL:
      code = absl::StatusCode::kResourceExhausted;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = absl::StatusCode::kDataLoss;
      break;
    case SQLITE_IOERR: {
      // Other write errors (growing the shared-memory index, fsync) can
      // also be a full disk or quota underneath.
      const int e = db != nullptr ? sqlite3_system_errno(db) : 0;
      if (e == ENOSPC || e == EDQUOT) {
        code = absl::StatusCode::kResourceExhausted;
      }
      break;
    }
    default:
      break;
  }
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::Status(code, absl::StrCat(what, ": ", detail));
}

absl::StatusOr<SqliteConnection> SqliteConnection::Open(const std::string& path,
                                                        int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  SqliteConnection connection(db);  // closes `db` on every path
  if (rc != SQLITE_OK) return SqliteError(db, rc, "open");
  return connection;
}

SqliteConnection& SqliteConnection::operator=(
    SqliteConnection&& other) noexcept {
  std::swap(db_, other.db_);
  return *this;
}

SqliteConnection::~SqliteConnection() { sqlite3_close_v2(db_); }

absl::Status SqliteConnection::Exec(const std::string& sql,
                                    absl::string_view what) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, what);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteConnection::QueryInt64(const char* sql,
                                                     const char* what) {
  absl::StatusOr<SqliteStatement> statement =
      SqliteStatement::Prepare(db_, sql, what);
  if (!statement.ok()) return statement.status();
  absl::StatusOr<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat(what, ": no result"));
  return statement->ColumnInt64(0);
}

absl::StatusOr<SqliteStatement> SqliteStatement::Prepare(sqlite3* db,
                                                         const char* sql,
                                                         const char* what,
                                                         bool persistent) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(
      db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  SqliteStatement statement(db, stmt, what);
  if (rc != SQLITE_OK) return SqliteError(db, rc, what);
  return statement;
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      what_(other.what_),
      bind_rc_(other.bind_rc_) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  std::swap(db_, other.db_);
  std::swap(stmt_, other.stmt_);
  std::swap(what_, other.what_);
  std::swap(bind_rc_, other.bind_rc_);
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

absl::Status SqliteStatement::Error(int rc) const {
  return SqliteError(db_, rc, what_);
}

void SqliteStatement::BindInt64(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void SqliteStatement::BindBlob(int index, absl::string_view blob) {
  // SQLITE_TOOBIG past SQLite's length limit (1e9 bytes by default).
  const int rc = sqlite3_bind_blob64(stmt_, index, blob.data(),
                                     static_cast<sqlite3_uint64>(blob.size()),
                                     SQLITE_STATIC);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (bind_rc_ != SQLITE_OK) return Error(bind_rc_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(rc);
}

absl::Status SqliteStatement::Run() {
  absl::Status status;
  if (bind_rc_ != SQLITE_OK) {
    status = Error(bind_rc_);
  } else if (const int rc = sqlite3_step(stmt_); rc != SQLITE_DONE) {
    // Read SQLite's message before the reset below.
    status = Error(rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
  return status;
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

absl::string_view SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return absl::string_view(
      reinterpret_cast<const char*>(text),
      static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

absl::string_view SqliteStatement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return absl::string_view(
      static_cast<const char*>(data),
      static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

}  // namespace orgpulse
