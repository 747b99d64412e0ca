#include "cli/app/cli.h"

#include "absl/strings/str_cat.h"
#include "cli/app/export.h"
#include "cli/app/push.h"
#include "cli/app/queries.h"
#include "cli/app/remove.h"
#include "cli/app/token.h"
#include "cli/app/trend.h"

namespace orgpulse::cli {
namespace {

constexpr char kUsage[] =
    "usage: orgpulse COMMAND [flags] [args]\n"
    "\n"
    "Pushes data to the orgpulse services and asks them about teams.\n"
    "\n"
    "commands:\n"
    "  push FILE...          push CSV or JSON Lines files (events, a Jira\n"
    "                        export, a survey export)\n"
    "  teams [PREFIX]        the teams the ingest service knows\n"
    "  execution TEAM        a team's manager view (tasks, budget, "
    "milestones,\n"
    "                        procedures, KPIs), now or --as-of a past time\n"
    "  trend TEAM            a team's manager view month by month, with "
    "charts\n"
    "  insights [PREFIX]     where the manager and leader views meet, highest\n"
    "                        risk first\n"
    "  survey erase --respondent=ID\n"
    "                        erase one person's survey responses\n"
    "  token new NAME        make a bearer token and its tokens-file line\n"
    "  remove --source=S     undo an import: remove a source's events\n"
    "                        (--from, --to, --dry-run)\n"
    "  export --openmetrics  the ingest series over the past, for a "
    "Prometheus\n"
    "                        backfill (--from, --to, --step)\n"
    "\n"
    "`orgpulse COMMAND --help` describes a command and its flags. Server\n"
    "addresses, TLS files and the token come from flags or from ORGPULSE_*\n"
    "environment variables.\n"
    "\n"
    "exit codes: 0 ok, 2 usage or configuration error, 3 invalid input, 4\n"
    "service unreachable or refusing, 1 other failure\n";

}  // namespace

int ExitCodeForServerStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
      return kExitInvalidInput;
    default:
      return kExitServer;
  }
}

int RunCli(const std::vector<std::string>& args, const CliContext& context) {
  if (args.empty()) {
    *context.err << kUsage;
    return kExitUsage;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "help" || command == "--help" || command == "-h") {
    *context.out << kUsage;
    return kExitOk;
  }
  if (command == "push") return RunPush(rest, context);
  if (command == "teams") return RunTeams(rest, context);
  if (command == "execution") return RunExecution(rest, context);
  if (command == "insights") return RunInsights(rest, context);
  if (command == "survey") return RunSurvey(rest, context);
  if (command == "token") return RunToken(rest, context);
  if (command == "remove") return RunRemove(rest, context);
  if (command == "trend") return RunTrend(rest, context);
  if (command == "export") return RunExport(rest, context);
  *context.err << "orgpulse: unknown command \"" << command
               << "\" (see orgpulse --help)\n";
  return kExitUsage;
}

}  // namespace orgpulse::cli
