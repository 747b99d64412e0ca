// The one place that maps absl::Status to grpc::Status and back. absl status
// codes are the gRPC codes, so the code maps one to one; field violations
// become a google.rpc.BadRequest detail in `grpc-status-details-bin`, which
// standard clients in every language decode, and are read back from it.
//
// Example:
//   return ToGrpcStatus(engine.Push(batch));             // a service
//   if (!s.ok()) return FromGrpcStatus(s);               // a client
//   GetFieldViolations(FromGrpcStatus(s));               // every bad field
#ifndef ORGPULSE_COMMON_STATUS_GRPC_STATUS_H_
#define ORGPULSE_COMMON_STATUS_GRPC_STATUS_H_

#include <vector>

#include "absl/status/status.h"
#include "common/status/field_violations.h"
#include "grpcpp/support/status.h"

namespace orgpulse {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The same code and message, with the BadRequest field violations of an
// INVALID_ARGUMENT kept (readable with GetFieldViolations), so a client's
// caller can name every bad field.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The BadRequest violations in a grpc::Status's details; empty if none.
// For clients and tests.
std::vector<FieldViolation> FieldViolationsFromGrpcStatus(
    const grpc::Status& status);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STATUS_GRPC_STATUS_H_
