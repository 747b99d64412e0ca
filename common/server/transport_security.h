// The server side of transport security: TLS from a certificate and key
// file, mutual TLS when a client CA is given, and plaintext only when asked
// for explicitly. The files are checked before the server starts, so a
// mistake is one clear line at start-up rather than a failed handshake
// later; after that gRPC re-reads them every reload_interval, so a renewed
// certificate (cert-manager, a rotated Secret) is served without a restart.
//
// Example:
//   TransportSecurity tls{.cert_file = "server.pem", .key_file = "server.key",
//                         .client_ca_file = "clients-ca.pem"};
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
//       ServerCredentialsFor(tls);
#ifndef ORGPULSE_COMMON_SERVER_TRANSPORT_SECURITY_H_
#define ORGPULSE_COMMON_SERVER_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"

namespace orgpulse {

struct TransportSecurity {
  // Serve without TLS. Exclusive with the files below.
  bool plaintext = false;
  // PEM certificate chain and private key of the server.
  std::string cert_file;
  std::string key_file;
  // PEM roots; when set, clients must present a certificate they signed.
  std::string client_ca_file;
  // How often the files are read again (whole seconds, at least 1).
  absl::Duration reload_interval = absl::Minutes(1);
};

// INVALID_ARGUMENT naming the flag or file at fault: neither plaintext nor a
// certificate, both, a certificate without its key (or a key that does not
// match it), a file that is not PEM; NOT_FOUND for a missing file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TransportSecurity& security);

// OK if `cert_file` holds a PEM certificate and `key_file` its unencrypted
// private key; else INVALID_ARGUMENT (or NOT_FOUND for a file that cannot be
// read) naming the flag and file at fault.
absl::Status CheckCertificateAndKey(absl::string_view cert_flag,
                                    const std::string& cert_file,
                                    absl::string_view key_flag,
                                    const std::string& key_file);

// "plaintext", "tls" or "mtls", for the start-up log line.
const char* TransportName(const TransportSecurity& security);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_TRANSPORT_SECURITY_H_
