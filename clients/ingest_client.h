// A client of orgpulse.ingest.v1.IngestService for the command line, the
// demo and load generators: TLS and a token when configured (ClientOptions),
// a deadline on every call, retries with backoff on UNAVAILABLE only (every
// event is idempotent by (source, event_id), so resending is safe), and
// streaming of large pushes with a bounded number of batches in flight.
//
// Example:
//   ClientOptions options;
//   options.address = "127.0.0.1:50051";
//   absl::StatusOr<std::unique_ptr<IngestClient>> client =
//       IngestClient::Connect(options);
//   if (!client.ok()) return client.status();
//   VectorBatchSource batches(events, 1000);
//   PushStreamOptions push;
//   push.on_batch = [](const BatchAck& ack) {  // e.g. to time each batch
//     latency_histogram.Observe(absl::ToDoubleSeconds(ack.latency));
//   };
//   PushOutcome pushed = (*client)->PushStream(batches, push);
//   if (!pushed.status.ok()) ...;  // pushed.failed_batch names the batch
//   absl::StatusOr<v1::TeamExecution> eng = (*client)->GetTeamExecution("eng");
#ifndef ORGPULSE_CLIENTS_INGEST_CLIENT_H_
#define ORGPULSE_CLIENTS_INGEST_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clients/client_options.h"
#include "clients/retry.h"
#include "google/protobuf/arena.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"

namespace orgpulse {

// Batches to push, produced on demand so that a large import never holds
// more than the batches in flight.
class PushBatchSource {
 public:
  virtual ~PushBatchSource() = default;
  // Fills `batch` (empty on entry) with the next events, at most
  // IngestClient::kMaxEventsPerRequest; false when none are left. Called
  // from one thread at a time; may be slow (it is where parsing happens).
  virtual bool Next(ingest::v1::PushRequest& batch) = 0;
};

// Batches that already exist as messages (a load generator's templates),
// lent to the client and sent as they are, without the copy into a batch of
// the client's that PushBatchSource needs.
class LentBatchSource {
 public:
  virtual ~LentBatchSource() = default;
  // The next batch (at most IngestClient::kMaxEventsPerRequest events), or
  // null when none are left. It must stay alive and unchanged until it is
  // passed to GiveBack.
  virtual const ingest::v1::PushRequest* Lend() = 0;
  // Ends the loan of a batch Lend returned: once it is acknowledged, or when
  // the push ends without its acknowledgement. Called once per batch.
  virtual void GiveBack(const ingest::v1::PushRequest* batch) = 0;
  // Lend and GiveBack are called from one thread at a time.
};

// Consecutive batches of `batch_size` events of a vector (which must outlive
// the source).
class VectorBatchSource final : public PushBatchSource {
 public:
  VectorBatchSource(absl::Span<const ingest::v1::Event> events,
                    size_t batch_size);
  bool Next(ingest::v1::PushRequest& batch) override;

 private:
  absl::Span<const ingest::v1::Event> events_;
  size_t batch_size_;
  size_t next_ = 0;
};

// Arena options for a batch of about a thousand events: its messages in one
// or two blocks, freed at once (see google::protobuf::Arena).
google::protobuf::ArenaOptions BatchArenaOptions();

// Acknowledged batches and what the server said of their events.
struct PushStats {
  int64_t batches = 0;
  int64_t events = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
};

struct PushOutcome {
  PushStats acknowledged;
  // OK when every batch of the source was acknowledged.
  absl::Status status;
  // The batch the server refused (0-based, in the source's order) when the
  // status is its answer to that batch (INVALID_ARGUMENT with field
  // violations `events[i]...`, RESOURCE_EXHAUSTED); -1 otherwise.
  int64_t failed_batch = -1;
  // Streams reopened after UNAVAILABLE (their unacknowledged batches were
  // resent; events stored before the break then count as duplicates).
  int retries = 0;
};

// One batch of a PushStream, acknowledged.
struct BatchAck {
  // 0-based, in the source's order (as PushOutcome::failed_batch).
  int64_t index = 0;
  int events = 0;
  // The server's answer to this batch (see ingest::v1::PushResponse).
  int64_t accepted = 0;
  int64_t duplicates = 0;
  // From writing the batch on its stream (the last time, if it was resent on
  // a reopened stream) to reading its acknowledgement. Includes the wait in
  // Write for flow control, not the wait for room among the batches in
  // flight nor the time the source took to produce the batch.
  absl::Duration latency;
};

struct PushStreamOptions {
  // Concurrent PushStream calls sharing the source. The server works on the
  // batches of one stream in order, so several keep more of it busy; the
  // order between streams does not matter, since figures depend only on the
  // set of events stored.
  int streams = 1;
  // Batches written and not yet acknowledged, per stream. The server works
  // on up to 8 of a stream at a time.
  int max_in_flight = 8;
  // Called after each acknowledgement with the running totals, from the
  // reaction that read it (on a gRPC thread), one call at a time over all
  // streams, so the totals never go backwards; must be quick (it holds up
  // the reads).
  std::function<void(const PushStats&)> on_progress;
  // Called once for each acknowledged batch, after on_progress, in the same
  // reaction; the acknowledgements of one stream come one at a time, in the
  // order its batches were written, and all before PushStream returns. Must
  // be quick, and thread-safe when streams > 1. A refused or never
  // acknowledged batch is reported in the PushOutcome, not here.
  std::function<void(const BatchAck&)> on_batch;
};

// Thread-safe.
class IngestClient {
 public:
  static constexpr int kMaxEventsPerRequest = 10'000;

  // Checks the options and creates the channel; no call is made yet.
  static absl::StatusOr<std::unique_ptr<IngestClient>> Connect(
      const ClientOptions& options);

  // Over an existing channel: in-process servers in tests, or channel
  // arguments of the caller's (a load generator gives each client a
  // connection of its own with GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL). The
  // transport settings of `options` are then unused; the token, deadlines and
  // retries apply.
  IngestClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options,
               Sleeper sleep = RealSleep());

  // One batch (at most kMaxEventsPerRequest events), retried on UNAVAILABLE.
  // Blocks until the answer, so timing the call times the request (with its
  // retries, if any); `request` is sent as it is, not copied.
  absl::StatusOr<ingest::v1::PushResponse> Push(
      const ingest::v1::PushRequest& request);

  // Every batch of `source` through options.streams PushStream calls, at
  // most options.max_in_flight unacknowledged on each. A stream that breaks
  // with UNAVAILABLE is reopened (with backoff, as long as a RetryRun of
  // retry allows without progress) and its unacknowledged batches are
  // resent. A batch not acknowledged within ClientOptions::timeout cancels its
  // stream with DEADLINE_EXCEEDED. After a stream fails for good the others
  // take no new batches, finish the ones they have, and the first failure is
  // returned. Each stream runs on a thread that lends batches from the source
  // and waits for room among the batches in flight; its reads, writes and
  // watchdog are reactions of gRPC's callback API.
  PushOutcome PushStream(PushBatchSource& source,
                         const PushStreamOptions& options = {});
  // The same with batches lent by the caller: no copy of each batch. Every
  // lent batch is given back before this returns.
  PushOutcome PushStream(LentBatchSource& source,
                         const PushStreamOptions& options = {});

  absl::StatusOr<ingest::v1::ListTeamsResponse> ListTeams(
      absl::string_view prefix);
  absl::StatusOr<ingest::v1::TeamExecution> GetTeamExecution(
      absl::string_view team);
  // With the request's options (as_of).
  absl::StatusOr<ingest::v1::TeamExecution> GetTeamExecution(
      const ingest::v1::GetTeamExecutionRequest& request);
  // Retried on UNAVAILABLE like the others: a removal is idempotent.
  absl::StatusOr<ingest::v1::RemoveEventsResponse> RemoveEvents(
      const ingest::v1::RemoveEventsRequest& request);

  // One page of every node's figures; `page_token` "" for the first.
  absl::StatusOr<ingest::v1::ListTeamExecutionsResponse> ListTeamExecutions(
      int page_size, absl::string_view page_token);

  // The monthly figures of a team or prefix (see the proto).
  absl::StatusOr<ingest::v1::TeamTrend> GetTeamTrend(
      const ingest::v1::GetTeamTrendRequest& request);

  // The token of the calls that start from now on (a rotated one); calls
  // already sent keep theirs.
  void SetToken(std::string token);

  // Ends every call in flight with CANCELLED, promptly, and fails every later
  // call with CANCELLED without sending it; a retry waiting out its backoff
  // ends after the wait. For an owner that stops while other threads use the
  // client. Irreversible.
  void CancelAll();

 private:
  class SharedSource;
  struct StreamState;
  class StreamCall;
  class ScopedCall;
  // One stream of a push, reopened after UNAVAILABLE; see PushStream.
  PushOutcome PushOneStream(SharedSource& source,
                            const PushStreamOptions& options);
  // One PushStream call; `run` learns of its acknowledgements.
  grpc::Status StreamOnce(SharedSource& source,
                          const PushStreamOptions& options, StreamState& state,
                          RetryRun& run);
  // A unary call with the deadline, the token and the retries of options_.
  grpc::Status CallUnary(
      absl::FunctionRef<grpc::Status(grpc::ClientContext*)> rpc);

  std::unique_ptr<ingest::v1::IngestService::Stub> stub_;
  const ClientOptions options_;
  const Sleeper sleep_;

  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // The contexts of the calls in flight, for CancelAll.
  absl::flat_hash_set<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orgpulse

#endif  // ORGPULSE_CLIENTS_INGEST_CLIENT_H_
