#include "services/insights/server/insights_server.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/crypto/keyed_hash.h"
#include "common/log/log.h"
#include "common/server/server_scaffold.h"
#include "services/insights/domain/insights_engine.h"
#include "services/insights/domain/privacy.h"
#include "services/insights/grpc/insights_service.h"
#include "services/insights/ingest_client/ingest_execution_source.h"
#include "services/insights/metrics/insights_collector.h"
#include "services/insights/store/pg_survey_store.h"
#include "services/insights/store/sqlite_survey_store.h"

namespace orgpulse::insights {
namespace {

constexpr absl::string_view kComponent = "insights";

absl::Status CheckOptions(const InsightsServerOptions& options) {
  if (options.min_group_size < kMinGroupSizeFloor) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min_group_size must be at least ", kMinGroupSizeFloor,
                     ": smaller groups would let answers be inferred"));
  }
  if (options.max_teams < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_teams must be at least 1, not ", options.max_teams));
  }
  if (options.retain_rounds < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--retain_rounds must be 0 (keep every round) or more, "
                     "not ",
                     options.retain_rounds));
  }
  if (options.snapshot_every_responses < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--snapshot_every_responses must be 0 (no snapshots) or "
                     "more, not ",
                     options.snapshot_every_responses));
  }
  if (options.respondent_key_file.empty()) {
    return absl::FailedPreconditionError(
        "--respondent_key_file is required: respondent ids are stored only "
        "as keyed hashes");
  }
  if (!options.ingest.tls &&
      !(options.ingest.ca_file + options.ingest.cert_file +
        options.ingest.key_file)
           .empty()) {
    return absl::InvalidArgumentError(
        "--ingest_plaintext excludes --ingest_ca_file, --ingest_cert_file and "
        "--ingest_key_file");
  }
  if (options.ingest_refresh <= absl::ZeroDuration() ||
      options.ingest_deadline <= absl::ZeroDuration() ||
      options.ingest_history_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--ingest_refresh, --ingest_deadline and --ingest_history_deadline "
        "must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SurveyStore>> OpenStore(
    const InsightsServerOptions& options) {
  if (!options.postgres.empty()) {
    absl::StatusOr<std::unique_ptr<PgSurveyStore>> pg =
        PgSurveyStore::Open(options.postgres, {});
    if (!pg.ok()) return pg.status();
    // Replicas with another k would release other figures.
    if (absl::Status s = (*pg)->CheckSetting(
            "min_group_size", absl::StrCat(options.min_group_size));
        !s.ok()) {
      return s;
    }
    return std::unique_ptr<SurveyStore>(*std::move(pg));
  }
  absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> sqlite =
      SqliteSurveyStore::Open(
          options.data_dir,
          {.synchronous = options.synchronous,
           .discard_damaged_wal = options.discard_damaged_wal});
  if (!sqlite.ok()) return sqlite.status();
  return std::unique_ptr<SurveyStore>(*std::move(sqlite));
}

std::string DescribeRecovery(const SurveyRecovery& r) {
  std::string out;
  if (!r.snapshot_refused.ok()) {
    absl::StrAppend(&out, "snapshot refused (", r.snapshot_refused.message(),
                    "), ");
  }
  if (!r.from_snapshot) {
    return absl::StrCat(out, "replayed the whole log, ", r.replayed_records,
                        " responses");
  }
  return absl::StrCat(
      out, "loaded a snapshot at log position ", r.snapshot_cursor.position,
      " (", r.snapshot_responses, " responses) in ",
      absl::FormatDuration(r.snapshot_load_time), ", then folded ",
      r.replayed_records, " records after it");
}

void LogSnapshot(const absl::StatusOr<SurveySnapshotReport>& written) {
  if (!written.ok()) {
    Log(LogLevel::kWarning, kComponent,
        absl::StrCat("survey snapshot not written: ",
                     written.status().message()));
    return;
  }
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("survey snapshot of ", written->responses,
                   " responses at log position ", written->cursor.position,
                   ": ", written->bytes, " bytes, encoded in ",
                   absl::FormatDuration(written->encode_time),
                   " (submissions wait that long), written in ",
                   absl::FormatDuration(written->write_time)));
}

}  // namespace

// Declared in the order they are built; destroyed in reverse.
struct InsightsServer::Parts {
  std::optional<KeyedHasher> hasher;
  std::unique_ptr<SurveyStore> store;
  std::unique_ptr<IngestExecutionSource> source;
  std::unique_ptr<InsightsEngine> engine;
  // With --postgres: folds the other replicas' changes into `engine`.
  std::unique_ptr<PgSurveyLogWatcher> watcher;
  std::unique_ptr<InsightsService> service;
  std::string ingest_token_file;
};

InsightsServer::InsightsServer(std::unique_ptr<ServerScaffold> scaffold,
                               std::unique_ptr<Parts> parts)
    : ScaffoldedServer(std::move(scaffold)), parts_(std::move(parts)) {}
InsightsServer::~InsightsServer() { Shutdown(absl::ZeroDuration()); }

absl::Status InsightsServer::Reload() {
  absl::Status status = scaffold().ReloadTokens();
  if (!parts_->ingest_token_file.empty()) {
    absl::StatusOr<std::string> token =
        ReadTokenFile(parts_->ingest_token_file);
    if (token.ok()) {
      parts_->source->SetBearerToken(*std::move(token));
    } else if (status.ok()) {
      status = absl::FailedPreconditionError(
          absl::StrCat("--ingest_token_file: ", token.status().message(),
                       " (the previous token stays)"));
    }
  }
  return status;
}

absl::StatusOr<std::unique_ptr<InsightsServer>> InsightsServer::Start(
    const InsightsServerOptions& options, const Clock& clock) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
      ServerScaffold::Prepare(kComponent, options);
  if (!scaffold.ok()) return scaffold.status();
  auto p = std::make_unique<Parts>();

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

  absl::StatusOr<std::unique_ptr<SurveyStore>> store = OpenStore(options);
  if (!store.ok()) return store.status();
  p->store = *std::move(store);
  const std::string store_name =
      options.postgres.empty() ? options.data_dir : "PostgreSQL";

  p->source = std::make_unique<IngestExecutionSource>(
      *std::move(ingest_channel), clock,
      IngestSourceOptions{.refresh_interval = options.ingest_refresh,
                          .call_deadline = options.ingest_deadline,
                          .history_deadline = options.ingest_history_deadline,
                          .bearer_token = ingest.token});
  p->engine = std::make_unique<InsightsEngine>(
      *p->store, *p->source, clock,
      InsightsOptions{
          .min_group_size = options.min_group_size,
          .max_teams = static_cast<size_t>(options.max_teams),
          .stale_after =
              2 * options.ingest_refresh + 2 * options.ingest_deadline,
          .retain_rounds = options.retain_rounds,
          .snapshot_every_responses = options.snapshot_every_responses},
      p->source.get());
  p->engine->set_snapshot_observer(&LogSnapshot);
  if (absl::Status s = p->engine->Recover(); !s.ok()) return s;
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat(
          "recovered ", p->engine->stats().stored, " survey responses from ",
          store_name, " in ", absl::FormatDuration(absl::Now() - start), ": ",
          DescribeRecovery(p->engine->recovery()),
          p->engine->stats().dropped_rounds > 0
              ? absl::StrCat(
                    "; dropped ", p->engine->stats().dropped_rounds,
                    " round(s) beyond --retain_rounds=", options.retain_rounds)
              : ""));

  if (!options.postgres.empty()) {
    p->watcher = std::make_unique<PgSurveyLogWatcher>(
        options.postgres, absl::Seconds(1), [engine = p->engine.get()] {
          // UNAVAILABLE shows in health; anything else is worth a line.
          if (absl::Status s = engine->CatchUp();
              !s.ok() && !absl::IsUnavailable(s)) {
            Log(LogLevel::kError, kComponent,
                absl::StrCat("reading the survey log: ", s.ToString()));
          }
        });
  }
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
                                                 (*scaffold)->authorizer());
  if (absl::Status s = (*scaffold)->Serve(
          {p->service.get()},
          {std::make_shared<InsightsCollector>(*p->engine, *p->source)},
          *p->store,
          absl::StrCat(
              " ingest=", ingest.address,
              ingest.tls || !ingest.ca_file.empty() ? " (tls)" : " (plaintext)",
              " min_group_size=", options.min_group_size));
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<InsightsServer>(
      new InsightsServer(*std::move(scaffold), std::move(p)));
}

void InsightsServer::Shutdown(absl::Duration grace) {
  scaffold().Shutdown(
      grace, [] {},
      [this] {
        parts_->source->Stop();
        // Served nothing more: the last snapshot holds everything.
        parts_->engine->Stop();
        return absl::StrCat(parts_->engine->stats().stored,
                            " responses stored");
      });
}

}  // namespace orgpulse::insights
