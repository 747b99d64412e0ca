#include "cli/app/queries.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/app/command.h"
#include "cli/app/connect_client.h"
#include "cli/app/connection.h"
#include "cli/app/time_flags.h"
#include "cli/output/views.h"
#include "clients/ingest_client.h"
#include "clients/insights_client.h"

namespace orgpulse::cli {
namespace {

namespace sv1 = insights::v1;

// Parses the command line and connects to `service`; on failure returns the
// exit code (after printing why).
template <typename Client>
std::optional<int> Connect(const CommandSpec& command,
                           const std::vector<std::string>& args,
                           const CliContext& context, Service service,
                           size_t max_positionals, ParsedArgs& parsed,
                           std::unique_ptr<Client>& client,
                           std::string& address) {
  if (std::optional<int> done = ParseCommand(command, args, context, parsed)) {
    return done;
  }
  if (parsed.positionals().size() > max_positionals) {
    return UsageError(
        command, context,
        absl::StrCat("unexpected argument \"",
                     parsed.positionals()[max_positionals], "\""));
  }
  return ConnectClient(parsed, service, context, client, address);
}

template <typename Response>
int Answer(const CliContext& context, const ParsedArgs& parsed, Service service,
           const std::string& address, const absl::StatusOr<Response>& answer,
           std::string (*format)(const Response&)) {
  if (!answer.ok()) {
    return Fail(context, ExitCodeForServerStatus(answer.status()),
                DescribeServerError(service, address, answer.status()));
  }
  *context.out << (parsed.Flag("json") ? ToJson(*answer) : format(*answer));
  return kExitOk;
}

}  // namespace

int RunTeams(const std::vector<std::string>& args, const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "teams",
      .usage = "teams [flags] [PREFIX]",
      .description =
          "Lists the teams the ingest service knows (those equal to or under\n"
          "PREFIX, e.g. eng), with their event counts and latest event time."};
  ParsedArgs parsed;
  std::unique_ptr<IngestClient> client;
  std::string address;
  if (auto done = Connect(*command, args, context, Service::kIngest, 1, parsed,
                          client, address)) {
    return *done;
  }
  const std::string prefix =
      parsed.positionals().empty() ? "" : parsed.positionals()[0];
  return Answer(context, parsed, Service::kIngest, address,
                client->ListTeams(prefix), &FormatTeams);
}

int RunExecution(const std::vector<std::string>& args,
                 const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "execution",
      .usage = "execution [flags] TEAM",
      .description =
          "Shows the manager view of a team, or of every team under a path\n"
          "(eng rolls up eng and eng/*): tasks, budgets (earned value),\n"
          "milestones, procedure compliance and this month's KPIs. With\n"
          "--as-of, the figures as they were then, computed from the stored\n"
          "events (the service reads them all: a few seconds per million).",
      .flags = {
          TimeFlag("as-of", "a past time (2026-01-31 or 2026-01-31T23:59:59Z)"),
          TimeZoneFlag("the time zone of --as-of when it has no offset")}};
  ParsedArgs parsed;
  std::unique_ptr<IngestClient> client;
  std::string address;
  if (auto done = Connect(*command, args, context, Service::kIngest, 1, parsed,
                          client, address)) {
    return *done;
  }
  if (parsed.positionals().empty()) {
    return UsageError(*command, context,
                      "which team? (orgpulse execution TEAM)");
  }
  ingest::v1::GetTeamExecutionRequest request;
  request.set_team(parsed.positionals()[0]);
  if (parsed.IsSet("as-of")) {
    if (auto done = ParseTimeFlag(*command, parsed, context, "as-of",
                                  *request.mutable_as_of())) {
      return *done;
    }
  }
  return Answer(context, parsed, Service::kIngest, address,
                client->GetTeamExecution(request), &FormatExecution);
}

int RunInsights(const std::vector<std::string>& args,
                const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "insights",
      .usage = "insights [flags] [PREFIX]",
      .description =
          "Shows where the manager view and the leader view meet for every\n"
          "team (under PREFIX): execution and people scores, quadrant,\n"
          "burnout and turnover risk, the latest survey round and the top\n"
          "driver, highest risk first. Survey figures of groups too small to\n"
          "be anonymous are shown as suppressed.",
      .flags = {{.name = "order",
                 .value_name = "ORDER",
                 .help = "risk (highest first) or team",
                 .default_value = "risk"}}};
  ParsedArgs parsed;
  std::unique_ptr<InsightsClient> client;
  std::string address;
  if (auto done = Connect(*command, args, context, Service::kInsights, 1,
                          parsed, client, address)) {
    return *done;
  }
  sv1::ListTeamInsightsRequest::Order order;
  if (parsed.Get("order") == "risk") {
    order = sv1::ListTeamInsightsRequest::ORDER_RISK;
  } else if (parsed.Get("order") == "team") {
    order = sv1::ListTeamInsightsRequest::ORDER_TEAM;
  } else {
    return UsageError(*command, context, "--order is risk or team");
  }
  const std::string prefix =
      parsed.positionals().empty() ? "" : parsed.positionals()[0];
  return Answer(context, parsed, Service::kInsights, address,
                client->ListTeamInsights(prefix, order), &FormatInsights);
}

int RunSurvey(const std::vector<std::string>& args, const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "survey",
      .usage = "survey erase --respondent=ID [flags]",
      .description =
          "Erases one person's survey responses from the insights service,\n"
          "every round, given the respondent id (or email) the survey was\n"
          "imported with. Nothing of theirs stays in the service's data\n"
          "files; the figures of the groups they were in are withheld in\n"
          "those rounds until k new responses arrive. Erasing again, or a\n"
          "person never imported, erases nothing and succeeds. Needs a token\n"
          "with the scope survey:erase.",
      .flags = {{.name = "respondent",
                 .value_name = "ID",
                 .help = "the respondent id or email, as imported"}}};
  ParsedArgs parsed;
  std::unique_ptr<InsightsClient> client;
  std::string address;
  if (auto done = Connect(*command, args, context, Service::kInsights, 1,
                          parsed, client, address)) {
    return *done;
  }
  if (parsed.positionals().empty() || parsed.positionals()[0] != "erase") {
    return UsageError(*command, context, "expected: survey erase");
  }
  if (!parsed.IsSet("respondent") || parsed.Get("respondent").empty()) {
    return UsageError(*command, context, "--respondent is required");
  }
  const absl::StatusOr<sv1::EraseRespondentResponse> erased =
      client->EraseRespondent(parsed.Get("respondent"));
  if (!erased.ok()) {
    return Fail(
        context, ExitCodeForServerStatus(erased.status()),
        DescribeServerError(Service::kInsights, address, erased.status()));
  }
  *context.out << (parsed.Flag("json") ? ToJson(*erased, /*with_defaults=*/true)
                                       : FormatErase(*erased));
  return kExitOk;
}

}  // namespace orgpulse::cli
