#include "services/ingest/store/pg_event_store.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/storage/pg_connection.h"

namespace orgpulse::ingest {

absl::StatusOr<std::unique_ptr<PgEventStore>> PgEventStore::Open(
    const std::string& conninfo, const PgEventStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> log = PgEventLog::Open(conninfo);
  if (!log.ok()) return log.status();
  return std::unique_ptr<PgEventStore>(
      new PgEventStore(conninfo, *std::move(log), options));
}

PgEventStore::PgEventStore(const std::string& conninfo,
                           std::unique_ptr<PgEventLog> log,
                           const PgEventStoreOptions& options)
    : conninfo_(conninfo),
      health_(conninfo, options.probe_interval),
      log_(std::move(log)) {}

absl::StatusOr<AppendResult> PgEventStore::Append(
    absl::Span<const Event* const> events) {
  if (absl::Status s = health_.CheckWritable("the event store"); !s.ok()) {
    return s;
  }
  absl::StatusOr<PgCommit> commit = log_->Commit(events);
  if (commit.ok()) {
    AppendResult result{.head = commit->head};
    result.duplicate.reserve(commit->stored.size());
    for (bool stored : commit->stored) result.duplicate.push_back(!stored);
    return result;
  }
  if (absl::IsUnavailable(commit.status())) {
    health_.Lost(commit.status());
  }
  return commit.status();
}

namespace {

// Every event of `log`, a page at a time.
absl::Status ReadWholeLog(PgEventLog& log,
                          absl::FunctionRef<void(const Event&)> fn) {
  int64_t position = 0;
  while (true) {
    absl::StatusOr<int64_t> last = log.ReadAfter(
        position, 8192, [&](int64_t, const Event& event) { fn(event); });
    if (!last.ok()) return last.status();
    if (*last == position) return absl::OkStatus();
    position = *last;
  }
}

}  // namespace

absl::Status PgEventStore::Replay(absl::FunctionRef<void(const Event&)> fn) {
  return ReadWholeLog(*log_, fn);
}

absl::Status PgEventStore::ReplayBesideCommits(
    absl::FunctionRef<void(const Event&)> fn) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> reader =
      PgEventLog::Open(conninfo_);
  if (!reader.ok()) return reader.status();
  return ReadWholeLog(**reader, fn);
}

absl::StatusOr<int64_t> PgEventStore::Remove(const EventFilter& filter) {
  absl::StatusOr<int64_t> removed =
      log_->Remove(filter.source, absl::ToUnixMicros(filter.from),
                   absl::ToUnixMicros(filter.to));
  if (!removed.ok() && absl::IsUnavailable(removed.status())) {
    health_.Lost(removed.status());
  }
  return removed;
}

int64_t PgEventStore::EventCountHint() {
  absl::StatusOr<int64_t> head = log_->Head();
  return head.ok() ? *head : 0;
}

absl::StatusOr<PgEventLog*> PgEventStore::SnapshotLog() {
  if (snapshot_log_ == nullptr) {
    absl::StatusOr<std::unique_ptr<PgEventLog>> log =
        PgEventLog::Open(conninfo_);
    if (!log.ok()) return log.status();
    snapshot_log_ = *std::move(log);
  }
  return snapshot_log_.get();
}

absl::Status PgEventStore::SaveSnapshot(const LogMark& mark,
                                        absl::string_view bytes) {
  if (mark.check.empty()) {
    // Without its cursor no start could check it: never loaded.
    return absl::InvalidArgumentError(
        "a snapshot of a shared log needs its follower's cursor");
  }
  absl::MutexLock lock(&snapshot_mu_);
  absl::StatusOr<PgEventLog*> log = SnapshotLog();
  if (!log.ok()) return log.status();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return (*log)->WriteSnapshot(
      mark.position, bytes, absl::StrCat(host, " pid ", getpid()), mark.check);
}

absl::StatusOr<StoredSnapshot> PgEventStore::LoadSnapshot() {
  absl::MutexLock lock(&snapshot_mu_);
  absl::StatusOr<PgEventLog*> log = SnapshotLog();
  if (!log.ok()) return log.status();
  absl::StatusOr<std::vector<PgSnapshot>> all = (*log)->ListSnapshots();
  if (!all.ok()) return all.status();
  if (all->empty()) return absl::NotFoundError("no snapshot in the database");
  // Newest first: each refused one says why, in the answer.
  std::vector<std::string> refused;
  for (PgSnapshot& candidate : *all) {
    absl::StatusOr<PgLogCursor> cursor = DecodePgLogCursor(candidate.check);
    absl::Status fits = cursor.status();
    if (fits.ok()) fits = (*log)->CheckCursor(candidate.position, *cursor);
    if (absl::IsUnavailable(fits)) return fits;
    if (fits.ok()) {
      absl::StatusOr<std::optional<std::string>> body =
          (*log)->ReadSnapshotBody(candidate.position);
      if (!body.ok()) return body.status();
      if (!body->has_value()) continue;  // replaced by a newer one meanwhile
      StoredSnapshot out{.position = candidate.position,
                         .bytes = **std::move(body),
                         .check = std::move(candidate.check)};
      if (!refused.empty()) {
        out.passed_over =
            absl::FailedPreconditionError(absl::StrJoin(refused, "; "));
      }
      return out;
    }
    refused.push_back(absl::StrCat(
        "the snapshot at log position ", candidate.position, " (written by ",
        candidate.written_by, "): ", fits.message()));
  }
  return absl::FailedPreconditionError(absl::StrJoin(refused, "; "));
}

}  // namespace orgpulse::ingest
