// Conversion between orgpulse.insights.v1 and the domain. Respondent ids are
// pseudonymised here, on the way in, so nothing past this layer ever holds
// one. Conversion is total; ValidateResponses rejects what is malformed.
#ifndef ORGPULSE_SERVICES_INSIGHTS_GRPC_CONVERSION_H_
#define ORGPULSE_SERVICES_INSIGHTS_GRPC_CONVERSION_H_

#include <vector>

#include "common/crypto/keyed_hash.h"
#include "orgpulse/insights/v1/insights.pb.h"
#include "services/insights/domain/survey_insights.h"

namespace orgpulse::insights {

std::vector<SurveyResponse> FromProto(
    const v1::SubmitSurveyResponsesRequest& request, const KeyedHasher& hasher);
void ToProto(const TeamInsights& insights, v1::TeamInsights& out);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_GRPC_CONVERSION_H_
