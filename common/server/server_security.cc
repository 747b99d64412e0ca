#include "common/server/server_security.h"

#include "absl/strings/str_cat.h"

namespace orgpulse {

absl::StatusOr<ServerSecurity> PrepareServerSecurity(
    const TransportSecurity& transport, const AuthOptions& auth,
    prometheus::Registry& registry) {
  ServerSecurity security;
  absl::StatusOr<std::unique_ptr<CallAuthorizer>> authorizer =
      CallAuthorizer::Create(auth, registry);
  if (!authorizer.ok()) return authorizer.status();
  security.authorizer = *std::move(authorizer);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(transport);
  if (!credentials.ok()) return credentials.status();
  security.credentials = *std::move(credentials);
  security.description = absl::StrCat(
      "transport=", TransportName(transport),
      " auth=", security.authorizer->enabled() ? "tokens" : "none");
  return security;
}

}  // namespace orgpulse
