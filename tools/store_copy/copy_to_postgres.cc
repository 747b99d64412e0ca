// orgpulse-copy-to-postgres: copies ingest's embedded store (the SQLite data
// directory a user started with on the demo) into PostgreSQL, so that
// history comes along when they move to several replicas.
//
// Idempotent: PostgreSQL decides duplicates by (source, event_id), so a
// second copy stores nothing new. Resumable: after each commit the number of
// events copied is recorded beside the data (table orgpulse_store_copies,
// keyed by the data directory's path); a copy that was killed starts from
// there (the batch in flight when it died comes back as duplicates); the
// count assumes the embedded log only grew since (else --from_start). Events
// keep the order of the embedded log, so the figures folded from PostgreSQL
// are the figures the embedded store gave.
//
// Run it while the embedded service is stopped (or accept that what the
// service stores after the copy started is not copied; run it again).
//
//   orgpulse-copy-to-postgres --ingest_data_dir=/var/lib/orgpulse/ingest \
//     --postgres='host=db1,db2 dbname=orgpulse target_session_attrs=read-write'
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/storage/pg_connection.h"
#include "common/storage/pg_migrations.h"
#include "services/ingest/store/pg_event_log.h"
#include "services/ingest/store/sqlite_event_store.h"

ABSL_FLAG(std::string, ingest_data_dir, "",
          "ingest's embedded data directory (holds events.db)");
ABSL_FLAG(std::string, postgres, "", "libpq connection string of the target");
ABSL_FLAG(int, batch, 5000, "events per PostgreSQL transaction");
ABSL_FLAG(bool, from_start, false,
          "ignore the progress of an earlier copy of this directory (after "
          "the embedded store lost events, e.g. by an undone import); what is "
          "already in PostgreSQL comes back as duplicates");

namespace orgpulse::ingest {
namespace {

constexpr PgMigration kCopyMigrations[] = {
    {1, "store copies progress",
     "CREATE TABLE orgpulse_store_copies ("
     " source_dir text PRIMARY KEY,"
     " events_copied bigint NOT NULL,"
     " updated_at timestamptz NOT NULL DEFAULT now())"},
};

class Copy {
 public:
  Copy(PgEventLog& log, PgConnection& progress, std::string source_dir,
       int64_t resume_from, int batch)
      : log_(log),
        progress_(progress),
        source_dir_(std::move(source_dir)),
        resume_from_(resume_from),
        batch_(batch) {}

  void Add(Event&& event) {
    if (!status_.ok()) return;
    if (read_++ < resume_from_) return;
    pending_.push_back(std::move(event));
    if (static_cast<int>(pending_.size()) >= batch_) Flush();
  }

  absl::Status Finish() {
    if (status_.ok() && !pending_.empty()) Flush();
    return status_;
  }
  int64_t read() const { return read_; }
  int64_t stored() const { return stored_; }

 private:
  void Flush() {
    std::vector<const Event*> pointers;
    pointers.reserve(pending_.size());
    for (const Event& e : pending_) pointers.push_back(&e);
    absl::StatusOr<PgCommit> commit = log_.Commit(pointers);
    if (!commit.ok()) {
      status_ = commit.status();
      return;
    }
    stored_ += commit->stored_count;
    pending_.clear();
    const std::string copied = absl::StrCat(read_);
    absl::StatusOr<PgResult> noted = progress_.Exec(
        "INSERT INTO orgpulse_store_copies (source_dir, events_copied) "
        "VALUES ($1, $2) ON CONFLICT (source_dir) DO UPDATE SET "
        "events_copied = excluded.events_copied, updated_at = now()",
        {PgParam::Text(source_dir_), PgParam::Text(copied)});
    if (!noted.ok()) {
      status_ = noted.status();
      return;
    }
    std::fprintf(stderr, "copied %lld events (%lld new)\n",
                 static_cast<long long>(read_),
                 static_cast<long long>(stored_));
  }

  PgEventLog& log_;
  PgConnection& progress_;
  const std::string source_dir_;
  const int64_t resume_from_;
  const int batch_;
  std::vector<Event> pending_;
  int64_t read_ = 0;
  int64_t stored_ = 0;
  absl::Status status_;
};

absl::Status Run() {
  const std::string dir = absl::GetFlag(FLAGS_ingest_data_dir);
  const std::string conninfo = absl::GetFlag(FLAGS_postgres);
  const int batch = absl::GetFlag(FLAGS_batch);
  if (dir.empty() || conninfo.empty()) {
    return absl::InvalidArgumentError(
        "give --ingest_data_dir and --postgres (see --help)");
  }
  if (batch < 1) return absl::InvalidArgumentError("--batch must be >= 1");
  std::error_code ec;
  const std::filesystem::path db = std::filesystem::path(dir) / "events.db";
  if (!std::filesystem::is_regular_file(db, ec)) {
    return absl::NotFoundError(absl::StrCat("no ingest store in ", dir, ": ",
                                            db.string(), " does not exist"));
  }
  const std::string source_dir =
      std::filesystem::weakly_canonical(dir, ec).string();

  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(dir, {});
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<PgEventLog>> log = PgEventLog::Open(conninfo);
  if (!log.ok()) return log.status();
  absl::StatusOr<std::unique_ptr<PgConnection>> progress =
      PgConnection::Connect(conninfo);
  if (!progress.ok()) return progress.status();
  if (absl::Status s =
          ApplyPgMigrations(**progress, "store_copy", kCopyMigrations);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<PgResult> done = (*progress)->Exec(
      "SELECT events_copied FROM orgpulse_store_copies WHERE source_dir = $1",
      {PgParam::Text(source_dir)});
  if (!done.ok()) return done.status();
  const int64_t resume_from =
      done->rows() == 0 || absl::GetFlag(FLAGS_from_start)
          ? 0
          : done->GetInt64(0, 0);
  if (resume_from > 0) {
    std::fprintf(stderr, "resuming after %lld events copied before\n",
                 static_cast<long long>(resume_from));
  }

  Copy copy(**log, **progress, source_dir, resume_from, batch);
  absl::Status replayed = (*store)->ReplayGroups([&](EventBatch&& group) {
    for (Event& e : group) copy.Add(std::move(e));
  });
  if (!replayed.ok()) return replayed;
  if (absl::Status s = copy.Finish(); !s.ok()) return s;
  std::printf("copied %s into %s: %lld events read, %lld new in PostgreSQL\n",
              dir.c_str(), (*log)->server().c_str(),
              static_cast<long long>(copy.read()),
              static_cast<long long>(copy.stored()));
  return absl::OkStatus();
}

}  // namespace
}  // namespace orgpulse::ingest

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "copies ingest's embedded SQLite store into PostgreSQL; idempotent and "
      "resumable.\n  orgpulse-copy-to-postgres --ingest_data_dir=DIR "
      "--postgres='host=... dbname=...'");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = orgpulse::ingest::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "orgpulse-copy-to-postgres: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
