#include "common/server/service_host.h"

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/grpc_server_metrics.h"
#include "common/metrics/process_collector.h"
#include "common/metrics/text_exposition.h"
#include "common/server/listen_address.h"
#include "common/server/message_codec.h"
#include "common/server/metrics_endpoint.h"
#include "grpc/grpc.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"

namespace orgpulse {
namespace {

// Linking gRPC's reflection library registers its plugin for every server
// built in the process; this option takes it out again when not wanted.
class NoReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    std::erase_if(*plugins, [](const auto& plugin) {
      return plugin->name() == "proto_server_reflection";
    });
  }
};

std::string CannotListen(absl::string_view what, absl::string_view address,
                         absl::string_view why) {
  return absl::StrCat("cannot listen for ", what, " on ", address,
                      why.empty() ? "" : ": ", why);
}

}  // namespace

// The calls alive on the server, from their first interceptor to the end of
// the call (status sent, or cancelled): a shutdown waits for none.
class LiveCalls {
 public:
  class Interceptor final : public grpc::experimental::Interceptor {
   public:
    explicit Interceptor(LiveCalls& calls) : calls_(calls) { calls_.Add(1); }
    ~Interceptor() override { calls_.Add(-1); }
    void Intercept(
        grpc::experimental::InterceptorBatchMethods* methods) override {
      methods->Proceed();
    }

   private:
    LiveCalls& calls_;
  };

  class Factory final
      : public grpc::experimental::ServerInterceptorFactoryInterface {
   public:
    explicit Factory(LiveCalls& calls) : calls_(calls) {}
    grpc::experimental::Interceptor* CreateServerInterceptor(
        grpc::experimental::ServerRpcInfo*) override {
      return new Interceptor(calls_);
    }

   private:
    LiveCalls& calls_;
  };

  // Returns once no call is alive, or at `deadline`.
  void AwaitNone(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(
                              +[](int* count) { return *count == 0; }, &count_),
                          deadline);
  }

 private:
  void Add(int delta) {
    absl::MutexLock lock(&mu_);
    count_ += delta;
  }

  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(
    const ServiceHostOptions& options,
    const std::vector<grpc::Service*>& services,
    std::shared_ptr<prometheus::Registry> registry,
    std::vector<std::shared_ptr<MetricCollector>> collectables) {
  if (options.credentials == nullptr) {
    return absl::InvalidArgumentError("no credentials for the gRPC port");
  }
  std::unique_ptr<ServiceHost> host(new ServiceHost());
  host->registry_ = std::move(registry);
  host->collectables_ = std::move(collectables);
  host->collectables_.push_back(std::make_shared<ProcessCollector>());
  host->grpc_metrics_ = std::make_unique<GrpcServerMetrics>(*host->registry_);
  host->live_calls_ = std::make_unique<LiveCalls>();

  InstallDecodeErrorCapture();
  grpc::EnableDefaultHealthCheckService(true);
  if (options.enable_reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  // Checked first, since gRPC says only in a long log line of its own why it
  // cannot listen.
  if (std::string why = WhyCannotBind(options.grpc_address, true);
      !why.empty()) {
    return absl::UnavailableError(
        CannotListen("gRPC", options.grpc_address, why));
  }
  grpc::ServerBuilder builder;
  if (!options.enable_reflection) {
    builder.SetOption(std::make_unique<NoReflection>());
  }
  builder.AddListeningPort(options.grpc_address, options.credentials,
                           &host->grpc_port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options.max_concurrent_streams);
  ApplyAbuseLimits(options.abuse_limits, builder);
  auto interceptors = host->grpc_metrics_->InterceptorFactories();
  interceptors.push_back(
      std::make_unique<LiveCalls::Factory>(*host->live_calls_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  host->server_ = builder.BuildAndStart();
  if (!host->server_ || host->grpc_port_ == 0) {
    return absl::UnavailableError(
        CannotListen("gRPC", options.grpc_address, "see gRPC's log above"));
  }
  host->server_->GetHealthCheckService()->SetServingStatus(false);

  // The registry's few families through prometheus-cpp's serialiser, the
  // collectors' (every team's figures) written directly.
  std::vector<const MetricCollector*> collectors;
  for (const auto& c : host->collectables_) collectors.push_back(c.get());
  MetricsEndpoint::Body body = [registry = host->registry_.get(),
                                collectors = std::move(collectors)] {
    return ExpositionChunks(registry->Collect(), collectors);
  };
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start({.address = options.metrics_address,
                              .tls = options.metrics_tls,
                              .auth = options.metrics_auth},
                             *host->registry_, std::move(body));
  if (absl::IsUnavailable(endpoint.status())) {
    const std::string why = WhyCannotBind(options.metrics_address, false);
    return absl::UnavailableError(
        CannotListen("metrics", options.metrics_address,
                     why.empty() ? endpoint.status().message() : why));
  }
  if (!endpoint.ok()) return endpoint.status();
  host->metrics_endpoint_ = *std::move(endpoint);
  host->metrics_port_ = host->metrics_endpoint_->port();
  return host;
}

ServiceHost::~ServiceHost() { Shutdown(absl::ZeroDuration()); }

void ServiceHost::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

absl::Duration ServiceHost::Shutdown(absl::Duration grace) {
  if (shut_down_) return absl::ZeroDuration();
  shut_down_ = true;
  if (server_ == nullptr) return absl::ZeroDuration();  // Start failed
  const absl::Time start = absl::Now();
  // Shutdown (rather than SetServing(false)) also ends the health service's
  // pending calls; otherwise gRPC 1.51 waits for them until the deadline.
  server_->GetHealthCheckService()->Shutdown();
  // grpc::Server::Shutdown returns once every connection has closed, and an
  // idle client closes its connection only after answering the GOAWAY's
  // ping, which an idle gRPC client does on its backup poll (every 5 s). So
  // new calls are refused and GOAWAYs sent first, the calls in flight get
  // up to `grace`, and then what is left is cancelled and every connection
  // closed at once.
  grpc_completion_queue* notified =
      grpc_completion_queue_create_for_next(nullptr);
  grpc_server_shutdown_and_notify(server_->c_server(), notified, nullptr);
  live_calls_->AwaitNone(start + grace);
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  const absl::Duration drained = absl::Now() - start;
  grpc_completion_queue_shutdown(notified);
  while (grpc_completion_queue_next(notified,
                                    gpr_inf_future(GPR_CLOCK_REALTIME), nullptr)
             .type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(notified);

  metrics_endpoint_.reset();
  return drained;
}

}  // namespace orgpulse
