#include "services/ingest/store/sqlite_event_store.h"

#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/ingest/store/event_codec.h"

namespace orgpulse::ingest {

absl::StatusOr<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(
    const std::string& dir, const SqliteEventStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(
      (std::filesystem::path(dir) / "events.db").string(), options);
  if (!log.ok()) return log.status();
  std::unique_ptr<SqliteEventStore> store(new SqliteEventStore(
      *std::move(log),
      (std::filesystem::path(dir) / "events.snapshot").string()));
  // Best effort: a leftover only takes disk space until the next Save.
  absl::MutexLock lock(&store->snapshot_mu_);
  store->snapshot_.RemoveLeftover().IgnoreError();
  return store;
}

absl::StatusOr<AppendResult> SqliteEventStore::Append(
    absl::Span<const Event* const> events) {
  if (!events.empty()) {
    absl::Status s = log_->Append(EncodeEventsCompressed(events),
                                  static_cast<int64_t>(events.size()));
    if (!s.ok()) return s;
  }
  // A group is one row: its sequence number is the log position.
  return AppendResult{.head = log_->last_seq()};
}

absl::Status SqliteEventStore::Replay(
    absl::FunctionRef<void(const Event&)> fn) {
  return log_->Replay(
      [&](absl::string_view blob) { return DecodeEvents(blob, fn); });
}

absl::Status SqliteEventStore::ReplayBesideCommits(
    absl::FunctionRef<void(const Event&)> fn) {
  return log_->ReplayOnReader(
      [&](absl::string_view blob) { return DecodeEvents(blob, fn); });
}

}  // namespace orgpulse::ingest

namespace orgpulse::ingest {

absl::Status SqliteEventStore::ReplayGroups(
    absl::FunctionRef<void(EventBatch&& group)> fn) {
  return ReplayGroupsAfter(0, fn);
}

absl::Status SqliteEventStore::ReplayGroupsAfter(
    int64_t position, absl::FunctionRef<void(EventBatch&& group)> fn) {
  return log_->ReplayAfter(position, [&](absl::string_view blob) {
    EventBatch group;
    absl::Status s = DecodeEventsInto(blob, group);
    if (s.ok()) fn(std::move(group));
    return s;
  });
}

}  // namespace orgpulse::ingest

namespace orgpulse::ingest {

absl::StatusOr<int64_t> SqliteEventStore::Remove(const EventFilter& filter) {
  int64_t removed = 0;
  std::string buffer;  // reused by every row
  absl::StatusOr<int64_t> rewritten = log_->Rewrite(
      [&](absl::string_view blob) -> absl::StatusOr<LogRowEdit> {
        absl::StatusOr<absl::string_view> plain =
            UncompressedEvents(blob, buffer);
        if (!plain.ok()) return plain.status();
        // A group that does not even contain the source's bytes has none
        // of its events: most groups of a large store, skipped undecoded.
        if (!filter.source.empty() &&
            !absl::StrContains(*plain, filter.source)) {
          return LogRowEdit::Keep();
        }
        EventBatch group;
        if (absl::Status s = DecodeEventsInto(*plain, group); !s.ok()) {
          return s;
        }
        std::vector<const Event*> kept;
        kept.reserve(group.size());
        for (const Event& e : group) {
          if (!filter.Matches(e)) kept.push_back(&e);
        }
        if (kept.size() == group.size()) return LogRowEdit::Keep();
        removed += static_cast<int64_t>(group.size() - kept.size());
        if (kept.empty()) return LogRowEdit::Drop();
        return LogRowEdit::Replace(
            {EncodeEventsCompressed(kept), static_cast<int64_t>(kept.size())});
      },
      {});
  if (!rewritten.ok()) return rewritten.status();
  if (*rewritten > 0) {
    // The new epoch already retires it; this takes its bytes away too.
    absl::MutexLock lock(&snapshot_mu_);
    snapshot_.Clear().IgnoreError();
  }
  return removed;
}

absl::Status SqliteEventStore::SaveSnapshot(const LogMark& mark,
                                            absl::string_view bytes) {
  if (mark.epoch == 0) {
    return absl::FailedPreconditionError(
        "the event log has no epoch (it could not be recorded), so no "
        "snapshot could be matched to it");
  }
  absl::MutexLock lock(&snapshot_mu_);
  return snapshot_.Save(mark, bytes);
}

absl::StatusOr<StoredSnapshot> SqliteEventStore::LoadSnapshot() {
  absl::StatusOr<SnapshotFile::Contents> file;
  {
    absl::MutexLock lock(&snapshot_mu_);
    file = snapshot_.Load();
  }
  if (!file.ok()) return file.status();
  const LogMark log = Mark();
  if (file->mark.epoch != log.epoch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the snapshot is of another event log or from before a removal "
        "(epoch ",
        file->mark.epoch, ", the log's is ", log.epoch, ")"));
  }
  if (file->mark.position > log.position) {
    // The log lost rows it had (a restored backup): rows of those numbers
    // may come again with other events, so this snapshot must go now.
    absl::MutexLock lock(&snapshot_mu_);
    snapshot_.Clear().IgnoreError();
    return absl::FailedPreconditionError(absl::StrCat(
        "the snapshot covers the log up to row ", file->mark.position,
        " but the log ends at row ", log.position));
  }
  return StoredSnapshot{file->mark.position, std::move(file->bytes)};
}

}  // namespace orgpulse::ingest
