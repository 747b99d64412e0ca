// The command-line flags both services share for transport security and
// bearer tokens, so they read the same in every --help:
//   --plaintext, --tls_cert_file, --tls_key_file, --tls_client_ca_file,
//   --token_file, --allow_unauthenticated
//
// Example (in a main, after absl::ParseCommandLine):
//   options.transport = TransportSecurityFromFlags();
//   options.auth = AuthOptionsFromFlags();
#ifndef ORGPULSE_COMMON_SERVER_SECURITY_FLAGS_H_
#define ORGPULSE_COMMON_SERVER_SECURITY_FLAGS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/call_authorizer.h"
#include "common/server/transport_security.h"

namespace orgpulse {

TransportSecurity TransportSecurityFromFlags();
AuthOptions AuthOptionsFromFlags();

// The log line after a SIGHUP reload of the tokens file.
void LogTokenReload(absl::string_view component, const absl::Status& result);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SECURITY_FLAGS_H_
