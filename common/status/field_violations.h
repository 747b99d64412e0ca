// Field violations carried inside an absl::Status, so that pure domain code
// can report every bad field of a request without knowing about gRPC or
// google.rpc.BadRequest. common/status/grpc_status.h turns them into the
// standard BadRequest detail.
//
// Example:
//   std::vector<FieldViolation> v = {{"events[3].team", "must not be empty"}};
//   absl::Status s = InvalidArgumentWithViolations("2 invalid events", v);
//   GetFieldViolations(s);  // == v
#ifndef ORGPULSE_COMMON_STATUS_FIELD_VIOLATIONS_H_
#define ORGPULSE_COMMON_STATUS_FIELD_VIOLATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace orgpulse {

struct FieldViolation {
  std::string field;        // path in the request, e.g. "events[3].team"
  std::string description;  // why it is wrong, without echoing secrets

  bool operator==(const FieldViolation&) const = default;
};

// An INVALID_ARGUMENT status whose payload lists `violations`.
[[nodiscard]] absl::Status InvalidArgumentWithViolations(
    absl::string_view message, const std::vector<FieldViolation>& violations);

// The violations attached by InvalidArgumentWithViolations; empty otherwise.
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STATUS_FIELD_VIOLATIONS_H_
