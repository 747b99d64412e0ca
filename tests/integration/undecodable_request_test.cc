// Requests that do not decode as their method's message, sent as raw bytes
// to every method of both real services: INVALID_ARGUMENT naming the message
// type (and the field, for invalid UTF-8), counted in
// grpc_server_handled_total, and the service keeps serving. Reflection still
// describes the real types.
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// Stands for a string field's value in a valid request; replaced by as
// many bytes that are not UTF-8.
constexpr char kMarker[] = "ZZZZ";

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::Status RawUnary(std::shared_ptr<grpc::Channel> channel,
                      const std::string& method, const std::string& request) {
  grpc::GenericStub generic(std::move(channel));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  grpc::ByteBuffer bytes = ToByteBuffer(request), reply;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &bytes, &reply,
                    [&](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

struct StreamResult {
  std::vector<std::string> responses;
  grpc::Status status;
};

// Writes each of `requests` on a bidi stream, half-closes, reads to the end.
StreamResult RawBidi(std::shared_ptr<grpc::Channel> channel,
                     const std::string& method,
                     const std::vector<std::string>& requests) {
  grpc::GenericStub generic(std::move(channel));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call = generic.PrepareCall(&context, method, &cq);
  call->StartCall(nullptr);
  cq.Next(&tag, &ok);
  for (const std::string& r : requests) {
    grpc::ByteBuffer bytes = ToByteBuffer(r);
    call->Write(bytes, nullptr);
    cq.Next(&tag, &ok);
    if (!ok) break;
  }
  call->WritesDone(nullptr);
  cq.Next(&tag, &ok);
  StreamResult result;
  for (;;) {
    grpc::ByteBuffer reply;
    call->Read(&reply, nullptr);
    cq.Next(&tag, &ok);
    if (!ok) break;
    result.responses.push_back(FromByteBuffer(reply));
  }
  call->Finish(&result.status, nullptr);
  cq.Next(&tag, &ok);
  return result;
}

// One method and a valid request for it with kMarker in one string field.
struct Method {
  std::string path;          // "/pkg.Service/Method"
  std::string request_type;  // "pkg.Request"
  std::string marked_field;  // the full name of the field holding kMarker
  std::string valid_request;
  bool bidi = false;
  std::string accepted_request;  // for a stream: one the service accepts

  std::string name() const { return path.substr(path.rfind('/') + 1); }
};

std::vector<Method> IngestMethods() {
  ingest::v1::PushRequest push;
  ingest::v1::Event& e = *push.add_events();
  e.set_event_id("e-1");
  e.set_source("jira");
  e.set_team(absl::StrCat("eng/", kMarker));
  e.mutable_occurred_at()->set_seconds(1773576000);
  e.mutable_task_created()->set_task_id("task-1");
  ingest::v1::PushRequest accepted = push;
  accepted.mutable_events(0)->set_team("eng/stream");
  accepted.mutable_events(0)
      ->mutable_task_created()
      ->mutable_due_at()
      ->set_seconds(1773576000);
  ingest::v1::GetTeamExecutionRequest get;
  get.set_team(absl::StrCat("eng/", kMarker));
  ingest::v1::ListTeamsRequest list;
  list.set_prefix(absl::StrCat("eng/", kMarker));
  ingest::v1::RemoveEventsRequest remove;
  remove.set_source(kMarker);
  ingest::v1::ListTeamExecutionsRequest page;
  page.set_page_token(absl::StrCat("eng/", kMarker));
  ingest::v1::GetTeamTrendRequest trend;
  trend.set_team(absl::StrCat("eng/", kMarker));
  const std::string service = "/orgpulse.ingest.v1.IngestService/";
  return {
      {service + "Push", "orgpulse.ingest.v1.PushRequest",
       "orgpulse.ingest.v1.Event.team", push.SerializeAsString()},
      {service + "PushStream", "orgpulse.ingest.v1.PushRequest",
       "orgpulse.ingest.v1.Event.team", push.SerializeAsString(), true,
       accepted.SerializeAsString()},
      {service + "GetTeamExecution",
       "orgpulse.ingest.v1.GetTeamExecutionRequest",
       "orgpulse.ingest.v1.GetTeamExecutionRequest.team",
       get.SerializeAsString()},
      {service + "ListTeams", "orgpulse.ingest.v1.ListTeamsRequest",
       "orgpulse.ingest.v1.ListTeamsRequest.prefix", list.SerializeAsString()},
      {service + "RemoveEvents", "orgpulse.ingest.v1.RemoveEventsRequest",
       "orgpulse.ingest.v1.RemoveEventsRequest.source",
       remove.SerializeAsString()},
      {service + "ListTeamExecutions",
       "orgpulse.ingest.v1.ListTeamExecutionsRequest",
       "orgpulse.ingest.v1.ListTeamExecutionsRequest.page_token",
       page.SerializeAsString()},
      {service + "GetTeamTrend", "orgpulse.ingest.v1.GetTeamTrendRequest",
       "orgpulse.ingest.v1.GetTeamTrendRequest.team",
       trend.SerializeAsString()},
  };
}

std::vector<Method> InsightsMethods() {
  insights::v1::SubmitSurveyResponsesRequest submit;
  insights::v1::SurveyResponse& r = *submit.add_responses();
  r.set_response_id("r-1");
  r.set_team("eng/payments");
  r.set_round("2026-q1");
  r.set_respondent_id(absl::StrCat("person-", kMarker));
  r.add_answers()->set_item("psych_safety_1");
  insights::v1::GetTeamInsightsRequest get;
  get.set_team(absl::StrCat("eng/", kMarker));
  insights::v1::ListTeamInsightsRequest list;
  list.set_prefix(absl::StrCat("eng/", kMarker));
  insights::v1::EraseRespondentRequest erase;
  erase.set_respondent_id(absl::StrCat("person-", kMarker));
  const std::string service = "/orgpulse.insights.v1.InsightsService/";
  return {
      {service + "SubmitSurveyResponses",
       "orgpulse.insights.v1.SubmitSurveyResponsesRequest",
       "orgpulse.insights.v1.SurveyResponse.respondent_id",
       submit.SerializeAsString()},
      {service + "GetTeamInsights",
       "orgpulse.insights.v1.GetTeamInsightsRequest",
       "orgpulse.insights.v1.GetTeamInsightsRequest.team",
       get.SerializeAsString()},
      {service + "ListTeamInsights",
       "orgpulse.insights.v1.ListTeamInsightsRequest",
       "orgpulse.insights.v1.ListTeamInsightsRequest.prefix",
       list.SerializeAsString()},
      {service + "EraseRespondent",
       "orgpulse.insights.v1.EraseRespondentRequest",
       "orgpulse.insights.v1.EraseRespondentRequest.respondent_id",
       erase.SerializeAsString()},
  };
}

struct BadRequest {
  std::string what;
  std::string bytes;
  std::string expected_message;
};

std::vector<BadRequest> BadRequestsFor(const Method& m) {
  const std::string decoded_as =
      absl::StrCat("request could not be decoded as ", m.request_type);
  return {
      {"invalid UTF-8",
       absl::StrReplaceAll(m.valid_request, {{kMarker, "\xff\xfe\xc0\xaf"}}),
       absl::StrCat(decoded_as, ": invalid UTF-8 in string field ",
                    m.marked_field)},
      {"truncated", m.valid_request.substr(0, m.valid_request.size() - 2),
       decoded_as},
      {"garbage", "\xff\xff\xff\xff\x0f garbage", decoded_as},
  };
}

// The value of the grpc_server_handled_total series of `method` with `code`.
double Handled(const std::string& scrape, const Method& m,
               const std::string& code) {
  const std::string service = m.path.substr(1, m.path.rfind('/') - 1);
  const std::string series =
      absl::StrCat("grpc_server_handled_total{grpc_code=\"", code,
                   "\",grpc_method=\"", m.name(), "\",grpc_service=\"", service,
                   "\",grpc_type=\"", m.bidi ? "bidi_stream" : "unary", "\"} ");
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (absl::ConsumePrefix(&line, series)) {
      double value = 0;
      EXPECT_TRUE(absl::SimpleAtod(line, &value)) << line;
      return value;
    }
  }
  return 0;
}

struct Service {
  const char* name;
  const char* binary;
  std::vector<Method> (*methods)();
};

class UndecodableRequestTest : public ::testing::TestWithParam<Service> {
 protected:
  std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> flags) {
    if (std::string(GetParam().binary) == ORGPULSE_INSIGHTS_BINARY) {
      const std::string key_file = keys_.path() + "/respondent.key";
      std::ofstream(key_file) << "test-secret-0123456789abcdef\n";
      flags.push_back("--respondent_key_file=" + key_file);
      flags.push_back("--ingest_address=127.0.0.1:1");  // not needed here
      flags.push_back("--ingest_deadline=100ms");
    }
    auto server = std::make_unique<ServerProcess>(GetParam().binary, flags);
    EXPECT_TRUE(server->Start().ok());
    return server;
  }

  TempDir keys_;
};

TEST_P(UndecodableRequestTest, EveryMethodAnswersInvalidArgumentNamingTheType) {
  std::unique_ptr<ServerProcess> server = StartServer({});
  std::shared_ptr<grpc::Channel> channel = server->Channel();
  for (const Method& m : GetParam().methods()) {
    for (const BadRequest& bad : BadRequestsFor(m)) {
      SCOPED_TRACE(absl::StrCat(m.name(), ", ", bad.what));
      grpc::Status status;
      if (m.bidi) {
        // A valid request first: it is acknowledged, then the bad one ends
        // the stream.
        const StreamResult result =
            RawBidi(channel, m.path, {m.accepted_request, bad.bytes});
        EXPECT_EQ(result.responses.size(), 1u);
        status = result.status;
      } else {
        status = RawUnary(channel, m.path, bad.bytes);
      }
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(status.error_message(), bad.expected_message);
    }
  }
  EXPECT_TRUE(server->IsServing());

  const std::string scrape =
      RunCommand(absl::StrCat("curl -sf http://127.0.0.1:",
                              server->metrics_port(), "/metrics"))
          .output;
  for (const Method& m : GetParam().methods()) {
    EXPECT_EQ(Handled(scrape, m, "INVALID_ARGUMENT"), 3) << m.name();
  }
  EXPECT_EQ(server->Terminate(), 0);
  // Nothing of protobuf's own complaint reaches the log.
  EXPECT_THAT(server->Log(), Not(HasSubstr("invalid UTF-8")));
}

// ServerReflectionRequest{file_containing_symbol}, by hand (field 4).
std::string FileContainingSymbol(const std::string& symbol) {
  google::protobuf::UnknownFieldSet request;
  request.AddLengthDelimited(4, symbol);
  std::string out;
  request.SerializeToString(&out);
  return out;
}

TEST_P(UndecodableRequestTest, ReflectionDescribesTheRealMessageTypes) {
  std::unique_ptr<ServerProcess> server = StartServer({"--enable_reflection"});
  const std::vector<Method> methods = GetParam().methods();
  const std::string service_path =
      methods[0].path.substr(1, methods[0].path.rfind('/') - 1);
  const StreamResult result =
      RawBidi(server->Channel(),
              "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              {FileContainingSymbol(service_path)});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 1u);
  // ServerReflectionResponse.file_descriptor_response (4)
  //   .file_descriptor_proto (1, repeated bytes)
  google::protobuf::UnknownFieldSet response, files;
  ASSERT_TRUE(response.ParseFromString(result.responses[0]));
  for (int i = 0; i < response.field_count(); ++i) {
    if (response.field(i).number() == 4) {
      ASSERT_TRUE(files.ParseFromString(response.field(i).length_delimited()));
    }
  }
  std::map<std::string, std::string> input_types;
  for (int i = 0; i < files.field_count(); ++i) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(files.field(i).length_delimited()));
    for (const auto& service : file.service()) {
      if (absl::StrCat(file.package(), ".", service.name()) != service_path) {
        continue;
      }
      for (const auto& method : service.method()) {
        input_types[method.name()] = method.input_type();
      }
    }
  }
  ASSERT_EQ(input_types.size(), methods.size());
  for (const Method& m : methods) {
    EXPECT_EQ(input_types[m.name()], "." + m.request_type);
  }
}

INSTANTIATE_TEST_SUITE_P(
    BothServices, UndecodableRequestTest,
    ::testing::Values(Service{"Ingest", ORGPULSE_INGEST_BINARY, &IngestMethods},
                      Service{"Insights", ORGPULSE_INSIGHTS_BINARY,
                              &InsightsMethods}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace orgpulse
