#include "common/server/security_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"

ABSL_FLAG(bool, plaintext, false,
          "serve gRPC without TLS (development, or behind a proxy that "
          "terminates TLS); otherwise --tls_cert_file and --tls_key_file are "
          "required");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of this server");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM roots for mutual TLS: clients must present a certificate they "
          "signed");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "how often the TLS files are read again, so renewed certificates "
          "are served without a restart");
ABSL_FLAG(std::string, token_file, "",
          "file of bearer-token digests and scopes (see `orgpulse token new`); "
          "reloaded on SIGHUP");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "serve every caller without a bearer token (instead of "
          "--token_file)");

namespace orgpulse {

TransportSecurity TransportSecurityFromFlags() {
  return {.plaintext = absl::GetFlag(FLAGS_plaintext),
          .cert_file = absl::GetFlag(FLAGS_tls_cert_file),
          .key_file = absl::GetFlag(FLAGS_tls_key_file),
          .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file),
          .reload_interval = absl::GetFlag(FLAGS_tls_reload_interval)};
}

AuthOptions AuthOptionsFromFlags() {
  return {.token_file = absl::GetFlag(FLAGS_token_file),
          .allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated)};
}

void LogTokenReload(absl::string_view component, const absl::Status& result) {
  if (result.ok()) {
    Log(LogLevel::kInfo, component, "SIGHUP: tokens reloaded");
  } else {
    Log(LogLevel::kError, component,
        absl::StrCat("SIGHUP: tokens not reloaded, the old ones stay: ",
                     result.message()));
  }
}

}  // namespace orgpulse
