#include "clients/ingest_client.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

namespace v1 = ::orgpulse::ingest::v1;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Ingest as a client sees it, scripted per test: unary calls fail with the
// queued statuses first; PushStream acknowledges every request (1 accepted
// per event) unless told to break after some requests, refuse one, or hold
// its acknowledgements back.
class FakeIngest final
    : public v1::IngestService::WithCallbackMethod_PushStream<
          v1::IngestService::Service> {
 public:
  void FailNextCalls(std::vector<grpc::Status> statuses) {
    absl::MutexLock lock(&mu_);
    unary_failures_ = std::move(statuses);
  }
  // The first stream ends with UNAVAILABLE after acknowledging `n` requests
  // (the next one is read but not acknowledged).
  void BreakFirstStreamAfter(int n) {
    absl::MutexLock lock(&mu_);
    break_after_ = n;
  }
  // Request number `n` (0-based, over all streams, in the order the fake
  // decides its answers) is refused.
  void RefuseRequest(int n) {
    absl::MutexLock lock(&mu_);
    refuse_ = n;
  }
  void SetAckDelay(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    ack_delay_ = d;
  }
  void NeverAck() {
    absl::MutexLock lock(&mu_);
    never_ack_ = true;
  }
  void SetCallDelay(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    call_delay_ = d;
  }

  int unary_calls() const {
    absl::MutexLock lock(&mu_);
    return unary_calls_;
  }
  int streams() const {
    absl::MutexLock lock(&mu_);
    return streams_;
  }
  // The first event id of every request read, in order, over all streams.
  std::vector<std::string> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  int max_unacknowledged() const {
    absl::MutexLock lock(&mu_);
    return max_unacknowledged_;
  }
  std::vector<std::string> authorization() const {
    absl::MutexLock lock(&mu_);
    return authorization_;
  }
  std::vector<std::string> teams_asked() const {
    absl::MutexLock lock(&mu_);
    return teams_asked_;
  }

  grpc::Status Push(grpc::ServerContext* context,
                    const v1::PushRequest* request,
                    v1::PushResponse* response) override {
    grpc::Status failure;
    if (TakeUnaryFailure(context, failure)) return failure;
    response->set_accepted(request->events_size());
    return grpc::Status::OK;
  }

  grpc::Status ListTeams(grpc::ServerContext* context,
                         const v1::ListTeamsRequest* request,
                         v1::ListTeamsResponse* response) override {
    grpc::Status failure;
    if (TakeUnaryFailure(context, failure)) return failure;
    response->add_teams()->set_team(request->prefix() + "/a");
    return grpc::Status::OK;
  }

  grpc::Status GetTeamExecution(grpc::ServerContext* context,
                                const v1::GetTeamExecutionRequest* request,
                                v1::TeamExecution* response) override {
    grpc::Status failure;
    if (TakeUnaryFailure(context, failure)) return failure;
    {
      absl::MutexLock lock(&mu_);
      teams_asked_.push_back(request->team());
    }
    response->set_team(request->team());
    response->set_events(7);
    return grpc::Status::OK;
  }

  grpc::ServerBidiReactor<v1::PushRequest, v1::PushResponse>* PushStream(
      grpc::CallbackServerContext* context) override {
    int stream_no;
    {
      absl::MutexLock lock(&mu_);
      RecordAuthorization(*context);
      stream_no = streams_++;
    }
    return new StreamReactor(*this, stream_no);
  }

 private:
  // Reads run ahead of the acknowledgements (written by a thread of its
  // own), as in the real service, so the client's bound on unacknowledged
  // requests is what limits them.
  class StreamReactor final
      : public grpc::ServerBidiReactor<v1::PushRequest, v1::PushResponse> {
   public:
    StreamReactor(FakeIngest& fake, int stream_no)
        : fake_(fake), stream_no_(stream_no) {
      absl::MutexLock lock(&mu_);
      StartRead(&request_);
      acker_ = std::thread([this] { AckLoop(); });
    }
    void OnReadDone(bool ok) override {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        reads_done_ = true;
        return;
      }
      // Read after the stream's end (the client learns of the end only
      // later): never answered, and not counted, so that a late read cannot
      // land among the requests of the client's next stream.
      if (finished_) return;
      fake_.RecordRequest(request_.events(0).event_id());
      sizes_.push_back(request_.events_size());
      fake_.RecordUnacknowledged(static_cast<int>(sizes_.size() - acked_));
      if (!finished_) StartRead(&request_);
    }
    void OnWriteDone(bool ok) override {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      write_ok_ = ok;
    }
    void OnCancel() override {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    void OnDone() override {
      // OnDone may run on the acker's own thread, inside its Finish call;
      // the acker touches nothing after Finish.
      if (acker_.get_id() == std::this_thread::get_id()) {
        acker_.detach();
      } else {
        acker_.join();
      }
      delete this;
    }

   private:
    void AckLoop() {
      for (;;) {
        int events = 0;
        std::optional<grpc::Status> end;
        {
          absl::MutexLock lock(&mu_);
          auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
            return cancelled_ || reads_done_ || sizes_.size() > acked_;
          };
          mu_.Await(absl::Condition(&ready));
          if (cancelled_) {
            end = grpc::Status::CANCELLED;
          } else if (sizes_.size() <= acked_) {
            end = grpc::Status::OK;
          } else {
            fake_.RecordUnacknowledged(
                static_cast<int>(sizes_.size() - acked_));
            events = sizes_[acked_];
          }
        }
        if (end) return End(*end);
        const Script script = fake_.ScriptFor(stream_no_, acked_);
        if (!script.status.ok()) return End(script.status);
        if (script.never_ack) {
          {
            absl::MutexLock lock(&mu_);
            mu_.Await(absl::Condition(&cancelled_));
          }
          return End(grpc::Status::CANCELLED);
        }
        absl::SleepFor(script.delay);
        response_.set_accepted(events);
        bool write_ok;
        {
          absl::MutexLock lock(&mu_);
          // Counted from the moment it is sent: the client may answer it
          // before OnWriteDone runs here.
          ++acked_;
          writing_ = true;
          StartWrite(&response_);
          auto written = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
            return !writing_;
          };
          mu_.Await(absl::Condition(&written));
          write_ok = write_ok_;
        }
        if (!write_ok) return End(grpc::Status::CANCELLED);
      }
    }
    // The acker's last act: no read starts after it, and the call finishes.
    void End(grpc::Status status) {
      {
        absl::MutexLock lock(&mu_);
        finished_ = true;
      }
      Finish(std::move(status));
    }
    FakeIngest& fake_;
    const int stream_no_;
    std::thread acker_;
    v1::PushRequest request_;    // the read path's
    v1::PushResponse response_;  // the acker's
    absl::Mutex mu_;
    std::vector<int> sizes_ ABSL_GUARDED_BY(mu_);
    size_t acked_ = 0;  // written by the acker under mu_
    bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
    bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
    bool writing_ ABSL_GUARDED_BY(mu_) = false;
    bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
    bool finished_ ABSL_GUARDED_BY(mu_) = false;
  };

  struct Script {
    grpc::Status status;
    bool never_ack = false;
    absl::Duration delay;
  };
  // What to do with the `acked`-th request of stream `stream_no`.
  Script ScriptFor(int stream_no, size_t acked) {
    absl::MutexLock lock(&mu_);
    // One decision at a time over all streams, so that exactly one request
    // is refused however the streams interleave.
    const int decision = decisions_++;
    Script script;
    script.never_ack = never_ack_;
    script.delay = ack_delay_;
    if (stream_no == 0 && break_after_ >= 0 &&
        static_cast<int>(acked) == break_after_) {
      script.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "going away");
    } else if (refuse_ == decision) {
      script.status = ToGrpcStatus(InvalidArgumentWithViolations(
          "1 invalid event", {{"events[1].team", "is not a team id"}}));
    }
    return script;
  }
  void RecordRequest(std::string first_event_id) {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::move(first_event_id));
  }
  void RecordUnacknowledged(int n) {
    absl::MutexLock lock(&mu_);
    max_unacknowledged_ = std::max(max_unacknowledged_, n);
  }

  bool TakeUnaryFailure(grpc::ServerContext* context, grpc::Status& failure) {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      ++unary_calls_;
      RecordAuthorization(*context);
      delay = call_delay_;
      if (!unary_failures_.empty()) {
        failure = unary_failures_.front();
        unary_failures_.erase(unary_failures_.begin());
        return true;
      }
    }
    // Until the delay is over or the client gives up.
    const absl::Time until = absl::Now() + delay;
    while (absl::Now() < until && !context->IsCancelled()) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return false;
  }

  void RecordAuthorization(const grpc::ServerContextBase& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = context.client_metadata().find("authorization");
    authorization_.push_back(
        it == context.client_metadata().end()
            ? ""
            : std::string(it->second.data(), it->second.size()));
  }

  mutable absl::Mutex mu_;
  std::vector<grpc::Status> unary_failures_ ABSL_GUARDED_BY(mu_);
  int break_after_ ABSL_GUARDED_BY(mu_) = -1;
  int refuse_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Duration ack_delay_ ABSL_GUARDED_BY(mu_);
  absl::Duration call_delay_ ABSL_GUARDED_BY(mu_);
  bool never_ack_ ABSL_GUARDED_BY(mu_) = false;
  int unary_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  int decisions_ ABSL_GUARDED_BY(mu_) = 0;
  int max_unacknowledged_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorization_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> teams_asked_ ABSL_GUARDED_BY(mu_);
};

std::vector<v1::Event> Events(int n) {
  std::vector<v1::Event> events(n);
  for (int i = 0; i < n; ++i) {
    events[i].set_event_id(absl::StrCat("e", i));
    events[i].set_source("test");
    events[i].set_team("eng");
  }
  return events;
}

// Batches of `size` events (e0, e1, ...) lent to the client; checks that
// every batch is lent once and given back once.
class LentBatches final : public LentBatchSource {
 public:
  LentBatches(int batches, int size) : requests_(batches) {
    const std::vector<v1::Event> events = Events(batches * size);
    for (int i = 0; i < batches * size; ++i) {
      *requests_[i / size].add_events() = events[i];
    }
  }
  const v1::PushRequest* Lend() override {
    if (next_ == requests_.size()) return nullptr;
    const v1::PushRequest* batch = &requests_[next_++];
    lent_.insert(batch);
    max_on_loan_ = std::max(max_on_loan_, lent_.size());
    return batch;
  }
  void GiveBack(const v1::PushRequest* batch) override {
    EXPECT_EQ(lent_.erase(batch), 1u) << "not on loan";
    ++given_back_;
  }
  size_t on_loan() const { return lent_.size(); }
  size_t max_on_loan() const { return max_on_loan_; }
  int given_back() const { return given_back_; }

 private:
  std::vector<v1::PushRequest> requests_;
  size_t next_ = 0;
  std::set<const v1::PushRequest*> lent_;
  size_t max_on_loan_ = 0;
  int given_back_ = 0;
};

class IngestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    options_.address = absl::StrCat("127.0.0.1:", port_);
    options_.timeout = absl::Seconds(5);
    options_.retry.jitter = 0;
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }

  std::unique_ptr<IngestClient> Client() {
    auto channel = CreateClientChannel(options_);
    EXPECT_TRUE(channel.ok());
    return std::make_unique<IngestClient>(
        *channel, options_, [this](absl::Duration d) { slept_.push_back(d); });
  }

  FakeIngest fake_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  ClientOptions options_;
  std::vector<absl::Duration> slept_;
};

TEST_F(IngestClientTest, PushRetriesUnavailableWithBackoff) {
  fake_.FailNextCalls({grpc::Status(grpc::StatusCode::UNAVAILABLE, "a"),
                       grpc::Status(grpc::StatusCode::UNAVAILABLE, "b")});
  v1::PushRequest request;
  for (const v1::Event& e : Events(3)) *request.add_events() = e;
  absl::StatusOr<v1::PushResponse> response = Client()->Push(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->accepted(), 3);
  EXPECT_EQ(fake_.unary_calls(), 3);
  EXPECT_THAT(slept_,
              ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200)));
}

TEST_F(IngestClientTest, InvalidArgumentIsNotRetriedAndKeepsViolations) {
  fake_.FailNextCalls({ToGrpcStatus(InvalidArgumentWithViolations(
      "bad", {{"events[0].team", "is required"}}))});
  v1::PushRequest request;
  *request.add_events() = Events(1)[0];
  absl::StatusOr<v1::PushResponse> response = Client()->Push(request);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GetFieldViolations(response.status()),
              ElementsAre(FieldViolation{"events[0].team", "is required"}));
  EXPECT_EQ(fake_.unary_calls(), 1);
  EXPECT_TRUE(slept_.empty());
}

TEST_F(IngestClientTest, EveryCallHasADeadline) {
  fake_.SetCallDelay(absl::Seconds(1));
  options_.timeout = absl::Milliseconds(100);
  const absl::Time start = absl::Now();
  EXPECT_THAT(Client()->ListTeams("eng"),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(fake_.unary_calls(), 1);  // deadlines are not retried
}

TEST_F(IngestClientTest, QueriesPassTheirArgumentsAndTheToken) {
  options_.token = "s3cret";
  std::unique_ptr<IngestClient> client = Client();
  absl::StatusOr<v1::TeamExecution> figures = client->GetTeamExecution("eng/a");
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ(figures->team(), "eng/a");
  EXPECT_EQ(figures->events(), 7);
  absl::StatusOr<v1::ListTeamsResponse> teams = client->ListTeams("ops");
  ASSERT_TRUE(teams.ok());
  ASSERT_EQ(teams->teams_size(), 1);
  EXPECT_EQ(teams->teams(0).team(), "ops/a");
  const std::vector<v1::Event> events = Events(2);
  VectorBatchSource batches(events, 1);
  EXPECT_TRUE(client->PushStream(batches).status.ok());
  EXPECT_THAT(fake_.authorization(),
              ElementsAre("Bearer s3cret", "Bearer s3cret", "Bearer s3cret"));
}

TEST_F(IngestClientTest, UnreachableServerIsUnavailableAfterTheRetries) {
  server_->Shutdown(absl::ToChronoTime(absl::Now()));
  server_.reset();
  options_.retry.max_attempts = 3;
  EXPECT_THAT(Client()->ListTeams(""),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(slept_.size(), 2u);
  const std::vector<v1::Event> events = Events(5);
  VectorBatchSource batches(events, 2);
  slept_.clear();
  const PushOutcome pushed = Client()->PushStream(batches);
  EXPECT_THAT(pushed.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(pushed.failed_batch, -1);
  EXPECT_EQ(pushed.acknowledged.batches, 0);
  EXPECT_EQ(slept_.size(), 2u);
}

TEST_F(IngestClientTest, StreamPushesEveryBatchWithBoundedInFlight) {
  fake_.SetAckDelay(absl::Milliseconds(20));
  const std::vector<v1::Event> events = Events(95);
  VectorBatchSource batches(events, 10);
  std::vector<int64_t> progress;
  PushStreamOptions options;
  options.max_in_flight = 3;
  options.on_progress = [&](const PushStats& s) {
    progress.push_back(s.events);
  };
  const PushOutcome pushed = Client()->PushStream(batches, options);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  EXPECT_EQ(pushed.acknowledged.batches, 10);
  EXPECT_EQ(pushed.acknowledged.events, 95);
  EXPECT_EQ(pushed.acknowledged.accepted, 95);
  EXPECT_EQ(pushed.retries, 0);
  EXPECT_EQ(fake_.streams(), 1);
  // The acknowledgements are slow, so the client runs ahead to its bound,
  // and never past it.
  EXPECT_EQ(fake_.max_unacknowledged(), 3);
  ASSERT_EQ(progress.size(), 10u);
  EXPECT_EQ(progress.front(), 10);
  EXPECT_EQ(progress.back(), 95);
}

TEST_F(IngestClientTest, EachAcknowledgedBatchIsReportedWithItsLatency) {
  fake_.SetAckDelay(absl::Milliseconds(20));
  const std::vector<v1::Event> events = Events(25);
  VectorBatchSource batches(events, 10);
  std::vector<BatchAck> acks;
  int64_t progress_events = 0;
  PushStreamOptions options;
  options.max_in_flight = 2;
  options.on_progress = [&](const PushStats& s) { progress_events = s.events; };
  options.on_batch = [&](const BatchAck& ack) {
    // After on_progress, which already counts this batch.
    EXPECT_EQ(progress_events, ack.index * 10 + ack.events);
    acks.push_back(ack);
  };
  const PushOutcome pushed = Client()->PushStream(batches, options);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  ASSERT_EQ(acks.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(acks[i].index, i);
    EXPECT_EQ(acks[i].events, i < 2 ? 10 : 5);
    EXPECT_EQ(acks[i].accepted, acks[i].events);  // the fake accepts all
    EXPECT_EQ(acks[i].duplicates, 0);
    // The fake waits 20 ms after reading a batch before acknowledging it.
    EXPECT_GE(acks[i].latency, absl::Milliseconds(20));
    EXPECT_LT(acks[i].latency, options_.timeout);
  }
}

TEST_F(IngestClientTest, BrokenStreamIsReopenedAndUnacknowledgedBatchesResent) {
  fake_.BreakFirstStreamAfter(2);
  fake_.SetAckDelay(absl::Milliseconds(2));
  const std::vector<v1::Event> events = Events(50);
  VectorBatchSource batches(events, 10);
  PushStreamOptions options;
  options.max_in_flight = 2;
  std::vector<int64_t> acked;
  options.on_batch = [&](const BatchAck& ack) { acked.push_back(ack.index); };
  const PushOutcome pushed = Client()->PushStream(batches, options);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  EXPECT_EQ(pushed.retries, 1);
  // The resent batch is reported once, when the new stream acknowledges it.
  EXPECT_THAT(acked, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(fake_.streams(), 2);
  EXPECT_EQ(pushed.acknowledged.batches, 5);
  EXPECT_EQ(pushed.acknowledged.events, 50);
  EXPECT_THAT(slept_, ElementsAre(absl::Milliseconds(100)));
  // Batch 2 (e20) was read on the first stream but not acknowledged; the new
  // stream starts with it.
  const std::vector<std::string> requests = fake_.requests();
  const auto first_stream = std::find(requests.begin(), requests.end(), "e20");
  ASSERT_NE(first_stream, requests.end());
  const auto second_stream = std::find(first_stream + 1, requests.end(), "e20");
  ASSERT_NE(second_stream, requests.end());
  EXPECT_THAT(std::vector<std::string>(second_stream, requests.end()),
              ElementsAre("e20", "e30", "e40"));
}

TEST_F(IngestClientTest, RefusedBatchIsNamedWithItsViolations) {
  fake_.RefuseRequest(2);
  const std::vector<v1::Event> events = Events(50);
  VectorBatchSource batches(events, 10);
  std::vector<int64_t> acked;
  PushStreamOptions options;
  options.on_batch = [&](const BatchAck& ack) { acked.push_back(ack.index); };
  const PushOutcome pushed = Client()->PushStream(batches, options);
  EXPECT_THAT(pushed.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(pushed.failed_batch, 2);
  EXPECT_THAT(acked, ElementsAre(0, 1));  // not the refused one
  EXPECT_EQ(pushed.acknowledged.batches, 2);
  EXPECT_EQ(pushed.retries, 0);
  EXPECT_THAT(
      GetFieldViolations(pushed.status),
      ElementsAre(FieldViolation{"events[1].team", "is not a team id"}));
}

TEST_F(IngestClientTest, UnacknowledgedBatchTimesOut) {
  fake_.NeverAck();
  options_.timeout = absl::Milliseconds(300);
  const std::vector<v1::Event> events = Events(3);
  VectorBatchSource batches(events, 1);
  const absl::Time start = absl::Now();
  const PushOutcome pushed = Client()->PushStream(batches);
  EXPECT_THAT(pushed.status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                      HasSubstr("no acknowledgement")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(pushed.acknowledged.batches, 0);
}

TEST_F(IngestClientTest, SeveralStreamsShareTheSourceAndSendEachBatchOnce) {
  fake_.SetAckDelay(absl::Milliseconds(2));
  const std::vector<v1::Event> events = Events(205);
  VectorBatchSource batches(events, 10);
  PushStreamOptions options;
  options.streams = 3;
  options.max_in_flight = 2;
  int64_t last_progress = 0;
  absl::Mutex mu;
  options.on_progress = [&](const PushStats& s) {
    absl::MutexLock lock(&mu);
    EXPECT_GT(s.events, last_progress);  // totals over every stream
    last_progress = s.events;
  };
  std::vector<int64_t> acked;
  int64_t acked_events = 0;
  options.on_batch = [&](const BatchAck& ack) {
    absl::MutexLock lock(&mu);
    acked.push_back(ack.index);
    acked_events += ack.events;
  };
  const PushOutcome pushed = Client()->PushStream(batches, options);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  EXPECT_EQ(pushed.acknowledged.batches, 21);
  EXPECT_EQ(pushed.acknowledged.events, 205);
  EXPECT_EQ(last_progress, 205);
  EXPECT_EQ(acked_events, 205);
  // Indices are over the whole source, whichever stream took the batch.
  std::sort(acked.begin(), acked.end());
  ASSERT_EQ(acked.size(), 21u);
  for (int i = 0; i < 21; ++i) EXPECT_EQ(acked[i], i);
  EXPECT_EQ(fake_.streams(), 3);
  std::vector<std::string> requests = fake_.requests();
  std::sort(requests.begin(), requests.end());
  EXPECT_EQ(std::unique(requests.begin(), requests.end()), requests.end());
  EXPECT_EQ(requests.size(), 21u);
}

TEST_F(IngestClientTest, ARefusalOnOneStreamStopsTheOthers) {
  fake_.RefuseRequest(5);
  const std::vector<v1::Event> events = Events(1000);
  VectorBatchSource batches(events, 10);
  PushStreamOptions options;
  options.streams = 2;
  const PushOutcome pushed = Client()->PushStream(batches, options);
  EXPECT_THAT(pushed.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_GE(pushed.failed_batch, 0);
  EXPECT_LT(pushed.acknowledged.batches, 100);
  EXPECT_LT(fake_.requests().size(), 100u);
}

TEST_F(IngestClientTest, AStreamAtItsLongestDurationIsReplaced) {
  fake_.SetAckDelay(absl::Milliseconds(30));
  options_.max_stream_duration = absl::Milliseconds(250);
  const std::vector<v1::Event> events = Events(20);
  VectorBatchSource batches(events, 1);
  PushStreamOptions options;
  options.max_in_flight = 1;
  const PushOutcome pushed = Client()->PushStream(batches, options);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  EXPECT_EQ(pushed.acknowledged.events, 20);
  EXPECT_GE(pushed.retries, 1);
  EXPECT_GE(fake_.streams(), 2);
}

TEST_F(IngestClientTest, LentBatchesAreSentAsTheyAreAndEachGivenBackOnce) {
  fake_.BreakFirstStreamAfter(2);  // batch 2 is resent on a new stream
  fake_.SetAckDelay(absl::Milliseconds(2));
  LentBatches batches(5, 10);
  PushStreamOptions options;
  options.max_in_flight = 2;
  const PushOutcome pushed = Client()->PushStream(batches, options);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  EXPECT_EQ(pushed.retries, 1);
  EXPECT_EQ(pushed.acknowledged.events, 50);
  std::vector<std::string> requests = fake_.requests();
  requests.erase(std::unique(requests.begin(), requests.end()), requests.end());
  EXPECT_THAT(requests,
              ::testing::IsSupersetOf({"e0", "e10", "e20", "e30", "e40"}));
  EXPECT_EQ(batches.given_back(), 5);
  EXPECT_EQ(batches.on_loan(), 0u);
  // The batches in flight, and at most one acknowledged but not yet given
  // back: the loans are bounded.
  EXPECT_LE(batches.max_on_loan(), 3u);
}

TEST_F(IngestClientTest, LentBatchesAreGivenBackAfterARefusal) {
  fake_.RefuseRequest(2);
  LentBatches batches(5, 10);
  const PushOutcome pushed = Client()->PushStream(batches);
  EXPECT_THAT(pushed.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(pushed.failed_batch, 2);
  EXPECT_EQ(batches.on_loan(), 0u);  // the refused and unsent ones too
  EXPECT_GE(batches.given_back(), 3);
}

TEST_F(IngestClientTest, SetTokenChangesTheTokenOfLaterCalls) {
  options_.token = "old";
  std::unique_ptr<IngestClient> client = Client();
  ASSERT_TRUE(client->ListTeams("eng").ok());
  client->SetToken("new");
  ASSERT_TRUE(client->ListTeams("eng").ok());
  const std::vector<v1::Event> events = Events(1);
  VectorBatchSource batches(events, 1);
  EXPECT_TRUE(client->PushStream(batches).status.ok());
  EXPECT_THAT(fake_.authorization(),
              ElementsAre("Bearer old", "Bearer new", "Bearer new"));
}

TEST_F(IngestClientTest, CancelAllEndsTheCallsInFlightAndRefusesLaterOnes) {
  fake_.SetCallDelay(absl::Seconds(20));
  fake_.NeverAck();
  options_.timeout = absl::Seconds(20);
  std::unique_ptr<IngestClient> client = Client();
  LentBatches batches(3, 1);
  absl::StatusOr<v1::ListTeamsResponse> listed;
  PushOutcome pushed;
  std::thread unary([&] { listed = client->ListTeams("eng"); });
  std::thread stream([&] { pushed = client->PushStream(batches); });
  // Both calls are at the server.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while ((fake_.unary_calls() < 1 || fake_.requests().empty()) &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(fake_.unary_calls(), 1);
  ASSERT_FALSE(fake_.requests().empty());

  const absl::Time start = absl::Now();
  client->CancelAll();
  unary.join();
  stream.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(listed, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(pushed.status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(batches.on_loan(), 0u);

  // Later calls are not sent.
  EXPECT_THAT(client->GetTeamExecution("eng"),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(fake_.unary_calls(), 1);
  EXPECT_THAT(client->PushStream(batches).status,
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(fake_.streams(), 1);
  EXPECT_TRUE(slept_.empty());
}

TEST(VectorBatchSourceTest, SlicesInOrderAndCapsTheBatchSize) {
  const std::vector<v1::Event> events = Events(5);
  VectorBatchSource source(events, 2);
  std::vector<int> sizes;
  v1::PushRequest batch;
  while (source.Next(batch)) {
    sizes.push_back(batch.events_size());
    batch.Clear();
  }
  EXPECT_THAT(sizes, ElementsAre(2, 2, 1));

  const std::vector<v1::Event> many =
      Events(IngestClient::kMaxEventsPerRequest + 1);
  VectorBatchSource capped(many, 1'000'000);
  ASSERT_TRUE(capped.Next(batch));
  EXPECT_EQ(batch.events_size(), IngestClient::kMaxEventsPerRequest);
}

}  // namespace
}  // namespace orgpulse
