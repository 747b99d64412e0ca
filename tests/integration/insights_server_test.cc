// The insights service end to end: the real binaries of both services on
// 127.0.0.1, the sample organisation, real gRPC, real disk, a live scrape.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crypto/keyed_hash.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_org.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kNow[] = "2026-11-20T12:00:00Z";
constexpr char kSecret[] = "test-secret-0123456789abcdef";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

class InsightsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = keys_.path() + "/respondent.key";
    std::ofstream(key_file_) << kSecret << "\n";
    ingest_ = std::make_unique<ServerProcess>(
        ORGPULSE_INGEST_BINARY,
        std::vector<std::string>{absl::StrCat("--now=", kNow)});
    ASSERT_TRUE(ingest_->Start().ok());
    auto stub = ingest::v1::IngestService::NewStub(ingest_->Channel());
    const auto events = sample::SampleOrganisation(Now());
    for (size_t i = 0; i < events.size(); i += 2000) {
      ingest::v1::PushRequest request;
      for (size_t j = i; j < std::min(events.size(), i + 2000); ++j) {
        *request.add_events() = events[j];
      }
      grpc::ClientContext context;
      ingest::v1::PushResponse response;
      ASSERT_TRUE(stub->Push(&context, request, &response).ok());
    }
  }

  void StartInsights(std::vector<std::string> flags = {}) {
    flags.push_back(absl::StrCat("--now=", kNow));
    flags.push_back(absl::StrCat("--ingest_address=", ingest_->grpc_target()));
    flags.push_back("--ingest_refresh=200ms");
    flags.push_back("--ingest_deadline=500ms");
    flags.push_back("--respondent_key_file=" + key_file_);
    insights_ = std::make_unique<ServerProcess>(ORGPULSE_INSIGHTS_BINARY, flags,
                                                data_dir_.path() + "/insights");
    ASSERT_TRUE(insights_->Start().ok());
    stub_ = v1::InsightsService::NewStub(insights_->Channel());
  }

  grpc::Status Submit(const std::vector<v1::SurveyResponse>& responses,
                      v1::SubmitSurveyResponsesResponse* out) {
    v1::SubmitSurveyResponsesRequest request;
    for (const auto& r : responses) *request.add_responses() = r;
    grpc::ClientContext context;
    return stub_->SubmitSurveyResponses(&context, request, out);
  }

  v1::TeamInsights Insights(const std::string& team) {
    grpc::ClientContext context;
    v1::GetTeamInsightsRequest request;
    request.set_team(team);
    v1::TeamInsights out;
    const grpc::Status status = stub_->GetTeamInsights(&context, request, &out);
    EXPECT_TRUE(status.ok()) << team << ": " << status.error_message();
    return out;
  }

  // Polls until `done` holds for `team` (bounded: 10 s).
  template <typename Predicate>
  v1::TeamInsights WaitFor(const std::string& team, Predicate done) {
    v1::TeamInsights t;
    for (int i = 0; i < 200; ++i) {
      t = Insights(team);
      if (done(t)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return t;
  }

  std::string Scrape() {
    return RunCommand(absl::StrCat("curl -sf http://127.0.0.1:",
                                   insights_->metrics_port(), "/metrics"))
        .output;
  }

  TempDir keys_;
  TempDir data_dir_;
  std::string key_file_;
  std::unique_ptr<ServerProcess> ingest_;
  std::unique_ptr<ServerProcess> insights_;
  std::unique_ptr<v1::InsightsService::Stub> stub_;
};

TEST_F(InsightsServerTest, SampleOrganisationLandsInItsQuadrants) {
  StartInsights();
  v1::SubmitSurveyResponsesResponse response;
  const auto responses = sample::SampleSurveyResponses(Now());
  ASSERT_TRUE(Submit(responses, &response).ok());
  EXPECT_EQ(response.accepted(), static_cast<int64_t>(responses.size()));
  ASSERT_TRUE(Submit(responses, &response).ok());
  EXPECT_EQ(response.accepted(), 0);
  EXPECT_EQ(response.duplicates(), static_cast<int64_t>(responses.size()));

  auto has_execution = [](const v1::TeamInsights& t) {
    return t.execution().available();
  };
  const v1::TeamInsights payments = WaitFor("eng/payments", has_execution);
  EXPECT_EQ(payments.quadrant(), v1::QUADRANT_BURNOUT_RISK);
  EXPECT_GT(payments.burnout_risk(), 0.5);
  ASSERT_GT(payments.drivers_size(), 0);
  EXPECT_EQ(payments.drivers(0).name(), "wellbeing");
  EXPECT_EQ(payments.recommendations(0).practice(), "protect workload");
  EXPECT_EQ(payments.morale().round(), "2026-q4");
  EXPECT_EQ(payments.morale().previous_round(), "2026-q3");
  // 9 answered; figures move in release steps of k = 5: the step at the
  // fifth response, the sixth to ninth wait for a tenth.
  EXPECT_EQ(payments.morale().respondents(), 5);

  EXPECT_EQ(WaitFor("eng/search", has_execution).quadrant(),
            v1::QUADRANT_EXECUTION_GAP);
  EXPECT_EQ(WaitFor("eng/platform", has_execution).quadrant(),
            v1::QUADRANT_THRIVING);

  // Too small: suppressed, and no number derived from the answers.
  const v1::TeamInsights support = WaitFor("ops/support", has_execution);
  EXPECT_TRUE(support.morale().suppressed());
  EXPECT_EQ(support.morale().respondents(), 0);
  EXPECT_EQ(support.morale().dimensions_size(), 0);
  EXPECT_FALSE(support.has_people_score());
  EXPECT_FALSE(support.has_risks());
  EXPECT_EQ(support.quadrant(), v1::QUADRANT_INSUFFICIENT_DATA);
  // ops = ops/support + ops/sre: releasing both ops and ops/sre would give
  // ops/support away by subtraction, so one of them is suppressed too.
  const bool ops_released = !Insights("ops").morale().suppressed();
  const bool sre_released = !Insights("ops/sre").morale().suppressed();
  EXPECT_FALSE(ops_released && sre_released);

  // The org view, highest risk first, suppressed teams last.
  grpc::ClientContext context;
  v1::ListTeamInsightsRequest request;
  v1::ListTeamInsightsResponse org;
  ASSERT_TRUE(stub_->ListTeamInsights(&context, request, &org).ok());
  ASSERT_EQ(org.teams_size(), 7);
  EXPECT_EQ(org.teams(0).team(), "eng/payments");
  EXPECT_TRUE(org.teams(6).morale().suppressed());

  // The scrape: promtool-clean, per-team series, nothing for ops/support's
  // answers, and no respondent id, raw or hashed, anywhere.
  const std::string metrics = Scrape();
  for (const char* series :
       {"orgpulse_morale_score{team=\"eng/payments\",dimension=\"wellbeing\"}",
        "orgpulse_enps{team=\"eng/search\"}", "orgpulse_people_score{",
        "orgpulse_execution_score{team=\"ops/support\"}",
        "orgpulse_team_quadrant{team=\"eng/"
        "payments\",quadrant=\"burnout_risk\"} 1",
        "orgpulse_burnout_risk_ratio{", "orgpulse_turnover_risk_ratio{",
        "orgpulse_ingest_up 1",
        "orgpulse_survey_responses_total{result=\"duplicate\"}",
        "grpc_server_handled_total{", "process_resident_memory_bytes"}) {
    EXPECT_THAT(metrics, HasSubstr(series));
  }
  EXPECT_THAT(metrics,
              Not(HasSubstr("orgpulse_morale_score{team=\"ops/support\"")));
  EXPECT_THAT(
      metrics,
      Not(HasSubstr("orgpulse_survey_respondents{team=\"ops/support\"")));
  const std::string scrape_file = keys_.path() + "/scrape.txt";
  std::ofstream(scrape_file) << metrics;
  EXPECT_EQ(RunCommand(absl::StrCat("promtool check metrics < ", scrape_file,
                                    " 2>&1; echo rc=$?"))
                .output,
            "rc=0\n");

  auto hasher = KeyedHasher::FromSecret(kSecret);
  ASSERT_TRUE(hasher.ok());
  const std::string logs = insights_->Log();
  for (const auto& r : responses) {
    const std::string hashed = hasher->Hash(r.respondent_id());
    for (const std::string& needle :
         {r.respondent_id(), hashed, absl::BytesToHexString(hashed),
          absl::Base64Escape(hashed)}) {
      ASSERT_THAT(metrics, Not(HasSubstr(needle)));
      ASSERT_THAT(logs, Not(HasSubstr(needle)));
    }
  }
  EXPECT_THAT(logs, Not(HasSubstr("person-")));
}

TEST_F(InsightsServerTest, InvalidBatchStoresNothingAndNamesEveryField) {
  StartInsights();
  auto responses = sample::SampleSurveyResponses(Now());
  responses.resize(3);
  responses[1].set_enps(11);
  responses[2].set_team("Not A Team");
  responses[2].mutable_answers(0)->set_value(9);
  v1::SubmitSurveyResponsesResponse response;
  const grpc::Status status = Submit(responses, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      FieldViolationsFromGrpcStatus(status),
      UnorderedElementsAre(
          Field(&FieldViolation::field, "responses[1].enps"),
          Field(&FieldViolation::field, "responses[2].team"),
          Field(&FieldViolation::field, "responses[2].answers[0].value")));
  // Nothing was stored: the valid first response is accepted now.
  responses.resize(1);
  ASSERT_TRUE(Submit(responses, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
  // The error text names fields, never the respondent.
  EXPECT_THAT(status.error_message(), Not(HasSubstr("person-")));
}

// A later response replaces the earlier one, and a changed answer is a
// change like a new response: one alone never moves the figures (its
// difference would be that person's answer); k of them do.
TEST_F(InsightsServerTest, LaterResponseOfARespondentReplacesTheEarlierOne) {
  StartInsights();
  auto responses = sample::SampleSurveyResponses(Now());
  std::vector<v1::SurveyResponse> platform;
  for (const auto& r : responses) {
    if (r.team() == "eng/platform" && r.round() == "2026-q4")
      platform.push_back(r);
  }
  ASSERT_EQ(platform.size(), 7u);
  v1::SubmitSurveyResponsesResponse response;
  ASSERT_TRUE(Submit(platform, &response).ok());
  const v1::TeamInsights before = Insights("eng/platform");
  ASSERT_EQ(before.morale().respondents(), 5);  // the step at the fifth
  // People answer again later, with every item at 1.
  auto again = [&](int i) {
    v1::SurveyResponse r = platform[i];
    r.set_response_id(absl::StrCat("again-", i));
    r.mutable_submitted_at()->set_seconds(platform[i].submitted_at().seconds() +
                                          60);
    for (auto& a : *r.mutable_answers())
      a.set_value(a.reverse_scored() ? 5 : 1);
    return r;
  };
  ASSERT_TRUE(Submit({again(0)}, &response).ok());
  const v1::TeamInsights one = Insights("eng/platform");
  EXPECT_EQ(one.morale().respondents(), 5);
  EXPECT_EQ(one.morale().dimensions(0).score(),
            before.morale().dimensions(0).score());
  // Two more changed answers: with the two responses still waiting, five
  // that were never published. Seven respondents, each counted once.
  ASSERT_TRUE(Submit({again(1), again(2)}, &response).ok());
  const v1::TeamInsights after = Insights("eng/platform");
  EXPECT_EQ(after.morale().respondents(), 7);
  EXPECT_LT(after.morale().dimensions(0).score(),
            before.morale().dimensions(0).score());
}

TEST_F(InsightsServerTest, KeepsAnsweringWhenIngestIsDownAndSaysSo) {
  StartInsights();
  v1::SubmitSurveyResponsesResponse response;
  ASSERT_TRUE(Submit(sample::SampleSurveyResponses(Now()), &response).ok());
  const v1::TeamInsights live = WaitFor(
      "eng/search",
      [](const v1::TeamInsights& t) { return t.execution().available(); });
  ASSERT_TRUE(live.execution().available());
  EXPECT_FALSE(live.execution().stale());

  EXPECT_EQ(ingest_->Terminate(), 0);
  const v1::TeamInsights down =
      WaitFor("eng/search",
              [](const v1::TeamInsights& t) { return t.execution().stale(); });
  EXPECT_TRUE(down.execution().stale());
  EXPECT_THAT(down.execution().stale_reason(), HasSubstr("ingest unreachable"));
  EXPECT_TRUE(down.execution().available());  // the last known figures
  EXPECT_EQ(down.execution_score(), live.execution_score());
  EXPECT_EQ(down.quadrant(), live.quadrant());
  EXPECT_THAT(Scrape(), HasSubstr("orgpulse_ingest_up 0"));
}

TEST_F(InsightsServerTest, AcknowledgedResponsesSurviveSigkill) {
  StartInsights();
  const auto responses = sample::SampleSurveyResponses(Now());
  v1::SubmitSurveyResponsesResponse response;
  ASSERT_TRUE(Submit(responses, &response).ok());
  EXPECT_EQ(insights_->Kill(), -SIGKILL);
  StartInsights();
  ASSERT_TRUE(Submit(responses, &response).ok());
  EXPECT_EQ(response.duplicates(), static_cast<int64_t>(responses.size()));
  EXPECT_EQ(insights_->Terminate(), 0);
}

TEST_F(InsightsServerTest, RefusesToStartWithoutAKeyOrWithASmallK) {
  ServerProcess no_key(ORGPULSE_INSIGHTS_BINARY, {});
  EXPECT_FALSE(no_key.Start(std::chrono::seconds(10)).ok());
  EXPECT_THAT(no_key.Log(), HasSubstr("--respondent_key_file is required"));
  ServerProcess small_k(
      ORGPULSE_INSIGHTS_BINARY,
      {"--min_group_size=2", "--respondent_key_file=" + key_file_});
  EXPECT_FALSE(small_k.Start(std::chrono::seconds(10)).ok());
  EXPECT_THAT(small_k.Log(), HasSubstr("--min_group_size must be at least 3"));
}

}  // namespace
}  // namespace orgpulse::insights
