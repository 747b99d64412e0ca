// Where the insights service keeps survey responses (scored, respondent
// pseudonymised). As small a contract as the ingest EventStore: append a
// batch durably and atomically, replay everything on start, and say whether
// it takes writes (StoreHealth); and, for people's rights, remove a person's
// responses (erasure) or whole rounds (retention) so that nothing of them is
// left in the store's files.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/storage/store_health.h"
#include "services/insights/domain/survey.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {

class SurveyStore : public StoreHealth {
 public:
  virtual ~SurveyStore() = default;
  // Atomic and durable on OK; nothing stored on error (RESOURCE_EXHAUSTED
  // when the disk is full, and while !writable()). One caller at a time, for
  // this and the other changes below.
  [[nodiscard]] virtual absl::Status Append(
      absl::Span<const ScoredResponse> responses) = 0;
  // Every stored response and round reset, in the order they were stored.
  [[nodiscard]] virtual absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) = 0;

  // Removes every response of `respondent` (keyed hash, not empty) and every
  // earlier reset of the rounds in `resets`, and stores `resets` after
  // everything else; returns how many responses were removed (0 if none).
  // Atomic and durable on OK, nothing changed on error; the removed bytes
  // are in none of the store's files once it returns OK.
  [[nodiscard]] virtual absl::StatusOr<int64_t> Erase(
      absl::string_view respondent, absl::Span<const RoundReset> resets) = 0;

  // Removes every response and reset of `rounds`, as Erase does; returns how
  // many responses were removed.
  [[nodiscard]] virtual absl::StatusOr<int64_t> DropRounds(
      const std::set<std::string>& rounds) = 0;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
