// TLS for /metrics, served by civetweb (metrics_endpoint.h).
//
// Debian 12's civetweb 1.15 is built to load OpenSSL at run time
// (dlopen("libssl.so"), dlopen("libcrypto.so")) with the OpenSSL 1.1
// function table. Against OpenSSL 3 two things break: the unversioned names
// exist only where libssl-dev is installed, and SSL_get_peer_certificate is
// no longer a symbol (a macro for SSL_get1_peer_certificate), so civetweb's
// pointer to it is null and every TLS connection crashes the process
// (SIGSEGV at address 0) right after the handshake. Before the first TLS
// server, this library therefore loads two small stand-ins built with the
// service and carried inside its binary: one whose soname is "libssl.so"
// (OpenSSL 3's libssl plus that one function) and one whose soname is
// "libcrypto.so". The dynamic loader answers civetweb's dlopen by soname
// with them. The certificate and key are put on civetweb's SSL_CTX through
// its init_ssl callback, so the key is never copied into a combined file.
//
// Example:
//   MetricsTls tls{.cert_file = "metrics.pem", .key_file = "metrics.key"};
//   if (absl::Status s = CheckMetricsTls(tls); !s.ok()) { ... }
//   absl::StatusOr<std::unique_ptr<CivetServer>> server =
//       StartTlsCivetServer("0.0.0.0:9464", tls);
#ifndef ORGPULSE_COMMON_SERVER_METRICS_TLS_H_
#define ORGPULSE_COMMON_SERVER_METRICS_TLS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

class CivetServer;

namespace orgpulse {

struct MetricsTls {
  // PEM certificate chain and private key; both empty: plain HTTP.
  std::string cert_file;
  std::string key_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// OK when TLS is off or both files are there and match. INVALID_ARGUMENT
// naming the flag (--metrics_tls_cert_file, --metrics_tls_key_file) for one
// without the other, a file that is not PEM or a key that is not the
// certificate's; NOT_FOUND for a file that cannot be read.
absl::Status CheckMetricsTls(const MetricsTls& tls);

// A civetweb server (2 threads, no handler yet) serving HTTPS only (TLS 1.2 or
// later) on `address` (host:port, port 0 for a free one); a plain HTTP request
// on that port is dropped. The files are read once, here. UNAVAILABLE when the
// port cannot be bound; FAILED_PRECONDITION when civetweb cannot be given
// OpenSSL. REQUIRES: CheckMetricsTls(tls) is OK.
absl::StatusOr<std::unique_ptr<CivetServer>> StartTlsCivetServer(
    const std::string& address, const MetricsTls& tls);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_METRICS_TLS_H_
