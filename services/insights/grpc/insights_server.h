// The insights service's composition root: opens the survey store, starts
// the background reader of ingest's figures, recovers the engine and hosts
// gRPC and metrics. main.cc only turns flags into InsightsServerOptions.
#ifndef ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVER_H_
#define ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/client_options.h"
#include "common/auth/call_authorizer.h"
#include "common/clock/clock.h"
#include "common/server/transport_security.h"
#include "common/storage/sync_mode.h"

namespace orgpulse::insights {

struct InsightsServerOptions {
  std::string grpc_address = "127.0.0.1:50052";
  std::string metrics_address = "127.0.0.1:9465";
  std::string data_dir = "orgpulse-data/insights";
  std::string respondent_key_file;  // required
  int min_group_size = 5;
  size_t max_teams = 1000;
  int max_message_bytes = 4 << 20;
  int max_concurrent_streams = 100;
  bool enable_reflection = false;
  SyncMode synchronous = SyncMode::kFull;
  absl::Duration ingest_refresh = absl::Seconds(15);
  absl::Duration ingest_deadline = absl::Seconds(2);
  TransportSecurity transport;
  AuthOptions auth;
  // How to reach ingest: address, TLS files, and (from ingest_token_file)
  // this service's own token with ingest:read. TLS with the system's roots
  // unless told otherwise.
  ClientOptions ingest{.address = "127.0.0.1:50051", .tls = true};
  std::string ingest_token_file;
  // Start even if the write-ahead log is damaged before complete commits,
  // dropping them (logged, a copy kept); see docs/storage-faults.md.
  bool discard_damaged_wal = false;
};

class InsightsServer {
 public:
  // Refuses to start (FAILED_PRECONDITION / INVALID_ARGUMENT) without a
  // readable respondent key or with min_group_size below 3.
  static absl::StatusOr<std::unique_ptr<InsightsServer>> Start(
      const InsightsServerOptions& options, const Clock& clock);
  ~InsightsServer();

  int grpc_port() const;
  int metrics_port() const;
  // Reads the tokens file and the token for ingest again (SIGHUP); on error
  // the old ones stay.
  absl::Status ReloadTokens();
  void Shutdown(absl::Duration grace);

  struct Parts;

 private:
  explicit InsightsServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVER_H_
