// The insights service's core: stores validated survey batches (idempotent
// by response id, all or nothing, durable before the answer), keeps the
// leader view per group and round under the privacy rules, and joins it
// with the manager view from an ExecutionSource into team insights.
//
// Thread-safe. Queries answer from memory. Implements SurveyInsights, the
// interface the gRPC adapter uses.
//
// Example:
//   InsightsEngine engine(store, source, clock, {.min_group_size = 5});
//   if (absl::Status s = engine.Recover(); !s.ok()) return s;
//   absl::StatusOr<SubmitResult> r = engine.Submit(std::move(responses));
//   absl::StatusOr<TeamInsights> t = engine.GetTeamInsights("eng", "");
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_INSIGHTS_ENGINE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_INSIGHTS_ENGINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock/clock.h"
#include "services/insights/domain/execution_history.h"
#include "services/insights/domain/execution_source.h"
#include "services/insights/domain/scoring.h"
#include "services/insights/domain/survey.h"
#include "services/insights/domain/survey_insights.h"
#include "services/insights/domain/survey_state.h"
#include "services/insights/domain/survey_store.h"

namespace orgpulse::insights {

struct InsightsOptions {
  // Smallest group whose survey figures are released (k); >= 3.
  int min_group_size = 5;
  // Survey responses naming more teams than this are refused.
  size_t max_teams = 1000;
  // Execution figures older than this count as stale.
  absl::Duration stale_after = absl::Minutes(2);
  // Keep the survey rounds with the N greatest ids, drop older ones from
  // the store and the figures (at Recover and when a new round arrives); 0
  // keeps every round.
  int retain_rounds = 0;
};

struct InsightsStats {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected_invalid = 0;
  int64_t rejected_team_limit = 0;
  int64_t rejected_storage = 0;
  int64_t stored = 0;
  int64_t erased = 0;          // responses erased since the start
  int64_t dropped_rounds = 0;  // rounds dropped by retention since the start
};

class InsightsEngine final : public SurveyInsights {
 public:
  // `store`, `source`, `clock` and `history` must outlive the engine.
  // Without `history`, GetRoundInsights is FAILED_PRECONDITION.
  InsightsEngine(SurveyStore& store, const ExecutionSource& source,
                 const Clock& clock, InsightsOptions options,
                 const ExecutionHistory* history = nullptr);

  // Replays the store, then drops the rounds retention does not keep.
  // REQUIRES: called once, before anything else.
  [[nodiscard]] absl::Status Recover();

  // INVALID_ARGUMENT (with field violations) if any response is invalid;
  // RESOURCE_EXHAUSTED over the team cap or when the disk is full;
  // OUT_OF_RANGE for a response to a round older than retention keeps.
  // Nothing of a refused batch is stored. When the batch brings a round
  // beyond the kept number, the oldest are dropped before the answer (an
  // error then says the batch is stored and the drop is tried again at the
  // next batch or start).
  absl::StatusOr<SubmitResult> Submit(
      std::vector<SurveyResponse> batch) override;

  absl::StatusOr<EraseResult> Erase(absl::string_view respondent) override;

  // `round` empty: the latest round. NOT_FOUND if neither survey nor
  // ingest knows anything under `node`.
  absl::StatusOr<TeamInsights> GetTeamInsights(
      absl::string_view node, absl::string_view round) const override;

  // Asks `history` outside the lock: a slow ingest holds up no other call.
  absl::StatusOr<TeamInsights> GetRoundInsights(
      absl::string_view node, absl::string_view round) const override;

  // Each team under `prefix` ("" for all), each with its own insights.
  std::vector<TeamInsights> ListTeamInsights(
      absl::string_view prefix, InsightsOrder order) const override;

  // A shared store (SurveyStore::shared, several replicas): folds what the
  // log holds past the last fold, in log order (a rewrite since: the state
  // is built again from the whole log). Called by the store's watcher after
  // another replica's change; Submit and Erase fold their own changes the
  // same way before they answer. Skipped while the store is unreachable, so
  // reads never wait on a reconnection. A no-op for a store of one process.
  absl::Status CatchUp();
  // How far the state has folded a shared store's log ({0, 0} otherwise):
  // replicas at the same cursor serve the same figures.
  SurveyLogCursor log_cursor() const;

  InsightsStats stats() const;
  const InsightsOptions& options() const { return options_; }

 private:
  TeamInsights Build(absl::string_view node, absl::string_view round,
                     std::vector<std::string> teams) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<std::string> TeamsUnder(absl::string_view prefix) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The state, built again from the store: after an erasure or a drop, the
  // figures are exactly those a restart would serve.
  absl::Status Rebuild() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Folds the shared store's log past folded_ (see CatchUp).
  absl::Status CatchUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the rounds beyond options_.retain_rounds from the store, then
  // rebuilds.
  absl::Status DropOldRounds() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The oldest round retention keeps, if rounds older than it are not kept.
  std::optional<std::string> OldestKeptRound() const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  SurveyStore& store_;
  const ExecutionSource& source_;
  const Clock& clock_;
  const InsightsOptions options_;
  const ExecutionHistory* const history_;  // may be null

  mutable absl::Mutex mu_;
  SurveyState state_ ABSL_GUARDED_BY(mu_);
  InsightsStats stats_ ABSL_GUARDED_BY(mu_);
  SurveyLogCursor folded_ ABSL_GUARDED_BY(mu_);  // shared stores only
};

// The combined risk used to rank teams: the larger of burnout and turnover
// risk; nullopt when the people figures are not released.
std::optional<double> CombinedRisk(const TeamInsights& insights);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_INSIGHTS_ENGINE_H_
