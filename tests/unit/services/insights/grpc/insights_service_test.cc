// InsightsService over an in-process channel, with a mocked SurveyInsights
// and a real CallAuthorizer: respondent ids reach the domain only as keyed
// hashes, the refusals, and how domain answers and errors reach the client.
#include "services/insights/grpc/insights_service.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/crypto/keyed_hash.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/insights/domain/survey_insights.h"
#include "tests/support/test_authorizer.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::TestAuthorizer;
using ::testing::_;
using ::testing::DoAll;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Return;
using ::testing::SaveArg;

const absl::Time kSubmittedAt = absl::FromCivil(
    absl::CivilSecond(2026, 6, 1, 9, 30, 0), absl::UTCTimeZone());

class MockSurveyInsights : public SurveyInsights {
 public:
  MOCK_METHOD(absl::StatusOr<SubmitResult>, Submit,
              (std::vector<SurveyResponse> batch), (override));
  MOCK_METHOD(absl::StatusOr<TeamInsights>, GetTeamInsights,
              (absl::string_view node, absl::string_view round),
              (const, override));
  MOCK_METHOD(absl::StatusOr<TeamInsights>, GetRoundInsights,
              (absl::string_view node, absl::string_view round),
              (const, override));
  MOCK_METHOD(std::vector<TeamInsights>, ListTeamInsights,
              (absl::string_view prefix, InsightsOrder order),
              (const, override));
  MOCK_METHOD(absl::StatusOr<EraseResult>, Erase,
              (absl::string_view respondent), (override));
};

KeyedHasher Hasher() {
  return *KeyedHasher::FromSecret("a test secret of enough bytes");
}

v1::SurveyResponse Response(const std::string& id,
                            const std::string& respondent_id) {
  v1::SurveyResponse r;
  r.set_response_id(id);
  r.set_team("eng/payments");
  r.set_round("2026-q2");
  r.set_respondent_id(respondent_id);
  r.mutable_submitted_at()->set_seconds(absl::ToUnixSeconds(kSubmittedAt));
  v1::Answer& a = *r.add_answers();
  a.set_item("q-safety-1");
  a.set_dimension(v1::DIMENSION_PSYCHOLOGICAL_SAFETY);
  a.set_value(4);
  a.set_reverse_scored(true);
  r.set_enps(9);
  r.set_intent_to_stay(5);
  return r;
}

// Released figures for `team`: every dimension at `score`.
TeamInsights Released(const std::string& team, double score) {
  TeamInsights t;
  t.team = team;
  t.teams = {team};
  t.morale.round = "2026-q2";
  GroupMorale m;
  m.respondents = 7;
  m.dimensions.fill(score);
  m.enps = 20;
  m.intent_to_stay = 75;
  m.as_of = kSubmittedAt;
  t.morale.figures = m;
  t.assessment.people_score = score;
  t.assessment.quadrant = Quadrant::kThriving;
  t.assessment.burnout_risk = 0.2;
  t.assessment.turnover_risk = 0.1;
  return t;
}

TeamInsights Suppressed(const std::string& team) {
  TeamInsights t;
  t.team = team;
  t.teams = {team};
  t.morale.round = "2026-q2";
  t.morale.suppressed = true;
  return t;
}

class InsightsServiceTest : public ::testing::Test {
 protected:
  InsightsServiceTest()
      : hasher_(Hasher()),
        auth_({{"submitter", {Scope::kSurveySubmit}},
               {"analyst", {Scope::kInsightsRead}},
               {"ingest-reader", {Scope::kIngestRead}},
               {"eng-lead", {Scope::kInsightsRead}, "eng"},
               {"eraser", {Scope::kSurveyErase}}}),
        service_(insights_, hasher_, auth_.authorizer()) {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    stub_ = v1::InsightsService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  ~InsightsServiceTest() override { server_->Shutdown(); }

  // A client context with `client`'s token ("" for none) and a deadline.
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& client) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!client.empty()) {
      context->AddMetadata("authorization", TestAuthorizer::Bearer(client));
    }
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
    return context;
  }

  grpc::Status Submit(const std::string& client,
                      const v1::SubmitSurveyResponsesRequest& request,
                      v1::SubmitSurveyResponsesResponse* response) {
    return stub_->SubmitSurveyResponses(Context(client).get(), request,
                                        response);
  }
  grpc::Status Get(const std::string& client, const std::string& team,
                   const std::string& round, v1::TeamInsights* response) {
    v1::GetTeamInsightsRequest request;
    request.set_team(team);
    request.set_round(round);
    return stub_->GetTeamInsights(Context(client).get(), request, response);
  }
  grpc::Status List(const std::string& client,
                    const v1::ListTeamInsightsRequest& request,
                    v1::ListTeamInsightsResponse* response) {
    return stub_->ListTeamInsights(Context(client).get(), request, response);
  }

  ::testing::StrictMock<MockSurveyInsights> insights_;
  const KeyedHasher hasher_;
  TestAuthorizer auth_;
  InsightsService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::InsightsService::Stub> stub_;
};

// --- SubmitSurveyResponses -----------------------------------------------

TEST_F(InsightsServiceTest, TheDomainSeesKeyedHashesNeverARawRespondentId) {
  v1::SubmitSurveyResponsesRequest request;
  *request.add_responses() = Response("r1", "alice@example.com");
  *request.add_responses() = Response("r2", "bob@example.com");
  *request.add_responses() = Response("r3", "alice@example.com");
  *request.add_responses() = Response("r4", "");
  std::vector<SurveyResponse> seen;
  EXPECT_CALL(insights_, Submit)
      .WillOnce(DoAll(SaveArg<0>(&seen),
                      Return(SubmitResult{.accepted = 3, .duplicates = 1})));

  v1::SubmitSurveyResponsesResponse response;
  const grpc::Status status = Submit("submitter", request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(response.duplicates(), 1);

  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].respondent, hasher_.Hash("alice@example.com"));
  EXPECT_EQ(seen[1].respondent, hasher_.Hash("bob@example.com"));
  EXPECT_EQ(seen[2].respondent, seen[0].respondent);
  EXPECT_NE(seen[0].respondent, seen[1].respondent);
  EXPECT_EQ(seen[3].respondent, "");
  EXPECT_EQ(seen[0].respondent_id_length, 17u);
  for (const SurveyResponse& r : seen) {
    for (const std::string& field :
         {r.response_id, r.team, r.round, r.respondent}) {
      EXPECT_FALSE(absl::StrContains(field, "alice")) << field;
      EXPECT_FALSE(absl::StrContains(field, "bob")) << field;
      EXPECT_FALSE(absl::StrContains(field, "example.com")) << field;
    }
  }

  // The rest is decoded as sent.
  const SurveyResponse& r = seen[0];
  EXPECT_EQ(r.response_id, "r1");
  EXPECT_EQ(r.team, "eng/payments");
  EXPECT_EQ(r.round, "2026-q2");
  EXPECT_EQ(r.submitted_at, kSubmittedAt);
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(r.answers[0].dimension, Dimension::kPsychologicalSafety);
  EXPECT_EQ(r.answers[0].value, 4);
  EXPECT_TRUE(r.answers[0].reverse_scored);
  EXPECT_EQ(r.enps, 9);
  EXPECT_EQ(r.intent_to_stay, 5);
}

TEST_F(InsightsServiceTest, SubmitPassesAnInvalidBatchsViolationsOn) {
  const absl::Status invalid = InvalidArgumentWithViolations(
      "1 invalid field(s) in a batch of 1 responses; nothing was stored",
      {{"responses[0].answers[0].value", "must be 1 to 5"}});
  EXPECT_CALL(insights_, Submit).WillOnce(Return(invalid));
  v1::SubmitSurveyResponsesRequest request;
  *request.add_responses() = Response("r1", "alice@example.com");
  v1::SubmitSurveyResponsesResponse response;
  const grpc::Status status = Submit("submitter", request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), invalid.message());
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(FieldViolation{"responses[0].answers[0].value",
                                         "must be 1 to 5"}));
}

TEST_F(InsightsServiceTest, SubmitPassesDomainErrorsOnWithTheirCode) {
  EXPECT_CALL(insights_, Submit)
      .WillOnce(Return(absl::ResourceExhaustedError("team limit reached")))
      .WillOnce(Return(absl::UnavailableError("disk I/O error")));
  v1::SubmitSurveyResponsesRequest request;
  *request.add_responses() = Response("r1", "alice@example.com");
  v1::SubmitSurveyResponsesResponse response;

  grpc::Status status = Submit("submitter", request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "team limit reached");
  status = Submit("submitter", request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "disk I/O error");
}

// --- refusals ------------------------------------------------------------

TEST_F(InsightsServiceTest, EachCallNeedsATokenWithItsScope) {
  // StrictMock: any call into the domain fails the test.
  v1::SubmitSurveyResponsesRequest submit;
  *submit.add_responses() = Response("r1", "alice@example.com");
  v1::SubmitSurveyResponsesResponse submitted;
  v1::TeamInsights insights;
  v1::ListTeamInsightsResponse listed;

  EXPECT_EQ(Submit("", submit, &submitted).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status denied = Submit("analyst", submit, &submitted);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("survey:submit"));
  EXPECT_EQ(Submit("ingest-reader", submit, &submitted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  EXPECT_EQ(Get("", "eng", "", &insights).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get("submitter", "eng", "", &insights).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(List("", {}, &listed).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(List("ingest-reader", {}, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(InsightsServiceTest, BadArgumentsAreRefusedBeforeTheDomain) {
  v1::TeamInsights insights;
  for (const std::string team : {"", "Eng", "eng//payments"}) {
    SCOPED_TRACE(team);
    const grpc::Status status = Get("analyst", team, "", &insights);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
                ElementsAre(Field(&FieldViolation::field, "team")));
  }

  const grpc::Status long_round =
      Get("analyst", "eng", std::string(33, 'q'), &insights);
  EXPECT_EQ(long_round.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      FieldViolationsFromGrpcStatus(long_round),
      ElementsAre(FieldViolation{"round", "longer than 32 characters"}));

  v1::ListTeamInsightsRequest request;
  request.set_prefix("eng/");
  v1::ListTeamInsightsResponse listed;
  const grpc::Status bad_prefix = List("analyst", request, &listed);
  EXPECT_EQ(bad_prefix.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldViolationsFromGrpcStatus(bad_prefix),
              ElementsAre(Field(&FieldViolation::field, "prefix")));
}

// --- reads limited to a subtree ----------------------------------------

TEST_F(InsightsServiceTest, GetTeamInsightsServesTheSubtreeAndRefusesTheRest) {
  EXPECT_CALL(insights_, GetTeamInsights(absl::string_view("eng"), _))
      .WillOnce(Return(Released("eng", 70)));
  EXPECT_CALL(insights_, GetTeamInsights(absl::string_view("eng/payments"), _))
      .WillOnce(Return(Released("eng/payments", 80)));
  for (const std::string team : {"eng", "eng/payments"}) {
    v1::TeamInsights response;
    const grpc::Status status = Get("eng-lead", team, "", &response);
    ASSERT_TRUE(status.ok()) << team << ": " << status.error_message();
    EXPECT_EQ(response.team(), team);
  }
  // StrictMock: a refused path never reaches the domain.
  for (const std::string team : {"sales", "engineering"}) {
    SCOPED_TRACE(team);
    v1::TeamInsights response;
    const grpc::Status status = Get("eng-lead", team, "", &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(
        status.error_message(),
        HasSubstr("client \"eng-lead\" reads only the subtree \"eng\""));
  }
  EXPECT_EQ(auth_.Refusals("out_of_subtree"), 2);
}

TEST_F(InsightsServiceTest, ListTeamInsightsServesTheSubtreeAndRefusesARollup) {
  EXPECT_CALL(insights_,
              ListTeamInsights(absl::string_view("eng"), InsightsOrder::kTeam))
      .WillOnce(Return(std::vector<TeamInsights>{Released("eng/search", 40)}));
  v1::ListTeamInsightsRequest in_scope;
  in_scope.set_prefix("eng");
  in_scope.set_order(v1::ListTeamInsightsRequest::ORDER_TEAM);
  v1::ListTeamInsightsResponse listed;
  ASSERT_TRUE(List("eng-lead", in_scope, &listed).ok());
  ASSERT_EQ(listed.teams_size(), 1);
  EXPECT_EQ(listed.teams(0).team(), "eng/search");

  // The whole org (no prefix) is above the subtree: refused, not narrowed.
  for (const std::string prefix : {"", "sales"}) {
    SCOPED_TRACE(prefix);
    v1::ListTeamInsightsRequest out_of_scope;
    out_of_scope.set_prefix(prefix);
    v1::ListTeamInsightsResponse refused;
    const grpc::Status status = List("eng-lead", out_of_scope, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("subtree \"eng\""));
    EXPECT_EQ(refused.teams_size(), 0);
  }
  EXPECT_EQ(auth_.Refusals("out_of_subtree"), 2);
}

// --- reads ---------------------------------------------------------------

TEST_F(InsightsServiceTest, GetTeamInsightsAsksForTheTeamAndRound) {
  EXPECT_CALL(insights_, GetTeamInsights(absl::string_view("eng/payments"),
                                         absl::string_view("2026-q2")))
      .WillOnce(Return(Released("eng/payments", 80)));
  v1::TeamInsights response;
  const grpc::Status status =
      Get("analyst", "eng/payments", "2026-q2", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.team(), "eng/payments");
  EXPECT_EQ(response.morale().round(), "2026-q2");
  EXPECT_FALSE(response.morale().suppressed());
  EXPECT_EQ(response.morale().respondents(), 7);
  ASSERT_EQ(response.morale().dimensions_size(), kDimensionCount);
  EXPECT_EQ(response.morale().dimensions(0).score(), 80);
  EXPECT_EQ(response.morale().enps(), 20);
  EXPECT_TRUE(response.has_people_score());
  EXPECT_EQ(response.people_score(), 80);
  EXPECT_EQ(response.quadrant(), v1::QUADRANT_THRIVING);
}

TEST_F(InsightsServiceTest, ExecutionAtRoundEndAsksForTheRoundsOwnPairing) {
  EXPECT_CALL(insights_, GetTeamInsights(_, _)).Times(0);
  EXPECT_CALL(insights_, GetRoundInsights(absl::string_view("eng/payments"),
                                          absl::string_view("2026-q2")))
      .WillOnce(Return(Released("eng/payments", 80)))
      .WillOnce(Return(absl::UnavailableError("ingest's figures of ...")));
  v1::GetTeamInsightsRequest request;
  request.set_team("eng/payments");
  request.set_round("2026-q2");
  request.set_execution_at_round_end(true);
  v1::TeamInsights response;
  grpc::Status status =
      stub_->GetTeamInsights(Context("analyst").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.quadrant(), v1::QUADRANT_THRIVING);
  status = stub_->GetTeamInsights(Context("analyst").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // Out of the caller's subtree: refused before the domain is asked.
  request.set_team("ops");
  status =
      stub_->GetTeamInsights(Context("eng-lead").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(InsightsServiceTest, ASuppressedGroupAnswersNoSurveyFigures) {
  EXPECT_CALL(insights_, GetTeamInsights(absl::string_view("eng/search"),
                                         absl::string_view("")))
      .WillOnce(Return(Suppressed("eng/search")));
  v1::TeamInsights response;
  ASSERT_TRUE(Get("analyst", "eng/search", "", &response).ok());
  EXPECT_TRUE(response.morale().suppressed());
  EXPECT_EQ(response.morale().respondents(), 0);
  EXPECT_EQ(response.morale().dimensions_size(), 0);
  EXPECT_FALSE(response.has_people_score());
  EXPECT_FALSE(response.has_risks());
  EXPECT_EQ(response.quadrant(), v1::QUADRANT_INSUFFICIENT_DATA);
}

TEST_F(InsightsServiceTest, GetTeamInsightsPassesNotFoundOn) {
  EXPECT_CALL(insights_, GetTeamInsights(absl::string_view("sales"), _))
      .WillOnce(
          Return(absl::NotFoundError("nothing is known of team 'sales'")));
  v1::TeamInsights response;
  const grpc::Status status = Get("analyst", "sales", "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "nothing is known of team 'sales'");
}

TEST_F(InsightsServiceTest, ListTeamInsightsPassesPrefixAndOrderAndKeepsOrder) {
  EXPECT_CALL(insights_,
              ListTeamInsights(absl::string_view("eng"), InsightsOrder::kRisk))
      .WillOnce(Return(std::vector<TeamInsights>{Released("eng/search", 40),
                                                 Suppressed("eng/payments")}));
  EXPECT_CALL(insights_,
              ListTeamInsights(absl::string_view(""), InsightsOrder::kTeam))
      .WillOnce(Return(std::vector<TeamInsights>{}));

  v1::ListTeamInsightsRequest by_risk;  // ORDER_RISK is the default
  by_risk.set_prefix("eng");
  v1::ListTeamInsightsResponse listed;
  ASSERT_TRUE(List("analyst", by_risk, &listed).ok());
  ASSERT_EQ(listed.teams_size(), 2);
  EXPECT_EQ(listed.teams(0).team(), "eng/search");
  EXPECT_EQ(listed.teams(0).people_score(), 40);
  EXPECT_EQ(listed.teams(1).team(), "eng/payments");
  EXPECT_TRUE(listed.teams(1).morale().suppressed());

  v1::ListTeamInsightsRequest by_team;
  by_team.set_order(v1::ListTeamInsightsRequest::ORDER_TEAM);
  v1::ListTeamInsightsResponse all;
  ASSERT_TRUE(List("analyst", by_team, &all).ok());
  EXPECT_EQ(all.teams_size(), 0);
}

// --- EraseRespondent ---------------------------------------------------------

TEST_F(InsightsServiceTest, EraseHashesTheIdAndNeedsItsOwnScope) {
  v1::EraseRespondentRequest request;
  request.set_respondent_id("alice@example.com");
  v1::EraseRespondentResponse response;
  for (const char* client : {"submitter", "analyst"}) {
    const grpc::Status status =
        stub_->EraseRespondent(Context(client).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << client;
    EXPECT_THAT(status.error_message(), HasSubstr("survey:erase"));
  }
  const std::string hash = hasher_.Hash("alice@example.com");
  EXPECT_CALL(insights_, Erase(absl::string_view(hash)))
      .WillOnce(Return(EraseResult{.erased = 3, .rounds = {"r1", "r2"}}));
  grpc::Status status =
      stub_->EraseRespondent(Context("eraser").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.erased(), 3);
  EXPECT_THAT(response.rounds(), ElementsAre("r1", "r2"));

  EXPECT_CALL(insights_, Erase)
      .WillOnce(Return(absl::UnavailableError("disk I/O error")));
  status = stub_->EraseRespondent(Context("eraser").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(InsightsServiceTest, EraseWithoutARespondentIdIsRefused) {
  v1::EraseRespondentResponse response;
  for (const auto& [id, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"", "respondent_id is required"},
           {std::string(257, 'x'), "respondent_id is longer than 256 bytes"}}) {
    v1::EraseRespondentRequest request;
    request.set_respondent_id(id);
    const grpc::Status status =
        stub_->EraseRespondent(Context("eraser").get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), message);
  }
}

}  // namespace
}  // namespace orgpulse::insights
