#include "common/storage/pg_migrations.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace orgpulse {
namespace {

constexpr absl::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS orgpulse_schema_migrations ("
    " component text NOT NULL,"
    " version integer NOT NULL,"
    " description text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (component, version))";

// One lock for every component's migrations: they are rare and short.
constexpr absl::string_view kLock =
    "SELECT pg_advisory_xact_lock(7262121185375470893)";

absl::StatusOr<int> VersionIn(PgConnection& pg, absl::string_view component) {
  absl::StatusOr<PgResult> r = pg.Exec(
      "SELECT coalesce(max(version), 0) FROM orgpulse_schema_migrations "
      "WHERE component = $1",
      {PgParam::Text(component)});
  if (!r.ok()) return r.status();
  return static_cast<int>(r->GetInt64(0, 0));
}

absl::Status AheadOfUs(absl::string_view component, int version, int known) {
  return absl::FailedPreconditionError(
      absl::StrCat("the database's ", component, " schema is at version ",
                   version, ", newer than this orgpulse knows (", known,
                   "): run the newer orgpulse, or a database of this version"));
}

}  // namespace

absl::StatusOr<int> PgSchemaVersion(PgConnection& pg,
                                    absl::string_view component) {
  absl::StatusOr<PgResult> exists =
      pg.Exec("SELECT to_regclass('orgpulse_schema_migrations') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  if (exists->Get(0, 0) != "t") return 0;
  return VersionIn(pg, component);
}

absl::Status ApplyPgMigrations(PgConnection& pg, absl::string_view component,
                               absl::Span<const PgMigration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(component, " migrations: expected version ", i + 1,
                       ", found ", migrations[i].version));
    }
  }
  const int known = static_cast<int>(migrations.size());
  // Refused before taking any lock: a newer orgpulse owns this database.
  absl::StatusOr<int> current = PgSchemaVersion(pg, component);
  if (!current.ok()) return current.status();
  if (*current > known) return AheadOfUs(component, *current, known);
  // Each migration in a transaction of its own, the lock taken first, the
  // version read again under it: a replica that waited finds the work done.
  for (int next = 1; next <= known; ++next) {
    absl::Status status = PgTransaction(pg, [&]() -> absl::Status {
      if (absl::StatusOr<PgResult> r = pg.Exec(kLock); !r.ok()) {
        return r.status();
      }
      if (absl::Status s = pg.ExecScript(kCreateTable); !s.ok()) return s;
      absl::StatusOr<int> version = VersionIn(pg, component);
      if (!version.ok()) return version.status();
      if (*version > known) {
        return AheadOfUs(component, *version, known);
      }
      if (*version >= next) return absl::OkStatus();
      const PgMigration& m = migrations[next - 1];
      if (absl::Status s = pg.ExecScript(m.sql); !s.ok()) {
        return absl::Status(
            s.code(), absl::StrCat(component, " schema migration ", m.version,
                                   " (", m.description, "): ", s.message()));
      }
      const std::string version_text = absl::StrCat(m.version);
      absl::StatusOr<PgResult> recorded = pg.Exec(
          "INSERT INTO orgpulse_schema_migrations "
          "(component, version, description) VALUES ($1, $2, $3)",
          {PgParam::Text(component), PgParam::Text(version_text),
           PgParam::Text(m.description)});
      return recorded.status();
    });
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace orgpulse
