// Limits that keep a gRPC server serving well-behaved clients while others
// misbehave: HTTP/2 rapid reset, ping floods, HPACK bloat, idle or silent
// connections, and memory exhaustion. gRPC 1.51 (Debian 12) predates core's
// own rapid-reset and HPACK fixes (1.56-1.60), so these are set explicitly
// here rather than left to defaults. docs/hardening.md gives the reasoning
// and the measurements behind each value.
//
// Message sizes and concurrent streams per connection are ServiceHostOptions
// fields (they have flags); everything here ships with its default.
//
// Example:
//   grpc::ServerBuilder builder;
//   ApplyAbuseLimits(AbuseLimits{}, builder);
#ifndef ORGPULSE_COMMON_SERVER_ABUSE_LIMITS_H_
#define ORGPULSE_COMMON_SERVER_ABUSE_LIMITS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "grpcpp/server_builder.h"

namespace orgpulse {

struct AbuseLimits {
  // Memory gRPC core may use for connections, call arenas and read buffers
  // across all connections. Under pressure core shrinks read buffers and
  // closes idle connections with GOAWAY, then cancels streams. It does not
  // refuse new streams, so it cannot stop the rapid-reset pile-up of calls
  // (docs/hardening.md).
  int64_t memory_quota_bytes = int64_t{256} << 20;
  // Threads of gRPC's synchronous server. Both services use the callback
  // API only, so this caps a pool they do not use today; it keeps a future
  // synchronous handler from turning a flood of calls into threads.
  int max_threads = 16;

  // A client may ping at most this often while it has calls ...
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // ... and not at all (more often than every 2 hours, gRPC's rule) on a
  // connection without calls. More bad pings than this: GOAWAY
  // ENHANCE_YOUR_CALM "too_many_pings", connection closed.
  int max_ping_strikes = 2;
  bool permit_pings_without_calls = false;

  // The server pings each client this long after the last read, and drops
  // the connection if no answer comes within the timeout: dead peers do not
  // hold connections and their buffers.
  absl::Duration keepalive_time = absl::Minutes(2);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // A connection without calls for this long gets GOAWAY: idle connections
  // (a parked attacker or a forgotten client) are reclaimed.
  absl::Duration max_connection_idle = absl::Minutes(10);
  // A client must complete the HTTP/2 preface and SETTINGS this quickly, or
  // its connection is closed (slowloris).
  absl::Duration handshake_timeout = absl::Seconds(10);

  // Bounds on request headers: total decoded metadata per call (gRPC's
  // soft default, made explicit) and the HPACK dynamic table the client may
  // make us keep (RFC 7541's default).
  int max_metadata_bytes = 8 << 10;
  int hpack_decoder_table_bytes = 4 << 10;
};

// Sets the resource quota and channel arguments of `limits` on `builder`.
void ApplyAbuseLimits(const AbuseLimits& limits, grpc::ServerBuilder& builder);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_ABUSE_LIMITS_H_
