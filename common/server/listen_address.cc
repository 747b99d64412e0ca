#include "common/server/listen_address.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace orgpulse {

std::optional<HostPort> SplitHostPort(absl::string_view address) {
  HostPort out;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find("]:");
    if (close == absl::string_view::npos) return std::nullopt;
    out.host = std::string(address.substr(1, close - 1));
    out.port = std::string(address.substr(close + 2));
  } else if (const size_t colon = address.rfind(':');
             colon != absl::string_view::npos) {
    out.host = std::string(address.substr(0, colon));
    out.port = std::string(address.substr(colon + 1));
  } else {
    out.port = std::string(address);
  }
  int port = 0;
  if (!absl::SimpleAtoi(out.port, &port)) return std::nullopt;
  return out;
}

std::string WhyCannotBind(absl::string_view address, bool reuse_port) {
  std::optional<HostPort> host_port = SplitHostPort(address);
  if (!host_port) return "";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host_port->host.empty() ? nullptr : host_port->host.c_str(),
                  host_port->port.c_str(), &hints, &found) != 0) {
    return "";
  }
  std::string why;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, 0);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    const bool bound = bind(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!bound && why.empty()) why = std::strerror(errno);
    close(fd);
    if (bound) {
      why.clear();
      break;
    }
  }
  freeaddrinfo(found);
  return why;
}

void Knock(absl::string_view address, int port) {
  std::optional<HostPort> host_port = SplitHostPort(address);
  if (!host_port) return;
  std::string host = host_port->host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) !=
      0) {
    return;
  }
  const int fd = socket(found->ai_family, found->ai_socktype, 0);
  if (fd >= 0) {
    connect(fd, found->ai_addr, found->ai_addrlen);
    close(fd);
  }
  freeaddrinfo(found);
}

}  // namespace orgpulse
