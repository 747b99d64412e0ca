// Retries with exponential backoff and jitter, for UNAVAILABLE only (see
// RetryPolicy). The sleep is injected so that tests do not wait.
//
// Example:
//   grpc::Status s = CallWithRetries(options.retry, RealSleep(), [&] {
//     grpc::ClientContext context;
//     PrepareContext(options, options.timeout, context);
//     return stub->ListTeams(&context, request, &response);
//   });
#ifndef ORGPULSE_CLIENTS_RETRY_H_
#define ORGPULSE_CLIENTS_RETRY_H_

#include <functional>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "clients/client_options.h"
#include "common/clock/clock.h"
#include "grpcpp/support/status.h"

namespace orgpulse {

using Sleeper = std::function<void(absl::Duration)>;

// absl::SleepFor.
Sleeper RealSleep();

// The wait before retry number `retry` (1 for the first retry).
absl::Duration RetryBackoff(const RetryPolicy& policy, int retry,
                            absl::BitGenRef gen);

inline bool IsRetryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE;
}

// The retries of one run of failures: how long to wait after each, and
// when to give up (see RetryPolicy::max_attempts and retry_for). Not
// thread-safe; `policy` and `clock` must outlive it.
class RetryRun {
 public:
  RetryRun(const RetryPolicy& policy, const Clock& clock);

  // After an attempt failed with UNAVAILABLE: the wait before the next
  // attempt, or nullopt to give up. The first failure of a run calls
  // policy.on_waiting.
  std::optional<absl::Duration> NextWait(absl::BitGenRef gen);
  // After a success or progress: calls policy.on_resumed if a run was
  // waiting, and the next failure starts a new run.
  void Succeeded();

 private:
  const RetryPolicy& policy_;
  const Clock& clock_;
  int failures_ = 0;  // in the current run
  absl::Time first_failure_;
};

// Runs `attempt` until it returns anything but UNAVAILABLE or the RetryRun
// gives up, sleeping between attempts. Returns the last status. Each attempt
// must build its own grpc::ClientContext (a context serves one call).
grpc::Status CallWithRetries(const RetryPolicy& policy, const Sleeper& sleep,
                             absl::FunctionRef<grpc::Status()> attempt);
// The same on `clock` (tests).
grpc::Status CallWithRetries(const RetryPolicy& policy, const Sleeper& sleep,
                             absl::FunctionRef<grpc::Status()> attempt,
                             const Clock& clock);

}  // namespace orgpulse

#endif  // ORGPULSE_CLIENTS_RETRY_H_
