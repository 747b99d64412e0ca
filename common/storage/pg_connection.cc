#include "common/storage/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace orgpulse {
namespace {

// SQLSTATE classes and codes that decide retry or refusal
// (https://www.postgresql.org/docs/15/errcodes-appendix.html).
absl::StatusCode CodeForSqlState(absl::string_view s) {
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (s == "53100") return absl::StatusCode::kResourceExhausted;
  // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect
  // now; 25006: read-only transaction (we reached a standby); 53300: too many
  // connections.
  if (absl::StartsWith(s, "08") || s == "57P01" || s == "57P02" ||
      s == "57P03" || s == "25006" || s == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

std::string Trimmed(const char* message) {
  if (message == nullptr) return "";
  return std::string(absl::StripTrailingAsciiWhitespace(message));
}

}  // namespace

absl::Status PgStatusFromSqlState(absl::string_view sqlstate,
                                  absl::string_view message) {
  return absl::Status(
      CodeForSqlState(sqlstate),
      absl::StrCat("postgresql: ", message, " (SQLSTATE ", sqlstate, ")"));
}

namespace {

// OK for a successful result; else the status its SQLSTATE maps to, or
// UNAVAILABLE for libpq's own failures (most often a lost connection).
absl::Status StatusOfResult(pg_conn* conn, pg_result* raw) {
  if (raw == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("postgresql: ", Trimmed(PQerrorMessage(conn))));
  }
  const ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
      status == PGRES_EMPTY_QUERY) {
    return absl::OkStatus();
  }
  const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  if (sqlstate == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "postgresql: ", Trimmed(PQresultErrorMessage(raw)),
        PQstatus(conn) == CONNECTION_OK ? "" : " (connection lost)"));
  }
  return PgStatusFromSqlState(sqlstate, Trimmed(PQresultErrorMessage(raw)));
}

}  // namespace

PgResult::PgResult(pg_result* result) : result_(result) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const {
  return result_ == nullptr ? 0 : PQntuples(result_);
}

int PgResult::columns() const {
  return result_ == nullptr ? 0 : PQnfields(result_);
}

bool PgResult::IsNull(int row, int column) const {
  return result_ == nullptr || PQgetisnull(result_, row, column) != 0;
}

absl::string_view PgResult::Get(int row, int column) const {
  if (IsNull(row, column)) return {};
  return absl::string_view(PQgetvalue(result_, row, column),
                           PQgetlength(result_, row, column));
}

int64_t PgResult::GetInt64(int row, int column) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Get(row, column), &value)) return 0;
  return value;
}

int64_t PgResult::AffectedRows() const {
  if (result_ == nullptr) return 0;
  int64_t n = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(result_), &n)) return 0;
  return n;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo, absl::Duration connect_timeout) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    std::string message = Trimmed(parse_error);
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        absl::StrCat("postgresql connection string: ", message));
  }
  bool has_application_name = false;
  bool has_timeout = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (absl::string_view(o->keyword) == "application_name") {
      has_application_name = true;
    }
    if (absl::string_view(o->keyword) == "connect_timeout") has_timeout = true;
  }
  PQconninfoFree(options);

  // The caller's string wins; ours only fill what it leaves out.
  std::string full = conninfo;
  if (!has_application_name)
    absl::StrAppend(&full, " application_name=orgpulse");
  if (!has_timeout) {
    absl::StrAppend(
        &full, " connect_timeout=",
        std::max<int64_t>(2, absl::ToInt64Seconds(connect_timeout)));
  }
  pg_conn* conn = PQconnectdb(full.c_str());
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("postgresql: out of memory");
  }
  // Notices ("relation already exists, skipping") are not errors; libpq
  // would print them on stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  auto connection = std::unique_ptr<PgConnection>(new PgConnection(conn));
  if (PQstatus(conn) != CONNECTION_OK) {
    return connection->ConnectionError("cannot connect");
  }
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::Status PgConnection::ConnectionError(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat("postgresql: ", what, ": ", Trimmed(PQerrorMessage(conn_))));
}

absl::StatusOr<PgResult> PgConnection::Exec(absl::string_view sql,
                                            absl::Span<const PgParam> params,
                                            bool binary_results) {
  if (!connected()) return ConnectionError("connection lost");
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size());
  std::vector<int> formats(params.size());
  // Text parameters must be NUL-terminated for libpq, which a string_view
  // does not promise: those are copied (reserved, so c_str() stays put).
  std::vector<std::string> text_copies;
  text_copies.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].null) continue;
    lengths[i] = static_cast<int>(params[i].value.size());
    formats[i] = params[i].binary ? 1 : 0;
    if (params[i].binary) {
      // libpq needs a pointer even for an empty value.
      values[i] = params[i].value.empty() ? "" : params[i].value.data();
    } else {
      values[i] = text_copies.emplace_back(params[i].value).c_str();
    }
  }
  const std::string statement(sql);
  pg_result* raw =
      PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()),
                   /*paramTypes=*/nullptr, values.data(), lengths.data(),
                   formats.data(), binary_results ? 1 : 0);
  PgResult result(raw);
  if (absl::Status s = Noted(StatusOfResult(conn_, raw)); !s.ok()) return s;
  return result;
}

absl::Status PgConnection::ExecScript(absl::string_view sql) {
  if (!connected()) return ConnectionError("connection lost");
  // PQexec runs every statement in order, stops at the first error and
  // returns that error's result (else the last statement's).
  const std::string script(sql);
  pg_result* raw = PQexec(conn_, script.c_str());
  PgResult result(raw);
  return Noted(StatusOfResult(conn_, raw));
}

absl::Status PgConnection::Noted(absl::Status status) {
  if (absl::IsUnavailable(status)) lost_ = true;
  return status;
}

bool PgConnection::connected() const {
  return !lost_ && PQstatus(conn_) == CONNECTION_OK;
}

absl::Status PgConnection::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return ConnectionError("reconnect");
  lost_ = false;
  return absl::OkStatus();
}

bool PgConnection::WaitForNotification(absl::Duration timeout) {
  auto take_all = [this] {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  };
  if (!connected()) return false;
  if (take_all()) return true;
  pollfd fd{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
  if (fd.fd < 0) {
    lost_ = true;
    return false;
  }
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  if (poll(&fd, 1, ms) <= 0) return false;
  if (PQconsumeInput(conn_) == 0) {
    lost_ = true;
    return false;
  }
  return take_all();
}

std::string PgConnection::server() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  return absl::StrCat(host == nullptr ? "?" : host, ":",
                      port == nullptr ? "?" : port);
}

}  // namespace orgpulse
