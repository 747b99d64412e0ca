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

#include "absl/functional/function_ref.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "clients/client_options.h"
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

// Runs `attempt` until it returns anything but UNAVAILABLE or
// policy.max_attempts attempts are used, sleeping RetryBackoff between
// attempts. Returns the last status. Each attempt must build its own
// grpc::ClientContext (a context serves one call).
grpc::Status CallWithRetries(const RetryPolicy& policy, const Sleeper& sleep,
                             absl::FunctionRef<grpc::Status()> attempt);

}  // namespace orgpulse

#endif  // ORGPULSE_CLIENTS_RETRY_H_
