#include "cli/app/command.h"

#include "absl/strings/str_cat.h"
#include "cli/app/connection.h"

namespace orgpulse::cli {

std::string CommandHelp(const CommandSpec& command) {
  return absl::StrCat(
      "usage: orgpulse ", command.usage, "\n\n", command.description, "\n",
      command.flags.empty() ? "" : "\nflags:\n", FlagsHelp(command.flags),
      "\nconnection and output flags (all commands):\n",
      FlagsHelp(ConnectionFlags()),
      "\nexit codes: 0 ok, 2 usage or configuration error, 3 "
      "invalid input, 4 service unreachable or refusing, 1 "
      "other failure\n");
}

std::optional<int> ParseCommand(const CommandSpec& command,
                                const std::vector<std::string>& args,
                                const CliContext& context, ParsedArgs& parsed) {
  std::vector<FlagSpec> specs = command.flags;
  specs.insert(specs.end(), ConnectionFlags().begin(), ConnectionFlags().end());
  absl::StatusOr<ParsedArgs> result = ParseArgs(args, specs, context.env);
  if (!result.ok())
    return UsageError(command, context, result.status().message());
  parsed = *std::move(result);
  if (parsed.help()) {
    *context.out << CommandHelp(command);
    return kExitOk;
  }
  return std::nullopt;
}

int UsageError(const CommandSpec& command, const CliContext& context,
               absl::string_view message) {
  *context.err << "orgpulse " << command.name << ": " << message
               << " (see orgpulse " << command.name << " --help)\n";
  return kExitUsage;
}

int Fail(const CliContext& context, int code, absl::string_view message) {
  *context.err << "orgpulse: " << message << "\n";
  return code;
}

}  // namespace orgpulse::cli
