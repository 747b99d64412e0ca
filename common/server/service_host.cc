#include "common/server/service_host.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/metrics/grpc_server_metrics.h"
#include "common/metrics/process_collector.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "prometheus/exposer.h"

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

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(
    const ServiceHostOptions& options,
    const std::vector<grpc::Service*>& services,
    std::shared_ptr<prometheus::Registry> registry,
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  if (options.credentials == nullptr) {
    return absl::InvalidArgumentError("no credentials for the gRPC port");
  }
  std::unique_ptr<ServiceHost> host(new ServiceHost());
  host->registry_ = std::move(registry);
  host->collectables_ = std::move(collectables);
  host->collectables_.push_back(std::make_shared<ProcessCollector>());
  host->grpc_metrics_ = std::make_unique<GrpcServerMetrics>(*host->registry_);

  grpc::EnableDefaultHealthCheckService(true);
  if (options.enable_reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
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
  builder.experimental().SetInterceptorCreators(
      host->grpc_metrics_->InterceptorFactories());
  host->server_ = builder.BuildAndStart();
  if (!host->server_ || host->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options.grpc_address));
  }
  host->server_->GetHealthCheckService()->SetServingStatus(false);

  try {
    host->exposer_ =
        std::make_unique<prometheus::Exposer>(options.metrics_address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ",
                                               options.metrics_address, ": ",
                                               e.what()));
  }
  // The exposer holds collectables by weak_ptr; this host keeps them alive.
  host->exposer_->RegisterCollectable(host->registry_);
  for (const auto& c : host->collectables_)
    host->exposer_->RegisterCollectable(c);
  host->metrics_port_ = host->exposer_->GetListeningPorts().front();
  return host;
}

ServiceHost::~ServiceHost() { Shutdown(absl::ZeroDuration()); }

void ServiceHost::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

absl::Duration ServiceHost::Shutdown(absl::Duration grace) {
  if (shut_down_) return absl::ZeroDuration();
  shut_down_ = true;
  const absl::Time start = absl::Now();
  // Shutdown (rather than SetServing(false)) also ends the health service's
  // pending calls; otherwise gRPC 1.51 waits for them until the deadline.
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  server_->Wait();
  const absl::Duration drained = absl::Now() - start;
  exposer_.reset();
  return drained;
}

}  // namespace orgpulse
