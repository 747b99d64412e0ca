// The gRPC adapter of the insights service: authorize -> decode
// (pseudonymising respondent ids) -> call the SurveyInsights -> encode -> map
// the status.
#ifndef ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVICE_H_
#define ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVICE_H_

#include "common/auth/call_authorizer.h"
#include "common/crypto/keyed_hash.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "services/insights/domain/survey_insights.h"

namespace orgpulse::insights {

class InsightsService final : public v1::InsightsService::CallbackService {
 public:
  // All must outlive the service.
  InsightsService(SurveyInsights& engine, const KeyedHasher& hasher,
                  const CallAuthorizer& authorizer)
      : engine_(engine), hasher_(hasher), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* SubmitSurveyResponses(
      grpc::CallbackServerContext* context,
      const v1::SubmitSurveyResponsesRequest* request,
      v1::SubmitSurveyResponsesResponse* response) override;
  grpc::ServerUnaryReactor* GetTeamInsights(
      grpc::CallbackServerContext* context,
      const v1::GetTeamInsightsRequest* request,
      v1::TeamInsights* response) override;
  grpc::ServerUnaryReactor* ListTeamInsights(
      grpc::CallbackServerContext* context,
      const v1::ListTeamInsightsRequest* request,
      v1::ListTeamInsightsResponse* response) override;

 private:
  SurveyInsights& engine_;
  const KeyedHasher& hasher_;
  const CallAuthorizer& authorizer_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVICE_H_
