#include "cli/app/trend.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli/app/connect_client.h"
#include "cli/app/connection.h"
#include "cli/app/time_flags.h"
#include "cli/import/values.h"
#include "cli/output/views.h"
#include "clients/ingest_client.h"
#include "clients/insights_client.h"
#include "common/proto/time_conversion.h"
#include "common/status/field_violations.h"

namespace orgpulse::cli {

namespace {

// The most survey rounds --survey shows.
constexpr int kMaxRounds = 24;

// Fills `rounds` (oldest first) with insights' answer for each round of
// trend.team(), newest first until the first round before the trend's first
// point, a round without an earlier released one, or kMaxRounds. On failure
// prints why and returns the exit code.
std::optional<int> SurveyRounds(
    const ParsedArgs& parsed, const CliContext& context,
    const ingest::v1::TeamTrend& trend,
    std::vector<insights::v1::TeamInsights>& rounds) {
  std::unique_ptr<InsightsClient> client;
  std::string address;
  if (std::optional<int> done =
          ConnectClient(parsed, Service::kInsights, context, client, address)) {
    return done;
  }
  const int64_t first_point =
      trend.points().empty() ? 0 : trend.points(0).as_of().seconds();
  std::string round;  // "" asks for the latest
  while (static_cast<int>(rounds.size()) < kMaxRounds) {
    insights::v1::GetTeamInsightsRequest request;
    request.set_team(trend.team());
    request.set_round(round);
    request.set_execution_at_round_end(true);  // each round's own quadrant
    absl::StatusOr<insights::v1::TeamInsights> r =
        client->GetTeamInsights(request);
    if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound &&
        round.empty()) {
      break;  // insights knows nothing of the team
    }
    if (!r.ok()) {
      return Fail(context, ExitCodeForServerStatus(r.status()),
                  DescribeServerError(Service::kInsights, address, r.status()));
    }
    if (r->morale().round().empty()) break;  // no responses at all
    rounds.push_back(*r);
    round = r->morale().previous_round();
    if (round.empty() || (!r->morale().suppressed() &&
                          r->morale().as_of().seconds() < first_point)) {
      break;
    }
  }
  std::reverse(rounds.begin(), rounds.end());
  return std::nullopt;
}

}  // namespace

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
          "a few seconds per million events). With --survey, also the\n"
          "leader view of each survey round (respondents, eNPS, intent to\n"
          "stay, the dimensions), back to the first round before --from,\n"
          "as the insights service releases them: a suppressed round shows\n"
          "no figure and ends the list (insights names no round before it);\n"
          "and each round's quadrant, from its morale and the execution\n"
          "figures as of the round's end (its latest response).",
      .flags = {
          TimeFlag("from",
                   "the start (2025-01-01 or 2025-01-01T00:00:00Z); default: "
                   "the start of the month eleven months before --to"),
          TimeFlag("to", "the last point; default: now"),
          TimeZoneFlag(),
          {.name = "survey",
           .help = "also the leader view of each survey round from the "
                   "insights service (released figures only)"}}};
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
  if (auto done = ParseTimeRange(*command, parsed, context, request)) {
    return *done;
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
  std::vector<insights::v1::TeamInsights> rounds;
  if (parsed.Flag("survey")) {
    if (std::optional<int> done =
            SurveyRounds(parsed, context, *trend, rounds)) {
      return *done;
    }
  }
  if (!parsed.Flag("json")) {
    *context.out << FormatTrend(*trend)
                 << (parsed.Flag("survey") ? FormatSurveyRounds(rounds) : "");
    return kExitOk;
  }
  if (!parsed.Flag("survey")) {
    *context.out << ToJson(*trend);
    return kExitOk;
  }
  // One JSON object: {"trend": TeamTrend, "rounds": [TeamInsights, ...]}.
  std::vector<std::string> round_json;
  for (const insights::v1::TeamInsights& r : rounds) {
    round_json.push_back(std::string(absl::StripSuffix(ToJson(r), "\n")));
  }
  *context.out << "{\"trend\":" << absl::StripSuffix(ToJson(*trend), "\n")
               << ",\"rounds\":[" << absl::StrJoin(round_json, ",") << "]}\n";
  return kExitOk;
}

}  // namespace orgpulse::cli
