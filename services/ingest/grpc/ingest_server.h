// The ingest service's composition root: opens the store, recovers the
// ledger, and serves gRPC (IngestService, health, optional reflection) and
// Prometheus metrics. main.cc only turns flags into IngestServerOptions.
//
// Example:
//   absl::StatusOr<std::unique_ptr<IngestServer>> server =
//       IngestServer::Start(options, clock);
//   ... (*server)->grpc_port() ...
//   (*server)->Shutdown(absl::Seconds(10));
#ifndef ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVER_H_
#define ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/call_authorizer.h"
#include "common/clock/clock.h"
#include "common/server/transport_security.h"
#include "common/storage/sync_mode.h"

namespace orgpulse::ingest {

struct IngestServerOptions {
  std::string grpc_address = "127.0.0.1:50051";  // port 0: pick a free one
  std::string metrics_address = "127.0.0.1:9464";
  std::string data_dir = "orgpulse-data/ingest";
  size_t max_teams = 1000;
  int max_message_bytes = 16 << 20;
  int max_concurrent_streams = 100;
  bool enable_reflection = false;
  SyncMode synchronous = SyncMode::kFull;
  int64_t max_store_bytes = 0;
  TransportSecurity transport;
  AuthOptions auth;
  // Start even if the write-ahead log is damaged before complete commits,
  // dropping them (logged, a copy kept); see docs/storage-faults.md.
  bool discard_damaged_wal = false;
};

class IngestServer {
 public:
  // `clock` must outlive the server.
  static absl::StatusOr<std::unique_ptr<IngestServer>> Start(
      const IngestServerOptions& options, const Clock& clock);
  ~IngestServer();

  int grpc_port() const;
  int metrics_port() const;
  int64_t recovered_events() const;

  // Reads the tokens file again (SIGHUP); on error the old tokens stay.
  absl::Status ReloadTokens();

  // Health goes NOT_SERVING, new calls are refused, in-flight calls get up
  // to `grace` to finish (then are cancelled), queued batches are committed
  // and the store is closed. Idempotent.
  void Shutdown(absl::Duration grace);

  struct Parts;

 private:
  explicit IngestServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVER_H_
