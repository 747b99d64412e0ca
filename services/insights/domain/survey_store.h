// Where the insights service keeps survey responses (scored, respondent
// pseudonymised). As small a contract as the ingest EventStore: append a
// batch durably and atomically, replay everything on start.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

class SurveyStore {
 public:
  virtual ~SurveyStore() = default;
  // Atomic and durable on OK; nothing stored on error. One caller at a time.
  [[nodiscard]] virtual absl::Status Append(
      absl::Span<const ScoredResponse> responses) = 0;
  [[nodiscard]] virtual absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> fn) = 0;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
