#include "common/server/server_options.h"

#include "absl/strings/str_cat.h"

namespace orgpulse {

absl::Status ValidateServerOptions(const ServerOptions& options) {
  if (options.grpc_address.empty()) {
    return absl::InvalidArgumentError("--grpc_address is empty");
  }
  if (options.metrics_address.empty()) {
    return absl::InvalidArgumentError("--metrics_address is empty");
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir is empty");
  }
  if (options.max_message_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes must be at least 1, not ",
                     options.max_message_bytes));
  }
  if (options.max_concurrent_streams < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_concurrent_streams must be at least 1, not ",
                     options.max_concurrent_streams));
  }
  return absl::OkStatus();
}

}  // namespace orgpulse
