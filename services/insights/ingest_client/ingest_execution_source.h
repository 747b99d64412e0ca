// ExecutionSource over gRPC: a background thread keeps an in-memory copy of
// ingest's figures for every team and every path prefix of a team (so
// `eng/payments` yields `eng` and `eng/payments`), and readers answer from
// that copy without waiting on the network.
//
// Each refresh round reads every node's figures with ListTeamExecutions, a
// page per call, each call with its own deadline. If a page fails, the
// pages read replace their nodes' figures (the other nodes keep the
// previous round's), Health() turns unreachable with the code and message
// of the failure, counts a partial read and the source logs it; the round
// is retried after an exponential backoff with jitter. After a good round
// the next waits refresh_interval.
//
// An ingest without ListTeamExecutions (UNIMPLEMENTED, an older version) is
// read the old way: ListTeams, then GetTeamExecution per node; such a round
// is all or nothing. The source remembers it, and asks for pages again
// after the next failed round (ingest may have been upgraded meanwhile).
// The calls go through an IngestClient (clients/), which sets the deadline
// and the token; the round, not the call, is what is retried, after
// RetryBackoff (clients/retry.h).
//
// Time: the injected Clock stamps fetched_at and last_success; waits and
// RPC deadlines use real time, since they bound real network calls.
//
// Example:
//   IngestExecutionSource source(
//       grpc::CreateChannel(target, grpc::InsecureChannelCredentials()),
//       clock, {});
//   source.Start();
//   absl::Status first = source.RefreshNow(absl::Seconds(5));  // optional
//   std::optional<ExecutionSnapshot> eng = source.Get("eng");
//
// It is also the ExecutionHistory: GetAsOf asks ingest there and then
// (GetTeamExecution with as_of, one attempt within history_deadline, the
// same token), never from the copy.
#ifndef ORGPULSE_SERVICES_INSIGHTS_INGEST_CLIENT_INGEST_EXECUTION_SOURCE_H_
#define ORGPULSE_SERVICES_INSIGHTS_INGEST_CLIENT_INGEST_EXECUTION_SOURCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/ingest_client.h"
#include "clients/retry.h"
#include "common/clock/clock.h"
#include "grpcpp/channel.h"
#include "services/insights/domain/execution_history.h"
#include "services/insights/domain/execution_source.h"

namespace orgpulse::insights {

struct IngestSourceOptions {
  // Wait after a good round before the next.
  absl::Duration refresh_interval = absl::Seconds(15);
  // Deadline of each RPC.
  absl::Duration call_deadline = absl::Seconds(2);
  // Deadline of each GetAsOf: ingest refolds its stored events for it, a
  // few seconds per million.
  absl::Duration history_deadline = absl::Seconds(30);
  // Wait after the first failed round; doubles per further failure, times a
  // random factor in [0.8, 1.2] that keeps replicas from retrying in step.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // Sent as "authorization: Bearer ..." when not empty; needs ingest:read.
  // SetBearerToken replaces it.
  std::string bearer_token;
};

// Thread-safe, except that Start and Stop belong to the owner.
class IngestExecutionSource final : public ExecutionSource,
                                    public ExecutionHistory {
 public:
  // `clock` must outlive this object. The calls go over `channel` (see
  // CreateClientChannel).
  IngestExecutionSource(std::shared_ptr<grpc::Channel> channel,
                        const Clock& clock, IngestSourceOptions options);
  // Stops the thread if it runs.
  ~IngestExecutionSource() override;

  IngestExecutionSource(const IngestExecutionSource&) = delete;
  IngestExecutionSource& operator=(const IngestExecutionSource&) = delete;

  // Launches the refresh thread; the first round starts at once.
  // REQUIRES: called at most once.
  void Start();

  // Ends the thread promptly: an RPC in flight is cancelled and waits are
  // woken. Idempotent. The last known figures stay readable.
  void Stop();

  // Asks for a round that starts after this call and waits for it: OK if it
  // succeeded, its error (the same text as Health().last_error) if not,
  // DEADLINE_EXCEEDED if it did not end within `timeout`, FAILED_PRECONDITION
  // if the thread is not running. For start-up and tests.
  [[nodiscard]] absl::Status RefreshNow(absl::Duration timeout);

  // The token for the next calls (a rotated one); a round with it starts at
  // once, without waiting out a backoff.
  void SetBearerToken(std::string token);

  std::optional<ExecutionSnapshot> Get(absl::string_view node) const override;
  std::vector<std::string> Teams() const override;
  SourceHealth Health() const override;

  // Stop cancels a call in flight (CANCELLED).
  absl::StatusOr<std::optional<ExecutionSnapshot>> GetAsOf(
      absl::string_view node, absl::Time as_of) const override;

 private:
  struct Round {
    absl::flat_hash_map<std::string, ExecutionSnapshot> snapshots;
    std::vector<std::string> teams;
    // Failed after some pages: merge what was read instead of dropping it.
    bool partial = false;
  };

  void Run();
  // Network only; Stop cancels its call in flight through the client.
  absl::Status Fetch(Round& round);
  // The reading of an ingest without ListTeamExecutions.
  absl::Status FetchNodeByNode(Round& round);

  // One attempt per call, the deadline and the token of `options_`; the
  // second with history_deadline, for GetAsOf.
  const std::unique_ptr<IngestClient> client_;
  const std::unique_ptr<IngestClient> history_client_;
  const Clock& clock_;
  const IngestSourceOptions options_;
  // The wait after failed rounds.
  const RetryPolicy backoff_;
  std::thread thread_;  // owned by Start/Stop
  // Whether ingest has ListTeamExecutions, as far as known; refresh thread
  // only.
  bool paged_ = true;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ExecutionSnapshot> snapshots_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::string> teams_ ABSL_GUARDED_BY(mu_);
  SourceHealth health_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // RefreshNow takes ticket ++requested_; a round serves every ticket taken
  // before it started, and completed_ is the highest ticket served.
  uint64_t requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_round_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_INGEST_CLIENT_INGEST_EXECUTION_SOURCE_H_
