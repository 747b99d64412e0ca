#include "clients/status_conversion.h"

#include <vector>

#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"

namespace orgpulse {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const std::vector<FieldViolation> violations =
      FieldViolationsFromGrpcStatus(status);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
      !violations.empty()) {
    return InvalidArgumentWithViolations(status.error_message(), violations);
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace orgpulse
