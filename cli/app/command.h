// What every subcommand does first: parse its flags (its own and the shared
// connection flags), answer --help, and report usage errors in one line.
#ifndef ORGPULSE_CLI_APP_COMMAND_H_
#define ORGPULSE_CLI_APP_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli/app/cli.h"
#include "cli/app/command_line.h"

namespace orgpulse::cli {

struct CommandSpec {
  std::string name;         // "push"
  std::string usage;        // "push [flags] FILE..."
  std::string description;  // paragraphs for --help
  std::vector<FlagSpec> flags;
};

// The command's help: usage, description, its flags, the shared flags.
std::string CommandHelp(const CommandSpec& command);

// Parses `args` into `parsed`. Returns an exit code when the command is
// done: 0 after printing --help, kExitUsage after a usage error.
std::optional<int> ParseCommand(const CommandSpec& command,
                                const std::vector<std::string>& args,
                                const CliContext& context, ParsedArgs& parsed);

// Prints "orgpulse NAME: MESSAGE (see orgpulse NAME --help)"; kExitUsage.
int UsageError(const CommandSpec& command, const CliContext& context,
               absl::string_view message);

// Prints "orgpulse: MESSAGE"; returns `code`.
int Fail(const CliContext& context, int code, absl::string_view message);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_COMMAND_H_
