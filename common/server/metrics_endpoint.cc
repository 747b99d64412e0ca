#include "common/server/metrics_endpoint.h"

#include <zlib.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/server/listen_address.h"
#include "prometheus/counter.h"
#include "prometheus/summary.h"

namespace orgpulse {
namespace {

constexpr char kUri[] = "/metrics";
constexpr char kRealm[] = "orgpulse metrics";

// gzip of the chunks joined, empty on failure. Level 1: on 3 MB of
// exposition text it compresses to 10 % (the default level: 8 %) in about
// half the time, and a scrape is on the clock.
std::string Gzip(const std::vector<std::string>& chunks, size_t size) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 9,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&zs, size), '\0');
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int result = Z_OK;
  for (size_t i = 0; i < chunks.size() && result == Z_OK; ++i) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunks[i].data()));
    zs.avail_in = static_cast<uInt>(chunks[i].size());
    result = deflate(&zs, i + 1 == chunks.size() ? Z_FINISH : Z_NO_FLUSH);
  }
  if (chunks.empty()) result = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return result == Z_STREAM_END ? out : std::string();
}

bool AcceptsGzip(mg_connection* conn) {
  const char* accept = mg_get_header(conn, "Accept-Encoding");
  return accept != nullptr && std::strstr(accept, "gzip") != nullptr;
}

}  // namespace

class MetricsEndpoint::Handler final : public CivetHandler {
 public:
  Handler(prometheus::Registry& registry, Body body)
      : body_(std::move(body)),
        bytes_(prometheus::BuildCounter()
                   .Name("exposer_transferred_bytes_total")
                   .Help("Transferred bytes to metrics services")
                   .Register(registry)
                   .Add({})),
        scrapes_(prometheus::BuildCounter()
                     .Name("exposer_scrapes_total")
                     .Help("Number of times metrics were scraped")
                     .Register(registry)
                     .Add({})),
        latencies_(
            prometheus::BuildSummary()
                .Name("exposer_request_latencies")
                .Help("Latencies of serving scrape requests, in microseconds")
                .Register(registry)
                .Add({}, prometheus::Summary::Quantiles{
                             {0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}})) {}

  bool handleGet(CivetServer*, mg_connection* conn) override {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::string> chunks = body_();
    size_t size = 0;
    for (const std::string& chunk : chunks) size += chunk.size();
    const std::string gzipped =
        AcceptsGzip(conn) ? Gzip(chunks, size) : std::string();
    const size_t sent = gzipped.empty() ? size : gzipped.size();
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "%s"
              "Content-Length: %zu\r\n\r\n",
              gzipped.empty() ? "" : "Content-Encoding: gzip\r\n", sent);
    if (!gzipped.empty()) {
      mg_write(conn, gzipped.data(), gzipped.size());
    } else {
      for (const std::string& chunk : chunks) {
        mg_write(conn, chunk.data(), chunk.size());
      }
    }
    latencies_.Observe(std::chrono::duration<double, std::micro>(
                           std::chrono::steady_clock::now() - start)
                           .count());
    bytes_.Increment(static_cast<double>(sent));
    scrapes_.Increment();
    return true;
  }

 private:
  const Body body_;
  prometheus::Counter& bytes_;
  prometheus::Counter& scrapes_;
  prometheus::Summary& latencies_;
};

class MetricsEndpoint::AuthHandler final : public CivetAuthHandler {
 public:
  explicit AuthHandler(decltype(MetricsEndpointOptions::auth) auth)
      : auth_(std::move(auth)) {}

  bool authorize(CivetServer*, mg_connection* conn) override {
    if (Authorized(conn)) return true;
    mg_printf(conn,
              "HTTP/1.1 401 Unauthorized\r\n"
              "WWW-Authenticate: Basic realm=\"%s\"\r\n"
              "Connection: close\r\n"
              "Content-Length: 0\r\n\r\n",
              kRealm);
    return false;
  }

 private:
  bool Authorized(mg_connection* conn) const {
    const char* header = mg_get_header(conn, "Authorization");
    if (header == nullptr) return false;
    absl::string_view value = header;
    if (!absl::ConsumePrefix(&value, "Basic ")) return false;
    std::string decoded;
    if (!absl::Base64Unescape(value, &decoded)) return false;
    // "user:password"; a user name has no colon.
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    return auth_(decoded.substr(0, colon), decoded.substr(colon + 1));
  }

  const decltype(MetricsEndpointOptions::auth) auth_;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const MetricsEndpointOptions& options, prometheus::Registry& registry,
    Body body) {
  absl::StatusOr<std::unique_ptr<CivetServer>> server;
  if (options.tls.enabled()) {
    server = StartTlsCivetServer(options.address, options.tls);
  } else {
    try {
      server = std::make_unique<CivetServer>(std::vector<std::string>{
          "listening_ports", options.address, "num_threads", "2"});
    } catch (const std::exception& e) {
      server = absl::UnavailableError(e.what());
    }
  }
  if (!server.ok()) return server.status();
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  endpoint->handler_ = std::make_unique<Handler>(registry, std::move(body));
  if (options.auth) {
    endpoint->auth_handler_ = std::make_unique<AuthHandler>(options.auth);
  }
  endpoint->server_ = *std::move(server);
  // The auth handler first, so that no request is served without it.
  if (endpoint->auth_handler_ != nullptr) {
    endpoint->server_->addAuthHandler(kUri, endpoint->auth_handler_.get());
  }
  endpoint->server_->addHandler(kUri, endpoint->handler_.get());
  endpoint->port_ = endpoint->server_->getListeningPorts().front();
  endpoint->address_ = options.address;
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (server_ == nullptr) return;
  // civetweb sees the stop at its next connection or 2 s wait: knock until
  // it has stopped.
  absl::Notification stopped;
  std::thread stopper([&] {
    server_.reset();
    stopped.Notify();
  });
  while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(10))) {
    Knock(address_, port_);
  }
  stopper.join();
}

}  // namespace orgpulse
