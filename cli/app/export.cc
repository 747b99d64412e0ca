#include "cli/app/export.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/app/command.h"
#include "cli/app/connect_client.h"
#include "cli/app/connection.h"
#include "cli/app/time_flags.h"
#include "cli/export/openmetrics.h"
#include "cli/output/views.h"
#include "clients/ingest_client.h"
#include "common/proto/time_conversion.h"
#include "common/status/field_violations.h"

namespace orgpulse::cli {
namespace {

// The most points ingest answers per GetTeamTrend with a step
// (kMaxStepPoints in services/ingest/domain/history.h): longer spans are
// asked for in parts.
constexpr int64_t kPointsPerCall = 2000;

// Prometheus's label names: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsLabelName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

int RunExport(const std::vector<std::string>& args, const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "export",
      .usage =
          "export --openmetrics --from=TIME [--to=TIME] [--step=DURATION] "
          "[flags]",
      .description =
          "Writes the per-team series of the ingest service's /metrics as\n"
          "they were every --step from --from to --to, computed from the\n"
          "stored events, with timestamps, in the OpenMetrics text format\n"
          "(ending in # EOF): a Prometheus backfill, for\n"
          "  promtool tsdb create-blocks-from openmetrics FILE DATA_DIR\n"
          "Each team costs the service a read of its whole store per 2,000\n"
          "points (a few seconds per million events; pushes go on\n"
          "meanwhile). Nothing is written if any team fails.",
      .flags = {
          {.name = "openmetrics",
           .help = "write OpenMetrics text (the only format; required)"},
          TimeFlag("from", "the first sample's time (required)"),
          TimeFlag("to", "the last sample at or before TIME; default: now"),
          {.name = "step",
           .value_name = "DURATION",
           .help = "between samples (1h, 30m, 1d is 24h)",
           .default_value = "1h"},
          {.name = "prefix",
           .value_name = "TEAM",
           .help = "only the teams equal to or under TEAM"},
          {.name = "labels",
           .value_name = "NAME=VALUE,...",
           .help = "labels for every series, e.g. the job and instance "
                   "Prometheus scrapes ingest as "
                   "(job=orgpulse-ingest,instance=ingest:9464)"},
          {.name = "output",
           .value_name = "FILE",
           .help = "write there instead of to stdout"},
          TimeZoneFlag()}};
  ParsedArgs parsed;
  if (std::optional<int> done = ParseCommand(*command, args, context, parsed)) {
    return *done;
  }
  if (!parsed.positionals().empty()) {
    return UsageError(
        *command, context,
        absl::StrCat("unexpected argument \"", parsed.positionals()[0], "\""));
  }
  if (!parsed.Flag("openmetrics")) {
    return UsageError(*command, context,
                      "which format? (--openmetrics, the only one)");
  }
  if (!parsed.IsSet("from")) {
    return UsageError(*command, context, "from when? (--from=TIME)");
  }
  google::protobuf::Timestamp from_proto, to_proto;
  if (auto done =
          ParseTimeFlag(*command, parsed, context, "from", from_proto)) {
    return *done;
  }
  ToProtoTime(absl::Now(), to_proto);
  if (parsed.IsSet("to")) {
    if (auto done = ParseTimeFlag(*command, parsed, context, "to", to_proto)) {
      return *done;
    }
  }
  std::string step_text = parsed.Get("step");
  absl::Duration step;
  // "1d" for a day: absl's durations stop at hours.
  if (step_text.size() > 1 && step_text.back() == 'd') {
    int days = 0;
    if (absl::SimpleAtoi(step_text.substr(0, step_text.size() - 1), &days)) {
      step_text = absl::StrCat(days * 24, "h");
    }
  }
  if (!absl::ParseDuration(step_text, &step) || step < absl::Seconds(1)) {
    return UsageError(*command, context,
                      absl::StrCat("--step: \"", parsed.Get("step"),
                                   "\" is not a duration of 1s or more "
                                   "(e.g. 30m, 1h, 1d)"));
  }
  std::vector<std::pair<std::string, std::string>> labels;
  if (parsed.IsSet("labels")) {
    for (absl::string_view item : absl::StrSplit(parsed.Get("labels"), ',')) {
      std::pair<std::string, std::string> label =
          absl::StrSplit(item, absl::MaxSplits('=', 1));
      if (!IsLabelName(label.first) || label.first == "team" ||
          label.first == "__name__" || label.second.empty()) {
        return UsageError(*command, context,
                          absl::StrCat("--labels: \"", item,
                                       "\" is not NAME=VALUE with a label name "
                                       "other than team"));
      }
      labels.push_back(std::move(label));
    }
  }
  const absl::Time from = FromProtoTime(true, from_proto);
  const absl::Time to = FromProtoTime(true, to_proto);
  if (to < from) {
    return UsageError(*command, context, "--to is before --from");
  }

  std::unique_ptr<IngestClient> client;
  std::string address;
  if (std::optional<int> done =
          ConnectClient(parsed, Service::kIngest, context, client, address)) {
    return *done;
  }
  auto failed = [&](const absl::Status& status) {
    std::string why = DescribeServerError(Service::kIngest, address, status);
    for (const FieldViolation& v : GetFieldViolations(status)) {
      absl::StrAppend(&why, "\n  ", v.field, ": ", v.description);
    }
    return Fail(context, ExitCodeForServerStatus(status), why);
  };
  absl::StatusOr<ingest::v1::ListTeamsResponse> teams =
      client->ListTeams(parsed.Get("prefix"));
  if (!teams.ok()) return failed(teams.status());

  OpenMetricsHistory history(std::move(labels));
  for (const ingest::v1::TeamSummary& team : teams->teams()) {
    for (absl::Time part = from; part <= to;) {
      const absl::Time part_end =
          std::min(to, part + step * (kPointsPerCall - 1));
      ingest::v1::GetTeamTrendRequest request;
      request.set_team(team.team());
      request.set_own(true);
      ToProtoTime(part, *request.mutable_from());
      ToProtoTime(part_end, *request.mutable_to());
      request.mutable_step()->set_seconds(absl::ToInt64Seconds(step));
      request.mutable_step()->set_nanos(static_cast<int32_t>(
          absl::ToInt64Nanoseconds(step % absl::Seconds(1))));
      absl::StatusOr<ingest::v1::TeamTrend> trend =
          client->GetTeamTrend(request);
      if (!trend.ok()) return failed(trend.status());
      for (const ingest::v1::TeamExecution& own : trend->points()) {
        history.Add(own);
      }
      // The next part starts a step after this one's last point.
      part += step * ((part_end - part) / step + 1);
    }
  }
  std::ostringstream text;
  history.Write(text);
  if (parsed.IsSet("output")) {
    std::ofstream file(parsed.Get("output"), std::ios::trunc);
    file << text.str();
    file.close();
    if (!file) {
      return Fail(context, kExitUsage,
                  absl::StrCat("cannot write ", parsed.Get("output")));
    }
  } else {
    *context.out << text.str();
  }
  *context.err << absl::StrCat("exported ", history.samples(), " samples of ",
                               teams->teams_size(), " team(s)\n");
  return kExitOk;
}

}  // namespace orgpulse::cli
