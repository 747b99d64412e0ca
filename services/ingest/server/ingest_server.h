// The ingest service's composition root: opens the store, recovers the
// ledger, and serves gRPC (IngestService, health, optional reflection) and
// Prometheus metrics through the ServerScaffold. main.cc only reads the
// service's own flags into IngestServerOptions.
//
// Example:
//   absl::StatusOr<std::unique_ptr<IngestServer>> server =
//       IngestServer::Start(options, clock);
//   ... (*server)->grpc_port() ...
//   (*server)->Shutdown(absl::Seconds(10));
#ifndef ORGPULSE_SERVICES_INGEST_SERVER_INGEST_SERVER_H_
#define ORGPULSE_SERVICES_INGEST_SERVER_INGEST_SERVER_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/server/server_options.h"
#include "common/server/server_scaffold.h"

namespace orgpulse::ingest {

struct IngestServerOptions : ServerOptions {
  IngestServerOptions() {
    grpc_address = "127.0.0.1:50051";
    metrics_address = "127.0.0.1:9464";
    data_dir = "orgpulse-data/ingest";
    max_message_bytes = 16 << 20;
  }
  // Pushes adding a team beyond this get RESOURCE_EXHAUSTED.
  int64_t max_teams = 1000;
  // Pushes bringing events of a source beyond this get RESOURCE_EXHAUSTED.
  int64_t max_sources = 100;
  // The event store's size cap in bytes (0: none).
  int64_t max_store_bytes = 0;
  // A libpq connection string: keep the events in PostgreSQL instead of
  // SQLite under data_dir. Replicas may share the database: each folds the
  // shared log through a follower (docs/postgresql.md).
  std::string postgres;
  // Events older than this (by occurred_at, as of the clock) are dropped at
  // start-up and every retention_sweep_interval; zero keeps them all.
  absl::Duration retain_events_for = absl::ZeroDuration();
  absl::Duration retention_sweep_interval = absl::Hours(1);
  // Snapshots of the folded state (LedgerOptions): after this many stored
  // events (0: no snapshots written or loaded), after snapshot_interval with
  // any (0: by count only), after a removal and at shutdown.
  int64_t snapshot_every_events = 1'000'000;
  absl::Duration snapshot_interval = absl::Minutes(10);
};

class IngestServer final : public ScaffoldedServer {
 public:
  // INVALID_ARGUMENT for options out of range, the errors of the TLS and
  // tokens files, of the store and of its recovery, UNAVAILABLE when an
  // address cannot be listened on. `clock` must outlive the server.
  static absl::StatusOr<std::unique_ptr<IngestServer>> Start(
      const IngestServerOptions& options, const Clock& clock);
  ~IngestServer() override;

  int64_t recovered_events() const;

  // Health goes NOT_SERVING, new calls are refused, in-flight calls get up
  // to `grace` to finish (then are cancelled), queued batches are committed
  // and the store is closed. Idempotent.
  void Shutdown(absl::Duration grace) override;

  struct Parts;

 private:
  IngestServer(std::unique_ptr<ServerScaffold> scaffold,
               std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_SERVER_INGEST_SERVER_H_
