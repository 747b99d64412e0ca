// The command-line flags every orgpulse server shares, defined once so they
// read the same in every --help: addresses, data directory, store
// durability, message and stream bounds, reflection, transport security and
// bearer tokens, plus the process's own (--now, --port_file,
// --shutdown_grace). Each service's main defines only its own flags.
//
// Example (ServiceMain does this):
//   SetServerFlagDefaults(IngestServerOptions());   // before parsing
//   absl::ParseCommandLine(argc, argv);
//   ServerOptions options = ServerOptionsFromFlags();
#ifndef ORGPULSE_COMMON_SERVER_SERVER_FLAGS_H_
#define ORGPULSE_COMMON_SERVER_SERVER_FLAGS_H_

#include <string>

#include "absl/time/time.h"
#include "common/server/server_options.h"

namespace orgpulse {

// The service's own defaults for the flags whose default differs between
// services (addresses, data directory, message bound).
void SetServerFlagDefaults(const ServerOptions& defaults);

ServerOptions ServerOptionsFromFlags();

// The flags about the process rather than the server.
struct ProcessFlags {
  std::string now;  // RFC 3339, or empty for real time
  std::string port_file;
  absl::Duration shutdown_grace;
};
ProcessFlags ProcessFlagsFromFlags();

// The path fragment of the file defining the shared flags, for --help.
inline constexpr char kServerFlagsFile[] = "common/server/server_flags";

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SERVER_FLAGS_H_
