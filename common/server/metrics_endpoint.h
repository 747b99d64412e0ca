// The /metrics HTTP(S) endpoint (civetweb), in place of prometheus-cpp's
// Exposer: the Exposer serialises only MetricFamily objects, and building
// those for 1,000 teams (43k series) made a scrape take 120 ms. Here the
// body comes from a callback that writes the text itself
// (common/metrics/text_exposition.h).
//
// As the Exposer did: GET /metrics answers 200 with the body, gzip-encoded
// when the request accepts gzip; with `auth`, a request without valid basic
// credentials gets 401 and a WWW-Authenticate challenge; and the
// exposer_scrapes_total, exposer_transferred_bytes_total and
// exposer_request_latencies families are kept in the given registry.
//
// Example:
//   absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
//       MetricsEndpoint::Start({.address = "127.0.0.1:0"}, registry,
//                              [&] { return ExpositionChunks(...); });
//   int port = (*endpoint)->port();
#ifndef ORGPULSE_COMMON_SERVER_METRICS_ENDPOINT_H_
#define ORGPULSE_COMMON_SERVER_METRICS_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/metrics_tls.h"
#include "prometheus/registry.h"

class CivetServer;

namespace orgpulse {

struct MetricsEndpointOptions {
  // host:port; port 0 for a free one.
  std::string address;
  // HTTPS only when enabled (metrics_tls.h).
  MetricsTls tls;
  // When set, a request is served only if this returns true for its basic
  // auth user and password.
  std::function<bool(const std::string& user, const std::string& password)>
      auth;
};

class MetricsEndpoint {
 public:
  // The body, in pieces written one after the other.
  using Body = std::function<std::vector<std::string>()>;

  // Listens and serves. `body` and `auth` are called on the endpoint's
  // threads (two, so possibly at once) until the endpoint is destroyed;
  // `registry` must outlive it. UNAVAILABLE with civetweb's words when the
  // address cannot be listened on; FAILED_PRECONDITION when TLS cannot be
  // given to civetweb.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const MetricsEndpointOptions& options, prometheus::Registry& registry,
      Body body);

  // Stops listening, after the requests in progress.
  ~MetricsEndpoint();

  int port() const { return port_; }

  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

 private:
  class Handler;
  class AuthHandler;

  MetricsEndpoint() = default;

  std::unique_ptr<Handler> handler_;
  std::unique_ptr<AuthHandler> auth_handler_;
  // Declared last: destroyed first, while the handlers still exist.
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
  std::string address_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_METRICS_ENDPOINT_H_
