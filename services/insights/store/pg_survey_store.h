// SurveyStore on PostgreSQL, selected with --postgres: the survey responses
// and round resets of every insights replica in one shared log, so each
// replica folds the same records in the same order and takes the same
// release steps (docs/decisions/0003-release-model.md).
//
// Tables (component "insights", versions in orgpulse_schema_migrations):
//   insights_log_head(position, rewrites)  one row. Every change locks it
//     first, so changes are serial and positions follow commit order (as
//     ingest's log, decision 0004); `rewrites` counts erasures and retention
//     drops, after which readers start again from the beginning.
//   insights_responses(position, response_id UNIQUE, respondent, round,
//     body)  one row per response; a response id already stored is skipped
//     in the append's own transaction, whichever replica stored it.
//   insights_resets(position, round, body)  the round resets erasures left.
//   insights_settings(name, value)  what every replica must agree on to
//     release the same figures (min_group_size).
//   insights_snapshots(id, position, rewrites, written_at, body)  the newest
//     snapshots of the folded state (any replica's), with the cursor and the
//     last record read (the log check, as ReadAfter's); an erasure or a
//     retention drop deletes them all in its transaction, and VACUUM FULL
//     rewrites the table with the others.
// Each change is announced with NOTIFY orgpulse_insights_log.
//
// Erasure and retention delete rows in one transaction, then run VACUUM FULL
// on both tables: the table and its indexes are written anew, and the old
// files are truncated at once and unlinked at the next checkpoint. What
// PostgreSQL cannot promise is written in docs/postgresql.md: the write-ahead
// log still holds the rows until its segments are recycled (and archives,
// base backups and standbys keep theirs), and a transaction older than the
// erasure that is still open on the database keeps VACUUM FULL from dropping
// the rows it can see.
//
// A read after a cursor first checks that the log is still the one read up
// to it (the record read last there, the same row; nothing added before
// it; the head not behind it), and reads from the start otherwise
// (from_start): a failover to a standby that lacked records the old primary
// had shown gives their positions to other records, which a reader going on
// after its cursor would skip. EraseAt refuses (ABORTED) in that case.
//
// Health: PgHealthProbe (a probe thread on a connection of its own).
//
// One connection: one caller at a time (the engine serialises them).
//
// Example:
//   absl::StatusOr<std::unique_ptr<PgSurveyStore>> store =
//       PgSurveyStore::Open("host=db1,db2 dbname=orgpulse "
//                           "target_session_attrs=read-write", {});
//   (*store)->CheckSetting("min_group_size", "5");
#ifndef ORGPULSE_SERVICES_INSIGHTS_STORE_PG_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_STORE_PG_SURVEY_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage/pg_connection.h"
#include "common/storage/pg_health_probe.h"
#include "services/insights/domain/survey_store.h"

namespace orgpulse::insights {

struct PgSurveyStoreOptions {
  // How often the health probe asks the server.
  absl::Duration probe_interval = absl::Seconds(1);
};

class PgSurveyStore final : public SurveyStore {
 public:
  // Connects and migrates the schema: UNAVAILABLE when no server answers,
  // FAILED_PRECONDITION when the schema is newer than this binary.
  static absl::StatusOr<std::unique_ptr<PgSurveyStore>> Open(
      const std::string& conninfo, const PgSurveyStoreOptions& options);

  // Records `value` for `name` if none is recorded yet; FAILED_PRECONDITION,
  // naming both, if another replica recorded a different one.
  absl::Status CheckSetting(absl::string_view name, absl::string_view value);

  absl::Status Append(absl::Span<const ScoredResponse> responses) override;
  absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override;
  absl::StatusOr<int64_t> Erase(absl::string_view respondent,
                                absl::Span<const RoundReset> resets) override;
  absl::StatusOr<int64_t> DropRounds(
      const std::set<std::string>& rounds) override;

  bool shared() const override { return true; }
  absl::StatusOr<SurveyLogRead> ReadAfter(
      const SurveyLogCursor& from,
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) override;
  absl::StatusOr<int64_t> EraseAt(const SurveyLogCursor& at,
                                  absl::string_view respondent,
                                  absl::Span<const RoundReset> resets) override;

  // Snapshots are written on a connection of their own, beside the other
  // calls; SnapshotMark and LoadSnapshot use the main one.
  absl::StatusOr<SurveySnapshot> SnapshotMark(
      const SurveyLogCursor& folded) override;
  absl::Status SaveSnapshot(const SurveySnapshot& snapshot) override;
  absl::StatusOr<SurveySnapshot> LoadSnapshot() override;

  bool writable() const override { return health_.writable(); }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    health_.SetWritableObserver(std::move(observer));
  }

  // A survey log from elsewhere (orgpulse-copy-to-postgres copies the
  // embedded store), appended in its order in one transaction, together
  // with what `in_transaction` writes (the copy's record that it is done):
  // all or nothing. Only into an empty log (FAILED_PRECONDITION otherwise):
  // release steps follow the order of the log, and two logs merged would
  // release figures neither released. Returns the records stored.
  using Record = std::variant<ScoredResponse, RoundReset>;
  absl::StatusOr<int64_t> ImportLog(
      absl::Span<const Record> records,
      absl::FunctionRef<absl::Status(PgConnection&)> in_transaction);

 private:
  PgSurveyStore(const std::string& conninfo, std::unique_ptr<PgConnection> pg,
                const PgSurveyStoreOptions& options);
  // Reconnects if the last call lost the connection or the server was away
  // since the last connection.
  absl::Status EnsureConnected();
  // Marks the store unwritable when `status` is UNAVAILABLE.
  absl::Status Noted(absl::Status status);
  // One removing transaction (Erase, DropRounds): checks the head against
  // `at` if given, deletes what `respondent` (if not empty) and `rounds`
  // pick, appends `resets`, counts a rewrite; then VACUUM FULL.
  absl::StatusOr<int64_t> Remove(const std::optional<SurveyLogCursor>& at,
                                 absl::string_view respondent,
                                 const std::set<std::string>& rounds,
                                 absl::Span<const RoundReset> resets);

  // What the last ReadAfter handed over, to check that a read after its
  // cursor continues the same log.
  struct ReadMark {
    SurveyLogCursor cursor;
    int64_t position = 0;  // the last record read (0: none)
    int64_t xmin = 0;      // its transaction
    std::string body;      // its stored bytes
  };
  // Whether the log in the current transaction is the one `mark_` was read
  // from, up to its cursor. REQUIRES: mark_ set, in a transaction.
  absl::StatusOr<bool> HoldsMark(const SurveyLogCursor& head);

  const std::string conninfo_;
  PgHealthProbe health_;
  std::unique_ptr<PgConnection> pg_;
  absl::Mutex snapshot_mu_;
  std::unique_ptr<PgConnection> snapshot_pg_ ABSL_GUARDED_BY(snapshot_mu_);
  // A removal committed but its VACUUM FULL failed: the next removal
  // vacuums even if it removes nothing.
  bool vacuum_owed_ = false;
  // health_.outages() when pg_ last (re)connected.
  int64_t outages_seen_ = 0;
  std::optional<ReadMark> mark_;
};

// Calls `on_change` on a thread of its own after each change to the survey
// log that NOTIFY announces, and every `poll_interval` besides (a lost
// notification, or a database that was away). `on_change` reads the log
// itself (a notification is a wake-up, never the data).
class PgSurveyLogWatcher {
 public:
  PgSurveyLogWatcher(std::string conninfo, absl::Duration poll_interval,
                     std::function<void()> on_change);
  ~PgSurveyLogWatcher();  // stops; `on_change` is not called afterwards

 private:
  void Loop();

  const std::string conninfo_;
  const absl::Duration poll_interval_;
  const std::function<void()> on_change_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_STORE_PG_SURVEY_STORE_H_
