// Read tokens limited to a team subtree, against the real binaries and a
// real tokens file whose subtree line is made by `orgpulse token new
// --subtree`: every read RPC of both services serves a path in the subtree
// and refuses one outside it, naming the subtree, and insights still reads
// all of ingest with its own unrestricted token.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/auth/token_table.h"
#include "common/crypto/digest.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/loopback.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_org.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::HttpGet;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;
using ::testing::HasSubstr;
namespace iv1 = ::orgpulse::ingest::v1;
namespace sv1 = ::orgpulse::insights::v1;

constexpr char kNow[] = "2026-06-15T12:00:00Z";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One read of a team path by some RPC: its status.
using Read = std::function<grpc::Status(const std::string& token,
                                        const std::string& path)>;

// A client context with `token` and a deadline.
std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

class ReadSubtreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The lead's token through the command line, as an operator makes it.
    const std::string lead_secret = dir_.path() + "/eng-lead.token";
    const testing::CommandResult made = RunCommand(
        absl::StrCat(ORGPULSE_CLI_BINARY,
                     " token new eng-lead --scopes=ingest:read,insights:read "
                     "--subtree=eng --secret-file=",
                     lead_secret, " 2>&1"));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    ASSERT_THAT(made.output, HasSubstr(" subtree=eng"));
    lead_ = std::string(absl::StripAsciiWhitespace(ReadFile(lead_secret)));

    token_file_ = dir_.path() + "/tokens";
    std::ofstream(token_file_)
        << "# tokens of read_subtree_test\n"
        << made.output << TokenFileLine("pusher", {Scope::kIngestPush}, pusher_)
        << "\n"
        << TokenFileLine("submitter", {Scope::kSurveySubmit}, submitter_)
        << "\n"
        << TokenFileLine("insights", {Scope::kIngestRead}, insights_token_)
        << "\n";
  }

  void StartBoth() {
    const std::string now = absl::StrCat("--now=", kNow);
    ingest_ = std::make_unique<ServerProcess>(
        ORGPULSE_INGEST_BINARY,
        std::vector<std::string>{"--token_file=" + token_file_, now});
    ASSERT_TRUE(ingest_->Start().ok()) << ingest_->Log();

    auto pusher = iv1::IngestService::NewStub(ingest_->Channel());
    const std::vector<iv1::Event> events = sample::SampleOrganisation(Now());
    for (size_t i = 0; i < events.size(); i += 5000) {
      iv1::PushRequest batch;
      for (size_t j = i; j < std::min(events.size(), i + 5000); ++j) {
        *batch.add_events() = events[j];
      }
      iv1::PushResponse pushed;
      const grpc::Status push =
          pusher->Push(Context(pusher_).get(), batch, &pushed);
      ASSERT_TRUE(push.ok()) << push.error_message();
    }

    const std::string key_file = dir_.path() + "/respondent.key";
    std::ofstream(key_file) << "read-subtree-test-secret-0123456789\n";
    const std::string ingest_token_file = dir_.path() + "/insights.token";
    std::ofstream(ingest_token_file) << insights_token_ << "\n";
    insights_ = std::make_unique<ServerProcess>(
        ORGPULSE_INSIGHTS_BINARY,
        std::vector<std::string>{"--token_file=" + token_file_, now,
                                 "--respondent_key_file=" + key_file,
                                 "--ingest_address=" + ingest_->grpc_target(),
                                 "--ingest_token_file=" + ingest_token_file,
                                 "--ingest_refresh=200ms"});
    ASSERT_TRUE(insights_->Start().ok()) << insights_->Log();

    auto submitter = sv1::InsightsService::NewStub(insights_->Channel());
    const std::vector<sv1::SurveyResponse> responses =
        sample::SampleSurveyResponses(Now());
    for (size_t i = 0; i < responses.size(); i += 1000) {
      sv1::SubmitSurveyResponsesRequest surveys;
      for (size_t j = i; j < std::min(responses.size(), i + 1000); ++j) {
        *surveys.add_responses() = responses[j];
      }
      sv1::SubmitSurveyResponsesResponse submitted;
      const grpc::Status submit = submitter->SubmitSurveyResponses(
          Context(submitter_).get(), surveys, &submitted);
      ASSERT_TRUE(submit.ok()) << submit.error_message();
    }
  }

  // Every read RPC of both services, by full method name: how to read one
  // team path with it. A new read RPC must be added here (and call
  // CallAuthorizer::CheckReadPaths); ReadRpcsAreAllCovered fails until then.
  std::map<std::string, Read> ReadRpcs() {
    auto ingest = iv1::IngestService::NewStub(ingest_->Channel());
    auto insights = sv1::InsightsService::NewStub(insights_->Channel());
    std::shared_ptr<iv1::IngestService::Stub> in(std::move(ingest));
    std::shared_ptr<sv1::InsightsService::Stub> si(std::move(insights));
    return {
        {"orgpulse.ingest.v1.IngestService.GetTeamExecution",
         [in](const std::string& token, const std::string& path) {
           iv1::GetTeamExecutionRequest request;
           request.set_team(path);
           iv1::TeamExecution response;
           return in->GetTeamExecution(Context(token).get(), request,
                                       &response);
         }},
        {"orgpulse.ingest.v1.IngestService.ListTeams",
         [in](const std::string& token, const std::string& path) {
           iv1::ListTeamsRequest request;
           request.set_prefix(path);
           iv1::ListTeamsResponse response;
           return in->ListTeams(Context(token).get(), request, &response);
         }},
        {"orgpulse.ingest.v1.IngestService.GetTeamTrend",
         [in](const std::string& token, const std::string& path) {
           iv1::GetTeamTrendRequest request;
           request.set_team(path);
           iv1::TeamTrend response;
           return in->GetTeamTrend(Context(token).get(), request, &response);
         }},
        {"orgpulse.insights.v1.InsightsService.GetTeamInsights",
         [si](const std::string& token, const std::string& path) {
           sv1::GetTeamInsightsRequest request;
           request.set_team(path);
           sv1::TeamInsights response;
           return si->GetTeamInsights(Context(token).get(), request, &response);
         }},
        {"orgpulse.insights.v1.InsightsService.ListTeamInsights",
         [si](const std::string& token, const std::string& path) {
           sv1::ListTeamInsightsRequest request;
           request.set_prefix(path);
           sv1::ListTeamInsightsResponse response;
           return si->ListTeamInsights(Context(token).get(), request,
                                       &response);
         }},
    };
  }

  std::string RefusalsOutOfSubtree(const ServerProcess& server) {
    const std::string metrics = HttpGet(server.metrics_port(), "/metrics");
    const std::string name =
        "orgpulse_auth_refused_calls_total{reason=\"out_of_subtree\"} ";
    const size_t at = metrics.find(name);
    if (at == std::string::npos) return "absent";
    return metrics.substr(at + name.size(),
                          metrics.find('\n', at) - at - name.size());
  }

  TempDir dir_;
  std::string token_file_;
  std::string lead_;
  const std::string pusher_ = RandomToken();
  const std::string submitter_ = RandomToken();
  const std::string insights_token_ = RandomToken();
  std::unique_ptr<ServerProcess> ingest_;
  std::unique_ptr<ServerProcess> insights_;
};

// The methods of both services that need no read scope: they read no team
// data, so a subtree does not apply to them.
// Writes, and the admin calls whose scopes a subtree cannot carry (a token
// with ingest:admin or survey:erase is refused at load if it has a subtree):
// RemoveEvents' dry run shows figures, but only to a whole-organisation admin.
bool IsWriteRpc(const std::string& method) {
  return method == "orgpulse.ingest.v1.IngestService.Push" ||
         method == "orgpulse.ingest.v1.IngestService.PushStream" ||
         method == "orgpulse.ingest.v1.IngestService.RemoveEvents" ||
         method ==
             "orgpulse.insights.v1.InsightsService.SubmitSurveyResponses" ||
         method == "orgpulse.insights.v1.InsightsService.EraseRespondent";
}

// Reads of every team at once (no path in the request): a subtree token is
// refused outright.
bool IsWholeOrganisationRead(const std::string& method) {
  return method == "orgpulse.ingest.v1.IngestService.ListTeamExecutions";
}

TEST_F(ReadSubtreeTest, ReadRpcsAreAllCovered) {
  StartBoth();
  const std::map<std::string, Read> reads = ReadRpcs();
  for (const char* service : {"orgpulse.ingest.v1.IngestService",
                              "orgpulse.insights.v1.InsightsService"}) {
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const std::string method = descriptor->method(i)->full_name();
      EXPECT_TRUE(reads.contains(method) || IsWriteRpc(method) ||
                  IsWholeOrganisationRead(method))
          << method
          << " is new: if it reads team data, call "
             "CallAuthorizer::CheckReadPaths with the paths it reads and add "
             "it to ReadRpcs(); if it writes, to IsWriteRpc()";
    }
  }
}

TEST_F(ReadSubtreeTest, EveryReadRpcServesTheSubtreeAndRefusesTheRest) {
  StartBoth();
  int refused = 0;
  for (const auto& [method, read] : ReadRpcs()) {
    SCOPED_TRACE(method);
    for (const std::string in_scope : {"eng", "eng/search"}) {
      const grpc::Status status = read(lead_, in_scope);
      EXPECT_TRUE(status.ok()) << in_scope << ": " << status.error_message();
    }
    // A sibling department; for the lists also the whole org (""): a
    // rollup above the subtree is refused, never narrowed to it.
    std::vector<std::string> outside = {"sales", "sales/emea"};
    if (method.find(".List") != std::string::npos) outside.push_back("");
    for (const std::string& path : outside) {
      const grpc::Status status = read(lead_, path);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << "\"" << path << "\"";
      EXPECT_THAT(status.error_message(),
                  HasSubstr("client \"eng-lead\" reads only the subtree "
                            "\"eng\""));
      ++refused;
    }
  }
  EXPECT_EQ(refused, 12);
  // Two of each kind refused per RPC, and the lists' "" once each.
  EXPECT_EQ(RefusalsOutOfSubtree(*ingest_), "7");
  EXPECT_EQ(RefusalsOutOfSubtree(*insights_), "5");
}

TEST_F(ReadSubtreeTest, WholeOrganisationReadsRefuseASubtreeToken) {
  StartBoth();
  auto stub = iv1::IngestService::NewStub(ingest_->Channel());
  iv1::ListTeamExecutionsRequest request;
  iv1::ListTeamExecutionsResponse response;
  const grpc::Status refused =
      stub->ListTeamExecutions(Context(lead_).get(), request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("client \"eng-lead\" reads only the subtree \"eng\""));
  response.Clear();
  const grpc::Status served = stub->ListTeamExecutions(
      Context(insights_token_).get(), request, &response);
  ASSERT_TRUE(served.ok()) << served.error_message();
  EXPECT_GT(response.executions_size(), 0);
}

TEST_F(ReadSubtreeTest, InsightsStillReadsAllOfIngestWithItsOwnToken) {
  StartBoth();
  // The lead's view of eng joins ingest's figures, which insights read with
  // its own unrestricted token (every team: it needs them all for the
  // suppression of complementary groups).
  auto stub = sv1::InsightsService::NewStub(insights_->Channel());
  sv1::TeamInsights eng;
  for (int i = 0; i < 100; ++i) {  // bounded: 5 s for the first refresh
    sv1::GetTeamInsightsRequest request;
    request.set_team("eng");
    eng.Clear();
    const grpc::Status status =
        stub->GetTeamInsights(Context(lead_).get(), request, &eng);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (eng.execution().available()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(eng.execution().available());
  EXPECT_FALSE(eng.execution().stale());
  EXPECT_THAT(HttpGet(insights_->metrics_port(), "/metrics"),
              HasSubstr("orgpulse_ingest_up 1"));
  EXPECT_EQ(RefusalsOutOfSubtree(*ingest_), "0");
}

}  // namespace
}  // namespace orgpulse
