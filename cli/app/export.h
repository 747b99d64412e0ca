// `orgpulse export --openmetrics --from=TIME [--to=TIME] [--step=DURATION]`:
// every team's series of the ingest service's /metrics as they would have
// been scraped every --step over the past, with timestamps, in the
// OpenMetrics text format, for `promtool tsdb create-blocks-from
// openmetrics` (a Prometheus backfill).
#ifndef ORGPULSE_CLI_APP_EXPORT_H_
#define ORGPULSE_CLI_APP_EXPORT_H_

#include <string>
#include <vector>

#include "cli/app/cli.h"

namespace orgpulse::cli {

int RunExport(const std::vector<std::string>& args, const CliContext& context);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_EXPORT_H_
