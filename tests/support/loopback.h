// Loopback sockets for tests: a port held so that nothing else can listen on
// it, and a plain HTTP/1.0 GET (no curl process per request: some tests
// scrape /metrics after every submission, as Prometheus would).
//
// Example:
//   TakenPort taken;                    // 127.0.0.1:N, listened on
//   options.grpc_address = taken.address();
//   std::string response = HttpGet(metrics_port, "/metrics");
#ifndef ORGPULSE_TESTS_SUPPORT_LOOPBACK_H_
#define ORGPULSE_TESTS_SUPPORT_LOOPBACK_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace orgpulse::testing {

// A loopback TCP port that this object listens on (so no one else can).
class TakenPort {
 public:
  TakenPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(fd_, 1) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot take a port";
    }
    port_ = ntohs(address.sin_port);
  }
  ~TakenPort() {
    if (fd_ >= 0) close(fd_);
  }
  TakenPort(const TakenPort&) = delete;
  TakenPort& operator=(const TakenPort&) = delete;

  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// The whole response to `GET path HTTP/1.0` on 127.0.0.1:port, with
// `headers` ("Name: value\r\n" each) added; "" when nothing answered.
inline std::string HttpGet(int port, const std::string& path,
                           const std::string& headers = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = absl::StrCat(
        "GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n", headers, "\r\n");
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  return response;
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_LOOPBACK_H_
