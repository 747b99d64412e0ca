// The flags every subcommand shares (server addresses, TLS files, token,
// timeout, JSON output) and the client options they make.
#ifndef ORGPULSE_CLI_APP_CONNECTION_H_
#define ORGPULSE_CLI_APP_CONNECTION_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/app/command_line.h"
#include "clients/client_options.h"

namespace orgpulse::cli {

enum class Service { kIngest, kInsights };

// --ingest, --insights, --tls, --ca-file, --cert-file, --key-file, --token,
// --token-file, --timeout, --retries, --retry-for, --json; each also from
// ORGPULSE_*.
const std::vector<FlagSpec>& ConnectionFlags();

// Options to reach `service`. INVALID_ARGUMENT (or NOT_FOUND for a missing
// token file) for a bad timeout, retry count or token file; the TLS files
// are read by CreateClientChannel.
absl::StatusOr<ClientOptions> ClientOptionsFromFlags(const ParsedArgs& args,
                                                     Service service);

// Has the client say on `err` when it starts waiting for the service ("ingest
// at ADDR unavailable, retrying for up to 1m") and when the service answers
// again; once per outage, over all the client's calls and streams. `err`
// must outlive the client.
void AnnounceRetries(Service service, std::ostream& err,
                     ClientOptions& options);

// "cannot reach the ingest service at 127.0.0.1:50051 (...)", and so on.
std::string DescribeServerError(Service service, const std::string& address,
                                const absl::Status& status);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_CONNECTION_H_
