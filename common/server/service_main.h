// Everything a service's main does apart from its own flags: the shared
// flags (common/server/server_flags.h), --help, the clock from --now,
// starting the server (a failure is one log line and exit code 1), the
// --port_file, SIGHUP as reload, SIGTERM / SIGINT as a drain within
// --shutdown_grace, and exit code 0 after it.
//
// Example (a whole main.cc, besides the service's own ABSL_FLAGs):
//   int main(int argc, char** argv) {
//     return orgpulse::ServiceMain(argc, argv, {
//         .component = "ingest",
//         .usage = "orgpulse ingest service: ...",
//         .main_file = "services/ingest/main",
//         .defaults = IngestServerOptions(),
//         .start = &StartFromFlags});
//   }
#ifndef ORGPULSE_COMMON_SERVER_SERVICE_MAIN_H_
#define ORGPULSE_COMMON_SERVER_SERVICE_MAIN_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/server/running_server.h"
#include "common/server/server_options.h"

namespace orgpulse {

struct ServiceDescription {
  std::string component;  // "ingest": the log lines' component
  std::string usage;      // the first paragraph of --help
  // A path fragment of the main's source file: --help lists the flags
  // defined there and the shared ones.
  std::string main_file;
  // The service's defaults for the shared flags.
  ServerOptions defaults;
  // Reads the service's own flags and starts it with the shared options;
  // every check of the options happens here, so it is one error line.
  std::function<absl::StatusOr<std::unique_ptr<RunningServer>>(
      const ServerOptions& shared, const Clock& clock)>
      start;
};

// Runs the service until SIGTERM or SIGINT; returns the exit code.
int ServiceMain(int argc, char** argv, const ServiceDescription& service);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SERVICE_MAIN_H_
