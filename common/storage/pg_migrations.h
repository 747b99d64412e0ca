// Versioned schema migrations for a component's tables in PostgreSQL. Each
// service owns a component ("ingest", "insights") and a list of migrations
// numbered 1, 2, 3, ... in the order they apply. Every replica calls
// ApplyPgMigrations at start-up: the first applies what is missing, one
// migration per transaction, under an advisory lock, so replicas starting
// together neither race nor apply anything twice; the others find the
// schema current. A database already at a version this binary does not know
// (a newer orgpulse migrated it) is refused, never written.
//
// The versions applied are in the table orgpulse_schema_migrations
// (component, version, description, applied_at).
//
// Example:
//   constexpr PgMigration kIngestMigrations[] = {
//       {1, "events table", "CREATE TABLE ingest_events (...)"},
//   };
//   absl::Status s = ApplyPgMigrations(*pg, "ingest", kIngestMigrations);
#ifndef ORGPULSE_COMMON_STORAGE_PG_MIGRATIONS_H_
#define ORGPULSE_COMMON_STORAGE_PG_MIGRATIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/storage/pg_connection.h"

namespace orgpulse {

struct PgMigration {
  int version;                    // 1, 2, 3, ... without gaps
  absl::string_view description;  // one line, for the log and the table
  absl::string_view sql;          // one or more statements
};

// Brings `component`'s schema to the last of `migrations`. INVALID_ARGUMENT
// when the list is not numbered 1..N; FAILED_PRECONDITION, naming both
// versions, when the database is ahead of this binary; else the error of the
// migration that failed (nothing of it applied, the earlier ones kept).
absl::Status ApplyPgMigrations(PgConnection& pg, absl::string_view component,
                               absl::Span<const PgMigration> migrations);

// The highest version applied for `component`; 0 when none (or no table).
absl::StatusOr<int> PgSchemaVersion(PgConnection& pg,
                                    absl::string_view component);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_PG_MIGRATIONS_H_
