#include "services/ingest/store/sqlite_event_store.h"

#include <filesystem>

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

absl::Status SqliteEventStore::Append(absl::Span<const Event* const> events) {
  if (events.empty()) return absl::OkStatus();
  return log_->Append(EncodeEvents(events),
                      static_cast<int64_t>(events.size()));
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
