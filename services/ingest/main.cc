// orgpulse-ingest: flags in, server up, wait for SIGTERM, drain, exit 0.
#include <cstdlib>
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
#include "services/ingest/grpc/ingest_server.h"

using orgpulse::ingest::IngestServerOptions;
const IngestServerOptions kDefaults;

ABSL_FLAG(std::string, grpc_address, kDefaults.grpc_address,
          "host:port for gRPC (port 0 picks a free port; see --port_file)");
ABSL_FLAG(std::string, metrics_address, kDefaults.metrics_address,
          "host:port for Prometheus /metrics (port 0 picks a free port)");
ABSL_FLAG(std::string, data_dir, kDefaults.data_dir,
          "directory of the event store (created if missing)");
ABSL_FLAG(int, max_teams, static_cast<int>(kDefaults.max_teams),
          "most teams accepted; pushes adding more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_message_bytes, kDefaults.max_message_bytes,
          "largest gRPC message accepted, in bytes");
ABSL_FLAG(int, max_concurrent_streams, kDefaults.max_concurrent_streams,
          "most concurrent calls per HTTP/2 connection");
ABSL_FLAG(bool, enable_reflection, kDefaults.enable_reflection,
          "serve gRPC server reflection (for grpcurl and similar tools)");
ABSL_FLAG(orgpulse::SyncMode, sync, kDefaults.synchronous,
          "full: fsync every commit (survives power loss); normal: survives "
          "process crashes only, faster");
ABSL_FLAG(int64_t, max_store_bytes, kDefaults.max_store_bytes,
          "cap on the event store's size in bytes (0: none); past it pushes "
          "get RESOURCE_EXHAUSTED");
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
    return absl::StrContains(file, "services/ingest/main") ||
           absl::StrContains(file, "common/server/security_flags");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "orgpulse ingest service: receives the manager view of every team over "
      "gRPC (orgpulse.ingest.v1.IngestService), stores it durably and serves "
      "per-team figures and Prometheus metrics.");
  absl::ParseCommandLine(argc, argv);

  auto clock = orgpulse::ClockFromFlag(absl::GetFlag(FLAGS_now));
  if (!clock.ok()) {
    std::cerr << clock.status().message() << "\n";
    return 2;
  }

  IngestServerOptions options;
  options.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.max_teams = static_cast<size_t>(absl::GetFlag(FLAGS_max_teams));
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.enable_reflection = absl::GetFlag(FLAGS_enable_reflection);
  options.synchronous = absl::GetFlag(FLAGS_sync);
  options.max_store_bytes = absl::GetFlag(FLAGS_max_store_bytes);
  options.discard_damaged_wal = absl::GetFlag(FLAGS_discard_damaged_wal);
  options.transport = orgpulse::TransportSecurityFromFlags();
  options.auth = orgpulse::AuthOptionsFromFlags();

  auto server = orgpulse::ingest::IngestServer::Start(options, **clock);
  if (!server.ok()) {
    orgpulse::Log(orgpulse::LogLevel::kError, "ingest",
                  absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  if (absl::Status s = orgpulse::WritePortFile(absl::GetFlag(FLAGS_port_file),
                                               (*server)->grpc_port(),
                                               (*server)->metrics_port());
      !s.ok()) {
    orgpulse::Log(orgpulse::LogLevel::kError, "ingest", s.ToString());
    return 1;
  }
  const std::string signal = orgpulse::WaitForTerminationSignal([&] {
    orgpulse::LogTokenReload("ingest", (*server)->ReloadTokens());
  });
  orgpulse::Log(orgpulse::LogLevel::kInfo, "ingest",
                absl::StrCat(signal, ": draining"));
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  return 0;
}
