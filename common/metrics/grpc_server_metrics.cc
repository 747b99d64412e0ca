#include "common/metrics/grpc_server_metrics.h"

#include <chrono>

#include "absl/strings/string_view.h"

namespace orgpulse {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unary";
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics& metrics, ServerRpcInfo* info)
      : metrics_(metrics),
        series_(metrics.SeriesFor(info->method(), TypeName(info->type()))),
        start_(std::chrono::steady_clock::now()) {
    series_.started->Increment();
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      series_.received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      series_.sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::chrono::duration<double> elapsed =
          std::chrono::steady_clock::now() - start_;
      metrics_.Handled(series_, methods->GetSendStatus().error_code())
          .Increment();
      series_.handling_seconds->Observe(elapsed.count());
    }
    methods->Proceed();
  }

 private:
  GrpcServerMetrics& metrics_;
  GrpcServerMetrics::MethodSeries& series_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics& metrics)
      : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  GrpcServerMetrics& metrics_;
};

}  // namespace

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, "
                         "regardless of success or failure.")
                   .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_received_total")
                    .Help("Total number of RPC stream messages received on "
                          "the server.")
                    .Register(registry)),
      sent_(prometheus::BuildCounter()
                .Name("grpc_server_msg_sent_total")
                .Help("Total number of gRPC stream messages sent by the "
                      "server.")
                .Register(registry)),
      handling_seconds_(
          prometheus::BuildHistogram()
              .Name("grpc_server_handling_seconds")
              .Help("Histogram of response latency (seconds) of gRPC that "
                    "had been application-level handled by the server.")
              .Register(registry)) {}

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
GrpcServerMetrics::InterceptorFactories() {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      out;
  out.push_back(std::make_unique<MetricsInterceptorFactory>(*this));
  return out;
}

GrpcServerMetrics::MethodSeries& GrpcServerMetrics::SeriesFor(
    const std::string& full_method, const char* type) {
  absl::MutexLock lock(&mu_);
  auto it = methods_.find(full_method);
  if (it != methods_.end()) return *it->second;
  // "/pkg.Service/Method"
  absl::string_view name = full_method;
  if (!name.empty() && name[0] == '/') name.remove_prefix(1);
  const size_t slash = name.find('/');
  std::string service(name.substr(0, slash));
  std::string method(slash == absl::string_view::npos ? ""
                                                      : name.substr(slash + 1));
  const prometheus::Labels labels{
      {"grpc_service", service}, {"grpc_method", method}, {"grpc_type", type}};
  auto series = std::make_unique<MethodSeries>(MethodSeries{
      &started_.Add(labels), &received_.Add(labels), &sent_.Add(labels),
      &handling_seconds_.Add(labels,
                             prometheus::Histogram::BucketBoundaries{
                                 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      service, method, type});
  return *methods_.emplace(full_method, std::move(series)).first->second;
}

prometheus::Counter& GrpcServerMetrics::Handled(const MethodSeries& series,
                                                grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  auto key = std::make_pair(&series, static_cast<int>(code));
  auto it = handled_cache_.find(key);
  if (it != handled_cache_.end()) return *it->second;
  prometheus::Counter& counter =
      handled_.Add({{"grpc_service", series.service},
                    {"grpc_method", series.method},
                    {"grpc_type", series.type},
                    {"grpc_code", StatusCodeName(code)}});
  handled_cache_.emplace(key, &counter);
  return counter;
}

}  // namespace orgpulse
