#include "services/insights/grpc/insights_server.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/keyed_hash.h"
#include "common/log/log.h"
#include "common/metrics/store_collector.h"
#include "common/server/server_security.h"
#include "common/server/service_host.h"
#include "services/insights/domain/insights_engine.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/grpc/insights_service.h"
#include "services/insights/ingest_client/ingest_execution_source.h"
#include "services/insights/metrics/insights_collector.h"
#include "services/insights/store/sqlite_survey_store.h"

namespace orgpulse::insights {

constexpr absl::string_view kComponent = "insights";

// Declared in the order they are built; destroyed in reverse.
struct InsightsServer::Parts {
  std::optional<KeyedHasher> hasher;
  std::unique_ptr<SqliteSurveyStore> store;
  std::unique_ptr<IngestExecutionSource> source;
  std::unique_ptr<InsightsEngine> engine;
  std::unique_ptr<CallAuthorizer> authorizer;
  std::unique_ptr<InsightsService> service;
  std::unique_ptr<ServiceHost> host;
  std::string ingest_token_file;
  bool shut_down = false;
};

InsightsServer::InsightsServer(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)) {}
InsightsServer::~InsightsServer() { Shutdown(absl::ZeroDuration()); }
int InsightsServer::grpc_port() const { return parts_->host->grpc_port(); }
int InsightsServer::metrics_port() const {
  return parts_->host->metrics_port();
}
absl::Status InsightsServer::ReloadTokens() {
  absl::Status status = parts_->authorizer->Reload();
  if (!parts_->ingest_token_file.empty()) {
    absl::StatusOr<std::string> token =
        ReadTokenFile(parts_->ingest_token_file);
    if (token.ok()) {
      parts_->source->SetBearerToken(*std::move(token));
    } else if (status.ok()) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "--ingest_token_file: ", token.status().message(),
          " (the previous token stays)"));
    }
  }
  return status;
}

absl::StatusOr<std::unique_ptr<InsightsServer>> InsightsServer::Start(
    const InsightsServerOptions& options, const Clock& clock) {
  if (options.min_group_size < kMinGroupSizeFloor) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min_group_size must be at least ", kMinGroupSizeFloor,
                     ": smaller groups would let answers be inferred"));
  }
  if (options.respondent_key_file.empty()) {
    return absl::FailedPreconditionError(
        "--respondent_key_file is required: respondent ids are stored only "
        "as keyed hashes");
  }
  auto p = std::make_unique<Parts>();
  const absl::Time start = absl::Now();
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<ServerSecurity> security =
      PrepareServerSecurity(options.transport, options.auth, *registry);
  if (!security.ok()) return security.status();
  p->authorizer = std::move(security->authorizer);
  ClientOptions ingest = options.ingest;
  p->ingest_token_file = options.ingest_token_file;
  if (!options.ingest_token_file.empty()) {
    absl::StatusOr<std::string> token =
        ReadTokenFile(options.ingest_token_file);
    if (!token.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--ingest_token_file: ", token.status().message()));
    }
    ingest.token = *std::move(token);
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ingest_channel =
      CreateClientChannel(ingest);
  if (!ingest_channel.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the connection to ingest: ", ingest_channel.status().message()));
  }
  absl::StatusOr<KeyedHasher> hasher =
      KeyedHasher::FromFile(options.respondent_key_file);
  if (!hasher.ok()) return hasher.status();
  p->hasher = *std::move(hasher);

  absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> store =
      SqliteSurveyStore::Open(
          options.data_dir,
          {.synchronous = options.synchronous,
           .discard_damaged_wal = options.discard_damaged_wal});
  if (!store.ok()) return store.status();
  p->store = *std::move(store);

  p->source = std::make_unique<IngestExecutionSource>(
      *std::move(ingest_channel), clock,
      IngestSourceOptions{.refresh_interval = options.ingest_refresh,
                          .call_deadline = options.ingest_deadline,
                          .bearer_token = ingest.token});
  p->engine = std::make_unique<InsightsEngine>(
      *p->store, *p->source, clock,
      InsightsOptions{.min_group_size = options.min_group_size,
                      .max_teams = options.max_teams,
                      .stale_after = 2 * options.ingest_refresh +
                                     2 * options.ingest_deadline});
  if (absl::Status s = p->engine->Recover(); !s.ok()) return s;
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("recovered ", p->engine->stats().stored,
                   " survey responses from ", options.data_dir, " in ",
                   absl::FormatDuration(absl::Now() - start)));

  p->source->Start();
  // A first read of ingest's figures, so the first answers have them; if
  // ingest is down the service starts anyway and says so in its answers.
  if (absl::Status s = p->source->RefreshNow(options.ingest_deadline * 2);
      !s.ok()) {
    Log(LogLevel::kWarning, kComponent,
        absl::StrCat("ingest at ", ingest.address,
                     " not reachable yet: ", s.message()));
  }

  p->service = std::make_unique<InsightsService>(*p->engine, *p->hasher,
                                                 *p->authorizer);
  absl::StatusOr<std::unique_ptr<ServiceHost>> host = ServiceHost::Start(
      {.grpc_address = options.grpc_address,
       .metrics_address = options.metrics_address,
       .max_message_bytes = options.max_message_bytes,
       .max_concurrent_streams = options.max_concurrent_streams,
       .enable_reflection = options.enable_reflection,
       .credentials = security->credentials},
      {p->service.get()}, registry,
      {std::make_shared<InsightsCollector>(*p->engine, *p->source),
       std::make_shared<StoreCollector>(
           [s = p->store.get()] { return s->writable(); })});
  if (!host.ok()) return host.status();
  p->host = *std::move(host);
  // SERVING while the store takes writes (now, and whenever space returns).
  p->store->SetWritableObserver(
      [h = p->host.get()](bool writable) { h->SetServing(writable); });
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("serving grpc_port=", p->host->grpc_port(),
                   " metrics_port=", p->host->metrics_port(),
                   " ", security->description,
                   " ingest=", ingest.address,
                   ingest.tls || !ingest.ca_file.empty() ? " (tls)" : " (plaintext)",
                   " min_group_size=", options.min_group_size));
  return std::unique_ptr<InsightsServer>(new InsightsServer(std::move(p)));
}

void InsightsServer::Shutdown(absl::Duration grace) {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.shut_down = true;
  p.store->SetWritableObserver(nullptr);
  const absl::Duration drained = p.host->Shutdown(grace);
  p.source->Stop();
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("stopped; calls drained in ", absl::FormatDuration(drained),
                   ", ", p.engine->stats().stored, " responses stored"));
}

}  // namespace orgpulse::insights
