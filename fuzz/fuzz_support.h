// What the fuzz targets share: the invariant check (a broken invariant is a
// crash, so libFuzzer saves the input that broke it) and the value picker of
// the generators of mostly valid requests.
#ifndef ORGPULSE_FUZZ_FUZZ_SUPPORT_H_
#define ORGPULSE_FUZZ_FUZZ_SUPPORT_H_

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/timestamp.pb.h"

namespace orgpulse::fuzz {

// Aborts with `what` (the invariant) and `detail` (the values that broke
// it).
[[noreturn]] inline void Fail(absl::string_view what,
                              absl::string_view detail) {
  std::fprintf(stderr, "INVARIANT BROKEN: %.*s\n%.*s\n",
               static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Fails with `what` unless `ok`.
inline void Require(bool ok, absl::string_view what) {
  if (!ok) Fail(what, "");
}

// Fails with `what` and `detail()` unless `ok`; `detail` (returning a
// string) runs only on failure, so checks that pass cost no formatting.
template <typename Detail>
void Require(bool ok, absl::string_view what, Detail detail) {
  if (!ok) Fail(what, detail());
}

// The generators' source of values: for each field, either a value a valid
// request could hold (from a small pool, so that requests overlap, or in the
// field's range) or a wild one (anything, an edge, unset). In a clean batch
// every pick is valid; in a dirty one, one pick in four is wild. So most
// batches pass validation and the rest fail it in every way.
class Picker {
 public:
  // Reads how much of each pool this input uses: with one or two names per
  // pool, events and responses collide on the same task or respondent.
  explicit Picker(FuzzedDataProvider& in)
      : in_(in), spread_(in.ConsumeIntegralInRange<size_t>(1, 16)) {}

  FuzzedDataProvider& in() { return in_; }

  // Decides whether the next batch is clean (three in four).
  void StartBatch() { dirty_ = in_.ConsumeIntegralInRange(0, 3) == 0; }
  bool Wild() { return dirty_ && in_.ConsumeIntegralInRange(0, 3) == 0; }

  // A name from the part of `pool` this input uses (teams, tasks,
  // respondents: what events and responses should collide on).
  std::string Name(std::initializer_list<const char*> pool) {
    return Pick(pool, std::min(pool.size(), spread_));
  }
  // A name from all of `pool` (event and response ids, which must mostly
  // differ for anything to be stored).
  std::string Id(std::initializer_list<const char*> pool) {
    return Pick(pool, pool.size());
  }

  int Int(int lo, int hi) {
    if (Wild()) {
      return in_.ConsumeBool() ? in_.ConsumeIntegral<int32_t>()
                               : in_.ConsumeIntegralInRange(lo - 2, hi + 2);
    }
    return in_.ConsumeIntegralInRange(lo, hi);
  }

  // In [lo, hi]: an end, or anywhere between.
  double Number(double lo, double hi) {
    if (Wild()) return WildNumber();
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0:
        return lo;
      case 1:
        return hi;
      default:
        return in_.ConsumeFloatingPointInRange(lo, hi);
    }
  }

  // Sets the timestamp `mutable_time()` returns to a time `lo` to `hi`
  // seconds after the epoch (with or without nanos); a wild pick is one of
  // `edges` (seconds, with 0 or 999999999 nanos), anything, or unset.
  template <typename MutableTime>
  void Time(int64_t lo, int64_t hi, absl::Span<const int64_t> edges,
            MutableTime mutable_time) {
    int64_t seconds = 0;
    int32_t nanos = 0;
    if (!Wild()) {
      seconds = in_.ConsumeIntegralInRange(lo, hi);
      nanos = in_.ConsumeBool()
                  ? 0
                  : in_.ConsumeIntegralInRange<int32_t>(0, 999'999'999);
    } else {
      switch (in_.ConsumeIntegralInRange(0, 2)) {
        case 0:
          return;  // unset
        case 1:
          seconds =
              edges[in_.ConsumeIntegralInRange<size_t>(0, edges.size() - 1)];
          nanos = in_.ConsumeBool() ? 0 : 999'999'999;
          break;
        default:
          seconds = in_.ConsumeIntegral<int64_t>();
          nanos = in_.ConsumeIntegral<int32_t>();
          break;
      }
    }
    google::protobuf::Timestamp* t = mutable_time();
    t->set_seconds(seconds);
    t->set_nanos(nanos);
  }

 private:
  std::string Pick(std::initializer_list<const char*> pool, size_t used) {
    if (Wild()) return in_.ConsumeRandomLengthString(300);
    return pool.begin()[in_.ConsumeIntegralInRange<size_t>(0, used - 1)];
  }

  double WildNumber() {
    static constexpr double kEdges[] = {
        0,
        -0.0,
        100.0000001,
        1e6 + 1,
        1.0000000001e12,
        -1,
        -1.0000001e12,
        5e-7,
        4.9999999e-7,
        1e-300,
        std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest(),
        std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN(),
    };
    return in_.ConsumeBool() ? in_.PickValueInArray(kEdges)
                             : in_.ConsumeFloatingPoint<double>();
  }

  FuzzedDataProvider& in_;
  const size_t spread_;
  bool dirty_ = false;
};

}  // namespace orgpulse::fuzz

#endif  // ORGPULSE_FUZZ_FUZZ_SUPPORT_H_
