// The time flags of the commands that take a range of time (trend, export,
// remove, execution --as-of): their specs, and reading them in --timezone.
//
// Example:
//   .flags = {TimeFlag("from", "the start"), TimeZoneFlag(), ...}
//   if (auto done = ParseTimeFlag(*command, parsed, context, "from", from))
//     return *done;
#ifndef ORGPULSE_CLI_APP_TIME_FLAGS_H_
#define ORGPULSE_CLI_APP_TIME_FLAGS_H_

#include <optional>
#include <string>

#include "cli/app/cli.h"
#include "cli/app/command.h"
#include "cli/app/command_line.h"
#include "google/protobuf/timestamp.pb.h"

namespace orgpulse::cli {

// `--NAME=TIME`.
FlagSpec TimeFlag(std::string name, std::string help);

// `--timezone=ZONE` (default UTC): the zone of time flags without an offset.
FlagSpec TimeZoneFlag(
    std::string help =
        "the time zone of --from and --to when they have no offset");

// Reads the time flag `name` (in --timezone when it has no offset) into
// `out`. On a bad value prints the usage error and returns its exit code.
// REQUIRES: the flag is set.
std::optional<int> ParseTimeFlag(const CommandSpec& command,
                                 const ParsedArgs& parsed,
                                 const CliContext& context,
                                 const std::string& name,
                                 google::protobuf::Timestamp& out);

// ParseTimeFlag for --from and --to into the request's `from` and `to`,
// each only if set (an unset field stays absent).
template <typename Request>
std::optional<int> ParseTimeRange(const CommandSpec& command,
                                  const ParsedArgs& parsed,
                                  const CliContext& context, Request& request) {
  if (parsed.IsSet("from")) {
    if (auto done = ParseTimeFlag(command, parsed, context, "from",
                                  *request.mutable_from())) {
      return done;
    }
  }
  if (parsed.IsSet("to")) {
    return ParseTimeFlag(command, parsed, context, "to", *request.mutable_to());
  }
  return std::nullopt;
}

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_TIME_FLAGS_H_
