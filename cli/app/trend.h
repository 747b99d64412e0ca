// `orgpulse trend TEAM [--from=TIME] [--to=TIME]`: the monthly figures of a
// team or prefix (ingest's GetTeamTrend), one row per figure with a
// sparkline, or the JSON of the answer with --json.
#ifndef ORGPULSE_CLI_APP_TREND_H_
#define ORGPULSE_CLI_APP_TREND_H_

#include <string>
#include <vector>

#include "cli/app/cli.h"
#include "cli/app/command.h"

namespace orgpulse::cli {

int RunTrend(const std::vector<std::string>& args, const CliContext& context);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_TREND_H_
