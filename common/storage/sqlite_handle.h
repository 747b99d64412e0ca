// Owning wrappers of SQLite's two handles, so no code path forgets a
// sqlite3_finalize or sqlite3_close: SqliteConnection (a database
// connection) and SqliteStatement (a prepared statement). Errors come back as
// absl::Status naming the operation ("append: disk I/O error"); callers add
// the file's path.
//
// Example:
//   absl::StatusOr<SqliteConnection> db = SqliteConnection::Open(
//       path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
//   absl::StatusOr<SqliteStatement> insert = SqliteStatement::Prepare(
//       db->get(), "INSERT INTO log(items, blob) VALUES (?, ?)", "append");
//   insert->BindInt64(1, 12);
//   insert->BindBlob(2, blob);
//   absl::Status s = insert->Run();  // ready to bind and run again
#ifndef ORGPULSE_COMMON_STORAGE_SQLITE_HANDLE_H_
#define ORGPULSE_COMMON_STORAGE_SQLITE_HANDLE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace orgpulse {

// The status for SQLite result code `rc` from `db` (which may be null):
// "<what>: <SQLite's message>". RESOURCE_EXHAUSTED for a full disk
// (SQLITE_FULL, which max_page_count also gives, or an I/O error from ENOSPC or
// EDQUOT), DATA_LOSS for a corrupt file or one that is not a database,
// UNAVAILABLE otherwise.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// A database connection, closed on destruction. Move-only.
class SqliteConnection {
 public:
  // sqlite3_open_v2(path, flags); on error the half-opened handle is closed.
  static absl::StatusOr<SqliteConnection> Open(const std::string& path,
                                               int flags);

  SqliteConnection() = default;
  SqliteConnection(SqliteConnection&& other) noexcept : db_(other.db_) {
    other.db_ = nullptr;
  }
  SqliteConnection& operator=(SqliteConnection&& other) noexcept;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection();

  sqlite3* get() const { return db_; }

  // Runs `sql`, one or more statements; rows they return are discarded.
  [[nodiscard]] absl::Status Exec(const std::string& sql,
                                  absl::string_view what);

  // The first column of the first row of `sql` as an integer ("PRAGMA
  // page_size"); NOT_FOUND if it returns no row.
  // `what` as for SqliteStatement::Prepare.
  [[nodiscard]] absl::StatusOr<int64_t> QueryInt64(const char* sql,
                                                   const char* what);

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// A prepared statement, finalized on destruction. Move-only. Not
// thread-safe: one caller at a time, as for its connection.
class SqliteStatement {
 public:
  // Prepares `sql` on `db`, which must outlive the statement. `what` names
  // the operation in errors and must be a literal (it is kept, not copied).
  // `persistent`: the statement is kept and run many times
  // (SQLITE_PREPARE_PERSISTENT).
  static absl::StatusOr<SqliteStatement> Prepare(sqlite3* db, const char* sql,
                                                 const char* what,
                                                 bool persistent = false);

  SqliteStatement() = default;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are numbered from 1. A failed bind is reported by the next
  // Step or Run. BindBlob does not copy: `blob` must stay valid until then.
  void BindInt64(int index, int64_t value);
  void BindBlob(int index, absl::string_view blob);

  // The next row: true if there is one (read it with Column*), false when
  // done.
  [[nodiscard]] absl::StatusOr<bool> Step();

  // Steps a statement that returns no rows to its end, then resets it and
  // clears its bindings, ready to run again (also on error). Allocates
  // nothing unless it fails.
  [[nodiscard]] absl::Status Run();

  // Columns of the current row, numbered from 0; valid until the next Step.
  int64_t ColumnInt64(int column) const;
  absl::string_view ColumnText(int column) const;
  absl::string_view ColumnBlob(int column) const;

 private:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, const char* what)
      : db_(db), stmt_(stmt), what_(what) {}
  absl::Status Error(int rc) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  const char* what_ = "";
  int bind_rc_ = 0;  // SQLITE_OK, or the first failed bind's result
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_SQLITE_HANDLE_H_
