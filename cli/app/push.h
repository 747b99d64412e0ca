// `orgpulse push FILE...`: each file is read and checked whole (its format's
// mapping and the service's own validation), and pushed only if every row
// is good (or, with --skip-bad-rows, its good rows); --dry-run only checks.
// Events go to ingest through IngestClient::PushStream, survey responses to
// insights. See docs/cli.md for the formats.
#ifndef ORGPULSE_CLI_APP_PUSH_H_
#define ORGPULSE_CLI_APP_PUSH_H_

#include <string>
#include <vector>

#include "cli/app/cli.h"

namespace orgpulse::cli {

int RunPush(const std::vector<std::string>& args, const CliContext& context);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_PUSH_H_
