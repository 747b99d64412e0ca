// google.protobuf.Timestamp <-> absl::Time for the services' conversion
// layers. Decoding is total: an unset timestamp becomes absl::InfinitePast()
// and a malformed one (nanos or seconds out of range) absl::InfiniteFuture(),
// which domain validation rejects with a precise message.
#ifndef ORGPULSE_COMMON_PROTO_TIME_CONVERSION_H_
#define ORGPULSE_COMMON_PROTO_TIME_CONVERSION_H_

#include <optional>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace orgpulse {

inline absl::Time FromProtoTime(bool present,
                                const google::protobuf::Timestamp& t) {
  using google::protobuf::util::TimeUtil;
  if (!present) return absl::InfinitePast();
  if (t.nanos() < 0 || t.nanos() > 999'999'999 ||
      t.seconds() < TimeUtil::kTimestampMinSeconds ||
      t.seconds() > TimeUtil::kTimestampMaxSeconds) {
    return absl::InfiniteFuture();
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// An optional time of a request: nullopt when absent, else as FromProtoTime
// (a malformed one is absl::InfiniteFuture()).
inline std::optional<absl::Time> OptionalFromProtoTime(
    bool present, const google::protobuf::Timestamp& t) {
  if (!present) return std::nullopt;
  return FromProtoTime(true, t);
}

inline void ToProtoTime(absl::Time t, google::protobuf::Timestamp& out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_PROTO_TIME_CONVERSION_H_
