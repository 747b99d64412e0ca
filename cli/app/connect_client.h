// Connecting a subcommand's client from the shared connection flags, with
// one failure path for every command: the reason on stderr and the usage
// exit code.
#ifndef ORGPULSE_CLI_APP_CONNECT_CLIENT_H_
#define ORGPULSE_CLI_APP_CONNECT_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/app/command.h"
#include "cli/app/connection.h"

namespace orgpulse::cli {

// Sets `client` (an IngestClient or InsightsClient) and the `address` it
// reaches, announcing retries on context.err; on failure prints why and
// returns the exit code.
template <typename Client>
std::optional<int> ConnectClient(const ParsedArgs& parsed, Service service,
                                 const CliContext& context,
                                 std::unique_ptr<Client>& client,
                                 std::string& address) {
  absl::StatusOr<ClientOptions> options =
      ClientOptionsFromFlags(parsed, service);
  if (!options.ok()) {
    return Fail(context, kExitUsage, options.status().message());
  }
  AnnounceRetries(service, *context.err, *options);
  absl::StatusOr<std::unique_ptr<Client>> connected = Client::Connect(*options);
  if (!connected.ok()) {
    return Fail(context, kExitUsage, connected.status().message());
  }
  client = *std::move(connected);
  address = options->address;
  return std::nullopt;
}

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_CONNECT_CLIENT_H_
