// orgpulse-ingest: the service's own flags, then ServiceMain (shared flags,
// start, port file, signals, drain).
#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/server/service_main.h"
#include "services/ingest/server/ingest_server.h"

using orgpulse::ingest::IngestServerOptions;
const IngestServerOptions kDefaults;

// A retention period: "730d" (days) or any absl duration ("48h"); "0" is off.
struct RetentionPeriod {
  absl::Duration period;
};
bool AbslParseFlag(absl::string_view text, RetentionPeriod* out,
                   std::string* error) {
  int64_t days = 0;
  if (absl::ConsumeSuffix(&text, "d")) {
    if (!absl::SimpleAtoi(text, &days) || days < 0) {
      *error = "expected a number of days such as 730d, or a duration";
      return false;
    }
    out->period = absl::Hours(24) * days;
    return true;
  }
  if (!absl::ParseDuration(text, &out->period) ||
      out->period < absl::ZeroDuration()) {
    *error = "expected a number of days such as 730d, or a duration (48h)";
    return false;
  }
  return true;
}
std::string AbslUnparseFlag(RetentionPeriod p) {
  return p.period % absl::Hours(24) == absl::ZeroDuration()
             ? absl::StrCat(p.period / absl::Hours(24), "d")
             : absl::FormatDuration(p.period);
}

ABSL_FLAG(int64_t, max_teams, kDefaults.max_teams,
          "most teams accepted; pushes adding more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_sources, kDefaults.max_sources,
          "most event sources accepted; pushes adding more get "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_store_bytes, kDefaults.max_store_bytes,
          "cap on the event store's size in bytes (0: none); past it pushes "
          "get RESOURCE_EXHAUSTED");
ABSL_FLAG(RetentionPeriod, retain_events_for,
          RetentionPeriod{kDefaults.retain_events_for},
          "drop events whose occurred_at is older than this (e.g. 730d), at "
          "start-up and every --retention_sweep_interval, and refuse pushes "
          "of such events; 0 keeps every event");
ABSL_FLAG(absl::Duration, retention_sweep_interval,
          kDefaults.retention_sweep_interval,
          "how often --retain_events_for drops expired events while running");

ABSL_FLAG(int64_t, snapshot_every_events, kDefaults.snapshot_every_events,
          "write a snapshot of the folded state after this many stored "
          "events (also after --snapshot_interval, a removal and at "
          "shutdown), so that a restart replays only the events after it; 0 "
          "writes and loads no snapshots");
ABSL_FLAG(absl::Duration, snapshot_interval, kDefaults.snapshot_interval,
          "also write a snapshot once this long passed with any event stored "
          "since the last; 0: by --snapshot_every_events only");

ABSL_FLAG(std::string, postgres, kDefaults.postgres,
          "libpq connection string (e.g. 'host=db1,db2 dbname=orgpulse "
          "target_session_attrs=read-write'): keep events in PostgreSQL "
          "instead of SQLite under --data_dir; any number of replicas may "
          "share the database");

namespace {

absl::StatusOr<std::unique_ptr<orgpulse::RunningServer>> StartFromFlags(
    const orgpulse::ServerOptions& shared, const orgpulse::Clock& clock) {
  IngestServerOptions options;
  static_cast<orgpulse::ServerOptions&>(options) = shared;
  options.max_teams = absl::GetFlag(FLAGS_max_teams);
  options.max_sources = absl::GetFlag(FLAGS_max_sources);
  options.max_store_bytes = absl::GetFlag(FLAGS_max_store_bytes);
  options.postgres = absl::GetFlag(FLAGS_postgres);
  options.retain_events_for = absl::GetFlag(FLAGS_retain_events_for).period;
  options.retention_sweep_interval =
      absl::GetFlag(FLAGS_retention_sweep_interval);
  options.snapshot_every_events = absl::GetFlag(FLAGS_snapshot_every_events);
  options.snapshot_interval = absl::GetFlag(FLAGS_snapshot_interval);
  return orgpulse::ingest::IngestServer::Start(options, clock);
}

}  // namespace

int main(int argc, char** argv) {
  return orgpulse::ServiceMain(
      argc, argv,
      {.component = "ingest",
       .usage = "orgpulse ingest service: receives the manager view of every "
                "team over gRPC (orgpulse.ingest.v1.IngestService), stores it "
                "durably and serves per-team figures and Prometheus metrics.",
       .main_file = "services/ingest/main",
       .defaults = kDefaults,
       .start = &StartFromFlags});
}
