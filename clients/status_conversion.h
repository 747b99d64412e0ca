// grpc::Status -> absl::Status for the clients' callers: the same code and
// message, and the google.rpc.BadRequest field violations kept (readable
// with GetFieldViolations), so a caller can name every bad field.
#ifndef ORGPULSE_CLIENTS_STATUS_CONVERSION_H_
#define ORGPULSE_CLIENTS_STATUS_CONVERSION_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace orgpulse {

absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace orgpulse

#endif  // ORGPULSE_CLIENTS_STATUS_CONVERSION_H_
