// The insights service's composition root: opens the survey store, starts
// the background reader of ingest's figures, recovers the engine and serves
// gRPC and metrics through the ServerScaffold. main.cc only reads the
// service's own flags into InsightsServerOptions.
#ifndef ORGPULSE_SERVICES_INSIGHTS_SERVER_INSIGHTS_SERVER_H_
#define ORGPULSE_SERVICES_INSIGHTS_SERVER_INSIGHTS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/client_options.h"
#include "common/clock/clock.h"
#include "common/server/server_options.h"
#include "common/server/server_scaffold.h"

namespace orgpulse::insights {

struct InsightsServerOptions : ServerOptions {
  InsightsServerOptions() {
    grpc_address = "127.0.0.1:50052";
    metrics_address = "127.0.0.1:9465";
    data_dir = "orgpulse-data/insights";
  }
  std::string respondent_key_file;  // required
  int min_group_size = 5;
  int64_t max_teams = 1000;
  int retain_rounds = 0;  // 0: keep every survey round
  // InsightsOptions::snapshot_every_responses; 0: no snapshots.
  int64_t snapshot_every_responses = 10000;
  absl::Duration ingest_refresh = absl::Seconds(15);
  absl::Duration ingest_deadline = absl::Seconds(2);
  // Of each read of ingest's past figures (a round's quadrant in a trend).
  absl::Duration ingest_history_deadline = absl::Seconds(30);
  // How to reach ingest: address, TLS files, and (from ingest_token_file)
  // this service's own token with ingest:read. TLS with the system's roots
  // unless told otherwise.
  ClientOptions ingest{.address = "127.0.0.1:50051", .tls = true};
  std::string ingest_token_file;
  // Not empty: a libpq connection string; the survey responses live in
  // PostgreSQL, shared by every replica, instead of under data_dir
  // (docs/postgresql.md).
  std::string postgres;
};

class InsightsServer final : public ScaffoldedServer {
 public:
  // Refuses to start (FAILED_PRECONDITION / INVALID_ARGUMENT) without a
  // readable respondent key, with min_group_size below 3, with TLS files for
  // a plaintext connection to ingest, or with options out of range.
  static absl::StatusOr<std::unique_ptr<InsightsServer>> Start(
      const InsightsServerOptions& options, const Clock& clock);
  ~InsightsServer() override;

  // Reads the tokens file and the token for ingest again (SIGHUP); on error
  // the old ones stay.
  absl::Status Reload() override;
  void Shutdown(absl::Duration grace) override;

  struct Parts;

 private:
  InsightsServer(std::unique_ptr<ServerScaffold> scaffold,
                 std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_SERVER_INSIGHTS_SERVER_H_
