#include "services/ingest/grpc/ingest_server.h"

#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/metrics/grpc_server_metrics.h"
#include "common/metrics/process_collector.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/grpc/ingest_service.h"
#include "services/ingest/metrics/ingest_collector.h"
#include "services/ingest/store/sqlite_event_store.h"

namespace orgpulse::ingest {

constexpr absl::string_view kComponent = "ingest";

// Linking gRPC's reflection library registers its plugin for every server
// built in the process; this option takes it out again when not wanted.
class NoReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(
      std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const auto& plugin) {
      return plugin->name() == "proto_server_reflection";
    });
  }
};

// Declared in the order they are built; destroyed in reverse.
struct IngestServer::Parts {
  std::unique_ptr<SqliteEventStore> store;
  std::unique_ptr<Ledger> ledger;
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<GrpcServerMetrics> grpc_metrics;
  // The exposer holds collectables by weak_ptr: they live here.
  std::shared_ptr<ProcessCollector> process_collector;
  std::shared_ptr<IngestCollector> ingest_collector;
  std::unique_ptr<IngestService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<prometheus::Exposer> exposer;
  int grpc_port = 0;
  int metrics_port = 0;
  int64_t recovered = 0;
  bool shut_down = false;
};

IngestServer::IngestServer(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)) {}

IngestServer::~IngestServer() { Shutdown(absl::ZeroDuration()); }

int IngestServer::grpc_port() const { return parts_->grpc_port; }
int IngestServer::metrics_port() const { return parts_->metrics_port; }
int64_t IngestServer::recovered_events() const { return parts_->recovered; }

absl::StatusOr<std::unique_ptr<IngestServer>> IngestServer::Start(
    const IngestServerOptions& options, const Clock& clock) {
  auto p = std::make_unique<Parts>();
  const absl::Time start = absl::Now();

  SqliteEventStoreOptions store_options;
  store_options.synchronous = options.synchronous;
  store_options.max_bytes = options.max_store_bytes;
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(options.data_dir, store_options);
  if (!store.ok()) return store.status();
  p->store = *std::move(store);

  p->registry = std::make_shared<prometheus::Registry>();
  prometheus::Histogram& commit_seconds =
      prometheus::BuildHistogram()
          .Name("orgpulse_store_commit_seconds")
          .Help("Time to make a group of events durable in the event store.")
          .Register(*p->registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{
                       0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                       0.2, 0.5, 1, 2});
  p->ledger = std::make_unique<Ledger>(
      *p->store, clock, LedgerOptions{.max_teams = options.max_teams});
  p->ledger->set_commit_observer(
      [&commit_seconds](absl::Duration d, size_t) {
        commit_seconds.Observe(absl::ToDoubleSeconds(d));
      });
  if (absl::Status s = p->ledger->Recover(); !s.ok()) return s;
  p->recovered = p->ledger->stats().stored_events;
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("recovered ", p->recovered, " events of ",
                   p->ledger->stats().teams, " teams from ", options.data_dir,
                   " in ", absl::FormatDuration(absl::Now() - start)));

  p->grpc_metrics = std::make_unique<GrpcServerMetrics>(*p->registry);
  p->service = std::make_unique<IngestService>(*p->ledger);

  grpc::EnableDefaultHealthCheckService(true);
  if (options.enable_reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  if (!options.enable_reflection) builder.SetOption(std::make_unique<NoReflection>());
  builder.AddListeningPort(options.grpc_address,
                           grpc::InsecureServerCredentials(), &p->grpc_port);
  builder.RegisterService(p->service.get());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options.max_concurrent_streams);
  builder.experimental().SetInterceptorCreators(
      p->grpc_metrics->InterceptorFactories());
  p->server = builder.BuildAndStart();
  if (!p->server || p->grpc_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options.grpc_address));
  }

  try {
    p->exposer = std::make_unique<prometheus::Exposer>(options.metrics_address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for metrics on ", options.metrics_address, ": ", e.what()));
  }
  p->exposer->RegisterCollectable(p->registry);
  p->process_collector = std::make_shared<ProcessCollector>();
  p->ingest_collector = std::make_shared<IngestCollector>(*p->ledger);
  p->exposer->RegisterCollectable(p->process_collector);
  p->exposer->RegisterCollectable(p->ingest_collector);
  p->metrics_port = p->exposer->GetListeningPorts().front();

  p->server->GetHealthCheckService()->SetServingStatus(true);
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("serving grpc_port=", p->grpc_port,
                   " metrics_port=", p->metrics_port,
                   " reflection=", options.enable_reflection ? "on" : "off"));
  return std::unique_ptr<IngestServer>(new IngestServer(std::move(p)));
}

void IngestServer::Shutdown(absl::Duration grace) {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.shut_down = true;
  const absl::Time start = absl::Now();
  p.server->GetHealthCheckService()->SetServingStatus(false);
  p.server->Shutdown(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(grace));
  p.server->Wait();
  const absl::Duration drained = absl::Now() - start;
  p.ledger->Stop();
  p.exposer.reset();
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("stopped; calls drained in ", absl::FormatDuration(drained),
                   ", ", p.ledger->stats().stored_events, " events stored, in ",
                   absl::FormatDuration(absl::Now() - start)));
}

}  // namespace orgpulse::ingest
