#include "clients/ingest_client.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/arena.h"
#include "grpcpp/alarm.h"
#include "grpcpp/support/client_callback.h"

namespace orgpulse {

namespace v1 = ingest::v1;

// How early gRPC may end a call before its deadline (it counts in whole
// milliseconds).
constexpr absl::Duration kDeadlineRounding = absl::Milliseconds(2);

google::protobuf::ArenaOptions BatchArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

VectorBatchSource::VectorBatchSource(absl::Span<const v1::Event> events,
                                     size_t batch_size)
    : events_(events),
      batch_size_(std::clamp<size_t>(batch_size, 1,
                                     IngestClient::kMaxEventsPerRequest)) {}

bool VectorBatchSource::Next(v1::PushRequest& batch) {
  if (next_ >= events_.size()) return false;
  const size_t end = std::min(events_.size(), next_ + batch_size_);
  batch.mutable_events()->Reserve(static_cast<int>(end - next_));
  for (; next_ < end; ++next_) *batch.add_events() = events_[next_];
  return true;
}

namespace {

// Lends the batches of a PushBatchSource, each filled on an arena of its own:
// a couple of allocations instead of several per event, and one free when
// it is given back.
class ArenaBatches final : public LentBatchSource {
 public:
  explicit ArenaBatches(PushBatchSource& source) : source_(source) {}

  const v1::PushRequest* Lend() override {
    auto arena = std::make_unique<google::protobuf::Arena>(BatchArenaOptions());
    auto* batch =
        google::protobuf::Arena::CreateMessage<v1::PushRequest>(arena.get());
    if (!source_.Next(*batch)) return nullptr;
    arena.release();  // owned by the batch until GiveBack
    return batch;
  }
  void GiveBack(const v1::PushRequest* batch) override {
    delete batch->GetArena();
  }

 private:
  PushBatchSource& source_;
};

}  // namespace

// The source and the totals shared by the streams of one push. Hands out
// batches with their numbers (in the source's order), and none once a stream
// has failed for good.
class IngestClient::SharedSource {
 public:
  SharedSource(LentBatchSource& source,
               std::function<void(const PushStats&)> on_progress)
      : source_(source), on_progress_(std::move(on_progress)) {}

  // Null when the source is exhausted or the push is stopping.
  const v1::PushRequest* Lend(int64_t& index) {
    absl::MutexLock lock(&mu_);
    const v1::PushRequest* batch = stopped_ ? nullptr : source_.Lend();
    if (batch == nullptr) {
      stopped_ = true;
      return nullptr;
    }
    index = next_index_++;
    return batch;
  }
  // Gives back the batches and clears `batches`.
  void GiveBack(std::vector<const v1::PushRequest*>& batches) {
    if (batches.empty()) return;
    absl::MutexLock lock(&mu_);
    for (const v1::PushRequest* batch : batches) source_.GiveBack(batch);
    batches.clear();
  }
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  // Counts one acknowledged batch and reports the totals. Under the lock,
  // so that the streams' reports come one at a time and never go backwards.
  void Acknowledged(int events, const v1::PushResponse& response) {
    absl::MutexLock lock(&totals_mu_);
    totals_.batches += 1;
    totals_.events += events;
    totals_.accepted += response.accepted();
    totals_.duplicates += response.duplicates();
    if (on_progress_) on_progress_(totals_);
  }
  PushStats totals() {
    absl::MutexLock lock(&totals_mu_);
    return totals_;
  }

 private:
  absl::Mutex mu_;  // one caller of the source at a time
  LentBatchSource& source_;
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  const std::function<void(const PushStats&)> on_progress_;
  absl::Mutex totals_mu_;
  PushStats totals_ ABSL_GUARDED_BY(totals_mu_);
};

namespace {

// A batch of a stream, lent by the source and not yet acknowledged.
struct PendingBatch {
  const v1::PushRequest* request = nullptr;
  int64_t index = 0;  // in the source's order
  int events = 0;
  // When it was last written; InfiniteFuture while it waits for its turn on
  // the current call.
  absl::Time written_at = absl::InfiniteFuture();
};

}  // namespace

// What survives from one call of a stream to the next: the batches written
// but not acknowledged, resent on the next call, and given back to the
// source when the stream ends for good. Used by the stream's thread only.
struct IngestClient::StreamState {
  explicit StreamState(SharedSource& source) : source(source) {}
  ~StreamState() {
    std::vector<const v1::PushRequest*> left;
    for (const PendingBatch& batch : unacknowledged) {
      left.push_back(batch.request);
    }
    source.GiveBack(left);
  }

  SharedSource& source;
  std::deque<PendingBatch> unacknowledged;  // oldest first
  int64_t batches = 0;  // acknowledged on this stream, over all its calls
  bool source_done = false;
};

// One PushStream call, as a reactor of gRPC's callback API. The stream's
// thread (the driver) lends batches from the source and hands them over with
// Write, waiting in AwaitRoom while max_in_flight are unacknowledged; the
// reactions write them one at a time in that order, match each
// acknowledgement to the oldest batch written, and report it; a watchdog
// alarm cancels the call when the oldest written batch waits longer than the
// timeout for its acknowledgement. Reactions never touch the source's
// Lend/GiveBack (which may be slow): acknowledged batches wait for the driver
// to give them back before it lends the next one.
class IngestClient::StreamCall final
    : public grpc::ClientBidiReactor<v1::PushRequest, v1::PushResponse> {
 public:
  struct Result {
    grpc::Status status;          // as the call ended
    bool timed_out = false;       // the watchdog cancelled it
    bool protocol_error = false;  // an acknowledgement of no batch
  };

  // `resend` are the batches a previous call left unacknowledged; they are
  // written first.
  StreamCall(SharedSource& source, const PushStreamOptions& options,
             absl::Duration ack_timeout, std::deque<PendingBatch> resend)
      : source_(source),
        options_(options),
        ack_timeout_(ack_timeout),
        max_in_flight_(static_cast<size_t>(std::max(1, options.max_in_flight))),
        unacknowledged_(std::move(resend)) {
    for (PendingBatch& batch : unacknowledged_) {
      batch.written_at = absl::InfiniteFuture();
    }
  }

  // Starts the call on `context`, which must outlive AwaitEnd.
  void Start(v1::IngestService::Stub& stub, grpc::ClientContext& context) {
    context_ = &context;
    stub.async()->PushStream(&context, this);
    {
      absl::MutexLock lock(&mu_);
      // The driver writes from outside the reactions until CloseWrites.
      AddHold();
      StartRead(&response_);
      WriteNext();
      // Future deadlines only, so the alarm never fires inside Set.
      ArmWatchdog(absl::Now() + ack_timeout_);
    }
    StartCall();
  }

  // Waits until fewer than max_in_flight batches are unacknowledged. False
  // once the call takes no more batches: the server ended it, or a write
  // failed.
  bool AwaitRoom() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return reads_done_ || write_failed_ ||
             unacknowledged_.size() < max_in_flight_;
    };
    mu_.Await(absl::Condition(&ready));
    return !reads_done_ && !write_failed_;
  }

  // Moves the batches acknowledged so far to `out`, to be given back.
  void TakeAcknowledged(std::vector<const v1::PushRequest*>& out) {
    absl::MutexLock lock(&mu_);
    out.insert(out.end(), acknowledged_.begin(), acknowledged_.end());
    acknowledged_.clear();
  }

  // Writes `batch` after the batches handed over before it.
  void Write(PendingBatch batch) {
    absl::MutexLock lock(&mu_);
    unacknowledged_.push_back(batch);
    WriteNext();
  }

  // No more Write: the writes end once every batch handed over is written.
  // Called once, after Start.
  void CloseWrites() {
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
      WriteNext();
    }
    RemoveHold();
  }

  // Waits for the end of the call (and of its watchdog), then moves its
  // unacknowledged batches, oldest first, to `unacknowledged` and the
  // acknowledged ones not yet taken to `acknowledged`.
  Result AwaitEnd(std::deque<PendingBatch>& unacknowledged,
                  std::vector<const v1::PushRequest*>& acknowledged) {
    absl::MutexLock lock(&mu_);
    auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return done_ && !watchdog_armed_;
    };
    mu_.Await(absl::Condition(&ended));
    unacknowledged = std::move(unacknowledged_);
    acknowledged.insert(acknowledged.end(), acknowledged_.begin(),
                        acknowledged_.end());
    acknowledged_.clear();
    return {status_, timed_out_, protocol_error_};
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The call is over; its status says why.
      write_failed_ = true;
      return;
    }
    WriteNext();
  }

  // The server answers a stream's batches in order, one response each.
  void OnReadDone(bool ok) override {
    PendingBatch batch;
    {
      absl::MutexLock lock(&mu_);
      if (ok && written_ == 0) {
        protocol_error_ = true;  // an answer to no request
        context_->TryCancel();
        ok = false;
      }
      if (!ok) {
        reads_done_ = true;
        return;
      }
      batch = unacknowledged_.front();
      unacknowledged_.pop_front();
      --written_;
      acknowledged_.push_back(batch.request);
    }
    source_.Acknowledged(batch.events, response_);
    if (options_.on_batch) {
      BatchAck ack;
      ack.index = batch.index;
      ack.events = batch.events;
      ack.accepted = response_.accepted();
      ack.duplicates = response_.duplicates();
      ack.latency = absl::Now() - batch.written_at;
      options_.on_batch(ack);
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    grpc::Alarm* watchdog = nullptr;
    {
      absl::MutexLock lock(&mu_);
      status_ = status;
      ended_ = true;  // the watchdog is not armed again
      if (watchdog_armed_) watchdog = watchdog_.get();
    }
    // Not under mu_: the cancelled alarm's callback takes it. The pointer
    // stays valid: only the callback replaced it, and no longer does.
    if (watchdog != nullptr) watchdog->Cancel();
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  // Starts writing the next batch handed over, or ends the writes once
  // CloseWrites was called and every batch is written. One write at a time.
  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || write_failed_ || writes_done_) return;
    if (written_ < unacknowledged_.size()) {
      PendingBatch& batch = unacknowledged_[written_++];
      batch.written_at = absl::Now();
      writing_ = true;
      StartWrite(batch.request);
    } else if (closing_) {
      writes_done_ = true;
      StartWritesDone();
    }
  }

  // One alarm per check: an alarm must not be set again from its own
  // callback. Replacing the alarm that is calling back is safe (gRPC keeps
  // it alive until its callback returns).
  void ArmWatchdog(absl::Time at) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    watchdog_ = std::make_unique<grpc::Alarm>();
    watchdog_armed_ = true;
    watchdog_->Set(absl::ToChronoTime(at),
                   [this](bool fired) { OnWatchdog(fired); });
  }

  // Cancels the call when the oldest written batch has waited longer than
  // the timeout; otherwise looks again when it would be due, and at least
  // once per timeout, so that a stall is noticed within twice the timeout.
  void OnWatchdog(bool fired) {
    absl::MutexLock lock(&mu_);
    watchdog_armed_ = false;
    if (!fired || ended_) return;
    const absl::Time now = absl::Now();
    absl::Time next = now + ack_timeout_;
    if (written_ > 0) {
      const absl::Time due = unacknowledged_.front().written_at + ack_timeout_;
      if (now >= due) {
        timed_out_ = true;
        context_->TryCancel();
        return;
      }
      next = std::min(next, due);
    }
    ArmWatchdog(next);
  }

  SharedSource& source_;
  const PushStreamOptions& options_;
  const absl::Duration ack_timeout_;
  const size_t max_in_flight_;
  grpc::ClientContext* context_ = nullptr;  // set by Start
  v1::PushResponse response_;  // the read path's: one read at a time

  absl::Mutex mu_;
  // Oldest first. The first `written_` were written on this call; the rest
  // wait for their turn.
  std::deque<PendingBatch> unacknowledged_ ABSL_GUARDED_BY(mu_);
  size_t written_ ABSL_GUARDED_BY(mu_) = 0;
  // Acknowledged, until the driver gives them back.
  std::vector<const v1::PushRequest*> acknowledged_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // until OnWriteDone
  bool closing_ ABSL_GUARDED_BY(mu_) = false;  // CloseWrites was called
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool timed_out_ ABSL_GUARDED_BY(mu_) = false;
  bool protocol_error_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Alarm> watchdog_ ABSL_GUARDED_BY(mu_);
  // From Set to the start of its callback.
  bool watchdog_armed_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // OnDone has started
  bool done_ ABSL_GUARDED_BY(mu_) = false;   // OnDone needs nothing more
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

// Registers a call's context for CancelAll while the call runs, after
// setting its deadline and the current token.
class IngestClient::ScopedCall {
 public:
  ScopedCall(IngestClient& client, grpc::ClientContext& context,
             absl::Time deadline)
      : client_(client), context_(context) {
    absl::MutexLock lock(&client_.mu_);
    PrepareContext(client_.token_, deadline, context_);
    registered_ = !client_.cancelled_;
    if (registered_) client_.calls_.insert(&context_);
  }
  ~ScopedCall() {
    if (!registered_) return;
    absl::MutexLock lock(&client_.mu_);
    client_.calls_.erase(&context_);
  }
  ScopedCall(const ScopedCall&) = delete;
  ScopedCall& operator=(const ScopedCall&) = delete;

  // False once the client is cancelled: the call must not start.
  bool ok() const { return registered_; }
  static grpc::Status Cancelled() {
    return grpc::Status(grpc::StatusCode::CANCELLED,
                        "the client was cancelled");
  }

 private:
  IngestClient& client_;
  grpc::ClientContext& context_;
  bool registered_ = false;
};

absl::StatusOr<std::unique_ptr<IngestClient>> IngestClient::Connect(
    const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateClientChannel(options);
  if (!channel.ok()) return channel.status();
  return std::make_unique<IngestClient>(*std::move(channel), options);
}

IngestClient::IngestClient(std::shared_ptr<grpc::Channel> channel,
                           ClientOptions options, Sleeper sleep)
    : stub_(v1::IngestService::NewStub(std::move(channel))),
      options_(std::move(options)),
      sleep_(std::move(sleep)) {
  absl::MutexLock lock(&mu_);
  token_ = options_.token;
}

void IngestClient::SetToken(std::string token) {
  absl::MutexLock lock(&mu_);
  token_ = std::move(token);
}

void IngestClient::CancelAll() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  for (grpc::ClientContext* context : calls_) context->TryCancel();
}

grpc::Status IngestClient::CallUnary(
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> rpc) {
  return CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    ScopedCall call(*this, context, absl::Now() + options_.timeout);
    if (!call.ok()) return ScopedCall::Cancelled();
    return rpc(&context);
  });
}

absl::StatusOr<v1::PushResponse> IngestClient::Push(
    const v1::PushRequest& request) {
  v1::PushResponse response;
  const grpc::Status status = CallUnary([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->Push(context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ListTeamsResponse> IngestClient::ListTeams(
    absl::string_view prefix) {
  v1::ListTeamsRequest request;
  request.set_prefix(std::string(prefix));
  v1::ListTeamsResponse response;
  const grpc::Status status = CallUnary([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->ListTeams(context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::TeamExecution> IngestClient::GetTeamExecution(
    absl::string_view team) {
  v1::GetTeamExecutionRequest request;
  request.set_team(std::string(team));
  return GetTeamExecution(request);
}

absl::StatusOr<v1::TeamExecution> IngestClient::GetTeamExecution(
    const v1::GetTeamExecutionRequest& request) {
  v1::TeamExecution response;
  const grpc::Status status = CallUnary([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->GetTeamExecution(context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::TeamTrend> IngestClient::GetTeamTrend(
    const v1::GetTeamTrendRequest& request) {
  v1::TeamTrend response;
  const grpc::Status status = CallUnary([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->GetTeamTrend(context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::RemoveEventsResponse> IngestClient::RemoveEvents(
    const v1::RemoveEventsRequest& request) {
  v1::RemoveEventsResponse response;
  const grpc::Status status = CallUnary([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->RemoveEvents(context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ListTeamExecutionsResponse> IngestClient::ListTeamExecutions(
    int page_size, absl::string_view page_token) {
  v1::ListTeamExecutionsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(std::string(page_token));
  v1::ListTeamExecutionsResponse response;
  const grpc::Status status = CallUnary([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->ListTeamExecutions(context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

PushOutcome IngestClient::PushStream(PushBatchSource& source,
                                     const PushStreamOptions& options) {
  ArenaBatches batches(source);
  return PushStream(batches, options);
}

PushOutcome IngestClient::PushStream(LentBatchSource& source,
                                     const PushStreamOptions& options) {
  SharedSource shared(source, options.on_progress);
  const int streams = std::max(1, options.streams);
  std::vector<PushOutcome> outcomes(streams);
  if (streams == 1) {
    outcomes[0] = PushOneStream(shared, options);
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < streams; ++i) {
      threads.emplace_back(
          [&, i] { outcomes[i] = PushOneStream(shared, options); });
    }
    for (std::thread& t : threads) t.join();
  }
  PushOutcome outcome;
  outcome.acknowledged = shared.totals();
  for (const PushOutcome& o : outcomes) {
    outcome.retries += o.retries;
    if (outcome.status.ok() && !o.status.ok()) {
      outcome.status = o.status;
      outcome.failed_batch = o.failed_batch;
    }
  }
  return outcome;
}

PushOutcome IngestClient::PushOneStream(SharedSource& source,
                                        const PushStreamOptions& options) {
  StreamState state(source);
  PushOutcome outcome;
  absl::BitGen gen;
  // A run of calls that broke without progress; StreamOnce ends it at the
  // first acknowledgement.
  const SystemClock clock;
  RetryRun run(options_.retry, clock);
  for (;;) {
    const grpc::Status status = StreamOnce(source, options, state, run);
    if (status.ok()) {
      run.Succeeded();
      return outcome;
    }
    if (IsRetryable(status.error_code())) {
      if (const std::optional<absl::Duration> wait = run.NextWait(gen)) {
        ++outcome.retries;
        sleep_(*wait);
        continue;
      }
    }
    source.Stop();
    outcome.status = FromGrpcStatus(status);
    const grpc::StatusCode code = status.error_code();
    if (code == grpc::StatusCode::INVALID_ARGUMENT ||
        code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      // The server answers in order and ends the stream at the first batch
      // it refuses, so that is the oldest unacknowledged one.
      if (!state.unacknowledged.empty()) {
        outcome.failed_batch = state.unacknowledged.front().index;
      }
    }
    return outcome;
  }
}

grpc::Status IngestClient::StreamOnce(SharedSource& source,
                                      const PushStreamOptions& options,
                                      StreamState& state, RetryRun& run) {
  // gRPC enforces the deadline on the monotonic clock, in whole
  // milliseconds: the stream's age is measured on that clock too, to tell
  // its end from a DEADLINE_EXCEEDED of another cause (see below).
  const std::chrono::steady_clock::time_point started =
      std::chrono::steady_clock::now();
  grpc::ClientContext context;
  ScopedCall scope(*this, context, absl::Now() + options_.max_stream_duration);
  if (!scope.ok()) return ScopedCall::Cancelled();
  StreamCall call(source, options, options_.timeout,
                  std::move(state.unacknowledged));
  call.Start(*stub_, context);

  // What the previous call left unacknowledged is resent first; then the
  // source, with at most max_in_flight batches unacknowledged.
  std::vector<const v1::PushRequest*> acknowledged;  // to give back
  while (!state.source_done && call.AwaitRoom()) {
    call.TakeAcknowledged(acknowledged);
    state.batches += static_cast<int64_t>(acknowledged.size());
    if (!acknowledged.empty()) run.Succeeded();
    source.GiveBack(acknowledged);  // before the source lends another
    PendingBatch batch;
    batch.request = source.Lend(batch.index);
    if (batch.request == nullptr) {
      state.source_done = true;
      break;
    }
    batch.events = batch.request->events_size();
    call.Write(batch);
  }
  call.CloseWrites();
  const StreamCall::Result result =
      call.AwaitEnd(state.unacknowledged, acknowledged);
  state.batches += static_cast<int64_t>(acknowledged.size());
  if (!acknowledged.empty()) run.Succeeded();
  source.GiveBack(acknowledged);

  if (result.timed_out) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("no acknowledgement of a batch within ",
                                     absl::FormatDuration(options_.timeout)));
  }
  if (result.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      absl::FromChrono(std::chrono::steady_clock::now() - started) >=
          options_.max_stream_duration - kDeadlineRounding) {
    // Not a stall (the watchdog catches those): the stream reached its
    // longest duration. A new one takes over.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the stream reached its maximum duration");
  }
  if (result.protocol_error) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the server acknowledged more batches than were sent");
  }
  if (result.status.ok() &&
      (!state.unacknowledged.empty() || !state.source_done)) {
    // The server ended the stream early (it may be draining): go on with
    // a new one.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the server ended the stream early");
  }
  return result.status;
}

}  // namespace orgpulse
