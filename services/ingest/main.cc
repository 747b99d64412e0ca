// orgpulse-ingest: the service's own flags, then ServiceMain (shared flags,
// start, port file, signals, drain).
#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/server/service_main.h"
#include "services/ingest/server/ingest_server.h"

using orgpulse::ingest::IngestServerOptions;
const IngestServerOptions kDefaults;

ABSL_FLAG(int64_t, max_teams, kDefaults.max_teams,
          "most teams accepted; pushes adding more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_store_bytes, kDefaults.max_store_bytes,
          "cap on the event store's size in bytes (0: none); past it pushes "
          "get RESOURCE_EXHAUSTED");

ABSL_FLAG(std::string, postgres, kDefaults.postgres,
          "libpq connection string (e.g. 'host=db1,db2 dbname=orgpulse "
          "target_session_attrs=read-write'): keep events in PostgreSQL "
          "instead of SQLite under --data_dir; one replica per database for "
          "now");

namespace {

absl::StatusOr<std::unique_ptr<orgpulse::RunningServer>> StartFromFlags(
    const orgpulse::ServerOptions& shared, const orgpulse::Clock& clock) {
  IngestServerOptions options;
  static_cast<orgpulse::ServerOptions&>(options) = shared;
  options.max_teams = absl::GetFlag(FLAGS_max_teams);
  options.max_store_bytes = absl::GetFlag(FLAGS_max_store_bytes);
  options.postgres = absl::GetFlag(FLAGS_postgres);
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
