// What the insights service's gRPC adapter needs of the domain: submit
// survey responses (respondent ids already pseudonymised), erase a person's,
// and read the insights of a team or of every team under a prefix.
// InsightsEngine implements it; the adapter's tests put a fake behind it.
//
// Thread-safe: every method may be called from any thread, concurrently.
//
// Example:
//   SurveyInsights& insights = ...;
//   absl::StatusOr<SubmitResult> r = insights.Submit(std::move(responses));
//   absl::StatusOr<TeamInsights> t = insights.GetTeamInsights("eng", "");
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_INSIGHTS_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_INSIGHTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/insights/domain/execution_source.h"
#include "services/insights/domain/scoring.h"
#include "services/insights/domain/survey.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {

struct SubmitResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
};

struct EraseResult {
  int64_t erased = 0;               // responses removed
  std::vector<std::string> rounds;  // the rounds they were in
};

struct ExecutionView {
  std::optional<ExecutionSnapshot> snapshot;
  double age_seconds = 0;
  bool stale = false;
  std::string stale_reason;
};

struct TeamInsights {
  std::string team;
  std::vector<std::string> teams;
  MoraleView morale;
  ExecutionView execution;
  Assessment assessment;
};

enum class InsightsOrder { kRisk, kTeam };

class SurveyInsights {
 public:
  virtual ~SurveyInsights() = default;

  // Stores `batch` all or nothing, durably before returning OK with the
  // counts (a response id stored before counts as a duplicate).
  // INVALID_ARGUMENT with a field violation per bad field if any response is
  // invalid; RESOURCE_EXHAUSTED over the team cap or when the disk is full;
  // UNAVAILABLE on other storage errors. Nothing of a refused batch is stored.
  // REQUIRES: every `respondent` is a keyed hash, never a raw id.
  virtual absl::StatusOr<SubmitResult> Submit(
      std::vector<SurveyResponse> batch) = 0;

  // Erases every response of `respondent` (keyed hash, not empty) from the
  // store and the figures, durably; the figures of the groups they were in
  // are withdrawn in those rounds (SurveyState: erasure). Idempotent: an
  // unknown or already erased person erases 0 responses. RESOURCE_EXHAUSTED
  // or UNAVAILABLE on storage errors, with nothing erased.
  virtual absl::StatusOr<EraseResult> Erase(absl::string_view respondent) = 0;

  // The insights of `node` (a team or a prefix) in `round` (empty: the
  // latest), with survey figures only where the privacy rules release them.
  // NOT_FOUND if neither surveys nor ingest know anything under `node`;
  // OUT_OF_RANGE for a round older than those kept (retention).
  // REQUIRES: `node` is a valid team id.
  virtual absl::StatusOr<TeamInsights> GetTeamInsights(
      absl::string_view node, absl::string_view round) const = 0;

  // The same, but paired with ingest's figures as of the round's end (the
  // latest submitted_at among the group's released responses,
  // morale.figures->as_of; ingest's time if that is later) instead of
  // today's, so the quadrant is the round's own. A round whose figures are
  // not released has no end to ask about: no execution figures, quadrant
  // INSUFFICIENT_DATA. Errors as GetTeamInsights, and UNAVAILABLE (with
  // ingest's code and message) when ingest cannot answer.
  virtual absl::StatusOr<TeamInsights> GetRoundInsights(
      absl::string_view node, absl::string_view round) const = 0;

  // The insights of each team under `prefix` ("" for all), riskiest first
  // (kRisk) or by team id (kTeam).
  virtual std::vector<TeamInsights> ListTeamInsights(
      absl::string_view prefix, InsightsOrder order) const = 0;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_INSIGHTS_H_
