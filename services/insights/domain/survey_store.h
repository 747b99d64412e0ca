// Where the insights service keeps survey responses (scored, respondent
// pseudonymised). As small a contract as the ingest EventStore: append a
// batch durably and atomically, replay everything on start, and say whether
// it takes writes (StoreHealth).
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/storage/store_health.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

class SurveyStore : public StoreHealth {
 public:
  virtual ~SurveyStore() = default;
  // Atomic and durable on OK; nothing stored on error (RESOURCE_EXHAUSTED
  // when the disk is full, and while !writable()). One caller at a time.
  [[nodiscard]] virtual absl::Status Append(
      absl::Span<const ScoredResponse> responses) = 0;
  [[nodiscard]] virtual absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> fn) = 0;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
