// orgpulse-copy-to-postgres: copies the embedded stores (the SQLite data
// directories a user started with on the demo) into PostgreSQL, so that
// history comes along when they move to several replicas: ingest's events
// (--ingest_data_dir), insights' survey log (--insights_data_dir), or both.
//
// Events: idempotent, as PostgreSQL decides duplicates by (source,
// event_id), so a second copy stores nothing new. Resumable: after each
// commit the number of events copied is recorded beside the data (table
// orgpulse_store_copies, keyed by the data directory's path); a copy that
// was killed starts from there (the batch in flight when it died comes back
// as duplicates); the count assumes the embedded log only grew since (else
// --from_start). Events keep the order of the embedded log, so the figures
// folded from PostgreSQL are the figures the embedded store gave.
//
// The survey log: responses and the round resets erasures left, in their
// order, in one transaction with its record in orgpulse_store_copies (all
// or nothing, so a second run finds it done), and only into an empty survey
// log: every release step then happens again exactly as it did, and
// nothing is released that the embedded service did not release. The
// respondents are keyed hashes: run the PostgreSQL replicas with the same
// --respondent_key_file, and --min_group_size as the embedded service ran
// with (the copy records it for them).
//
// Run it while the embedded services are stopped: a data directory in use is
// refused (SqliteLog's lock), naming the process.
//
//   orgpulse-copy-to-postgres --ingest_data_dir=/var/lib/orgpulse/ingest \
//     --insights_data_dir=/var/lib/orgpulse/insights \
//     --postgres='host=db1,db2 dbname=orgpulse target_session_attrs=read-write'
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/storage/pg_connection.h"
#include "common/storage/pg_migrations.h"
#include "services/ingest/store/pg_event_log.h"
#include "services/ingest/store/sqlite_event_store.h"
#include "services/insights/domain/insights_engine.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/store/pg_survey_store.h"
#include "services/insights/store/sqlite_survey_store.h"

ABSL_FLAG(std::string, ingest_data_dir, "",
          "ingest's embedded data directory (holds events.db)");
ABSL_FLAG(std::string, insights_data_dir, "",
          "insights' embedded data directory (holds responses.db)");
ABSL_FLAG(int, min_group_size,
          orgpulse::insights::InsightsOptions{}.min_group_size,
          "the --min_group_size the embedded insights service ran with; "
          "recorded for the PostgreSQL replicas, which must agree");
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

// The data directory's own name as the copy's key, and whether its store
// file is there (NOT_FOUND naming it otherwise).
absl::StatusOr<std::string> SourceDir(const std::string& dir,
                                      const std::string& file,
                                      absl::string_view service) {
  std::error_code ec;
  const std::filesystem::path db = std::filesystem::path(dir) / file;
  if (!std::filesystem::is_regular_file(db, ec)) {
    return absl::NotFoundError(absl::StrCat("no ", service, " store in ", dir,
                                            ": ", db.string(),
                                            " does not exist"));
  }
  return std::filesystem::weakly_canonical(dir, ec).string();
}

// What an earlier copy of `source_dir` recorded: events (or survey records)
// copied; nullopt if none ran.
absl::StatusOr<std::optional<int64_t>> CopiedBefore(
    PgConnection& progress, const std::string& source_dir) {
  absl::StatusOr<PgResult> row = progress.Exec(
      "SELECT events_copied FROM orgpulse_store_copies WHERE source_dir = $1",
      {PgParam::Text(source_dir)});
  if (!row.ok()) return row.status();
  if (row->rows() == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(row->GetInt64(0, 0));
}

absl::Status CopyEvents(const std::string& dir, const std::string& conninfo,
                        PgConnection& progress) {
  absl::StatusOr<std::string> source_dir =
      SourceDir(dir, "events.db", "ingest");
  if (!source_dir.ok()) return source_dir.status();
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(dir, {});
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<PgEventLog>> log = PgEventLog::Open(conninfo);
  if (!log.ok()) return log.status();
  absl::StatusOr<std::optional<int64_t>> done =
      CopiedBefore(progress, *source_dir);
  if (!done.ok()) return done.status();
  const int64_t resume_from =
      absl::GetFlag(FLAGS_from_start) ? 0 : done->value_or(0);
  if (resume_from > 0) {
    std::fprintf(stderr, "resuming after %lld events copied before\n",
                 static_cast<long long>(resume_from));
  }

  Copy copy(**log, progress, *source_dir, resume_from,
            absl::GetFlag(FLAGS_batch));
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

absl::Status CopySurveys(const std::string& dir, const std::string& conninfo,
                         PgConnection& progress) {
  absl::StatusOr<std::string> source_dir =
      SourceDir(dir, "responses.db", "insights");
  if (!source_dir.ok()) return source_dir.status();
  absl::StatusOr<std::optional<int64_t>> done =
      CopiedBefore(progress, *source_dir);
  if (!done.ok()) return done.status();
  if (done->has_value()) {
    std::printf("%s was copied before (%lld survey records); nothing to do\n",
                dir.c_str(), static_cast<long long>(**done));
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<insights::SqliteSurveyStore>> store =
      insights::SqliteSurveyStore::Open(dir, {});
  if (!store.ok()) return store.status();
  std::vector<insights::PgSurveyStore::Record> records;
  absl::Status replayed = (*store)->Replay(
      [&](const insights::ScoredResponse& r) { records.emplace_back(r); },
      [&](const insights::RoundReset& r) { records.emplace_back(r); });
  if (!replayed.ok()) return replayed;

  absl::StatusOr<std::unique_ptr<insights::PgSurveyStore>> target =
      insights::PgSurveyStore::Open(conninfo, {});
  if (!target.ok()) return target.status();
  if (absl::Status s = (*target)->CheckSetting(
          "min_group_size", absl::StrCat(absl::GetFlag(FLAGS_min_group_size)));
      !s.ok()) {
    return s;
  }
  const std::string count = absl::StrCat(records.size());
  absl::StatusOr<int64_t> stored =
      (*target)->ImportLog(records, [&](PgConnection& pg) {
        return pg
            .Exec(
                "INSERT INTO orgpulse_store_copies (source_dir, events_copied) "
                "VALUES ($1, $2)",
                {PgParam::Text(*source_dir), PgParam::Text(count)})
            .status();
      });
  if (!stored.ok()) return stored.status();
  std::printf(
      "copied %s into PostgreSQL: %zu survey records read, %lld stored\n",
      dir.c_str(), records.size(), static_cast<long long>(*stored));
  return absl::OkStatus();
}

absl::Status Run() {
  const std::string events_dir = absl::GetFlag(FLAGS_ingest_data_dir);
  const std::string surveys_dir = absl::GetFlag(FLAGS_insights_data_dir);
  const std::string conninfo = absl::GetFlag(FLAGS_postgres);
  if ((events_dir.empty() && surveys_dir.empty()) || conninfo.empty()) {
    return absl::InvalidArgumentError(
        "give --postgres and --ingest_data_dir, --insights_data_dir or both "
        "(see --help)");
  }
  if (absl::GetFlag(FLAGS_batch) < 1) {
    return absl::InvalidArgumentError("--batch must be >= 1");
  }
  if (absl::GetFlag(FLAGS_min_group_size) < insights::kMinGroupSizeFloor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--min_group_size must be >= ", insights::kMinGroupSizeFloor));
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> progress =
      PgConnection::Connect(conninfo);
  if (!progress.ok()) return progress.status();
  if (absl::Status s =
          ApplyPgMigrations(**progress, "store_copy", kCopyMigrations);
      !s.ok()) {
    return s;
  }
  if (!events_dir.empty()) {
    if (absl::Status s = CopyEvents(events_dir, conninfo, **progress);
        !s.ok()) {
      return s;
    }
  }
  if (!surveys_dir.empty()) {
    return CopySurveys(surveys_dir, conninfo, **progress);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace orgpulse::ingest

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "copies the embedded SQLite stores into PostgreSQL; idempotent and "
      "resumable.\n  orgpulse-copy-to-postgres [--ingest_data_dir=DIR] "
      "[--insights_data_dir=DIR] --postgres='host=... dbname=...'");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = orgpulse::ingest::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "orgpulse-copy-to-postgres: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
