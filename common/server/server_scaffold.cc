#include "common/server/server_scaffold.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/metrics/store_collector.h"
#include "common/server/metrics_basic_auth.h"
#include "common/server/server_security.h"
#include "common/server/service_host.h"

namespace orgpulse {

ServerScaffold::ServerScaffold(std::string component,
                               const ServerOptions& options)
    : component_(std::move(component)), options_(options) {}

absl::StatusOr<std::unique_ptr<ServerScaffold>> ServerScaffold::Prepare(
    absl::string_view component, const ServerOptions& options) {
  if (absl::Status s = ValidateServerOptions(options); !s.ok()) return s;
  std::unique_ptr<ServerScaffold> scaffold(
      new ServerScaffold(std::string(component), options));
  scaffold->registry_ = std::make_shared<prometheus::Registry>();
  absl::StatusOr<ServerSecurity> security = PrepareServerSecurity(
      options.transport, options.auth, *scaffold->registry_);
  if (!security.ok()) return security.status();
  scaffold->credentials_ = std::move(security->credentials);
  scaffold->authorizer_ = std::move(security->authorizer);
  scaffold->security_description_ = std::move(security->description);
  if (absl::Status s = CheckMetricsTls(options.metrics_tls); !s.ok()) {
    return s;
  }
  if (!options.metrics_basic_auth_file.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsBasicAuth>> auth =
        MetricsBasicAuth::FromFile(options.metrics_basic_auth_file);
    if (!auth.ok()) return auth.status();
    scaffold->metrics_auth_ = *std::move(auth);
  }
  return scaffold;
}

ServerScaffold::~ServerScaffold() = default;

absl::Status ServerScaffold::Serve(
    const std::vector<grpc::Service*>& services,
    std::vector<std::shared_ptr<MetricCollector>> collectables,
    StoreHealth& store, absl::string_view details) {
  collectables.push_back(
      std::make_shared<StoreCollector>([&store] { return store.writable(); }));
  std::function<bool(const std::string&, const std::string&)> metrics_auth;
  if (metrics_auth_ != nullptr) {
    metrics_auth =
        std::bind_front(&MetricsBasicAuth::Check, metrics_auth_.get());
  }
  absl::StatusOr<std::unique_ptr<ServiceHost>> host = ServiceHost::Start(
      {.grpc_address = options_.grpc_address,
       .metrics_address = options_.metrics_address,
       .max_message_bytes = options_.max_message_bytes,
       .max_concurrent_streams = options_.max_concurrent_streams,
       .enable_reflection = options_.enable_reflection,
       .credentials = credentials_,
       .metrics_tls = options_.metrics_tls,
       .metrics_auth = std::move(metrics_auth)},
      services, registry_, std::move(collectables));
  if (!host.ok()) return host.status();
  host_ = *std::move(host);
  store_ = &store;
  // SERVING while the store takes writes (now, and whenever space returns).
  store.SetWritableObserver(
      [h = host_.get()](bool writable) { h->SetServing(writable); });
  Log(LogLevel::kInfo, component_,
      absl::StrCat(
          "serving grpc_port=", host_->grpc_port(),
          " metrics_port=", host_->metrics_port(), " ", security_description_,
          " metrics_auth=", metrics_auth_ == nullptr ? "off" : "basic",
          " metrics_tls=", options_.metrics_tls.enabled() ? "on" : "off",
          " reflection=", options_.enable_reflection ? "on" : "off", details));
  return absl::OkStatus();
}

absl::Status ServerScaffold::ReloadTokens() {
  absl::Status tokens = authorizer_->Reload();
  absl::Status metrics =
      metrics_auth_ == nullptr ? absl::OkStatus() : metrics_auth_->Reload();
  return tokens.ok() ? metrics : tokens;
}

int ServerScaffold::grpc_port() const { return host_->grpc_port(); }
int ServerScaffold::metrics_port() const { return host_->metrics_port(); }

void ServerScaffold::Shutdown(absl::Duration grace,
                              absl::FunctionRef<void()> before_drain,
                              absl::FunctionRef<std::string()> stop_domain) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time start = absl::Now();
  absl::Duration drained = absl::ZeroDuration();
  if (host_ != nullptr) {
    store_->SetWritableObserver(nullptr);
    before_drain();
    drained = host_->Shutdown(grace);
  }
  const std::string summary = stop_domain();
  Log(LogLevel::kInfo, component_,
      absl::StrCat("stopped; calls drained in ", absl::FormatDuration(drained),
                   ", ", summary, ", in ",
                   absl::FormatDuration(absl::Now() - start)));
}

}  // namespace orgpulse
