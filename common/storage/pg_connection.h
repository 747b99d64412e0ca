// One libpq connection to PostgreSQL (15, Debian's libpq), with results and
// errors as Abseil types: the ground both services' PostgreSQL backends stand
// on. Statements are sent with parameters out of line (never spliced into the
// SQL), text or binary, and a failed statement maps to a status code by its
// SQLSTATE, so the callers decide retry or refusal by code alone:
//
//   connection lost, server shutting down,
//   read-only (a standby after failover)      UNAVAILABLE
//   serialization failure, deadlock           ABORTED (retry the transaction)
//   unique violation                          ALREADY_EXISTS
//   disk full                                 RESOURCE_EXHAUSTED
//   anything else                             INTERNAL
//
// The message always carries PostgreSQL's own, with the SQLSTATE.
//
// A connection string may name several hosts
// (`host=a,b target_session_attrs=read-write`): libpq tries them in order, and
// Reset() reconnects the same way, so a caller follows a promoted standby by
// resetting after UNAVAILABLE.
//
// Not thread-safe: one connection per thread (or per committer).
//
// Example:
//   absl::StatusOr<std::unique_ptr<PgConnection>> pg =
//       PgConnection::Connect("host=127.0.0.1 port=5432 dbname=orgpulse");
//   absl::StatusOr<PgResult> r = (*pg)->Exec(
//       "SELECT count(*) FROM events WHERE source = $1",
//       {PgParam::Text("jira")});
//   int64_t n = r->GetInt64(0, 0);
#ifndef ORGPULSE_COMMON_STORAGE_PG_CONNECTION_H_
#define ORGPULSE_COMMON_STORAGE_PG_CONNECTION_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

// libpq's types, so this header does not pull libpq-fe.h into every user.
struct pg_conn;
struct pg_result;

namespace orgpulse {

// One statement parameter: text, binary (bytea, exact bytes) or NULL. It
// refers to the caller's bytes, which must outlive the call.
struct PgParam {
  static PgParam Text(absl::string_view value) { return {value, false, false}; }
  static PgParam Binary(absl::string_view value) {
    return {value, true, false};
  }
  static PgParam Null() { return {{}, false, true}; }

  absl::string_view value;
  bool binary = false;
  bool null = false;
};

// The rows of one statement. Values are text unless the statement asked for
// binary results.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result);
  PgResult(PgResult&& other) noexcept
      : result_(std::exchange(other.result_, nullptr)) {}
  PgResult& operator=(PgResult&& other) noexcept;
  ~PgResult();

  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  // The value's bytes (empty for NULL).
  absl::string_view Get(int row, int column) const;
  // A text integer; 0 if NULL or not an integer.
  int64_t GetInt64(int row, int column) const;
  // How many rows an INSERT, UPDATE or DELETE touched.
  int64_t AffectedRows() const;

 private:
  pg_result* result_ = nullptr;
};

// The status for a failed result (by SQLSTATE) or, with result == nullptr, for
// the connection's own error. Exposed for the backends' tests.
absl::Status PgStatusFromSqlState(absl::string_view sqlstate,
                                  absl::string_view message);

class PgConnection {
 public:
  // UNAVAILABLE when no host of `conninfo` answers within connect_timeout
  // (or with the right session attributes); INVALID_ARGUMENT when the string
  // itself does not parse. Sets application_name=orgpulse unless given.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& conninfo,
      absl::Duration connect_timeout = absl::Seconds(5));
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with out-of-line parameters ($1, $2, ...). With
  // binary_results, values come back in PostgreSQL's binary format (bytea as
  // its bytes).
  absl::StatusOr<PgResult> Exec(absl::string_view sql,
                                absl::Span<const PgParam> params = {},
                                bool binary_results = false);
  absl::StatusOr<PgResult> Exec(absl::string_view sql,
                                std::initializer_list<PgParam> params,
                                bool binary_results = false) {
    return Exec(sql, absl::MakeConstSpan(params.begin(), params.size()),
                binary_results);
  }

  // Runs a script of several statements without parameters (schema
  // migrations); stops at the first error.
  absl::Status ExecScript(absl::string_view sql);

  // False once a statement failed as UNAVAILABLE (libpq itself may still
  // call a connection the server has dropped CONNECTION_OK), until Reset.
  bool connected() const;

  // Reconnects with the same connection string (all its hosts, in order).
  // UNAVAILABLE if none answers.
  absl::Status Reset();

  // Waits up to `timeout` for a notification on a channel this connection
  // LISTENs to; true if at least one arrived (all pending ones are taken).
  // False on timeout or a lost connection (then connected() is false).
  bool WaitForNotification(absl::Duration timeout);

  // The server this connection reached, "host:port", for log lines.
  std::string server() const;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  absl::Status ConnectionError(absl::string_view what) const;
  // Marks the connection for Reset when `status` says it is lost.
  absl::Status Noted(absl::Status status);

  pg_conn* conn_;
  bool lost_ = false;
};

// Runs `body` inside BEGIN ... COMMIT; on error rolls back and returns the
// error (a lost connection is UNAVAILABLE, and the caller resets).
template <typename Body>
absl::Status PgTransaction(PgConnection& pg, Body&& body) {
  if (absl::StatusOr<PgResult> begin = pg.Exec("BEGIN"); !begin.ok()) {
    return begin.status();
  }
  absl::Status status = body();
  if (status.ok()) {
    absl::StatusOr<PgResult> commit = pg.Exec("COMMIT");
    return commit.status();
  }
  if (pg.connected()) (void)pg.Exec("ROLLBACK");
  return status;
}

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_PG_CONNECTION_H_
