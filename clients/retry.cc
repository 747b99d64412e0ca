#include "clients/retry.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"

namespace orgpulse {

Sleeper RealSleep() {
  return [](absl::Duration d) { absl::SleepFor(d); };
}

absl::Duration RetryBackoff(const RetryPolicy& policy, int retry,
                            absl::BitGenRef gen) {
  const double growth =
      std::pow(policy.multiplier, static_cast<double>(std::max(retry, 1) - 1));
  // Capped before the jitter too, so that a large retry count cannot
  // overflow the duration arithmetic.
  const absl::Duration base = std::min(
      policy.initial_backoff * std::min(growth, 1e9), policy.max_backoff);
  const double factor =
      policy.jitter > 0
          ? absl::Uniform(gen, 1.0 - policy.jitter, 1.0 + policy.jitter)
          : 1.0;
  return std::min(base * factor, policy.max_backoff);
}

grpc::Status CallWithRetries(const RetryPolicy& policy, const Sleeper& sleep,
                             absl::FunctionRef<grpc::Status()> attempt) {
  grpc::Status status = attempt();
  absl::BitGen gen;
  for (int retry = 1;
       retry < policy.max_attempts && IsRetryable(status.error_code());
       ++retry) {
    sleep(RetryBackoff(policy, retry, gen));
    status = attempt();
  }
  return status;
}

}  // namespace orgpulse
