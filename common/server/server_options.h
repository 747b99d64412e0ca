// What every orgpulse server is configured with, whichever service it is:
// where it listens, its store's directory and durability, message and stream
// bounds, and how its port is protected. Each service's options extend it.
#ifndef ORGPULSE_COMMON_SERVER_SERVER_OPTIONS_H_
#define ORGPULSE_COMMON_SERVER_SERVER_OPTIONS_H_

#include <string>

#include "absl/status/status.h"
#include "common/auth/call_authorizer.h"
#include "common/server/metrics_tls.h"
#include "common/server/transport_security.h"
#include "common/storage/sync_mode.h"

namespace orgpulse {

struct ServerOptions {
  std::string grpc_address = "127.0.0.1:0";  // port 0: pick a free one
  std::string metrics_address = "127.0.0.1:0";
  std::string data_dir;
  int max_message_bytes = 4 << 20;
  int max_concurrent_streams = 100;
  bool enable_reflection = false;
  SyncMode synchronous = SyncMode::kFull;
  // Start even if the write-ahead log is damaged before complete commits,
  // dropping them (logged, a copy kept); see docs/storage-faults.md.
  bool discard_damaged_wal = false;
  TransportSecurity transport;
  AuthOptions auth;
  // When set, /metrics asks for HTTP basic auth against this file of users
  // and password digests (see metrics_basic_auth.h).
  std::string metrics_basic_auth_file;
  // When set, /metrics is served over TLS only (see metrics_tls.h).
  MetricsTls metrics_tls;
};

// INVALID_ARGUMENT naming the flag when a shared option is out of range (an
// empty address or data directory, a message or stream bound below 1).
absl::Status ValidateServerOptions(const ServerOptions& options);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SERVER_OPTIONS_H_
