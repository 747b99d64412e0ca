// IngestService over an in-process channel, with a fake EventLedger whose
// commits the test completes by hand (in any order, at any time) and a real
// CallAuthorizer: PushStream ordering, back-pressure and failures mid-stream,
// the refusals, and how domain answers and errors reach the client.
#include "services/ingest/grpc/ingest_service.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/proto/time_conversion.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/event_ledger.h"
#include "services/ingest/grpc/conversion.h"
#include "tests/support/test_authorizer.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::DebugString;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::TestAuthorizer;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Return;

constexpr int kMaxInFlight = IngestService::kMaxInFlightPerStream;
// How long a paused stream must stay quiet to count as paused. An adapter
// that kept reading would hand the next request over within microseconds
// (in-process channel, requests already written); this is not a readiness
// wait.
constexpr absl::Duration kQuietPeriod = absl::Milliseconds(300);
// Bounds every wait, so a broken adapter fails a test instead of hanging it.
constexpr absl::Duration kPatience = absl::Seconds(20);

// An EventLedger whose Submits wait until the test completes them, unless
// told to answer at once (as Ledger does for an invalid batch). Records the
// largest number of batches ever waiting at the same time.
class FakeLedger final : public EventLedger {
 public:
  void Submit(EventBatch batch, Callback done) override {
    std::optional<absl::StatusOr<PushResult>> at_once;
    {
      absl::MutexLock lock(&mu_);
      const size_t index = batches_.size();
      batches_.push_back(std::move(batch));
      if (auto it = at_once_.find(index); it != at_once_.end()) {
        at_once = it->second;
        dones_.push_back(nullptr);
      } else if (answer_all_at_once_) {
        at_once = *answer_all_at_once_;
        dones_.push_back(nullptr);
      } else {
        dones_.push_back(std::move(done));
        ++waiting_;
        max_waiting_ = std::max(max_waiting_, waiting_);
      }
    }
    if (at_once) done(*std::move(at_once));
  }

  MOCK_METHOD(absl::StatusOr<TeamExecution>, GetTeamExecution,
              (absl::string_view prefix), (const, override));
  MOCK_METHOD(std::vector<TeamSummary>, ListTeams, (absl::string_view prefix),
              (const, override));
  MOCK_METHOD(void, Remove, (RemovalRequest request, RemovalCallback done),
              (override));

  MOCK_METHOD(TeamExecutionPage, ListTeamExecutions,
              (size_t page_size, absl::string_view after), (const, override));
  MOCK_METHOD(absl::StatusOr<TeamExecution>, GetTeamExecutionAsOf,
              (absl::string_view prefix, absl::Time as_of), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<TeamExecution>>, GetTeamTrend,
              (absl::string_view prefix, const TrendRequest& request),
              (override));

  // The `index`th batch (from 0) is answered `result` on the calling thread.
  void AnswerAtOnce(size_t index, absl::StatusOr<PushResult> result) {
    absl::MutexLock lock(&mu_);
    at_once_.emplace(index, std::move(result));
  }
  // Every batch from now on is answered `result` on the calling thread.
  void AnswerAllAtOnce(absl::StatusOr<PushResult> result) {
    absl::MutexLock lock(&mu_);
    answer_all_at_once_ = std::move(result);
  }

  // True once `n` batches were submitted; false if not within `timeout`.
  bool AwaitSubmitted(size_t n, absl::Duration timeout = kPatience) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return batches_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  // Completes the `index`th batch (which must be waiting) with `result`, on
  // the calling thread.
  void Complete(size_t index, absl::StatusOr<PushResult> result) {
    Callback done;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_LT(index, dones_.size());
      ASSERT_TRUE(dones_[index]) << "batch " << index << " is not waiting";
      done = std::exchange(dones_[index], nullptr);
      --waiting_;
    }
    done(std::move(result));
  }
  // Completes it with its size as the accepted count.
  void CompleteAccepted(size_t index) {
    Complete(index,
             PushResult{.accepted = static_cast<int64_t>(batch(index).size())});
  }

  // Completes everything still waiting with UNAVAILABLE, so that no call is
  // left open when the server shuts down (a failed test may leave some).
  void CompleteAllWaiting() {
    for (size_t i = 0; i < submitted(); ++i) {
      bool waiting;
      {
        absl::MutexLock lock(&mu_);
        waiting = dones_[i] != nullptr;
      }
      if (waiting) Complete(i, absl::UnavailableError("test over"));
    }
  }

  size_t submitted() const {
    absl::MutexLock lock(&mu_);
    return batches_.size();
  }
  EventBatch batch(size_t index) const {
    absl::MutexLock lock(&mu_);
    return batches_.at(index);
  }
  int max_waiting() const {
    absl::MutexLock lock(&mu_);
    return max_waiting_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<EventBatch> batches_ ABSL_GUARDED_BY(mu_);
  std::vector<Callback> dones_ ABSL_GUARDED_BY(mu_);  // null once answered
  std::map<size_t, absl::StatusOr<PushResult>> at_once_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::StatusOr<PushResult>> answer_all_at_once_
      ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int max_waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

// A request of `n` valid events whose ids start with `tag`.
v1::PushRequest Request(int n, const std::string& tag) {
  v1::PushRequest request;
  for (int i = 0; i < n; ++i) {
    *request.add_events() =
        ToProto(MakeEvent(absl::StrCat(tag, "-", i), "eng/payments",
                          Utc(2026, 3, 10, 9), TaskStarted{"PAY-1"}));
  }
  return request;
}

absl::Status BadTeam() {
  return InvalidArgumentWithViolations(
      "1 invalid field(s) in a batch of 3 events; nothing was stored",
      {{"events[1].team", "must be a path of lowercase segments"}});
}

class IngestServiceTest : public ::testing::Test {
 protected:
  IngestServiceTest()
      : auth_({{"pusher", {Scope::kIngestPush}},
               {"reader", {Scope::kIngestRead}},
               {"admin", {Scope::kIngestAdmin}},
               {"eng-reader", {Scope::kIngestRead}, "eng"},
               {"payments-reader", {Scope::kIngestRead}, "eng/payments"}}),
        service_(ledger_, auth_.authorizer()) {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    stub_ = v1::IngestService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }

  ~IngestServiceTest() override {
    ledger_.CompleteAllWaiting();
    server_->Shutdown();
  }

  // A client context with `client`'s token ("" for none) and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& client) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!client.empty()) {
      context->AddMetadata("authorization", TestAuthorizer::Bearer(client));
    }
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoSeconds(kPatience));
    return context;
  }

  // A PushStream call whose requests are written on a thread of their own:
  // over the in-process transport a write completes only once the server
  // reads it, and the server stops reading at times.
  class StreamCall {
   public:
    StreamCall(v1::IngestService::Stub& stub,
               std::unique_ptr<grpc::ClientContext> context)
        : context_(std::move(context)),
          stream_(stub.PushStream(context_.get())) {}
    ~StreamCall() {
      if (!writer_.joinable()) return;
      context_->TryCancel();  // a failed test may leave a write blocked
      writer_.join();
    }

    // Writes `requests` after those written before, in the background; then
    // half-closes if `half_close`.
    void Write(std::vector<v1::PushRequest> requests, bool half_close) {
      if (writer_.joinable()) writer_.join();
      writer_ = std::thread([this, requests = std::move(requests), half_close] {
        for (const v1::PushRequest& r : requests) {
          if (!stream_->Write(r)) return;  // the stream has ended
        }
        if (half_close) stream_->WritesDone();
      });
    }

    // Reads acknowledgements until the stream ends; their accepted counts.
    std::vector<int64_t> ReadAll() {
      std::vector<int64_t> accepted;
      v1::PushResponse response;
      while (stream_->Read(&response)) accepted.push_back(response.accepted());
      return accepted;
    }
    bool Read(v1::PushResponse* response) { return stream_->Read(response); }

    // REQUIRES: ReadAll returned (the server has ended the stream).
    grpc::Status Finish() {
      if (writer_.joinable()) writer_.join();
      return stream_->Finish();
    }

   private:
    std::unique_ptr<grpc::ClientContext> context_;
    std::unique_ptr<grpc::ClientReaderWriter<v1::PushRequest, v1::PushResponse>>
        stream_;
    std::thread writer_;
  };

  std::unique_ptr<StreamCall> PushStream(const std::string& client) {
    return std::make_unique<StreamCall>(*stub_, Context(client));
  }

  FakeLedger ledger_;
  TestAuthorizer auth_;
  IngestService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

// --- PushStream ----------------------------------------------------------

// `n` requests; the ith has i + 1 events (so acknowledgements tell which
// request they answer) whose ids start with "r<i>".
std::vector<v1::PushRequest> Requests(int n, bool growing = true) {
  std::vector<v1::PushRequest> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Request(growing ? i + 1 : 1, absl::StrCat("r", i)));
  }
  return out;
}

TEST_F(IngestServiceTest,
       PushStreamAcknowledgesInRequestOrderWhenCommitsCompleteOutOfOrder) {
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  call->Write(Requests(3), /*half_close=*/true);
  ASSERT_TRUE(ledger_.AwaitSubmitted(3));
  // The adapter hands the batches over in request order, decoded.
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(ledger_.batch(i).size(), i + 1);
    EXPECT_EQ(ledger_.batch(i)[0].event_id, absl::StrCat("r", i, "-0"));
  }

  ledger_.CompleteAccepted(2);
  ledger_.CompleteAccepted(0);
  ledger_.CompleteAccepted(1);

  EXPECT_THAT(call->ReadAll(), ElementsAre(1, 2, 3));
  const grpc::Status status = call->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(IngestServiceTest, PushStreamAcknowledgesEachCommitWhenItsTurnComes) {
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  call->Write(Requests(3), /*half_close=*/false);
  ASSERT_TRUE(ledger_.AwaitSubmitted(3));
  v1::PushResponse response;

  // Batch 1 is durable, but batch 0 is not yet: nothing may be acknowledged
  // until batch 0 is; then both are, in order.
  ledger_.CompleteAccepted(1);
  ledger_.CompleteAccepted(0);
  ASSERT_TRUE(call->Read(&response));
  EXPECT_EQ(response.accepted(), 1);
  ASSERT_TRUE(call->Read(&response));
  EXPECT_EQ(response.accepted(), 2);

  // A delayed commit is acknowledged when it completes.
  ledger_.Complete(2, PushResult{.accepted = 1, .duplicates = 2});
  ASSERT_TRUE(call->Read(&response));
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(response.duplicates(), 2);

  call->Write({}, /*half_close=*/true);
  EXPECT_THAT(call->ReadAll(), ElementsAre());
  EXPECT_TRUE(call->Finish().ok());
}

TEST_F(IngestServiceTest, PushStreamStopsReadingWhileTheLimitOfBatchesWait) {
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  const int total = kMaxInFlight + 2;
  call->Write(Requests(total, /*growing=*/false), /*half_close=*/true);

  // kMaxInFlight batches wait for their commit: the adapter reads no more.
  ASSERT_TRUE(ledger_.AwaitSubmitted(kMaxInFlight));
  EXPECT_FALSE(ledger_.AwaitSubmitted(kMaxInFlight + 1, kQuietPeriod))
      << "read a request while " << kMaxInFlight << " waited for commits";

  // One commit frees one place: exactly one more request is read.
  ledger_.CompleteAccepted(0);
  ASSERT_TRUE(ledger_.AwaitSubmitted(kMaxInFlight + 1));
  EXPECT_FALSE(ledger_.AwaitSubmitted(kMaxInFlight + 2, kQuietPeriod));

  ledger_.CompleteAccepted(1);
  ASSERT_TRUE(ledger_.AwaitSubmitted(total));
  for (int i = 2; i < total; ++i) ledger_.CompleteAccepted(i);

  EXPECT_EQ(call->ReadAll(), std::vector<int64_t>(total, 1));
  EXPECT_TRUE(call->Finish().ok());
  EXPECT_EQ(ledger_.max_waiting(), kMaxInFlight);
}

TEST_F(IngestServiceTest,
       PushStreamEndsWithAFailedBatchsStatusAfterAcknowledgingTheOnesBefore) {
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  call->Write(Requests(4), /*half_close=*/false);
  ASSERT_TRUE(ledger_.AwaitSubmitted(4));

  ledger_.Complete(2, BadTeam());
  // Written after the failure: never handed to the ledger.
  call->Write({Request(1, "late")}, /*half_close=*/true);
  ledger_.CompleteAccepted(3);  // after the failed one: not acknowledged
  ledger_.CompleteAccepted(0);
  ledger_.CompleteAccepted(1);

  EXPECT_THAT(call->ReadAll(), ElementsAre(1, 2));
  const grpc::Status status = call->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), BadTeam().message());
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(FieldViolation{
                  "events[1].team", "must be a path of lowercase segments"}));
  EXPECT_EQ(ledger_.submitted(), 4u);
}

TEST_F(IngestServiceTest,
       PushStreamReportsTheEarliestFailedBatchWhenALaterOneFailsFirst) {
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  call->Write(Requests(4), /*half_close=*/true);
  ASSERT_TRUE(ledger_.AwaitSubmitted(4));

  ledger_.Complete(3, absl::ResourceExhaustedError("disk full"));
  ledger_.Complete(1, BadTeam());
  ledger_.CompleteAccepted(2);
  ledger_.CompleteAccepted(0);

  // Every batch after the last acknowledged one is not stored, and the
  // status is about the first of them.
  EXPECT_THAT(call->ReadAll(), ElementsAre(1));
  const grpc::Status status = call->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), BadTeam().message());
}

TEST_F(IngestServiceTest, PushStreamStopsAtABatchRefusedAtOnce) {
  ledger_.AnswerAtOnce(1, BadTeam());  // as Ledger does for invalid batches
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  call->Write(Requests(3), /*half_close=*/true);
  ASSERT_TRUE(ledger_.AwaitSubmitted(2));

  ledger_.CompleteAccepted(0);

  EXPECT_THAT(call->ReadAll(), ElementsAre(1));
  const grpc::Status status = call->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldViolationsFromGrpcStatus(status).size(), 1u);
  EXPECT_EQ(ledger_.submitted(), 2u);
}

TEST_F(IngestServiceTest, PushStreamWithNothingSentEndsOk) {
  std::unique_ptr<StreamCall> call = PushStream("pusher");
  call->Write({}, /*half_close=*/true);
  EXPECT_THAT(call->ReadAll(), ElementsAre());
  EXPECT_TRUE(call->Finish().ok());
  EXPECT_EQ(ledger_.submitted(), 0u);
}

// --- Push ----------------------------------------------------------------

TEST_F(IngestServiceTest, PushAnswersOnceTheBatchIsCommitted) {
  v1::PushRequest request;
  const Event event =
      MakeEvent("e1", "eng/payments", Utc(2026, 3, 10, 9),
                TaskCreated{"PAY-1", Utc(2026, 3, 20), 4.5}, "tracker");
  *request.add_events() = ToProto(event);
  *request.add_events() = Request(1, "r").events(0);

  auto context = Context("pusher");
  v1::PushResponse response;
  std::future<grpc::Status> call = std::async(std::launch::async, [&] {
    return stub_->Push(context.get(), request, &response);
  });
  ASSERT_TRUE(ledger_.AwaitSubmitted(1));
  const EventBatch batch = ledger_.batch(0);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(DebugString(batch[0]), DebugString(event));
  EXPECT_EQ(batch[1].event_id, "r-0");

  ledger_.Complete(0, PushResult{.accepted = 1, .duplicates = 1});
  const grpc::Status status = call.get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(response.duplicates(), 1);
}

TEST_F(IngestServiceTest, PushPassesAnInvalidBatchsViolationsOn) {
  ledger_.AnswerAllAtOnce(BadTeam());
  auto context = Context("pusher");
  v1::PushResponse response;
  const grpc::Status status =
      stub_->Push(context.get(), Request(3, "r"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), BadTeam().message());
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(FieldViolation{
                  "events[1].team", "must be a path of lowercase segments"}));
}

TEST_F(IngestServiceTest, PushPassesDomainErrorsOnWithTheirCode) {
  for (const absl::Status& error :
       {absl::ResourceExhaustedError("team limit reached: 1000 teams"),
        absl::UnavailableError("the ingest service is shutting down")}) {
    SCOPED_TRACE(error.ToString());
    ledger_.AnswerAllAtOnce(error);
    auto context = Context("pusher");
    v1::PushResponse response;
    const grpc::Status status =
        stub_->Push(context.get(), Request(1, "r"), &response);
    EXPECT_EQ(static_cast<int>(status.error_code()),
              static_cast<int>(error.code()));
    EXPECT_EQ(status.error_message(), error.message());
    EXPECT_THAT(FieldViolationsFromGrpcStatus(status), ElementsAre());
  }
}

// --- refusals ------------------------------------------------------------

TEST_F(IngestServiceTest, PushIsRefusedWithoutThePushScope) {
  for (const auto& [client, code] :
       {std::pair<std::string, grpc::StatusCode>{
            "", grpc::StatusCode::UNAUTHENTICATED},
        {"reader", grpc::StatusCode::PERMISSION_DENIED}}) {
    SCOPED_TRACE(client);
    auto context = Context(client);
    v1::PushResponse response;
    const grpc::Status status =
        stub_->Push(context.get(), Request(1, "r"), &response);
    EXPECT_EQ(status.error_code(), code);
    if (code == grpc::StatusCode::PERMISSION_DENIED) {
      EXPECT_THAT(status.error_message(), HasSubstr("ingest:push"));
    }

    std::unique_ptr<StreamCall> call = PushStream(client);
    call->Write({Request(1, "r")}, /*half_close=*/true);
    EXPECT_THAT(call->ReadAll(), ElementsAre());
    EXPECT_EQ(call->Finish().error_code(), code);
  }
  EXPECT_EQ(ledger_.submitted(), 0u);
}

TEST_F(IngestServiceTest, ReadsAreRefusedWithoutTheReadScope) {
  EXPECT_CALL(ledger_, GetTeamExecution).Times(0);
  EXPECT_CALL(ledger_, ListTeams).Times(0);
  v1::GetTeamExecutionRequest get;
  get.set_team("eng");
  v1::TeamExecution figures;
  v1::ListTeamsResponse teams;

  auto no_token = Context("");
  EXPECT_EQ(stub_->GetTeamExecution(no_token.get(), get, &figures).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto pusher = Context("pusher");
  EXPECT_EQ(stub_->GetTeamExecution(pusher.get(), get, &figures).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto unknown = std::make_unique<grpc::ClientContext>();
  unknown->AddMetadata("authorization", "Bearer not-a-known-token");
  EXPECT_EQ(stub_->ListTeams(unknown.get(), {}, &teams).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto pusher_again = Context("pusher");
  EXPECT_EQ(stub_->ListTeams(pusher_again.get(), {}, &teams).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IngestServiceTest, ABadTeamArgumentIsRefusedBeforeTheDomain) {
  EXPECT_CALL(ledger_, GetTeamExecution).Times(0);
  EXPECT_CALL(ledger_, ListTeams).Times(0);

  for (const std::string team : {"", "Eng", "eng//payments", "eng/"}) {
    SCOPED_TRACE(team);
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    v1::TeamExecution response;
    auto context = Context("reader");
    const grpc::Status status =
        stub_->GetTeamExecution(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
                ElementsAre(Field(&FieldViolation::field, "team")));
  }

  v1::ListTeamsRequest request;
  request.set_prefix("eng//payments");
  v1::ListTeamsResponse response;
  auto context = Context("reader");
  const grpc::Status status =
      stub_->ListTeams(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(Field(&FieldViolation::field, "prefix")));
}

// --- reads limited to a subtree ----------------------------------------

TEST_F(IngestServiceTest, GetTeamExecutionServesPathsInTheTokensSubtree) {
  EXPECT_CALL(ledger_, GetTeamExecution(absl::string_view("eng")))
      .WillOnce(Return(TeamExecution{.team = "eng"}));
  EXPECT_CALL(ledger_, GetTeamExecution(absl::string_view("eng/payments")))
      .Times(2)
      .WillRepeatedly(Return(TeamExecution{.team = "eng/payments"}));
  for (const auto& [client, team] :
       {std::pair<std::string, std::string>{"eng-reader", "eng"},
        {"eng-reader", "eng/payments"},
        {"payments-reader", "eng/payments"}}) {
    SCOPED_TRACE(client + " " + team);
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    v1::TeamExecution response;
    auto context = Context(client);
    const grpc::Status status =
        stub_->GetTeamExecution(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.team(), team);
  }
  EXPECT_EQ(auth_.Refusals("out_of_subtree"), 0);
}

TEST_F(IngestServiceTest, GetTeamExecutionRefusesPathsOutsideTheSubtree) {
  EXPECT_CALL(ledger_, GetTeamExecution).Times(0);
  // A sibling, a name sharing the characters but not the segment, and a
  // rollup above the subtree: refused, not narrowed.
  for (const auto& [client, team] :
       {std::pair<std::string, std::string>{"eng-reader", "sales"},
        {"eng-reader", "engineering"},
        {"payments-reader", "eng"},
        {"payments-reader", "eng/search"}}) {
    SCOPED_TRACE(client + " " + team);
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    v1::TeamExecution response;
    auto context = Context(client);
    const grpc::Status status =
        stub_->GetTeamExecution(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat(
                    "reads only the subtree \"",
                    client == "eng-reader" ? "eng" : "eng/payments", "\"")));
    EXPECT_THAT(status.error_message(), HasSubstr("\"" + team + "\""));
  }
  EXPECT_EQ(auth_.Refusals("out_of_subtree"), 4);
}

TEST_F(IngestServiceTest, ListTeamsServesAPrefixInTheSubtreeOnly) {
  EXPECT_CALL(ledger_, ListTeams(absl::string_view("eng")))
      .WillOnce(Return(
          std::vector<TeamSummary>{{"eng/payments", 10, Utc(2026, 3, 10)}}));
  v1::ListTeamsRequest in_scope;
  in_scope.set_prefix("eng");
  v1::ListTeamsResponse response;
  auto context = Context("eng-reader");
  ASSERT_TRUE(stub_->ListTeams(context.get(), in_scope, &response).ok());
  ASSERT_EQ(response.teams_size(), 1);
  EXPECT_EQ(response.teams(0).team(), "eng/payments");

  // Every team (no prefix) is above the subtree: refused, not narrowed.
  for (const std::string prefix : {"", "sales", "engineering"}) {
    SCOPED_TRACE(prefix);
    v1::ListTeamsRequest out_of_scope;
    out_of_scope.set_prefix(prefix);
    v1::ListTeamsResponse refused;
    auto again = Context("eng-reader");
    const grpc::Status status =
        stub_->ListTeams(again.get(), out_of_scope, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(),
                HasSubstr("reads only the subtree \"eng\""));
    EXPECT_EQ(refused.teams_size(), 0);
  }
  EXPECT_EQ(auth_.Refusals("out_of_subtree"), 3);
}

// --- reads ---------------------------------------------------------------

TEST_F(IngestServiceTest, GetTeamExecutionAnswersTheDomainsFigures) {
  TeamExecution figures;
  figures.team = "eng";
  figures.teams = {"eng/payments", "eng/search"};
  figures.as_of = Utc(2026, 3, 11);
  figures.events = 42;
  figures.tasks.open = 3;
  figures.tasks.on_time_ratio = 0.75;
  figures.milestones.missed = 2;
  EXPECT_CALL(ledger_, GetTeamExecution(absl::string_view("eng")))
      .WillOnce(Return(figures));

  v1::GetTeamExecutionRequest request;
  request.set_team("eng");
  v1::TeamExecution response;
  auto context = Context("reader");
  const grpc::Status status =
      stub_->GetTeamExecution(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.team(), "eng");
  EXPECT_THAT(response.teams(), ElementsAre("eng/payments", "eng/search"));
  EXPECT_EQ(response.as_of().seconds(), absl::ToUnixSeconds(figures.as_of));
  EXPECT_EQ(response.events(), 42);
  EXPECT_EQ(response.tasks().open(), 3);
  EXPECT_TRUE(response.tasks().has_on_time_ratio());
  EXPECT_EQ(response.tasks().on_time_ratio(), 0.75);
  EXPECT_EQ(response.milestones().missed(), 2);
}

TEST_F(IngestServiceTest, GetTeamExecutionPassesNotFoundOn) {
  EXPECT_CALL(ledger_, GetTeamExecution(absl::string_view("sales")))
      .WillOnce(Return(absl::NotFoundError("no team matches 'sales'")));
  v1::GetTeamExecutionRequest request;
  request.set_team("sales");
  v1::TeamExecution response;
  auto context = Context("reader");
  const grpc::Status status =
      stub_->GetTeamExecution(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no team matches 'sales'");
}

TEST_F(IngestServiceTest, ListTeamsAnswersTheDomainsTeamsUnderThePrefix) {
  EXPECT_CALL(ledger_, ListTeams(absl::string_view("eng")))
      .WillOnce(Return(
          std::vector<TeamSummary>{{"eng/payments", 10, Utc(2026, 3, 10)},
                                   {"eng/search", 4, Utc(2026, 3, 9)}}));
  EXPECT_CALL(ledger_, ListTeams(absl::string_view("")))
      .WillOnce(Return(std::vector<TeamSummary>{}));

  v1::ListTeamsRequest request;
  request.set_prefix("eng");
  v1::ListTeamsResponse response;
  auto context = Context("reader");
  ASSERT_TRUE(stub_->ListTeams(context.get(), request, &response).ok());
  ASSERT_EQ(response.teams_size(), 2);
  EXPECT_EQ(response.teams(0).team(), "eng/payments");
  EXPECT_EQ(response.teams(0).events(), 10);
  EXPECT_EQ(response.teams(0).last_event_at().seconds(),
            absl::ToUnixSeconds(Utc(2026, 3, 10)));
  EXPECT_EQ(response.teams(1).team(), "eng/search");

  v1::ListTeamsResponse all;
  auto again = Context("reader");
  ASSERT_TRUE(stub_->ListTeams(again.get(), {}, &all).ok());
  EXPECT_EQ(all.teams_size(), 0);
}

// --- RemoveEvents --------------------------------------------------------

TEST_F(IngestServiceTest, RemoveEventsNeedsTheAdminScope) {
  EXPECT_CALL(ledger_, Remove).Times(0);
  v1::RemoveEventsRequest request;
  request.set_source("jira");
  for (const auto& [client, code] :
       {std::pair<std::string, grpc::StatusCode>{
            "", grpc::StatusCode::UNAUTHENTICATED},
        {"pusher", grpc::StatusCode::PERMISSION_DENIED},
        {"reader", grpc::StatusCode::PERMISSION_DENIED}}) {
    SCOPED_TRACE(client);
    v1::RemoveEventsResponse response;
    auto context = Context(client);
    const grpc::Status status =
        stub_->RemoveEvents(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), code);
    if (code == grpc::StatusCode::PERMISSION_DENIED) {
      EXPECT_THAT(status.error_message(), HasSubstr("ingest:admin"));
    }
  }
}

TEST_F(IngestServiceTest, RemoveEventsPassesTheFilterOnAndAnswersTheReport) {
  RemovalRequest seen;
  EXPECT_CALL(ledger_, Remove)
      .WillOnce([&](RemovalRequest request, EventLedger::RemovalCallback done) {
        seen = request;
        TeamExecution before;
        before.team = "eng/a";
        before.events = 5;
        TeamExecution after = before;
        after.events = 2;
        RemovalReport report{.dry_run = true,
                             .removed = 4,
                             .remaining = 9,
                             .teams = {{.team = "eng/a",
                                        .removed = 3,
                                        .before = before,
                                        .after = after},
                                       {.team = "eng/gone", .removed = 1}}};
        // Answered later, from another thread, as Ledger does.
        std::thread([done, report] { done(report); }).detach();
      });
  v1::RemoveEventsRequest request;
  request.set_source("wrong-file");
  request.mutable_from()->set_seconds(absl::ToUnixSeconds(Utc(2026, 3, 1)));
  request.set_dry_run(true);
  v1::RemoveEventsResponse response;
  auto context = Context("admin");
  const grpc::Status status =
      stub_->RemoveEvents(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(seen.filter.source, "wrong-file");
  EXPECT_EQ(seen.filter.from, Utc(2026, 3, 1));
  EXPECT_EQ(seen.filter.to, absl::InfiniteFuture());
  EXPECT_TRUE(seen.dry_run);
  EXPECT_TRUE(response.dry_run());
  EXPECT_EQ(response.removed(), 4);
  EXPECT_EQ(response.remaining(), 9);
  ASSERT_EQ(response.teams_size(), 2);
  EXPECT_EQ(response.teams(0).team(), "eng/a");
  EXPECT_EQ(response.teams(0).removed(), 3);
  EXPECT_EQ(response.teams(0).before().events(), 5);
  ASSERT_TRUE(response.teams(0).has_after());
  EXPECT_EQ(response.teams(0).after().events(), 2);
  EXPECT_FALSE(response.teams(1).has_after());
}

TEST_F(IngestServiceTest, RemoveEventsPassesTheDomainsRefusalOn) {
  RemovalRequest seen;
  EXPECT_CALL(ledger_, Remove)
      .WillOnce([&](RemovalRequest request, EventLedger::RemovalCallback done) {
        seen = request;
        done(InvalidArgumentWithViolations(
            "1 invalid field(s) in a removal; nothing was removed",
            {{"to", "is not a valid timestamp"}}));
      });
  v1::RemoveEventsRequest request;
  request.set_source("jira");
  request.mutable_to()->set_nanos(-1);  // malformed
  v1::RemoveEventsResponse response;
  auto context = Context("admin");
  const grpc::Status status =
      stub_->RemoveEvents(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(Field(&FieldViolation::field, "to")));
  // A malformed bound is not read as "no bound".
  EXPECT_EQ(seen.filter.to, absl::InfinitePast());
}

// --- ListTeamExecutions --------------------------------------------------

TeamExecution NodeFigures(const std::string& node, int64_t events) {
  TeamExecution f;
  f.team = node;
  f.teams = {node};
  f.as_of = Utc(2026, 3, 11);
  f.events = events;
  return f;
}

TEST_F(IngestServiceTest, ListTeamExecutionsPagesThroughTheDomainsNodes) {
  EXPECT_CALL(ledger_, ListTeamExecutions(2, absl::string_view("")))
      .WillOnce(Return(TeamExecutionPage{
          {NodeFigures("eng", 5), NodeFigures("eng/a", 5)}, "eng/a"}));
  EXPECT_CALL(ledger_, ListTeamExecutions(2, absl::string_view("eng/a")))
      .WillOnce(Return(TeamExecutionPage{{NodeFigures("ops", 1)}, ""}));

  v1::ListTeamExecutionsRequest request;
  request.set_page_size(2);
  v1::ListTeamExecutionsResponse first;
  auto context = Context("reader");
  ASSERT_TRUE(stub_->ListTeamExecutions(context.get(), request, &first).ok());
  ASSERT_EQ(first.executions_size(), 2);
  EXPECT_EQ(first.executions(0).team(), "eng");
  EXPECT_EQ(first.executions(1).team(), "eng/a");
  EXPECT_EQ(first.executions(1).events(), 5);
  EXPECT_THAT(first.executions(1).teams(), ElementsAre("eng/a"));
  EXPECT_EQ(first.next_page_token(), "eng/a");

  request.set_page_token(first.next_page_token());
  v1::ListTeamExecutionsResponse last;
  auto again = Context("reader");
  ASSERT_TRUE(stub_->ListTeamExecutions(again.get(), request, &last).ok());
  ASSERT_EQ(last.executions_size(), 1);
  EXPECT_EQ(last.executions(0).team(), "ops");
  EXPECT_EQ(last.next_page_token(), "");
}

TEST_F(IngestServiceTest, ListTeamExecutionsBoundsThePageSize) {
  EXPECT_CALL(ledger_, ListTeamExecutions(IngestService::kDefaultPageSize, _))
      .WillOnce(Return(TeamExecutionPage{}));
  EXPECT_CALL(ledger_, ListTeamExecutions(IngestService::kMaxPageSize, _))
      .WillOnce(Return(TeamExecutionPage{}));
  v1::ListTeamExecutionsRequest request;
  v1::ListTeamExecutionsResponse response;
  auto context = Context("reader");
  ASSERT_TRUE(
      stub_->ListTeamExecutions(context.get(), request, &response).ok());
  request.set_page_size(1'000'000);
  auto again = Context("reader");
  ASSERT_TRUE(stub_->ListTeamExecutions(again.get(), request, &response).ok());
}

TEST_F(IngestServiceTest,
       ListTeamExecutionsRefusesBadArgumentsBeforeTheDomain) {
  EXPECT_CALL(ledger_, ListTeamExecutions).Times(0);
  v1::ListTeamExecutionsRequest bad_size;
  bad_size.set_page_size(-1);
  v1::ListTeamExecutionsRequest bad_token;
  bad_token.set_page_token("Not/A/Token");
  for (const auto& [request, field] :
       {std::pair{bad_size, "page_size"}, {bad_token, "page_token"}}) {
    SCOPED_TRACE(field);
    v1::ListTeamExecutionsResponse response;
    auto context = Context("reader");
    const grpc::Status status =
        stub_->ListTeamExecutions(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
                ElementsAre(Field(&FieldViolation::field, field)));
  }
}

TEST_F(IngestServiceTest, ListTeamExecutionsIsRefusedWithoutTheReadScope) {
  EXPECT_CALL(ledger_, ListTeamExecutions).Times(0);
  v1::ListTeamExecutionsResponse response;
  auto no_token = Context("");
  EXPECT_EQ(
      stub_->ListTeamExecutions(no_token.get(), {}, &response).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  auto pusher = Context("pusher");
  EXPECT_EQ(stub_->ListTeamExecutions(pusher.get(), {}, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// --- the past ------------------------------------------------------------

TEST_F(IngestServiceTest, GetTeamExecutionWithAsOfAsksForThePast) {
  EXPECT_CALL(ledger_, GetTeamExecution).Times(0);
  EXPECT_CALL(ledger_, GetTeamExecutionAsOf(absl::string_view("eng"),
                                            Utc(2025, 6, 30, 23, 59, 59)))
      .WillOnce(Return(TeamExecution{
          .team = "eng", .as_of = Utc(2025, 6, 30, 23, 59, 59), .events = 7}));
  v1::GetTeamExecutionRequest request;
  request.set_team("eng");
  ToProtoTime(Utc(2025, 6, 30, 23, 59, 59), *request.mutable_as_of());
  v1::TeamExecution response;
  auto context = Context("eng-reader");
  const grpc::Status status =
      stub_->GetTeamExecution(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.events(), 7);
  EXPECT_EQ(response.as_of().seconds(),
            absl::ToUnixSeconds(Utc(2025, 6, 30, 23, 59, 59)));
}

TEST_F(IngestServiceTest, GetTeamExecutionPassesAMalformedAsOfToTheDomain) {
  // Decoding is total; the domain names the field (ValidateAsOf).
  EXPECT_CALL(ledger_, GetTeamExecutionAsOf(absl::string_view("eng"),
                                            absl::InfiniteFuture()))
      .WillOnce(Return(InvalidArgumentWithViolations(
          "as_of is not a valid timestamp",
          {{"as_of", "is not a valid timestamp"}})));
  v1::GetTeamExecutionRequest request;
  request.set_team("eng");
  request.mutable_as_of()->set_nanos(-1);
  v1::TeamExecution response;
  auto context = Context("reader");
  const grpc::Status status =
      stub_->GetTeamExecution(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(Field(&FieldViolation::field, "as_of")));
}

TEST_F(IngestServiceTest, GetTeamTrendAnswersTheDomainsPoints) {
  EXPECT_CALL(ledger_, GetTeamTrend(absl::string_view("eng/payments"),
                                    TrendRequest{.from = Utc(2025, 1, 1)}))
      .WillOnce(Return(std::vector<TeamExecution>{
          {.team = "eng/payments", .as_of = Utc(2025, 1, 31, 23, 59, 59)},
          {.team = "eng/payments",
           .teams = {"eng/payments"},
           .as_of = Utc(2025, 2, 10),
           .events = 3}}));
  v1::GetTeamTrendRequest request;
  request.set_team("eng/payments");
  ToProtoTime(Utc(2025, 1, 1), *request.mutable_from());
  v1::TeamTrend response;
  auto context = Context("eng-reader");
  const grpc::Status status =
      stub_->GetTeamTrend(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.team(), "eng/payments");
  ASSERT_EQ(response.points_size(), 2);
  EXPECT_EQ(response.points(0).teams_size(), 0);
  EXPECT_EQ(response.points(1).events(), 3);
  EXPECT_EQ(response.points(1).as_of().seconds(),
            absl::ToUnixSeconds(Utc(2025, 2, 10)));
}

TEST_F(IngestServiceTest, GetTeamTrendRefusesOutsideTheSubtreeAndBadTeams) {
  EXPECT_CALL(ledger_, GetTeamTrend).Times(0);
  for (const auto& [client, team] :
       {std::pair<std::string, std::string>{"eng-reader", "sales"},
        {"payments-reader", "eng"}}) {
    SCOPED_TRACE(client + " " + team);
    v1::GetTeamTrendRequest request;
    request.set_team(team);
    v1::TeamTrend response;
    auto context = Context(client);
    const grpc::Status status =
        stub_->GetTeamTrend(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("reads only the subtree"));
  }
  EXPECT_EQ(auth_.Refusals("out_of_subtree"), 2);

  v1::GetTeamTrendRequest bad;
  bad.set_team("Eng");
  v1::TeamTrend response;
  auto context = Context("reader");
  const grpc::Status status =
      stub_->GetTeamTrend(context.get(), bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldViolationsFromGrpcStatus(status),
              ElementsAre(Field(&FieldViolation::field, "team")));

  auto pusher = Context("pusher");
  EXPECT_EQ(stub_->GetTeamTrend(pusher.get(), bad, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace orgpulse::ingest
