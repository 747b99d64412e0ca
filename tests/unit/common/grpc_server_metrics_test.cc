// GrpcServerMetrics through its registry's Collect(), over an in-process
// server: the go-grpc-prometheus families, their labels, and counts for a
// known set of calls. The server is a generic callback service, so the test
// needs no proto of its own; gRPC types every generic method "bidi_stream".
#include "common/metrics/grpc_server_metrics.h"

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/support/metric_families.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::Counter;
using ::orgpulse::testing::FamilyShapes;
using ::orgpulse::testing::FindSample;
using ::orgpulse::testing::Labels;
using ::orgpulse::testing::ShapesOf;

// Method "Echo" answers its request back; "Fail" reads it and answers
// NOT_FOUND without a message.
class TestService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(bool echo) : echo_(echo) { StartRead(&message_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status::OK);
        } else if (echo_) {
          StartWriteAndFinish(&message_, {}, grpc::Status::OK);
        } else {
          Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such thing"));
        }
      }
      void OnDone() override { delete this; }

     private:
      const bool echo_;
      grpc::ByteBuffer message_;
    };
    return new Reactor(context->method() == "/orgpulse.test.Test/Echo");
  }
};

class GrpcServerMetricsTest : public ::testing::Test {
 protected:
  GrpcServerMetricsTest() : metrics_(registry_) {
    grpc::ServerBuilder builder;
    builder.experimental().SetInterceptorCreators(
        metrics_.InterceptorFactories());
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    stub_ = std::make_unique<grpc::GenericStub>(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  ~GrpcServerMetricsTest() override { server_->Shutdown(); }

  grpc::Status Call(const std::string& method) {
    grpc::ClientContext context;
    const std::string text = "hello";
    grpc::Slice slice(text);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub_->UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  prometheus::Registry registry_;
  GrpcServerMetrics metrics_;
  TestService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

Labels Method(const std::string& method) {
  return {{"grpc_service", "orgpulse.test.Test"},
          {"grpc_method", method},
          {"grpc_type", "bidi_stream"}};
}
Labels WithCode(Labels labels, const std::string& code) {
  labels["grpc_code"] = code;
  return labels;
}

TEST_F(GrpcServerMetricsTest, CountsCallsMessagesAndCodesPerMethod) {
  ASSERT_TRUE(Call("/orgpulse.test.Test/Echo").ok());
  ASSERT_TRUE(Call("/orgpulse.test.Test/Echo").ok());
  ASSERT_EQ(Call("/orgpulse.test.Test/Fail").error_code(),
            grpc::StatusCode::NOT_FOUND);

  const std::vector<prometheus::MetricFamily> f = registry_.Collect();
  using T = prometheus::MetricType;
  const std::set<std::string> labels = {"grpc_service", "grpc_method",
                                        "grpc_type"};
  std::set<std::string> with_code = labels;
  with_code.insert("grpc_code");
  EXPECT_EQ(ShapesOf(f),
            (FamilyShapes{
                {"grpc_server_started_total", {T::Counter, labels}},
                {"grpc_server_handled_total", {T::Counter, with_code}},
                {"grpc_server_msg_received_total", {T::Counter, labels}},
                {"grpc_server_msg_sent_total", {T::Counter, labels}},
                {"grpc_server_handling_seconds", {T::Histogram, labels}},
            }));

  EXPECT_EQ(Counter(f, "grpc_server_started_total", Method("Echo")), 2);
  EXPECT_EQ(Counter(f, "grpc_server_started_total", Method("Fail")), 1);
  EXPECT_EQ(
      Counter(f, "grpc_server_handled_total", WithCode(Method("Echo"), "OK")),
      2);
  EXPECT_EQ(Counter(f, "grpc_server_handled_total",
                    WithCode(Method("Fail"), "NOT_FOUND")),
            1);
  EXPECT_FALSE(FindSample(f, "grpc_server_handled_total",
                          WithCode(Method("Fail"), "OK")));
  EXPECT_EQ(Counter(f, "grpc_server_msg_received_total", Method("Echo")), 2);
  EXPECT_EQ(Counter(f, "grpc_server_msg_sent_total", Method("Echo")), 2);
  EXPECT_EQ(Counter(f, "grpc_server_msg_received_total", Method("Fail")), 1);
  EXPECT_EQ(Counter(f, "grpc_server_msg_sent_total", Method("Fail")), 0);

  std::optional<prometheus::ClientMetric> echo =
      FindSample(f, "grpc_server_handling_seconds", Method("Echo"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->histogram.sample_count, 2u);
  EXPECT_GE(echo->histogram.sample_sum, 0);
  ASSERT_FALSE(echo->histogram.bucket.empty());
  EXPECT_EQ(echo->histogram.bucket.back().cumulative_count, 2u);
}

TEST(StatusCodeNameTest, NamesEveryCodeCanonically) {
  const std::vector<std::string> names = {"OK",
                                          "CANCELLED",
                                          "UNKNOWN",
                                          "INVALID_ARGUMENT",
                                          "DEADLINE_EXCEEDED",
                                          "NOT_FOUND",
                                          "ALREADY_EXISTS",
                                          "PERMISSION_DENIED",
                                          "RESOURCE_EXHAUSTED",
                                          "FAILED_PRECONDITION",
                                          "ABORTED",
                                          "OUT_OF_RANGE",
                                          "UNIMPLEMENTED",
                                          "INTERNAL",
                                          "UNAVAILABLE",
                                          "DATA_LOSS",
                                          "UNAUTHENTICATED"};
  for (int code = 0; code < static_cast<int>(names.size()); ++code) {
    EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(code)), names[code]);
  }
  EXPECT_STREQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace orgpulse
