#include "services/insights/grpc/insights_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"
#include "common/status/grpc_status.h"
#include "services/insights/domain/validation.h"
#include "services/insights/grpc/conversion.h"

namespace orgpulse::insights {

grpc::ServerUnaryReactor* InsightsService::SubmitSurveyResponses(
    grpc::CallbackServerContext* context,
    const v1::SubmitSurveyResponsesRequest* request,
    v1::SubmitSurveyResponsesResponse* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kSurveySubmit);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Surveys arrive in small volumes; the engine's durable append (one
  // fsync per batch) runs on this callback thread.
  absl::StatusOr<SubmitResult> result =
      engine_.Submit(FromProto(*request, hasher_));
  if (result.ok()) {
    response->set_accepted(result->accepted);
    response->set_duplicates(result->duplicates);
  }
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

grpc::ServerUnaryReactor* InsightsService::GetTeamInsights(
    grpc::CallbackServerContext* context,
    const v1::GetTeamInsightsRequest* request, v1::TeamInsights* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kInsightsRead);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = ValidateTeamArgument("team", request->team(), true);
  if (status.ok() && request->round().size() > kMaxRoundLength) {
    status = InvalidArgumentWithViolations(
        "round is too long", {{"round", "longer than 32 characters"}});
  }
  if (status.ok()) {
    absl::StatusOr<TeamInsights> insights =
        engine_.GetTeamInsights(request->team(), request->round());
    if (insights.ok()) ToProto(*insights, *response);
    status = insights.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* InsightsService::ListTeamInsights(
    grpc::CallbackServerContext* context,
    const v1::ListTeamInsightsRequest* request,
    v1::ListTeamInsightsResponse* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kInsightsRead);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status =
      ValidateTeamArgument("prefix", request->prefix(), false);
  if (status.ok()) {
    const InsightsOrder order =
        request->order() == v1::ListTeamInsightsRequest::ORDER_TEAM
            ? InsightsOrder::kTeam
            : InsightsOrder::kRisk;
    for (const TeamInsights& t :
         engine_.ListTeamInsights(request->prefix(), order)) {
      ToProto(t, *response->add_teams());
    }
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace orgpulse::insights
