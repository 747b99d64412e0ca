// Calls to a running ingest service that the integration tests share: a
// push with a deadline, and every node's figures once the service holds a
// log position (all pages of ListTeamExecutions), to compare replicas.
//
// Example:
//   v1::PushResponse response;
//   ASSERT_TRUE(Push(*stub, request, &response).ok());
//   EXPECT_EQ(AllFigures(*b, response.log_position()), AllFigures(*a, 0));
#ifndef ORGPULSE_TESTS_SUPPORT_INGEST_CALLS_H_
#define ORGPULSE_TESTS_SUPPORT_INGEST_CALLS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"

namespace orgpulse::testing {

// A push within 10 s.
inline grpc::Status Push(ingest::v1::IngestService::Stub& stub,
                         const ingest::v1::PushRequest& request,
                         ingest::v1::PushResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return stub.Push(&context, request, response);
}

// Every node's figures, serialized, in the service's order; a failed page
// fails the test and ends the list.
inline std::vector<std::string> AllFigures(
    ingest::v1::IngestService::Stub& stub, int64_t position) {
  std::vector<std::string> out;
  std::string token;
  do {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    ingest::v1::ListTeamExecutionsRequest request;
    request.set_page_size(3);
    request.set_page_token(token);
    request.set_min_log_position(position);
    ingest::v1::ListTeamExecutionsResponse page;
    grpc::Status s = stub.ListTeamExecutions(&context, request, &page);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    for (const ingest::v1::TeamExecution& f : page.executions()) {
      out.push_back(f.SerializeAsString());
    }
    token = page.next_page_token();
  } while (!token.empty());
  return out;
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_INGEST_CALLS_H_
