// Host-and-port addresses as the servers listen on them: parsing, finding
// out why one cannot be bound (before gRPC or civetweb try and say less),
// and waking a listener that only looks for a stop between long waits.
#ifndef ORGPULSE_COMMON_SERVER_LISTEN_ADDRESS_H_
#define ORGPULSE_COMMON_SERVER_LISTEN_ADDRESS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace orgpulse {

struct HostPort {
  std::string host;  // empty: every interface
  std::string port;
};

// "host:port", "[v6]:port" or "port"; nullopt for any other form (such as
// gRPC's "unix:path").
std::optional<HostPort> SplitHostPort(absl::string_view address);

// Why `address` cannot be listened on, found by binding it the way gRPC
// (`reuse_port`) or civetweb would: "Address already in use". Empty if one
// of the addresses it resolves to can be bound, or if it does not resolve or
// is not "host:port" (the listener then says what it can).
std::string WhyCannotBind(absl::string_view address, bool reuse_port);

// Opens and closes a connection to `address` with `port` (a wildcard host
// becomes loopback). civetweb (metrics_endpoint.h) looks for a stop
// only between 2 s waits on its listening socket, or when a connection
// arrives.
void Knock(absl::string_view address, int port);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_LISTEN_ADDRESS_H_
