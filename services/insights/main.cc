// orgpulse-insights: the service's own flags, then ServiceMain (shared flags,
// start, port file, signals, drain).
#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/server/service_main.h"
#include "services/insights/server/insights_server.h"

using orgpulse::insights::InsightsServerOptions;
const InsightsServerOptions kDefaults;

ABSL_FLAG(std::string, ingest_address, kDefaults.ingest.address,
          "host:port of the ingest service, read for execution figures");
ABSL_FLAG(bool, ingest_plaintext, false,
          "reach ingest without TLS, --ingest_token_file's token included "
          "(for a private network, e.g. compose's); otherwise TLS, verified "
          "with --ingest_ca_file or the system's roots");
ABSL_FLAG(std::string, ingest_ca_file, "",
          "PEM roots that verify ingest's certificate");
ABSL_FLAG(std::string, ingest_cert_file, "",
          "PEM client certificate for ingest's mutual TLS (with "
          "--ingest_key_file)");
ABSL_FLAG(std::string, ingest_key_file, "",
          "PEM private key of --ingest_cert_file");
ABSL_FLAG(std::string, ingest_token_file, "",
          "file holding this service's bearer token for ingest (scope "
          "ingest:read)");
ABSL_FLAG(absl::Duration, ingest_refresh, kDefaults.ingest_refresh,
          "how often ingest's figures are read again");
ABSL_FLAG(absl::Duration, ingest_deadline, kDefaults.ingest_deadline,
          "deadline of each call to ingest");
ABSL_FLAG(absl::Duration, ingest_history_deadline,
          kDefaults.ingest_history_deadline,
          "deadline of each read of ingest's past figures (ingest refolds its "
          "stored events for it: a few seconds per million)");
ABSL_FLAG(std::string, respondent_key_file, "",
          "file holding the secret (at least 16 bytes) of the keyed hash that "
          "pseudonymises respondent ids; required");
ABSL_FLAG(int, min_group_size, kDefaults.min_group_size,
          "smallest group whose survey figures are released (k); at least 3");
ABSL_FLAG(int64_t, max_teams, kDefaults.max_teams,
          "most teams with survey responses; more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, retain_rounds, kDefaults.retain_rounds,
          "keep the N survey rounds with the greatest ids and drop older ones "
          "from the store and the figures (at start-up and when a new round "
          "arrives); 0 keeps every round");
ABSL_FLAG(int64_t, snapshot_every_responses, kDefaults.snapshot_every_responses,
          "write a snapshot of the folded survey state after this many "
          "stored responses (also after an erasure or retention drop, and at "
          "shutdown), so that a restart folds only the responses after it; "
          "0 writes and loads no snapshots");

ABSL_FLAG(std::string, postgres, kDefaults.postgres,
          "libpq connection string (e.g. 'host=db1,db2 dbname=orgpulse "
          "target_session_attrs=read-write'): keep survey responses in "
          "PostgreSQL, shared by every insights replica on that database, "
          "instead of SQLite under --data_dir");

namespace {

absl::StatusOr<std::unique_ptr<orgpulse::RunningServer>> StartFromFlags(
    const orgpulse::ServerOptions& shared, const orgpulse::Clock& clock) {
  InsightsServerOptions options;
  static_cast<orgpulse::ServerOptions&>(options) = shared;
  options.ingest.address = absl::GetFlag(FLAGS_ingest_address);
  options.ingest.tls = !absl::GetFlag(FLAGS_ingest_plaintext);
  // Plaintext asked for explicitly: the token goes without TLS too.
  options.ingest.token_without_tls = absl::GetFlag(FLAGS_ingest_plaintext);
  options.ingest.ca_file = absl::GetFlag(FLAGS_ingest_ca_file);
  options.ingest.cert_file = absl::GetFlag(FLAGS_ingest_cert_file);
  options.ingest.key_file = absl::GetFlag(FLAGS_ingest_key_file);
  options.ingest_token_file = absl::GetFlag(FLAGS_ingest_token_file);
  options.ingest_refresh = absl::GetFlag(FLAGS_ingest_refresh);
  options.ingest_deadline = absl::GetFlag(FLAGS_ingest_deadline);
  options.ingest_history_deadline =
      absl::GetFlag(FLAGS_ingest_history_deadline);
  options.respondent_key_file = absl::GetFlag(FLAGS_respondent_key_file);
  options.min_group_size = absl::GetFlag(FLAGS_min_group_size);
  options.max_teams = absl::GetFlag(FLAGS_max_teams);
  options.retain_rounds = absl::GetFlag(FLAGS_retain_rounds);
  options.snapshot_every_responses =
      absl::GetFlag(FLAGS_snapshot_every_responses);
  options.postgres = absl::GetFlag(FLAGS_postgres);
  return orgpulse::insights::InsightsServer::Start(options, clock);
}

}  // namespace

int main(int argc, char** argv) {
  return orgpulse::ServiceMain(
      argc, argv,
      {.component = "insights",
       .usage = "orgpulse insights service: receives morale survey responses "
                "over gRPC (orgpulse.insights.v1.InsightsService), joins them "
                "with ingest's execution figures and answers per-team "
                "insights, private by construction.",
       .main_file = "services/insights/main",
       .defaults = kDefaults,
       .start = &StartFromFlags});
}
