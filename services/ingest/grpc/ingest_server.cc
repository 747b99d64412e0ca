#include "services/ingest/grpc/ingest_server.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/metrics/store_collector.h"
#include "common/server/server_security.h"
#include "common/server/service_host.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/grpc/ingest_service.h"
#include "services/ingest/metrics/ingest_collector.h"
#include "services/ingest/store/sqlite_event_store.h"

namespace orgpulse::ingest {

constexpr absl::string_view kComponent = "ingest";

// Declared in the order they are built; destroyed in reverse.
struct IngestServer::Parts {
  std::unique_ptr<SqliteEventStore> store;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<CallAuthorizer> authorizer;
  std::unique_ptr<IngestService> service;
  std::unique_ptr<ServiceHost> host;
  int64_t recovered = 0;
  bool shut_down = false;
};

IngestServer::IngestServer(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)) {}

IngestServer::~IngestServer() { Shutdown(absl::ZeroDuration()); }

int IngestServer::grpc_port() const { return parts_->host->grpc_port(); }
int IngestServer::metrics_port() const { return parts_->host->metrics_port(); }
int64_t IngestServer::recovered_events() const { return parts_->recovered; }

absl::Status IngestServer::ReloadTokens() {
  return parts_->authorizer->Reload();
}

absl::StatusOr<std::unique_ptr<IngestServer>> IngestServer::Start(
    const IngestServerOptions& options, const Clock& clock) {
  auto p = std::make_unique<Parts>();
  const absl::Time start = absl::Now();
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<ServerSecurity> security =
      PrepareServerSecurity(options.transport, options.auth, *registry);
  if (!security.ok()) return security.status();
  p->authorizer = std::move(security->authorizer);

  SqliteEventStoreOptions store_options;
  store_options.synchronous = options.synchronous;
  store_options.max_bytes = options.max_store_bytes;
  store_options.discard_damaged_wal = options.discard_damaged_wal;
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(options.data_dir, store_options);
  if (!store.ok()) return store.status();
  p->store = *std::move(store);

  prometheus::Histogram& commit_seconds =
      prometheus::BuildHistogram()
          .Name("orgpulse_store_commit_seconds")
          .Help("Time to make a group of events durable in the event store.")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{
                       0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
                       0.5, 1, 2});
  p->ledger = std::make_unique<Ledger>(
      *p->store, clock, LedgerOptions{.max_teams = options.max_teams});
  p->ledger->set_commit_observer([&commit_seconds](absl::Duration d, size_t) {
    commit_seconds.Observe(absl::ToDoubleSeconds(d));
  });
  if (absl::Status s = p->ledger->Recover(); !s.ok()) return s;
  p->recovered = p->ledger->stats().stored_events;
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("recovered ", p->recovered, " events of ",
                   p->ledger->stats().teams, " teams from ", options.data_dir,
                   " in ", absl::FormatDuration(absl::Now() - start)));

  p->service = std::make_unique<IngestService>(*p->ledger, *p->authorizer);
  absl::StatusOr<std::unique_ptr<ServiceHost>> host = ServiceHost::Start(
      {.grpc_address = options.grpc_address,
       .metrics_address = options.metrics_address,
       .max_message_bytes = options.max_message_bytes,
       .max_concurrent_streams = options.max_concurrent_streams,
       .enable_reflection = options.enable_reflection,
       .credentials = security->credentials},
      {p->service.get()}, registry,
      {std::make_shared<IngestCollector>(*p->ledger),
       std::make_shared<StoreCollector>(
           [s = p->store.get()] { return s->log().writable(); })});
  if (!host.ok()) return host.status();
  p->host = *std::move(host);
  // SERVING while the store takes writes (now, and whenever space returns).
  p->store->log().SetWritableObserver(
      [h = p->host.get()](bool writable) { h->SetServing(writable); });
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("serving grpc_port=", p->host->grpc_port(),
                   " metrics_port=", p->host->metrics_port(),
                   " ", security->description,
                   " reflection=", options.enable_reflection ? "on" : "off"));
  return std::unique_ptr<IngestServer>(new IngestServer(std::move(p)));
}

void IngestServer::Shutdown(absl::Duration grace) {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.shut_down = true;
  const absl::Time start = absl::Now();
  p.store->log().SetWritableObserver(nullptr);
  p.service->StartDraining();
  const absl::Duration drained = p.host->Shutdown(grace);
  p.ledger->Stop();
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("stopped; calls drained in ", absl::FormatDuration(drained),
                   ", ", p.ledger->stats().stored_events, " events stored, in ",
                   absl::FormatDuration(absl::Now() - start)));
}

}  // namespace orgpulse::ingest
