#include "services/insights/grpc/insights_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"
#include "common/server/message_codec.h"
#include "common/status/grpc_status.h"
#include "services/insights/domain/validation.h"
#include "services/insights/grpc/conversion.h"

namespace orgpulse::insights {

grpc::ServerUnaryReactor* InsightsService::SubmitSurveyResponses(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kSurveySubmit);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  return UnaryCall<v1::SubmitSurveyResponsesRequest,
                   v1::SubmitSurveyResponsesResponse>::
      Start(*request, response, [this](auto& call) {
        // Surveys arrive in small volumes; the engine's durable append (one
        // fsync per batch) runs on this callback thread.
        absl::StatusOr<SubmitResult> result =
            engine_.Submit(FromProto(call.request(), hasher_));
        if (result.ok()) {
          call.response().set_accepted(result->accepted);
          call.response().set_duplicates(result->duplicates);
        }
        call.Finish(result.status());
      });
}

grpc::ServerUnaryReactor* InsightsService::GetTeamInsights(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<Caller> caller =
      authorizer_.Authorize(*context, Scope::kInsightsRead);
  if (!caller.ok()) return RefuseCall(context, caller.status());
  return UnaryCall<v1::GetTeamInsightsRequest, v1::TeamInsights>::Start(
      *request, response, [this, caller = *caller](auto& call) {
        const v1::GetTeamInsightsRequest& request = call.request();
        absl::Status status =
            ValidateTeamArgument("team", request.team(), true);
        if (status.ok() && request.round().size() > kMaxRoundLength) {
          status = InvalidArgumentWithViolations(
              "round is too long", {{"round", "longer than 32 characters"}});
        }
        if (status.ok()) {
          status = authorizer_.CheckReadPaths(caller, {request.team()});
        }
        if (status.ok()) {
          absl::StatusOr<TeamInsights> insights =
              request.execution_at_round_end()
                  ? engine_.GetRoundInsights(request.team(), request.round())
                  : engine_.GetTeamInsights(request.team(), request.round());
          if (insights.ok()) ToProto(*insights, call.response());
          status = insights.status();
        }
        call.Finish(status);
      });
}

grpc::ServerUnaryReactor* InsightsService::ListTeamInsights(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<Caller> caller =
      authorizer_.Authorize(*context, Scope::kInsightsRead);
  if (!caller.ok()) return RefuseCall(context, caller.status());
  return UnaryCall<v1::ListTeamInsightsRequest, v1::ListTeamInsightsResponse>::
      Start(*request, response, [this, caller = *caller](auto& call) {
        const v1::ListTeamInsightsRequest& request = call.request();
        absl::Status status =
            ValidateTeamArgument("prefix", request.prefix(), false);
        if (status.ok()) {
          status = authorizer_.CheckReadPaths(caller, {request.prefix()});
        }
        if (status.ok()) {
          const InsightsOrder order =
              request.order() == v1::ListTeamInsightsRequest::ORDER_TEAM
                  ? InsightsOrder::kTeam
                  : InsightsOrder::kRisk;
          for (const TeamInsights& t :
               engine_.ListTeamInsights(request.prefix(), order)) {
            ToProto(t, *call.response().add_teams());
          }
        }
        call.Finish(status);
      });
}

grpc::ServerUnaryReactor* InsightsService::EraseRespondent(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kSurveyErase);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  return UnaryCall<v1::EraseRespondentRequest, v1::EraseRespondentResponse>::
      Start(*request, response, [this](auto& call) {
        const std::string& id = call.request().respondent_id();
        if (id.empty() || id.size() > kMaxRespondentIdLength) {
          const std::string why =
              id.empty() ? "is required"
                         : absl::StrCat("is longer than ",
                                        kMaxRespondentIdLength, " bytes");
          call.Finish(InvalidArgumentWithViolations(
              absl::StrCat("respondent_id ", why), {{"respondent_id", why}}));
          return;
        }
        // Rewrites the store and rebuilds the figures on this callback
        // thread: erasures are rare operator actions.
        absl::StatusOr<EraseResult> result = engine_.Erase(hasher_.Hash(id));
        if (result.ok()) {
          call.response().set_erased(result->erased);
          for (const std::string& round : result->rounds) {
            call.response().add_rounds(round);
          }
        }
        call.Finish(result.status());
      });
}

}  // namespace orgpulse::insights
