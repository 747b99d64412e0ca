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

// Every method registered raw (bytes in and out), decoded by the handlers
// through common/server/message_codec.h: a request that does not decode is
// answered INVALID_ARGUMENT (gRPC's typed handlers say UNIMPLEMENTED).
using RawInsightsService =
    v1::InsightsService::WithRawCallbackMethod_SubmitSurveyResponses<
        v1::InsightsService::WithRawCallbackMethod_GetTeamInsights<
            v1::InsightsService::WithRawCallbackMethod_ListTeamInsights<
                v1::InsightsService::WithRawCallbackMethod_EraseRespondent<
                    v1::InsightsService::Service>>>>;

class InsightsService final : public RawInsightsService {
 public:
  // All must outlive the service.
  InsightsService(SurveyInsights& engine, const KeyedHasher& hasher,
                  const CallAuthorizer& authorizer)
      : engine_(engine), hasher_(hasher), authorizer_(authorizer) {}

  // SubmitSurveyResponsesRequest -> SubmitSurveyResponsesResponse
  grpc::ServerUnaryReactor* SubmitSurveyResponses(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  // GetTeamInsightsRequest -> TeamInsights
  grpc::ServerUnaryReactor* GetTeamInsights(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  // ListTeamInsightsRequest -> ListTeamInsightsResponse
  grpc::ServerUnaryReactor* ListTeamInsights(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  // EraseRespondentRequest -> EraseRespondentResponse
  grpc::ServerUnaryReactor* EraseRespondent(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  SurveyInsights& engine_;
  const KeyedHasher& hasher_;
  const CallAuthorizer& authorizer_;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_GRPC_INSIGHTS_SERVICE_H_
