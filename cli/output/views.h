// The command line's answers as text: the teams list, a team's execution
// figures, and the org's insights (highest risk first, as the server sorts
// them; suppressed survey figures shown as suppressed, never as numbers).
// And the same answers as JSON for scripts (protobuf's JSON mapping, field
// names as in the .proto, fields at their default values left out).
#ifndef ORGPULSE_CLI_OUTPUT_VIEWS_H_
#define ORGPULSE_CLI_OUTPUT_VIEWS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "orgpulse/ingest/v1/ingest.pb.h"
#include "orgpulse/insights/v1/insights.pb.h"

namespace orgpulse::cli {

std::string FormatTeams(const ingest::v1::ListTeamsResponse& teams);
std::string FormatExecution(const ingest::v1::TeamExecution& figures);
// A trend: one row per figure (on-time ratio, overdue, cycle time, CPI, SPI,
// milestones, compliance, each KPI's attainment) with its first, last,
// smallest and largest value over the points and a sparkline of them all.
std::string FormatTrend(const ingest::v1::TeamTrend& trend);
// The leader view per survey round, oldest first (insights' answers for
// each round: released figures only): respondents, eNPS, intent to stay and
// each dimension as rows like FormatTrend's, a suppressed round a blank in
// every chart; then each round's quadrant (insights pairs each round with
// ingest's figures as of the round's end; INSUFFICIENT_DATA when suppressed).
std::string FormatSurveyRounds(
    const std::vector<insights::v1::TeamInsights>& rounds);
std::string FormatInsights(const insights::v1::ListTeamInsightsResponse& org);
// What a removal of `source`'s events did (or, dry run, would do): a line of
// counts, then per team the events removed and a few own figures before ->
// after ("gone" when no event of the team is left).
std::string FormatRemoval(absl::string_view source,
                          const ingest::v1::RemoveEventsResponse& removal);

std::string FormatErase(const insights::v1::EraseRespondentResponse& erased);

// One line, ending with a newline. `with_defaults`: fields at their default
// values too (an erasure of nothing says "erased": "0").
std::string ToJson(const google::protobuf::Message& message,
                   bool with_defaults = false);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_OUTPUT_VIEWS_H_
