// `orgpulse trend TEAM [--from=TIME] [--to=TIME]`: the monthly figures of a
// team or prefix (ingest's GetTeamTrend), one row per figure with a
// sparkline, or the JSON of the answer with --json.
#ifndef ORGPULSE_CLI_APP_TREND_H_
#define ORGPULSE_CLI_APP_TREND_H_

#include <optional>
#include <string>
#include <vector>

#include "cli/app/cli.h"
#include "cli/app/command.h"
#include "google/protobuf/timestamp.pb.h"

namespace orgpulse::cli {

int RunTrend(const std::vector<std::string>& args, const CliContext& context);

// Reads the time flag `name` (in --timezone when it has no offset) into
// `out`. On a bad value prints the usage error and returns its exit code.
// REQUIRES: the flag is set.
std::optional<int> ParseTimeFlag(const CommandSpec& command,
                                 const ParsedArgs& parsed,
                                 const CliContext& context,
                                 const std::string& name,
                                 google::protobuf::Timestamp& out);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_TREND_H_
