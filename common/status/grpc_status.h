// The one place that maps absl::Status to grpc::Status. absl status codes are
// the gRPC codes, so the code maps one to one; field violations become a
// google.rpc.BadRequest detail in `grpc-status-details-bin`, which standard
// clients in every language decode.
#ifndef ORGPULSE_COMMON_STATUS_GRPC_STATUS_H_
#define ORGPULSE_COMMON_STATUS_GRPC_STATUS_H_

#include <vector>

#include "absl/status/status.h"
#include "common/status/field_violations.h"
#include "grpcpp/support/status.h"

namespace orgpulse {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The BadRequest violations in a grpc::Status's details; empty if none.
// For clients and tests.
std::vector<FieldViolation> FieldViolationsFromGrpcStatus(
    const grpc::Status& status);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STATUS_GRPC_STATUS_H_
