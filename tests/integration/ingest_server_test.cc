// The ingest service end to end: the real binary on 127.0.0.1, a real gRPC
// client, a real data directory, and promtool on a live scrape.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_org.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::ServerProcess;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kNow[] = "2026-03-15T12:00:00Z";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

void SetTime(absl::Time t, google::protobuf::Timestamp& out) {
  out.set_seconds(absl::ToUnixSeconds(t));
}

v1::Event TaskCreatedEvent(const std::string& id, const std::string& team,
                           absl::Time at, absl::Time due) {
  v1::Event e;
  e.set_event_id(id);
  e.set_source("jira");
  e.set_team(team);
  SetTime(at, *e.mutable_occurred_at());
  e.mutable_task_created()->set_task_id(id);
  SetTime(due, *e.mutable_task_created()->mutable_due_at());
  return e;
}

class IngestServerTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    flags.push_back(absl::StrCat("--now=", kNow));
    server_ = std::make_unique<ServerProcess>(ORGPULSE_INGEST_BINARY, flags);
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::IngestService::NewStub(server_->Channel());
  }

  grpc::Status Push(const std::vector<v1::Event>& events,
                    v1::PushResponse* response) {
    v1::PushRequest request;
    for (const auto& e : events) *request.add_events() = e;
    grpc::ClientContext context;
    return stub_->Push(&context, request, response);
  }

  grpc::Status Figures(const std::string& team, v1::TeamExecution* out) {
    grpc::ClientContext context;
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    return stub_->GetTeamExecution(&context, request, out);
  }

  std::string Scrape() {
    const std::string command = absl::StrCat(
        "curl -sf http://127.0.0.1:", server_->metrics_port(), "/metrics");
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
      out.append(buffer, n);
    pclose(pipe);
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

TEST_F(IngestServerTest, AcceptsThenReportsDuplicatesAndFiguresDoNotChange) {
  StartServer();
  const absl::Time now = Now();
  std::vector<v1::Event> events = {
      TaskCreatedEvent("T-1", "eng/payments", now - absl::Hours(72),
                       now - absl::Hours(24)),  // open, overdue
      TaskCreatedEvent("T-2", "eng/payments", now - absl::Hours(72),
                       now + absl::Hours(24)),  // open
      TaskCreatedEvent("T-3", "eng/search", now - absl::Hours(10),
                       now + absl::Hours(24))};
  v1::PushResponse response;
  ASSERT_TRUE(Push(events, &response).ok());
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(response.duplicates(), 0);

  v1::TeamExecution before;
  ASSERT_TRUE(Figures("eng/payments", &before).ok());
  EXPECT_EQ(before.tasks().open(), 2);
  EXPECT_EQ(before.tasks().overdue(), 1);

  ASSERT_TRUE(Push(events, &response).ok());
  EXPECT_EQ(response.accepted(), 0);
  EXPECT_EQ(response.duplicates(), 3);
  v1::TeamExecution after;
  ASSERT_TRUE(Figures("eng/payments", &after).ok());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());

  v1::TeamExecution rollup;
  ASSERT_TRUE(Figures("eng", &rollup).ok());
  EXPECT_THAT(rollup.teams(), ElementsAre("eng/payments", "eng/search"));
  EXPECT_EQ(rollup.tasks().open(), 3);
}

// Page by page, every team and prefix, each as GetTeamExecution gives it.
TEST_F(IngestServerTest, ListTeamExecutionsPagesThroughEveryNode) {
  StartServer();
  const absl::Time now = Now();
  v1::PushResponse pushed;
  ASSERT_TRUE(Push({TaskCreatedEvent("T-1", "eng/payments", now, now),
                    TaskCreatedEvent("T-2", "eng/search", now, now),
                    TaskCreatedEvent("T-3", "ops", now, now)},
                   &pushed)
                  .ok());
  std::vector<std::string> nodes;
  v1::ListTeamExecutionsRequest request;
  request.set_page_size(2);
  int pages = 0;
  do {
    v1::ListTeamExecutionsResponse page;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListTeamExecutions(&context, request, &page).ok());
    ++pages;
    for (const v1::TeamExecution& f : page.executions()) {
      nodes.push_back(f.team());
      v1::TeamExecution single;
      ASSERT_TRUE(Figures(f.team(), &single).ok());
      EXPECT_EQ(f.SerializeAsString(), single.SerializeAsString());
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_THAT(nodes, ElementsAre("eng", "eng/payments", "eng/search", "ops"));
  EXPECT_EQ(pages, 2);
}

TEST_F(IngestServerTest, InvalidBatchIsRejectedWholeWithEveryViolation) {
  StartServer();
  const absl::Time now = Now();
  v1::Event good = TaskCreatedEvent("ok-1", "eng/payments", now, now);
  v1::Event bad_team = TaskCreatedEvent("bad-1", "Eng Payments", now, now);
  v1::Event nan_cost;
  nan_cost.set_event_id("bad-2");
  nan_cost.set_source("erp");
  nan_cost.set_team("eng/payments");
  SetTime(now, *nan_cost.mutable_occurred_at());
  nan_cost.mutable_cost_actual()->set_project("p");
  nan_cost.mutable_cost_actual()->set_amount(std::nan(""));
  v1::Event no_payload = good;
  no_payload.set_event_id("bad-3");
  no_payload.clear_task_created();

  v1::PushResponse response;
  const grpc::Status status =
      Push({good, bad_team, nan_cost, no_payload}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("nothing was stored"));
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              UnorderedElementsAre(
                  Field(&FieldViolation::field, "events[1].team"),
                  Field(&FieldViolation::field, "events[2].cost_actual.amount"),
                  Field(&FieldViolation::field, "events[3].payload")));
  // Nothing of the batch was stored, not even the valid event.
  v1::TeamExecution figures;
  EXPECT_EQ(Figures("eng/payments", &figures).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The same valid event alone is accepted: it was not half-stored.
  ASSERT_TRUE(Push({good}, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
}

TEST_F(IngestServerTest, TeamCapGivesResourceExhaustedAndStoresNothing) {
  StartServer({"--max_teams=2"});
  const absl::Time now = Now();
  v1::PushResponse response;
  ASSERT_TRUE(Push({TaskCreatedEvent("a", "eng/a", now, now),
                    TaskCreatedEvent("b", "eng/b", now, now)},
                   &response)
                  .ok());
  const grpc::Status status = Push({TaskCreatedEvent("a2", "eng/a", now, now),
                                    TaskCreatedEvent("c", "eng/c", now, now)},
                                   &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_teams"));
  v1::TeamExecution figures;
  ASSERT_TRUE(Figures("eng/a", &figures).ok());
  EXPECT_EQ(figures.events(), 1);  // "a2" was not stored either
}

TEST_F(IngestServerTest, SourceCapGivesResourceExhaustedAndIsCounted) {
  StartServer({"--max_sources=1"});
  const absl::Time now = Now();
  v1::PushResponse response;
  ASSERT_TRUE(Push({TaskCreatedEvent("a", "eng/a", now, now)}, &response).ok());
  v1::Event erp = TaskCreatedEvent("b", "eng/a", now, now);
  erp.set_source("erp");
  const grpc::Status status = Push({erp}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("(erp)"), HasSubstr("--max_sources")));
  const std::string metrics = Scrape();
  EXPECT_THAT(metrics, HasSubstr("orgpulse_ingest_events_rejected_total{"
                                 "reason=\"source_limit\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("orgpulse_sources 1\n"));
}

TEST_F(IngestServerTest,
       OversizeAndGarbageRequestsAreRefusedAndServerKeepsServing) {
  StartServer({"--max_message_bytes=65536"});
  const absl::Time now = Now();
  std::vector<v1::Event> big;
  for (int i = 0; i < 2000; ++i) {
    big.push_back(TaskCreatedEvent(absl::StrCat("big-", i), "eng/a", now, now));
  }
  v1::PushResponse response;
  EXPECT_EQ(Push(big, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Bytes that are not a PushRequest.
  grpc::GenericStub generic(server_->Channel());
  grpc::ClientContext context;
  const std::string garbage = "\xff\xff\xff\xff\x0f garbage";
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1), reply;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status garbage_status;
  generic.UnaryCall(&context, "/orgpulse.ingest.v1.IngestService/Push",
                    grpc::StubOptions(), &request, &reply, [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      garbage_status = s;
                      done = true;
                      cv.notify_one();
                    });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  EXPECT_FALSE(garbage_status.ok());
  EXPECT_TRUE(server_->IsServing());
  ASSERT_TRUE(
      Push({TaskCreatedEvent("small", "eng/a", now, now)}, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
}

TEST_F(IngestServerTest, PushStreamAcknowledgesEachRequestInOrder) {
  StartServer();
  const absl::Time now = Now();
  grpc::ClientContext context;
  auto stream = stub_->PushStream(&context);
  for (int r = 0; r < 20; ++r) {
    v1::PushRequest request;
    for (int i = 0; i <= r; ++i) {  // request r carries r + 1 events
      *request.add_events() = TaskCreatedEvent(absl::StrCat("s-", r, "-", i),
                                               "eng/stream", now, now);
    }
    if (r % 2 == 1) *request.add_events() = request.events(0);  // a duplicate
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  v1::PushResponse response;
  for (int r = 0; r < 20; ++r) {
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.accepted(), r + 1) << "response " << r;
    EXPECT_EQ(response.duplicates(), r % 2) << "response " << r;
  }
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(IngestServerTest, PushStreamEndsWithTheErrorOfABadRequest) {
  StartServer();
  const absl::Time now = Now();
  grpc::ClientContext context;
  auto stream = stub_->PushStream(&context);
  v1::PushRequest good, bad;
  *good.add_events() = TaskCreatedEvent("g-1", "eng/a", now, now);
  *bad.add_events() = TaskCreatedEvent("b-1", "", now, now);
  ASSERT_TRUE(stream->Write(good));
  stream->Write(bad);
  stream->WritesDone();
  v1::PushResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(Field(&FieldViolation::field, "events[0].team")));
}

TEST_F(IngestServerTest, QueriesValidateTheirTeamAndAnswerNotFound) {
  StartServer();
  v1::TeamExecution figures;
  EXPECT_EQ(Figures("", &figures).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Figures("Bad Team", &figures).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Figures("eng/none", &figures).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(IngestServerTest, ScrapePassesPromtoolAndCarriesTheFigures) {
  StartServer();
  const std::vector<v1::Event> org = sample::SampleOrganisation(Now());
  for (size_t i = 0; i < org.size(); i += 1000) {
    std::vector<v1::Event> batch(org.begin() + i,
                                 org.begin() + std::min(org.size(), i + 1000));
    v1::PushResponse response;
    ASSERT_TRUE(Push(batch, &response).ok());
  }
  v1::PushResponse response;
  Push({TaskCreatedEvent("x", "", Now(), Now())}, &response);  // one rejected

  const std::string metrics = Scrape();
  for (const char* name :
       {"orgpulse_tasks_open{team=\"eng/payments\"}",
        "orgpulse_tasks_overdue{team=\"eng/search\"}",
        "orgpulse_tasks_on_time_ratio{team=\"eng/payments\"}",
        "orgpulse_task_cycle_time_seconds{team=\"eng/"
        "search\",quantile=\"0.9\"}",
        "orgpulse_project_cost_performance_index{team=\"eng/"
        "search\",project=\"search-roadmap\"}",
        "orgpulse_project_schedule_performance_index{",
        "orgpulse_project_estimate_at_completion{",
        "orgpulse_milestones{team=\"eng/search\",state=\"missed\"}",
        "orgpulse_procedure_compliance_ratio{team=\"ops/"
        "sre\",procedure=\"code-review\"}",
        "orgpulse_kpi_attainment_ratio{team=\"sales/na\",kpi=\"revenue\"}",
        "orgpulse_ingest_events_total{result=\"accepted\"}",
        "orgpulse_ingest_events_rejected_total{reason=\"invalid\"} 1",
        "orgpulse_source_last_event_timestamp_seconds{source=\"jira\"} ",
        "orgpulse_store_commit_seconds_bucket{",
        "grpc_server_handled_total{grpc_code=\"INVALID_ARGUMENT\",grpc_method="
        "\"Push\"",
        "grpc_server_handling_seconds_bucket{", "process_resident_memory_bytes",
        "process_cpu_seconds_total"}) {
    EXPECT_THAT(metrics, HasSubstr(name));
  }
  // promtool lints the live scrape (exit 0 and no complaint).
  const std::string file = server_->data_dir() + "/../scrape.txt";
  FILE* f = fopen(file.c_str(), "w");
  fwrite(metrics.data(), 1, metrics.size(), f);
  fclose(f);
  const std::string command =
      absl::StrCat("promtool check metrics < ", file, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  std::string lint;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    lint.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << lint;
  EXPECT_EQ(lint, "");
}

TEST_F(IngestServerTest, SigtermDrainsExitsZeroAndDataSurvivesRestart) {
  StartServer();
  const absl::Time now = Now();
  v1::PushResponse response;
  ASSERT_TRUE(
      Push({TaskCreatedEvent("p-1", "eng/a", now, now)}, &response).ok());
  const std::string data_dir = server_->data_dir();
  EXPECT_EQ(server_->Terminate(), 0);

  ServerProcess again(ORGPULSE_INGEST_BINARY, {absl::StrCat("--now=", kNow)},
                      data_dir);
  ASSERT_TRUE(again.Start().ok());
  stub_ = v1::IngestService::NewStub(again.Channel());
  ASSERT_TRUE(
      Push({TaskCreatedEvent("p-1", "eng/a", now, now)}, &response).ok());
  EXPECT_EQ(response.duplicates(), 1);
  EXPECT_EQ(again.Terminate(), 0);
}

TEST_F(IngestServerTest, ReflectionIsServedOnlyWhenAskedFor) {
  auto reflection_code = [](ServerProcess& server) {
    grpc::GenericStub generic(server.Channel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    grpc::CompletionQueue cq;
    auto call = generic.PrepareCall(
        &context,
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    call->StartCall(reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    call->WritesDone(reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
    return status.error_code();
  };
  StartServer();
  EXPECT_EQ(reflection_code(*server_), grpc::StatusCode::UNIMPLEMENTED);
  ServerProcess with(ORGPULSE_INGEST_BINARY, {"--enable_reflection"});
  ASSERT_TRUE(with.Start().ok());
  EXPECT_EQ(reflection_code(with), grpc::StatusCode::OK);
}

TEST_F(IngestServerTest, HelpListsEveryFlag) {
  FILE* pipe =
      popen(absl::StrCat(ORGPULSE_INGEST_BINARY, " --help 2>&1").c_str(), "r");
  std::string help;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    help.append(buffer, n);
  pclose(pipe);
  for (const char* flag :
       {"--grpc_address", "--metrics_address", "--data_dir", "--max_teams",
        "--max_sources", "--max_message_bytes", "--max_concurrent_streams",
        "--enable_reflection", "--sync", "--max_store_bytes", "--now",
        "--port_file", "--shutdown_grace"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace orgpulse::ingest
