#include "clients/insights_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

namespace v1 = ::orgpulse::insights::v1;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;

// Counts batches; refuses the batch numbered `refuse` (0-based) and answers
// UNAVAILABLE to the first `unavailable` calls.
class FakeInsights final : public v1::InsightsService::Service {
 public:
  int refuse = -1;
  int unavailable = 0;

  std::vector<int> batch_sizes() {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }
  std::vector<std::string> asked() {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

  grpc::Status SubmitSurveyResponses(
      grpc::ServerContext*, const v1::SubmitSurveyResponsesRequest* request,
      v1::SubmitSurveyResponsesResponse* response) override {
    absl::MutexLock lock(&mu_);
    if (unavailable > 0) {
      --unavailable;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    }
    if (static_cast<int>(batch_sizes_.size()) == refuse) {
      return ToGrpcStatus(InvalidArgumentWithViolations(
          "bad", {{"responses[0].enps", "must be 0 to 10"}}));
    }
    batch_sizes_.push_back(request->responses_size());
    response->set_accepted(request->responses_size() - 1);
    response->set_duplicates(1);
    return grpc::Status::OK;
  }

  grpc::Status GetTeamInsights(grpc::ServerContext*,
                               const v1::GetTeamInsightsRequest* request,
                               v1::TeamInsights* response) override {
    absl::MutexLock lock(&mu_);
    asked_.push_back(absl::StrCat(request->team(), "@", request->round()));
    if (request->team() == "nobody") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such team");
    }
    response->set_team(request->team());
    return grpc::Status::OK;
  }

  grpc::Status ListTeamInsights(
      grpc::ServerContext*, const v1::ListTeamInsightsRequest* request,
      v1::ListTeamInsightsResponse* response) override {
    absl::MutexLock lock(&mu_);
    asked_.push_back(absl::StrCat(request->prefix(), "#", request->order()));
    response->add_teams()->set_team(request->prefix());
    return grpc::Status::OK;
  }

  grpc::Status EraseRespondent(grpc::ServerContext*,
                               const v1::EraseRespondentRequest* request,
                               v1::EraseRespondentResponse* response) override {
    absl::MutexLock lock(&mu_);
    asked_.push_back(absl::StrCat("erase ", request->respondent_id()));
    if (unavailable > 0) {
      --unavailable;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    }
    response->set_erased(2);
    response->add_rounds("2026-q4");
    return grpc::Status::OK;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> batch_sizes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> asked_ ABSL_GUARDED_BY(mu_);
};

std::vector<v1::SurveyResponse> Responses(int n) {
  std::vector<v1::SurveyResponse> out(n);
  for (int i = 0; i < n; ++i) out[i].set_response_id(absl::StrCat("r", i));
  return out;
}

class InsightsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ClientOptions options;
    options.address = absl::StrCat("127.0.0.1:", port);
    auto channel = CreateClientChannel(options);
    ASSERT_TRUE(channel.ok());
    client_ = std::make_unique<InsightsClient>(
        *channel, options, [this](absl::Duration) { ++sleeps_; });
  }
  void TearDown() override {
    server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }

  FakeInsights fake_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<InsightsClient> client_;
  int sleeps_ = 0;
};

TEST_F(InsightsClientTest, SubmitsInBatchesAndSumsTheAnswers) {
  fake_.unavailable = 1;
  const SubmitOutcome sent = client_->Submit(Responses(5), 2);
  ASSERT_TRUE(sent.status.ok()) << sent.status;
  EXPECT_THAT(fake_.batch_sizes(), ElementsAre(2, 2, 1));
  EXPECT_EQ(sent.acknowledged.batches, 3);
  EXPECT_EQ(sent.acknowledged.responses, 5);
  EXPECT_EQ(sent.acknowledged.accepted, 2);
  EXPECT_EQ(sent.acknowledged.duplicates, 3);
  EXPECT_EQ(sleeps_, 1);
}

TEST_F(InsightsClientTest, StopsAtTheRefusedBatch) {
  fake_.refuse = 1;
  const SubmitOutcome sent = client_->Submit(Responses(5), 2);
  EXPECT_THAT(sent.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(sent.failed_batch, 1);
  EXPECT_EQ(sent.acknowledged.batches, 1);
  EXPECT_THAT(
      GetFieldViolations(sent.status),
      ElementsAre(FieldViolation{"responses[0].enps", "must be 0 to 10"}));
}

TEST_F(InsightsClientTest, QueriesPassTheirArguments) {
  absl::StatusOr<v1::TeamInsights> team =
      client_->GetTeamInsights("eng", "2026-q4");
  ASSERT_TRUE(team.ok());
  EXPECT_EQ(team->team(), "eng");
  EXPECT_THAT(client_->GetTeamInsights("nobody"),
              StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<v1::ListTeamInsightsResponse> org =
      client_->ListTeamInsights("ops", v1::ListTeamInsightsRequest::ORDER_TEAM);
  ASSERT_TRUE(org.ok());
  EXPECT_EQ(org->teams(0).team(), "ops");
  EXPECT_THAT(fake_.asked(), ElementsAre("eng@2026-q4", "nobody@", "ops#1"));
}

TEST_F(InsightsClientTest, EraseIsRetriedOnUnavailableAsItIsIdempotent) {
  fake_.unavailable = 1;
  absl::StatusOr<v1::EraseRespondentResponse> erased =
      client_->EraseRespondent("p3@example.com");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased(), 2);
  EXPECT_THAT(erased->rounds(), ElementsAre("2026-q4"));
  EXPECT_THAT(fake_.asked(),
              ElementsAre("erase p3@example.com", "erase p3@example.com"));
  EXPECT_EQ(sleeps_, 1);
}

}  // namespace
}  // namespace orgpulse
