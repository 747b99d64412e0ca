// orgpulse-insights: flags in, server up, wait for SIGTERM, drain, exit 0.
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/server/process_support.h"
#include "common/server/security_flags.h"
#include "services/insights/grpc/insights_server.h"

using orgpulse::insights::InsightsServerOptions;
const InsightsServerOptions kDefaults;

ABSL_FLAG(std::string, grpc_address, kDefaults.grpc_address,
          "host:port for gRPC (port 0 picks a free port; see --port_file)");
ABSL_FLAG(std::string, metrics_address, kDefaults.metrics_address,
          "host:port for Prometheus /metrics (port 0 picks a free port)");
ABSL_FLAG(std::string, data_dir, kDefaults.data_dir,
          "directory of the survey store (created if missing)");
ABSL_FLAG(std::string, ingest_address, kDefaults.ingest.address,
          "host:port of the ingest service, read for execution figures");
ABSL_FLAG(bool, ingest_plaintext, false,
          "reach ingest without TLS; otherwise TLS, verified with "
          "--ingest_ca_file or the system's roots");
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
ABSL_FLAG(std::string, respondent_key_file, "",
          "file holding the secret (at least 16 bytes) of the keyed hash that "
          "pseudonymises respondent ids; required");
ABSL_FLAG(int, min_group_size, kDefaults.min_group_size,
          "smallest group whose survey figures are released (k); at least 3");
ABSL_FLAG(int, max_teams, static_cast<int>(kDefaults.max_teams),
          "most teams with survey responses; more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_message_bytes, kDefaults.max_message_bytes,
          "largest gRPC message accepted, in bytes");
ABSL_FLAG(int, max_concurrent_streams, kDefaults.max_concurrent_streams,
          "most concurrent calls per HTTP/2 connection");
ABSL_FLAG(bool, enable_reflection, kDefaults.enable_reflection,
          "serve gRPC server reflection");
ABSL_FLAG(orgpulse::SyncMode, sync, kDefaults.synchronous,
          "full: fsync every commit; normal: survives process crashes only");
ABSL_FLAG(absl::Duration, ingest_refresh, kDefaults.ingest_refresh,
          "how often ingest's figures are read again");
ABSL_FLAG(absl::Duration, ingest_deadline, kDefaults.ingest_deadline,
          "deadline of each call to ingest");
ABSL_FLAG(bool, discard_damaged_wal, false,
          "start even if the write-ahead log is damaged before complete "
          "commits: keep a copy, drop those commits, log it (see "
          "docs/storage-faults.md); for an operator who has read the error");
ABSL_FLAG(
    std::string, now, "",
    "pin the clock to this RFC 3339 time (demos, tests); empty: real time");
ABSL_FLAG(std::string, port_file, "",
          "once serving, write 'grpc=PORT metrics=PORT' to this file");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM, how long in-flight calls may take to finish");

int main(int argc, char** argv) {
  orgpulse::BlockTerminationSignals();  // before any thread starts
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "services/insights/main") ||
           absl::StrContains(file, "common/server/security_flags");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "orgpulse insights service: receives morale survey responses over gRPC "
      "(orgpulse.insights.v1.InsightsService), joins them with ingest's "
      "execution figures and answers per-team insights, private by "
      "construction.");
  absl::ParseCommandLine(argc, argv);

  auto clock = orgpulse::ClockFromFlag(absl::GetFlag(FLAGS_now));
  if (!clock.ok()) {
    std::cerr << clock.status().message() << "\n";
    return 2;
  }
  InsightsServerOptions options;
  options.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.ingest.address = absl::GetFlag(FLAGS_ingest_address);
  options.ingest.tls = !absl::GetFlag(FLAGS_ingest_plaintext);
  options.ingest.ca_file = absl::GetFlag(FLAGS_ingest_ca_file);
  options.ingest.cert_file = absl::GetFlag(FLAGS_ingest_cert_file);
  options.ingest.key_file = absl::GetFlag(FLAGS_ingest_key_file);
  options.ingest_token_file = absl::GetFlag(FLAGS_ingest_token_file);
  options.discard_damaged_wal = absl::GetFlag(FLAGS_discard_damaged_wal);
  options.transport = orgpulse::TransportSecurityFromFlags();
  options.auth = orgpulse::AuthOptionsFromFlags();
  options.respondent_key_file = absl::GetFlag(FLAGS_respondent_key_file);
  options.min_group_size = absl::GetFlag(FLAGS_min_group_size);
  options.max_teams = static_cast<size_t>(absl::GetFlag(FLAGS_max_teams));
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.enable_reflection = absl::GetFlag(FLAGS_enable_reflection);
  options.synchronous = absl::GetFlag(FLAGS_sync);
  options.ingest_refresh = absl::GetFlag(FLAGS_ingest_refresh);
  options.ingest_deadline = absl::GetFlag(FLAGS_ingest_deadline);

  if (!options.ingest.tls &&
      !(options.ingest.ca_file + options.ingest.cert_file +
        options.ingest.key_file)
           .empty()) {
    std::cerr << "--ingest_plaintext excludes --ingest_ca_file, "
                 "--ingest_cert_file and --ingest_key_file\n";
    return 2;
  }
  auto server = orgpulse::insights::InsightsServer::Start(options, **clock);
  if (!server.ok()) {
    orgpulse::Log(orgpulse::LogLevel::kError, "insights",
                  absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  if (absl::Status s = orgpulse::WritePortFile(absl::GetFlag(FLAGS_port_file),
                                               (*server)->grpc_port(),
                                               (*server)->metrics_port());
      !s.ok()) {
    orgpulse::Log(orgpulse::LogLevel::kError, "insights", s.ToString());
    return 1;
  }
  const std::string signal = orgpulse::WaitForTerminationSignal([&] {
    orgpulse::LogTokenReload("insights", (*server)->ReloadTokens());
  });
  orgpulse::Log(orgpulse::LogLevel::kInfo, "insights",
                absl::StrCat(signal, ": draining"));
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  return 0;
}
