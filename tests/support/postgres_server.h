// A throwaway PostgreSQL 15 cluster for tests: initdb into a fresh
// directory, the server listening only on a Unix socket in that directory
// (no TCP port, so nothing to race for), stopped and removed with this
// object. PostgreSQL refuses to run as root, so as root every server command
// runs as the `postgres` user Debian's package creates (runuser); as another
// user it runs as that user.
//
// Stop() and Start() again keep the data (a restart under load); Kill() is
// an immediate shutdown, as a crash would be; KillPostmaster() is SIGKILL.
//
// A streaming standby: StartStandbyOf(primary) copies the running primary
// (pg_basebackup -R: standby.signal and primary_conninfo) and starts it
// read-only; Promote() makes it a primary. StartWithSynchronousStandby
// starts a primary with a synchronous standby.
//
// Commits the primary showed but the standby never got (what a failover
// loses): with the standby stopped, a commit on the primary waits for it;
// TerminateSyncRepWaiters() ends that session, and PostgreSQL then shows its
// commit, committed locally, to everyone (its client gets an error).
//
// Example:
//   PostgresServer pg;
//   ASSERT_TRUE(pg.Start().ok());
//   auto connection = PgConnection::Connect(pg.conninfo());
#ifndef ORGPULSE_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define ORGPULSE_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/support/run_command.h"

namespace orgpulse::testing {

class PostgresServer {
 public:
  // Debian's PostgreSQL 15 server binaries.
  static constexpr char kBinDir[] = "/usr/lib/postgresql/15/bin";

  PostgresServer() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "orgpulse-pg.XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~PostgresServer() {
    if (started_) (void)RunAsServer("pg_ctl -D data -m immediate stop");
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates the cluster on first use, then starts the server and waits until
  // it accepts connections (pg_ctl -w).
  absl::Status Start() {
    if (dir_.empty()) return absl::InternalError("no temporary directory");
    if (!std::filesystem::exists(absl::StrCat(kBinDir, "/initdb"))) {
      return absl::FailedPreconditionError(
          absl::StrCat("PostgreSQL 15 is not installed (", kBinDir,
                       "): run scripts/install-deps.sh"));
    }
    if (!initialised_) {
      if (geteuid() == 0) {
        CommandResult chown = RunCommand(
            absl::StrCat("chown postgres:postgres '", dir_, "' 2>&1"));
        if (chown.exit_code != 0) {
          return absl::InternalError("chown to postgres: " + chown.output);
        }
      }
      CommandResult init = RunAsServer(
          "initdb -D data -U postgres -A trust --no-sync -E UTF8 "
          "--locale=C.UTF-8");
      if (init.exit_code != 0) {
        return absl::InternalError("initdb failed: " + init.output);
      }
      initialised_ = true;
    }
    CommandResult start = RunAsServer(absl::StrCat(
        "pg_ctl -D data -l server.log -w -t 60 -o \"-c listen_addresses='' "
        "-k '",
        dir_, "' -c fsync=", durable_ ? "on" : "off", " ", extra_options_,
        "\" start"));
    if (start.exit_code != 0) {
      return absl::InternalError("pg_ctl start failed: " + start.output + "\n" +
                                 ServerLog());
    }
    started_ = true;
    return absl::OkStatus();
  }

  // Makes this (not yet initialised) cluster a streaming standby of the
  // running `primary`, and starts it.
  absl::Status StartStandbyOf(const PostgresServer& primary) {
    if (dir_.empty()) return absl::InternalError("no temporary directory");
    if (initialised_) return absl::FailedPreconditionError("already a cluster");
    if (geteuid() == 0) {
      CommandResult chown =
          RunCommand(absl::StrCat("chown postgres:postgres '", dir_, "' 2>&1"));
      if (chown.exit_code != 0) {
        return absl::InternalError("chown to postgres: " + chown.output);
      }
    }
    CommandResult backup = RunAsServer(
        absl::StrCat("pg_basebackup -h '", primary.socket_dir(),
                     "' -p 5432 -U postgres -D data -R -X stream --no-sync"));
    if (backup.exit_code != 0) {
      return absl::InternalError("pg_basebackup failed: " + backup.output);
    }
    initialised_ = true;
    database_ = primary.database_;
    return Start();
  }

  // Ends recovery on a standby and waits until it takes writes.
  absl::Status Promote() {
    CommandResult r = RunAsServer("pg_ctl -D data -w -t 60 promote");
    if (r.exit_code != 0) return absl::InternalError("promote: " + r.output);
    return absl::OkStatus();
  }

  // SIGKILL of the postmaster, as the machine's OOM killer or a crash would
  // do it; its backends notice and exit on their own.
  absl::Status KillPostmaster() {
    CommandResult r = RunCommand(absl::StrCat("kill -9 $(head -1 '", dir_,
                                              "/data/postmaster.pid') 2>&1"));
    if (r.exit_code != 0) return absl::InternalError("kill: " + r.output);
    started_ = false;
    return absl::OkStatus();
  }

  // One SQL statement through psql as the superuser: its rows, one a line,
  // columns separated by '|'.
  absl::StatusOr<std::string> Query(const std::string& sql) const {
    std::string quoted = "'";
    for (char c : sql)
      quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    CommandResult r = RunAsServer(
        absl::StrCat("psql -X -h '", dir_, "' -p 5432 -U postgres -d ",
                     database_, " -v ON_ERROR_STOP=1 -Atc ", quoted));
    if (r.exit_code != 0) return absl::InternalError("psql: " + r.output);
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
  }

  // Waits (up to 30 s) until this primary's one standby is synchronous (it
  // is "async" until it has caught up).
  absl::Status AwaitSynchronousStandby() const {
    return Await("SELECT sync_state FROM pg_stat_replication", "sync");
  }

  // Waits (up to 30 s) until a session's commit waits for the synchronous
  // standby.
  absl::Status AwaitSyncRepWaiter() const {
    return Await(
        "SELECT count(*) > 0 FROM pg_stat_activity "
        "WHERE wait_event = 'SyncRep'",
        "t");
  }

  // AwaitSyncRepWaiter, then terminates every such session: their commits
  // stay, visible, on this server only (see the header comment).
  absl::Status TerminateSyncRepWaiters() const {
    if (absl::Status s = AwaitSyncRepWaiter(); !s.ok()) return s;
    return Query(
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE wait_event = 'SyncRep'")
        .status();
  }

  // A fast shutdown (clients disconnected, everything committed kept).
  absl::Status Stop() { return StopWith("fast"); }
  // An immediate shutdown: no checkpoint, recovery on the next start.
  absl::Status Kill() { return StopWith("immediate"); }

  // Server options added to the next Start (e.g. "-c max_connections=20").
  void set_extra_options(std::string options) {
    extra_options_ = std::move(options);
  }
  // fsync on (default off: tests of the services' own durability kill the
  // services, not the machine).
  void set_durable(bool durable) { durable_ = durable; }

  // libpq connection string for the superuser's default database.
  std::string conninfo() const {
    return absl::StrCat("host=", dir_,
                        " port=5432 user=postgres dbname=", database_);
  }
  // Creates a database and makes conninfo() name it.
  absl::Status CreateDatabase(const std::string& name) {
    CommandResult r = RunAsServer(
        absl::StrCat("createdb -h '", dir_, "' -U postgres ", name));
    if (r.exit_code != 0) return absl::InternalError("createdb: " + r.output);
    database_ = name;
    return absl::OkStatus();
  }
  const std::string& socket_dir() const { return dir_; }
  std::string ServerLog() const {
    return RunCommand(absl::StrCat("cat '", dir_, "/server.log' 2>&1")).output;
  }

 private:
  absl::Status StopWith(const char* mode) {
    CommandResult r =
        RunAsServer(absl::StrCat("pg_ctl -D data -w -m ", mode, " stop"));
    if (r.exit_code != 0)
      return absl::InternalError("pg_ctl stop: " + r.output);
    started_ = false;
    return absl::OkStatus();
  }

  // Polls `sql` every 10 ms until it returns `want`, for at most 30 s.
  absl::Status Await(const std::string& sql, const std::string& want) const {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    absl::StatusOr<std::string> got;
    while (std::chrono::steady_clock::now() < until) {
      got = Query(sql);
      if (!got.ok()) return got.status();
      if (*got == want) return absl::OkStatus();
      usleep(10000);
    }
    return absl::DeadlineExceededError(absl::StrCat(
        sql, ": ", *got, " after 30 s, not ", want, "\n", ServerLog()));
  }

  // Runs one of PostgreSQL's programs in the cluster's directory, as the
  // postgres user when we are root; standard error comes with the output.
  CommandResult RunAsServer(const std::string& command) const {
    const std::string in_dir =
        absl::StrCat("cd '", dir_, "' && ", kBinDir, "/", command, " 2>&1");
    if (geteuid() != 0) return RunCommand(in_dir);
    return RunCommand(
        absl::StrCat("runuser -u postgres -- sh -c \"", Escaped(in_dir), "\""));
  }

  // For the double-quoted sh -c argument.
  static std::string Escaped(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '"' || c == '\\' || c == '$' || c == '`') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  }

  std::string dir_;
  std::string database_ = "postgres";
  std::string extra_options_;
  bool durable_ = false;
  bool initialised_ = false;
  bool started_ = false;
};

// Starts `primary` so that it acknowledges a commit only once `standby` has
// it, starts `standby` streaming from it, and waits until it is synchronous.
inline absl::Status StartWithSynchronousStandby(PostgresServer& primary,
                                                PostgresServer& standby) {
  primary.set_extra_options(
      "-c synchronous_standby_names='*' -c synchronous_commit=on");
  if (absl::Status s = primary.Start(); !s.ok()) return s;
  if (absl::Status s = standby.StartStandbyOf(primary); !s.ok()) return s;
  return primary.AwaitSynchronousStandby();
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_POSTGRES_SERVER_H_
