// `orgpulse remove --source S [--from T] [--to T] [--dry-run]`: undoes an
// import by removing the events of one source from the ingest service.
#ifndef ORGPULSE_CLI_APP_REMOVE_H_
#define ORGPULSE_CLI_APP_REMOVE_H_

#include <string>
#include <vector>

#include "cli/app/cli.h"

namespace orgpulse::cli {

int RunRemove(const std::vector<std::string>& args, const CliContext& context);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_REMOVE_H_
