// A client of orgpulse.insights.v1.InsightsService: survey submission in
// batches and the insights queries, with the same options, deadlines and
// retries (UNAVAILABLE only; responses are idempotent by response_id) as
// IngestClient.
//
// Example:
//   absl::StatusOr<std::unique_ptr<InsightsClient>> client =
//       InsightsClient::Connect(options);
//   absl::StatusOr<SubmitStats> sent = (*client)->Submit(responses);
//   absl::StatusOr<v1::ListTeamInsightsResponse> org =
//       (*client)->ListTeamInsights("eng");
#ifndef ORGPULSE_CLIENTS_INSIGHTS_CLIENT_H_
#define ORGPULSE_CLIENTS_INSIGHTS_CLIENT_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "clients/client_options.h"
#include "clients/retry.h"
#include "grpcpp/channel.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"

namespace orgpulse {

struct SubmitStats {
  int64_t batches = 0;
  int64_t responses = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
};

struct SubmitOutcome {
  // Acknowledged batches.
  SubmitStats acknowledged;
  absl::Status status;
  // The batch the server refused (0-based) when the status is its answer to
  // it; its field violations are named `responses[i]...` within the batch.
  int64_t failed_batch = -1;
};

// Thread-safe.
class InsightsClient {
 public:
  static constexpr int kMaxResponsesPerRequest = 1'000;

  static absl::StatusOr<std::unique_ptr<InsightsClient>> Connect(
      const ClientOptions& options);
  InsightsClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options,
                 Sleeper sleep = RealSleep());

  // In batches of `batch_size` (at most kMaxResponsesPerRequest), one at a
  // time, each retried on UNAVAILABLE; stops at the first refused batch.
  SubmitOutcome Submit(absl::Span<const insights::v1::SurveyResponse> responses,
                       size_t batch_size = kMaxResponsesPerRequest);

  absl::StatusOr<insights::v1::TeamInsights> GetTeamInsights(
      absl::string_view team, absl::string_view round = "");
  // With the request's options (execution_at_round_end).
  absl::StatusOr<insights::v1::TeamInsights> GetTeamInsights(
      const insights::v1::GetTeamInsightsRequest& request);
  absl::StatusOr<insights::v1::ListTeamInsightsResponse> ListTeamInsights(
      absl::string_view prefix,
      insights::v1::ListTeamInsightsRequest::Order order =
          insights::v1::ListTeamInsightsRequest::ORDER_RISK);
  // Idempotent, so retried on UNAVAILABLE too.
  absl::StatusOr<insights::v1::EraseRespondentResponse> EraseRespondent(
      absl::string_view respondent_id);

 private:
  std::unique_ptr<insights::v1::InsightsService::Stub> stub_;
  const ClientOptions options_;
  const Sleeper sleep_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_CLIENTS_INSIGHTS_CLIENT_H_
