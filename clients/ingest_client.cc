#include "clients/ingest_client.h"

#include <algorithm>
#include <deque>
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

namespace orgpulse {

namespace v1 = ingest::v1;

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
  // Counts one acknowledged batch and reports the totals.
  void Acknowledged(int events, const v1::PushResponse& response) {
    PushStats totals;
    {
      absl::MutexLock lock(&totals_mu_);
      totals_.batches += 1;
      totals_.events += events;
      totals_.accepted += response.accepted();
      totals_.duplicates += response.duplicates();
      totals = totals_;
    }
    if (on_progress_) on_progress_(totals);
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

// What survives from one call of a stream to the next: the batches written
// but not acknowledged, resent on the next call, and given back to the
// source when the stream ends for good.
struct IngestClient::StreamState {
  explicit StreamState(SharedSource& source) : source(source) {}
  ~StreamState() {
    std::vector<const v1::PushRequest*> left;
    {
      absl::MutexLock lock(&mu);
      Remove(pending.size(), left);
    }
    source.GiveBack(left);
  }

  struct Pending {
    const v1::PushRequest* request = nullptr;  // lent by the source
    int64_t index = 0;
    int events = 0;
    absl::Time written_at;
  };

  absl::Mutex mu;
  // Oldest first. Only the writing thread adds or removes elements; the
  // reader and the watchdog read them under mu.
  std::deque<Pending> pending ABSL_GUARDED_BY(mu);
  // How many of the first elements of `pending` are acknowledged (removed by
  // the writing thread).
  size_t acknowledged ABSL_GUARDED_BY(mu) = 0;
  // Batches acknowledged on this stream, over all its calls.
  int64_t batches ABSL_GUARDED_BY(mu) = 0;
  bool source_done = false;  // writing thread only
  SharedSource& source;

  // Moves the requests of the first `count` batches of `pending` to `out`.
  void Remove(size_t count, std::vector<const v1::PushRequest*>& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (size_t i = 0; i < count; ++i) out.push_back(pending[i].request);
    pending.erase(pending.begin(), pending.begin() + count);
  }
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
      sleep_(std::move(sleep)) {}

absl::StatusOr<v1::PushResponse> IngestClient::Push(
    const v1::PushRequest& request) {
  v1::PushResponse response;
  const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    PrepareContext(options_, options_.timeout, context);
    response.Clear();
    return stub_->Push(&context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ListTeamsResponse> IngestClient::ListTeams(
    absl::string_view prefix) {
  v1::ListTeamsRequest request;
  request.set_prefix(std::string(prefix));
  v1::ListTeamsResponse response;
  const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    PrepareContext(options_, options_.timeout, context);
    response.Clear();
    return stub_->ListTeams(&context, request, &response);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::TeamExecution> IngestClient::GetTeamExecution(
    absl::string_view team) {
  v1::GetTeamExecutionRequest request;
  request.set_team(std::string(team));
  v1::TeamExecution response;
  const grpc::Status status = CallWithRetries(options_.retry, sleep_, [&] {
    grpc::ClientContext context;
    PrepareContext(options_, options_.timeout, context);
    response.Clear();
    return stub_->GetTeamExecution(&context, request, &response);
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
  int failures = 0;  // consecutive calls that broke without progress
  for (;;) {
    int64_t acknowledged_before;
    {
      absl::MutexLock lock(&state.mu);
      acknowledged_before = state.batches;
    }
    const grpc::Status status = StreamOnce(source, options, state);
    int64_t acknowledged_after;
    int64_t oldest_unacknowledged = -1;
    {
      absl::MutexLock lock(&state.mu);
      acknowledged_after = state.batches;
      if (!state.pending.empty()) {
        oldest_unacknowledged = state.pending.front().index;
      }
    }
    if (status.ok()) return outcome;
    if (IsRetryable(status.error_code())) {
      if (acknowledged_after > acknowledged_before) failures = 0;
      if (++failures < options_.retry.max_attempts) {
        ++outcome.retries;
        sleep_(RetryBackoff(options_.retry, failures, gen));
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
      outcome.failed_batch = oldest_unacknowledged;
    }
    return outcome;
  }
}

grpc::Status IngestClient::StreamOnce(SharedSource& source,
                                      const PushStreamOptions& options,
                                      StreamState& state) {
  grpc::ClientContext context;
  PrepareContext(options_, options_.max_stream_duration, context);
  const absl::Time stream_deadline = absl::Now() + options_.max_stream_duration;
  std::unique_ptr<grpc::ClientReaderWriter<v1::PushRequest, v1::PushResponse>>
      stream = stub_->PushStream(&context);
  const int max_in_flight = std::max(1, options.max_in_flight);

  bool reader_done = false;  // guarded by state.mu
  bool timed_out = false;    // likewise
  bool protocol_error = false;
  {
    // Batches left from the previous stream are not written on this one yet.
    absl::MutexLock lock(&state.mu);
    for (StreamState::Pending& batch : state.pending) {
      batch.written_at = absl::InfiniteFuture();
    }
  }

  std::thread reader([&] {
    v1::PushResponse response;
    while (stream->Read(&response)) {
      BatchAck ack;
      absl::Time written_at;
      {
        absl::MutexLock lock(&state.mu);
        if (state.acknowledged >= state.pending.size()) {
          protocol_error = true;  // an answer to no request
          context.TryCancel();
          break;
        }
        const StreamState::Pending& batch = state.pending[state.acknowledged++];
        ack.index = batch.index;
        ack.events = batch.events;
        written_at = batch.written_at;
        state.batches += 1;
      }
      source.Acknowledged(ack.events, response);
      if (options.on_batch) {
        ack.accepted = response.accepted();
        ack.duplicates = response.duplicates();
        ack.latency = absl::Now() - written_at;
        options.on_batch(ack);
      }
    }
    absl::MutexLock lock(&state.mu);
    reader_done = true;
  });

  // Cancels the stream when the oldest unacknowledged batch has waited
  // longer than the timeout. It checks at least once per timeout, so a stall
  // is noticed within twice the timeout.
  std::thread watchdog([&] {
    absl::MutexLock lock(&state.mu);
    while (!reader_done) {
      const absl::Time now = absl::Now();
      absl::Time deadline = now + options_.timeout;
      if (state.acknowledged < state.pending.size()) {
        const absl::Time due =
            state.pending[state.acknowledged].written_at + options_.timeout;
        if (now >= due) {
          timed_out = true;
          context.TryCancel();
          return;
        }
        deadline = std::min(deadline, due);
      }
      state.mu.AwaitWithDeadline(absl::Condition(&reader_done), deadline);
    }
  });

  // Resend what the previous stream left unacknowledged, then go on with
  // the source, keeping at most max_in_flight batches unacknowledged.
  bool broken = false;
  size_t resend = 0;
  std::vector<const v1::PushRequest*> acknowledged;  // to give back
  for (;;) {
    StreamState::Pending* next = nullptr;
    {
      absl::MutexLock lock(&state.mu);
      state.Remove(state.acknowledged, acknowledged);
      resend -= std::min(resend, state.acknowledged);
      state.acknowledged = 0;
      if (resend < state.pending.size()) {
        next = &state.pending[resend++];
        next->written_at = absl::Now();
      } else {
        if (state.source_done) break;
        auto has_room = [&]() ABSL_SHARED_LOCKS_REQUIRED(state.mu) {
          return reader_done ||
                 static_cast<int>(state.pending.size() - state.acknowledged) <
                     max_in_flight;
        };
        state.mu.Await(absl::Condition(&has_room));
        if (reader_done) break;
      }
    }
    source.GiveBack(acknowledged);  // before the source lends another
    if (next == nullptr) {
      StreamState::Pending batch;
      batch.request = source.Lend(batch.index);
      if (batch.request == nullptr) {
        state.source_done = true;
        break;
      }
      batch.events = batch.request->events_size();
      absl::MutexLock lock(&state.mu);
      batch.written_at = absl::Now();
      state.pending.push_back(std::move(batch));
      next = &state.pending.back();
      resend = state.pending.size();
    }
    // Not under the lock: only this thread changes `*next`, and the other
    // threads only read it.
    if (!stream->Write(*next->request)) {
      broken = true;
      break;
    }
  }
  if (!broken) stream->WritesDone();
  reader.join();
  watchdog.join();
  const grpc::Status status = stream->Finish();
  bool unacknowledged;
  {
    absl::MutexLock lock(&state.mu);
    state.Remove(state.acknowledged, acknowledged);
    state.acknowledged = 0;
    unacknowledged = !state.pending.empty();
  }
  source.GiveBack(acknowledged);
  // The reader and the watchdog are joined: their flags are settled.
  if (timed_out) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("no acknowledgement of a batch within ",
                                     absl::FormatDuration(options_.timeout)));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      absl::Now() >= stream_deadline) {
    // Not a stall (the watchdog catches those): the stream reached its
    // longest duration. A new one takes over.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the stream reached its maximum duration");
  }
  if (protocol_error) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the server acknowledged more batches than were sent");
  }
  if (status.ok() && (unacknowledged || !state.source_done)) {
    // The server ended the stream early (it may be draining): go on with
    // a new one.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the server ended the stream early");
  }
  return status;
}

}  // namespace orgpulse
