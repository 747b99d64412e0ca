// The `orgpulse` command line: push import files to the services and ask
// them for teams, execution figures and insights. main() only calls RunCli;
// everything it touches (arguments, environment, output, clock) is passed
// in, so commands run in tests like in a shell.
//
// Exit codes (docs/cli.md): 0 success; 2 usage or configuration error; 3
// invalid input (bad rows, unreadable files, a team that does not exist); 4
// a service unreachable or refusing (unavailable, deadline, credentials,
// limits); 1 anything else.
#ifndef ORGPULSE_CLI_APP_CLI_H_
#define ORGPULSE_CLI_APP_CLI_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/app/command_line.h"
#include "common/clock/clock.h"

namespace orgpulse::cli {

enum ExitCode {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitInvalidInput = 3,
  kExitServer = 4,
};

struct CliContext {
  Environment env;
  std::ostream* out;
  std::ostream* err;
  // Progress is a bar redrawn in place on a terminal, plain lines otherwise.
  bool err_is_terminal = false;
  const Clock* clock;
};

// `args` without the program name.
int RunCli(const std::vector<std::string>& args, const CliContext& context);

// The exit code for a service's answer: 3 for INVALID_ARGUMENT, NOT_FOUND
// and OUT_OF_RANGE (the input was wrong), 4 for the rest.
int ExitCodeForServerStatus(const absl::Status& status);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_CLI_H_
