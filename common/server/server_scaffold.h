// The parts of a server's composition root that do not depend on which
// service it is: the metrics registry, the port's credentials and the
// per-call authorizer, the ServiceHost (gRPC, health, /metrics), SERVING
// while the store takes writes, and the start-up and shutdown log lines.
// Each service's server builds its store and domain between Prepare and
// Serve.
//
// Example:
//   absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
//       ServerScaffold::Prepare("ingest", options);   // TLS and tokens read
//   ... open the store, recover the domain ...
//   MyService service(domain, (*scaffold)->authorizer());
//   absl::Status s = (*scaffold)->Serve({&service}, {collector}, store, "");
//   ...
//   (*scaffold)->Shutdown(absl::Seconds(10), [&] {  // NOT_SERVING, drained
//     domain.Stop();
//     return "12 events stored";
//   });
#ifndef ORGPULSE_COMMON_SERVER_SERVER_SCAFFOLD_H_
#define ORGPULSE_COMMON_SERVER_SERVER_SCAFFOLD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/call_authorizer.h"
#include "common/metrics/metric_collector.h"
#include "common/server/running_server.h"
#include "common/server/server_options.h"
#include "common/storage/store_health.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/security/server_credentials.h"
#include "prometheus/registry.h"

namespace orgpulse {

class MetricsBasicAuth;
class ServiceHost;

class ServerScaffold {
 public:
  // Checks the shared options and reads the TLS and tokens files, before
  // anything slow (such as replaying a store), so a mistake shows at once.
  static absl::StatusOr<std::unique_ptr<ServerScaffold>> Prepare(
      absl::string_view component, const ServerOptions& options);
  // REQUIRES: Shutdown was called if Serve succeeded (the host refers to
  // the services and the store).
  ~ServerScaffold();

  ServerScaffold(const ServerScaffold&) = delete;
  ServerScaffold& operator=(const ServerScaffold&) = delete;

  // For the service's own metrics; exposed on /metrics by Serve.
  prometheus::Registry& registry() { return *registry_; }
  const CallAuthorizer& authorizer() const { return *authorizer_; }

  // Listens on both ports with `services`, exposes `collectables` and the
  // store's writability, and reports SERVING while `store` is writable.
  // Logs "serving ..." with `details` appended. All must outlive Shutdown.
  // REQUIRES: called once.
  [[nodiscard]] absl::Status Serve(
      const std::vector<grpc::Service*>& services,
      std::vector<std::shared_ptr<MetricCollector>> collectables,
      StoreHealth& store, absl::string_view details);

  int grpc_port() const;
  int metrics_port() const;

  // Reads the tokens file and the metrics basic-auth file again (SIGHUP); on
  // error the old contents of that file stay. Returns the first error.
  absl::Status ReloadTokens();

  // The store is no longer watched, `before_drain` runs (e.g. telling open
  // streams to end), then NOT_SERVING, new calls refused, in-flight calls
  // get up to `grace`, the metrics endpoint closes; then `stop_domain` runs
  // (flush, stop threads) and returns what the service holds, for the
  // "stopped" log line. Idempotent: later calls do nothing.
  void Shutdown(absl::Duration grace, absl::FunctionRef<void()> before_drain,
                absl::FunctionRef<std::string()> stop_domain);

 private:
  ServerScaffold(std::string component, const ServerOptions& options);

  const std::string component_;
  const ServerOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  std::unique_ptr<CallAuthorizer> authorizer_;
  std::string security_description_;
  std::unique_ptr<MetricsBasicAuth> metrics_auth_;  // null: /metrics is open
  StoreHealth* store_ = nullptr;                    // set by Serve
  std::unique_ptr<ServiceHost> host_;
  bool shut_down_ = false;
};

// A RunningServer built on a ServerScaffold: its ports and its token reload
// are the scaffold's. A service's server derives from it, and its destructor
// calls Shutdown (the scaffold outlives the derived class's parts).
class ScaffoldedServer : public RunningServer {
 public:
  int grpc_port() const final { return scaffold_->grpc_port(); }
  int metrics_port() const final { return scaffold_->metrics_port(); }
  absl::Status Reload() override { return scaffold_->ReloadTokens(); }

 protected:
  explicit ScaffoldedServer(std::unique_ptr<ServerScaffold> scaffold)
      : scaffold_(std::move(scaffold)) {}
  ServerScaffold& scaffold() { return *scaffold_; }

 private:
  std::unique_ptr<ServerScaffold> scaffold_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SERVER_SCAFFOLD_H_
