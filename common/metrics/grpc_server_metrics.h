// gRPC server metrics under the names users of go-grpc-prometheus know:
// grpc_server_started_total, grpc_server_handled_total (with grpc_code),
// grpc_server_msg_received_total, grpc_server_msg_sent_total and the
// grpc_server_handling_seconds histogram, all labelled grpc_service,
// grpc_method and grpc_type. Recorded by a server interceptor, so services
// need no code of their own.
//
// Example:
//   GrpcServerMetrics metrics(*registry);
//   builder.experimental().SetInterceptorCreators(metrics.InterceptorFactories());
#ifndef ORGPULSE_COMMON_METRICS_GRPC_SERVER_METRICS_H_
#define ORGPULSE_COMMON_METRICS_GRPC_SERVER_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace orgpulse {

class GrpcServerMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // A factory list for ServerBuilder::experimental().SetInterceptorCreators.
  // The factories refer to this object, which must outlive the server.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  InterceptorFactories();

  // One RPC's series, resolved once when the call starts.
  struct MethodSeries {
    prometheus::Counter* started;
    prometheus::Counter* received;
    prometheus::Counter* sent;
    prometheus::Histogram* handling_seconds;
    std::string service, method, type;
  };
  MethodSeries& SeriesFor(const std::string& full_method, const char* type);
  prometheus::Counter& Handled(const MethodSeries& series,
                               grpc::StatusCode code);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;

  // Family::Add is slow and locks against scrapes, so children are looked up
  // once per (method) and (method, code) and cached here.
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> methods_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<const MethodSeries*, int>, prometheus::Counter*>
      handled_cache_ ABSL_GUARDED_BY(mu_);
};

// The canonical upper-case name of a gRPC status code ("INVALID_ARGUMENT").
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_METRICS_GRPC_SERVER_METRICS_H_
