// The source of "now". Figures such as overdue tasks and planned value depend
// on the current time, so every component takes a Clock and tests inject a
// FixedClock instead of reading the wall clock.
//
// Example:
//   FixedClock clock(absl::FromCivil(absl::CivilSecond(2026, 3, 1),
//   absl::UTCTimeZone())); ExecutionState state;  ...  state.Figures("eng",
//   clock.Now());
#ifndef ORGPULSE_COMMON_CLOCK_CLOCK_H_
#define ORGPULSE_COMMON_CLOCK_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace orgpulse {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that stands still until told otherwise. Thread-safe.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_CLOCK_CLOCK_H_
