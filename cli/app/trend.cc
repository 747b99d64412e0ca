#include "cli/app/trend.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/app/connect_client.h"
#include "cli/app/connection.h"
#include "cli/import/values.h"
#include "cli/output/views.h"
#include "clients/ingest_client.h"
#include "common/proto/time_conversion.h"
#include "common/status/field_violations.h"

namespace orgpulse::cli {

std::optional<int> ParseTimeFlag(const CommandSpec& command,
                                 const ParsedArgs& parsed,
                                 const CliContext& context,
                                 const std::string& name,
                                 google::protobuf::Timestamp& out) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(parsed.Get("timezone"), &zone)) {
    return UsageError(command, context,
                      absl::StrCat("--timezone: unknown time zone \"",
                                   parsed.Get("timezone"), "\""));
  }
  absl::StatusOr<ParsedTime> t = ParseTime(parsed.Get(name), zone);
  if (!t.ok()) {
    return UsageError(command, context,
                      absl::StrCat("--", name, ": ", t.status().message()));
  }
  ToProtoTime(t->time, out);
  return std::nullopt;
}

int RunTrend(const std::vector<std::string>& args, const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "trend",
      .usage = "trend [flags] TEAM",
      .description =
          "Shows how a team's manager view (or that of every team under a\n"
          "path) went month by month: the figures at the end of each month\n"
          "from --from to --to, and at --to, one row per figure with its\n"
          "first, last, smallest and largest value and a chart. Computed by\n"
          "the ingest service from its stored events (it reads them all:\n"
          "a few seconds per million events).",
      .flags = {
          {.name = "from",
           .value_name = "TIME",
           .help = "the start (2025-01-01 or 2025-01-01T00:00:00Z); default: "
                   "the start of the month eleven months before --to"},
          {.name = "to",
           .value_name = "TIME",
           .help = "the last point; default: now"},
          {.name = "timezone",
           .value_name = "ZONE",
           .help = "the time zone of --from and --to when they have no "
                   "offset",
           .default_value = "UTC"}}};
  ParsedArgs parsed;
  if (std::optional<int> done = ParseCommand(*command, args, context, parsed)) {
    return *done;
  }
  if (parsed.positionals().empty()) {
    return UsageError(*command, context, "which team? (orgpulse trend TEAM)");
  }
  if (parsed.positionals().size() > 1) {
    return UsageError(
        *command, context,
        absl::StrCat("unexpected argument \"", parsed.positionals()[1], "\""));
  }
  ingest::v1::GetTeamTrendRequest request;
  request.set_team(parsed.positionals()[0]);
  if (parsed.IsSet("from")) {
    if (auto done = ParseTimeFlag(*command, parsed, context, "from",
                                  *request.mutable_from())) {
      return *done;
    }
  }
  if (parsed.IsSet("to")) {
    if (auto done = ParseTimeFlag(*command, parsed, context, "to",
                                  *request.mutable_to())) {
      return *done;
    }
  }

  std::unique_ptr<IngestClient> client;
  std::string address;
  if (std::optional<int> done =
          ConnectClient(parsed, Service::kIngest, context, client, address)) {
    return *done;
  }
  absl::StatusOr<ingest::v1::TeamTrend> trend = client->GetTeamTrend(request);
  if (!trend.ok()) {
    std::string why =
        DescribeServerError(Service::kIngest, address, trend.status());
    for (const FieldViolation& v : GetFieldViolations(trend.status())) {
      absl::StrAppend(&why, "\n  --", v.field, ": ", v.description);
    }
    return Fail(context, ExitCodeForServerStatus(trend.status()), why);
  }
  *context.out << (parsed.Flag("json") ? ToJson(*trend) : FormatTrend(*trend));
  return kExitOk;
}

}  // namespace orgpulse::cli
