// `orgpulse teams [PREFIX]`, `orgpulse execution TEAM`,
// `orgpulse insights [PREFIX]` and `orgpulse survey erase`: text, or JSON
// with --json.
#ifndef ORGPULSE_CLI_APP_QUERIES_H_
#define ORGPULSE_CLI_APP_QUERIES_H_

#include <string>
#include <vector>

#include "cli/app/cli.h"

namespace orgpulse::cli {

int RunTeams(const std::vector<std::string>& args, const CliContext& context);
int RunExecution(const std::vector<std::string>& args,
                 const CliContext& context);
int RunInsights(const std::vector<std::string>& args,
                const CliContext& context);
int RunSurvey(const std::vector<std::string>& args, const CliContext& context);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_QUERIES_H_
