// Validation of submitted survey batches: every bad field of every response
// is reported (INVALID_ARGUMENT with field violations), and descriptions
// never echo answers or respondent ids.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_VALIDATION_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_VALIDATION_H_

#include <vector>

#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

inline constexpr size_t kMaxResponsesPerBatch = 1000;
inline constexpr size_t kMaxAnswersPerResponse = 200;
inline constexpr size_t kMaxResponseIdLength = 128;
inline constexpr size_t kMaxRoundLength = 32;
inline constexpr size_t kMaxRespondentIdLength = 256;
inline constexpr size_t kMaxItemLength = 128;  // answers[].item, not stored

std::vector<FieldViolation> ValidateResponses(
    const std::vector<SurveyResponse>& batch, absl::Time now);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_VALIDATION_H_
