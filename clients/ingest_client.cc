#include "clients/ingest_client.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/status_conversion.h"

namespace orgpulse {

namespace v1 = ingest::v1;

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

// What survives from one stream to the next: the batches written but not
// acknowledged (resent on the next stream), and the totals.
struct IngestClient::StreamState {
  struct Pending {
    v1::PushRequest request;
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
  PushStats stats ABSL_GUARDED_BY(mu);
  int64_t next_index = 0;    // writing thread only
  bool source_done = false;  // likewise
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
  StreamState state;
  PushOutcome outcome;
  absl::BitGen gen;
  int failures = 0;  // consecutive streams that broke without progress
  for (;;) {
    const int64_t acknowledged_before = outcome.acknowledged.batches;
    const grpc::Status status = StreamOnce(source, options, state);
    int64_t oldest_unacknowledged = -1;
    {
      absl::MutexLock lock(&state.mu);
      outcome.acknowledged = state.stats;
      if (!state.pending.empty()) {
        oldest_unacknowledged = state.pending.front().index;
      }
    }
    if (status.ok()) {
      outcome.status = absl::OkStatus();
      return outcome;
    }
    if (IsRetryable(status.error_code())) {
      if (outcome.acknowledged.batches > acknowledged_before) failures = 0;
      if (++failures < options_.retry.max_attempts) {
        ++outcome.retries;
        sleep_(RetryBackoff(options_.retry, failures, gen));
        continue;
      }
    }
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

grpc::Status IngestClient::StreamOnce(PushBatchSource& source,
                                      const PushStreamOptions& options,
                                      StreamState& state) {
  grpc::ClientContext context;
  PrepareContext(options_, options_.max_stream_duration, context);
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
      PushStats progress;
      {
        absl::MutexLock lock(&state.mu);
        if (state.acknowledged >= state.pending.size()) {
          protocol_error = true;  // an answer to no request
          context.TryCancel();
          break;
        }
        const StreamState::Pending& batch = state.pending[state.acknowledged++];
        state.stats.batches += 1;
        state.stats.events += batch.events;
        state.stats.accepted += response.accepted();
        state.stats.duplicates += response.duplicates();
        progress = state.stats;
      }
      if (options.on_progress) options.on_progress(progress);
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
  for (;;) {
    StreamState::Pending* next = nullptr;
    {
      absl::MutexLock lock(&state.mu);
      state.pending.erase(state.pending.begin(),
                          state.pending.begin() + state.acknowledged);
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
    if (next == nullptr) {
      StreamState::Pending batch;
      if (!source.Next(batch.request)) {
        state.source_done = true;
        break;
      }
      batch.index = state.next_index++;
      batch.events = batch.request.events_size();
      absl::MutexLock lock(&state.mu);
      batch.written_at = absl::Now();
      state.pending.push_back(std::move(batch));
      next = &state.pending.back();
      resend = state.pending.size();
    }
    // Not under the lock: only this thread changes `*next`, and the other
    // threads only read it.
    if (!stream->Write(next->request)) {
      broken = true;
      break;
    }
  }
  if (!broken) stream->WritesDone();
  reader.join();
  watchdog.join();
  grpc::Status status = stream->Finish();
  absl::MutexLock lock(&state.mu);
  state.pending.erase(state.pending.begin(),
                      state.pending.begin() + state.acknowledged);
  state.acknowledged = 0;
  if (timed_out) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("no acknowledgement of a batch within ",
                                     absl::FormatDuration(options_.timeout)));
  }
  if (protocol_error) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the server acknowledged more batches than were sent");
  }
  if (status.ok() && (!state.pending.empty() || !state.source_done)) {
    // The server ended the stream early (it may be draining): go on with
    // a new one.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the server ended the stream early");
  }
  return status;
}

}  // namespace orgpulse
