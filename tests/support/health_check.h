// The gRPC health status of a server, as a client or a load balancer sees
// it, and a bounded wait for a status.
//
// Example:
//   EXPECT_TRUE(WaitForHealth(*channel, HealthCheckResponse::SERVING));
#ifndef ORGPULSE_TESTS_SUPPORT_HEALTH_CHECK_H_
#define ORGPULSE_TESTS_SUPPORT_HEALTH_CHECK_H_

#include <chrono>
#include <memory>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace orgpulse::testing {

// UNKNOWN when the check itself fails (the server is down, 2 s passed).
inline grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(
    grpc::Channel& channel) {
  auto stub = grpc::health::v1::Health::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// Polls every 10 ms until the status is `want`; false after `limit`.
inline bool WaitForHealth(
    grpc::Channel& channel,
    grpc::health::v1::HealthCheckResponse::ServingStatus want,
    std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (HealthOf(channel) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_HEALTH_CHECK_H_
