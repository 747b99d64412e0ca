#include "clients/insights_client.h"

#include <algorithm>
#include <utility>

#include "common/status/grpc_status.h"

namespace orgpulse {

namespace v1 = insights::v1;

absl::StatusOr<std::unique_ptr<InsightsClient>> InsightsClient::Connect(
    const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateClientChannel(options);
  if (!channel.ok()) return channel.status();
  return std::make_unique<InsightsClient>(*std::move(channel), options);
}

InsightsClient::InsightsClient(std::shared_ptr<grpc::Channel> channel,
                               ClientOptions options, Sleeper sleep)
    : stub_(v1::InsightsService::NewStub(std::move(channel))),
      options_(std::move(options)),
      sleep_(std::move(sleep)) {}

SubmitOutcome InsightsClient::Submit(
    absl::Span<const v1::SurveyResponse> responses, size_t batch_size) {
  batch_size = std::clamp<size_t>(batch_size, 1, kMaxResponsesPerRequest);
  SubmitOutcome outcome;
  for (size_t begin = 0; begin < responses.size(); begin += batch_size) {
    const size_t end = std::min(responses.size(), begin + batch_size);
    v1::SubmitSurveyResponsesRequest request;
    request.mutable_responses()->Reserve(static_cast<int>(end - begin));
    for (size_t i = begin; i < end; ++i) {
      *request.add_responses() = responses[i];
    }
    v1::SubmitSurveyResponsesResponse response;
    const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
      grpc::ClientContext context;
      PrepareContext(options_, options_.timeout, context);
      response.Clear();
      return stub_->SubmitSurveyResponses(&context, request, &response);
    });
    if (!status.ok()) {
      outcome.status = FromGrpcStatus(status);
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
          status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        outcome.failed_batch = outcome.acknowledged.batches;
      }
      return outcome;
    }
    outcome.acknowledged.batches += 1;
    outcome.acknowledged.responses += static_cast<int64_t>(end - begin);
    outcome.acknowledged.accepted += response.accepted();
    outcome.acknowledged.duplicates += response.duplicates();
  }
  return outcome;
}

absl::StatusOr<v1::TeamInsights> InsightsClient::GetTeamInsights(
    absl::string_view team, absl::string_view round) {
  v1::GetTeamInsightsRequest request;
  request.set_team(std::string(team));
  request.set_round(std::string(round));
  return GetTeamInsights(request);
}

absl::StatusOr<v1::TeamInsights> InsightsClient::GetTeamInsights(
    const v1::GetTeamInsightsRequest& request) {
  v1::TeamInsights response;
  const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    PrepareContext(options_, options_.timeout, context);
    response.Clear();
    return stub_->GetTeamInsights(&context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ListTeamInsightsResponse> InsightsClient::ListTeamInsights(
    absl::string_view prefix, v1::ListTeamInsightsRequest::Order order) {
  v1::ListTeamInsightsRequest request;
  request.set_prefix(std::string(prefix));
  request.set_order(order);
  v1::ListTeamInsightsResponse response;
  const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    PrepareContext(options_, options_.timeout, context);
    response.Clear();
    return stub_->ListTeamInsights(&context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::EraseRespondentResponse> InsightsClient::EraseRespondent(
    absl::string_view respondent_id) {
  v1::EraseRespondentRequest request;
  request.set_respondent_id(std::string(respondent_id));
  v1::EraseRespondentResponse response;
  // Retried like the rest: erasing again is harmless.
  const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    PrepareContext(options_, options_.timeout, context);
    response.Clear();
    return stub_->EraseRespondent(&context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace orgpulse
