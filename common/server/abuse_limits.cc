#include "common/server/abuse_limits.h"

#include <algorithm>
#include <limits>

#include "grpcpp/resource_quota.h"

namespace orgpulse {
namespace {

int Milliseconds(absl::Duration d) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 0,
                                              std::numeric_limits<int>::max()));
}

}  // namespace

void ApplyAbuseLimits(const AbuseLimits& limits, grpc::ServerBuilder& builder) {
  // The builder keeps its own reference to the quota.
  grpc::ResourceQuota quota("orgpulse-server");
  quota.Resize(static_cast<size_t>(limits.memory_quota_bytes));
  quota.SetMaxThreads(limits.max_threads);
  builder.SetResourceQuota(quota);

  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Milliseconds(limits.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                             limits.max_ping_strikes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                             limits.permit_pings_without_calls ? 1 : 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Milliseconds(limits.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Milliseconds(limits.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Milliseconds(limits.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Milliseconds(limits.handshake_timeout));
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE,
                             limits.max_metadata_bytes);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_HPACK_TABLE_SIZE_DECODER,
                             limits.hpack_decoder_table_bytes);
}

}  // namespace orgpulse
