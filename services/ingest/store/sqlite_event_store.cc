#include "services/ingest/store/sqlite_event_store.h"

#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "services/ingest/store/event_codec.h"

namespace orgpulse::ingest {

absl::StatusOr<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(
    const std::string& dir, const SqliteEventStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(
      (std::filesystem::path(dir) / "events.db").string(), options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<SqliteEventStore>(
      new SqliteEventStore(*std::move(log)));
}

absl::StatusOr<AppendResult> SqliteEventStore::Append(
    absl::Span<const Event* const> events) {
  if (!events.empty()) {
    absl::Status s =
        log_->Append(EncodeEvents(events), static_cast<int64_t>(events.size()));
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

}  // namespace orgpulse::ingest

namespace orgpulse::ingest {

absl::Status SqliteEventStore::ReplayGroups(
    absl::FunctionRef<void(EventBatch&& group)> fn) {
  return log_->Replay([&](absl::string_view blob) {
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
  absl::StatusOr<int64_t> rewritten = log_->Rewrite(
      [&](absl::string_view blob) -> absl::StatusOr<LogRowEdit> {
        // A group that does not even contain the source's bytes has none
        // of its events: most groups of a large store, skipped undecoded.
        if (!filter.source.empty() && !absl::StrContains(blob, filter.source)) {
          return LogRowEdit::Keep();
        }
        EventBatch group;
        if (absl::Status s = DecodeEventsInto(blob, group); !s.ok()) return s;
        std::vector<const Event*> kept;
        kept.reserve(group.size());
        for (const Event& e : group) {
          if (!filter.Matches(e)) kept.push_back(&e);
        }
        if (kept.size() == group.size()) return LogRowEdit::Keep();
        removed += static_cast<int64_t>(group.size() - kept.size());
        if (kept.empty()) return LogRowEdit::Drop();
        return LogRowEdit::Replace(
            {EncodeEvents(kept), static_cast<int64_t>(kept.size())});
      },
      {});
  if (!rewritten.ok()) return rewritten.status();
  return removed;
}

}  // namespace orgpulse::ingest
