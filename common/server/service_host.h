// Hosts a service's gRPC server and Prometheus endpoint: listening ports
// (port 0 picks a free one), TLS or plaintext, message-size and
// concurrent-stream caps, grpc.health.v1, optional reflection, gRPC server
// metrics and process_* metrics, and the drain on shutdown. Each service's
// composition root builds its domain objects and hands the gRPC services and
// metric collectables here.
//
// Example:
//   auto host = ServiceHost::Start(options, {&service}, registry,
//                                  {collector}, "ingest");
//   (*host)->SetServing(true);
//   ...
//   (*host)->Shutdown(absl::Seconds(10));
#ifndef ORGPULSE_COMMON_SERVER_SERVICE_HOST_H_
#define ORGPULSE_COMMON_SERVER_SERVICE_HOST_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metric_collector.h"
#include "common/server/abuse_limits.h"
#include "common/server/metrics_tls.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/registry.h"

namespace orgpulse {

class GrpcServerMetrics;
class LiveCalls;
class MetricsEndpoint;

struct ServiceHostOptions {
  std::string grpc_address = "127.0.0.1:0";
  std::string metrics_address = "127.0.0.1:0";
  int max_message_bytes = 16 << 20;
  int max_concurrent_streams = 100;
  bool enable_reflection = false;
  // The gRPC port's credentials (see server_security.h); required.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // When enabled, the metrics endpoint is HTTPS only (metrics_tls.h);
  // otherwise plain HTTP: then put it on an internal address.
  MetricsTls metrics_tls;
  // When set, /metrics asks for HTTP basic auth and serves a request only if
  // this returns true for its user and password; called on the HTTP
  // server's threads until Shutdown.
  std::function<bool(const std::string& user, const std::string& password)>
      metrics_auth;
  AbuseLimits abuse_limits;
};

class ServiceHost {
 public:
  // Starts listening; health is NOT_SERVING until SetServing(true).
  // `services` and `collectables` must outlive the host; `registry` gets the
  // gRPC server metrics and is exposed too. UNAVAILABLE naming the address
  // and why when a port cannot be listened on. Installs the capture of
  // protobuf's decode errors (see message_codec.h).
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(
      const ServiceHostOptions& options,
      const std::vector<grpc::Service*>& services,
      std::shared_ptr<prometheus::Registry> registry,
      std::vector<std::shared_ptr<MetricCollector>> collectables);
  ~ServiceHost();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  void SetServing(bool serving);

  // Health goes NOT_SERVING, new calls are refused, in-flight calls get up to
  // `grace` (then are cancelled), connections close as soon as no call is
  // left on them, and the metrics endpoint closes. Returns how long the calls
  // took to drain. Idempotent.
  absl::Duration Shutdown(absl::Duration grace);

 private:
  ServiceHost() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<MetricCollector>> collectables_;
  std::unique_ptr<GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<LiveCalls> live_calls_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SERVICE_HOST_H_
