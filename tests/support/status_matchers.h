// StatusIs for absl::Status / absl::StatusOr and grpc::Status (Abseil
// 20220623 ships no status matchers).
//
// Example:
//   EXPECT_THAT(ledger.Push(batch),
//   StatusIs(absl::StatusCode::kInvalidArgument));
#ifndef ORGPULSE_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define ORGPULSE_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace orgpulse::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P(StatusIs, code,
          std::string("has status code ") + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "whose status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "whose status is " << s.ToString();
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_STATUS_MATCHERS_H_
