#include "clients/retry.h"

#include <algorithm>
#include <cmath>
#include <optional>

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

RetryRun::RetryRun(const RetryPolicy& policy, const Clock& clock)
    : policy_(policy), clock_(clock) {}

std::optional<absl::Duration> RetryRun::NextWait(absl::BitGenRef gen) {
  const absl::Time now = clock_.Now();
  if (failures_ == 0) first_failure_ = now;
  ++failures_;
  const absl::Duration left = first_failure_ + policy_.retry_for - now;
  const bool attempts_left = failures_ < policy_.max_attempts;
  if (!attempts_left && left <= absl::ZeroDuration()) return std::nullopt;
  if (failures_ == 1 && policy_.on_waiting) policy_.on_waiting();
  const absl::Duration wait = RetryBackoff(policy_, failures_, gen);
  return attempts_left ? wait : std::min(wait, left);
}

void RetryRun::Succeeded() {
  if (failures_ > 0 && policy_.on_resumed) policy_.on_resumed();
  failures_ = 0;
}

grpc::Status CallWithRetries(const RetryPolicy& policy, const Sleeper& sleep,
                             absl::FunctionRef<grpc::Status()> attempt) {
  const SystemClock clock;
  return CallWithRetries(policy, sleep, attempt, clock);
}

grpc::Status CallWithRetries(const RetryPolicy& policy, const Sleeper& sleep,
                             absl::FunctionRef<grpc::Status()> attempt,
                             const Clock& clock) {
  RetryRun run(policy, clock);
  absl::BitGen gen;
  for (;;) {
    const grpc::Status status = attempt();
    if (!IsRetryable(status.error_code())) {
      run.Succeeded();
      return status;
    }
    const std::optional<absl::Duration> wait = run.NextWait(gen);
    if (!wait.has_value()) return status;
    sleep(*wait);
  }
}

}  // namespace orgpulse
