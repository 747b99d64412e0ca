// EventStore on SQLite in WAL mode: one row per committed group of events,
// appended with sequential rowids. Appends are sequential B-tree inserts and
// one fsync per group (synchronous=FULL), which is what makes group commit
// pay off; see docs/decisions/0001-storage.md for the measurements.
//
// Example:
//   absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
//       SqliteEventStore::Open("/var/lib/orgpulse/ingest", {});
#ifndef ORGPULSE_SERVICES_INGEST_STORE_SQLITE_EVENT_STORE_H_
#define ORGPULSE_SERVICES_INGEST_STORE_SQLITE_EVENT_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/ingest/domain/event_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace orgpulse::ingest {

struct SqliteEventStoreOptions {
  // "full": fsync on every commit (survives power loss). "normal": the WAL
  // is synced only at checkpoints (survives a process crash, not power loss).
  std::string synchronous = "full";
  // Upper bound on the database size, in bytes; 0 for none. Writes past it
  // fail with RESOURCE_EXHAUSTED, as on a full disk.
  int64_t max_bytes = 0;
};

class SqliteEventStore final : public EventStore {
 public:
  // Creates `dir` if needed and opens (or creates) `dir`/events.db. Checks
  // the database's integrity quickly; refuses to open a corrupt one.
  static absl::StatusOr<std::unique_ptr<SqliteEventStore>> Open(
      const std::string& dir, const SqliteEventStoreOptions& options);

  ~SqliteEventStore() override;

  absl::Status Append(absl::Span<const Event* const> events) override;
  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override;

 private:
  explicit SqliteEventStore(sqlite3* db) : db_(db) {}
  absl::Status Error(absl::string_view what, int rc) const;

  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_SQLITE_EVENT_STORE_H_
