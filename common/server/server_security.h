// A server's security, prepared once and first (before anything slow, such
// as replaying a store, so a mistake is reported at once): the credentials of
// its gRPC port and the per-call authorizer, from the same options both
// services take.
//
// Example:
//   absl::StatusOr<ServerSecurity> security =
//       PrepareServerSecurity(options.transport, options.auth, *registry);
//   ... ServiceHostOptions{.credentials = security->credentials} ...
//   MyService service(..., *security->authorizer);
#ifndef ORGPULSE_COMMON_SERVER_SERVER_SECURITY_H_
#define ORGPULSE_COMMON_SERVER_SERVER_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/call_authorizer.h"
#include "common/server/transport_security.h"
#include "grpcpp/security/server_credentials.h"
#include "prometheus/registry.h"

namespace orgpulse {

struct ServerSecurity {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::unique_ptr<CallAuthorizer> authorizer;
  // "transport=mtls auth=tokens", for the start-up log line.
  std::string description;
};

// The errors of ServerCredentialsFor and CallAuthorizer::Create.
absl::StatusOr<ServerSecurity> PrepareServerSecurity(
    const TransportSecurity& transport, const AuthOptions& auth,
    prometheus::Registry& registry);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SERVER_SECURITY_H_
