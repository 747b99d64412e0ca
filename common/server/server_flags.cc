#include "common/server/server_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

namespace {
const orgpulse::ServerOptions kDefaults;
}  // namespace

// Defaults shown by --help are the service's: SetServerFlagDefaults runs
// before parsing, and --help prints them as "currently".
ABSL_FLAG(std::string, grpc_address, kDefaults.grpc_address,
          "host:port for gRPC (port 0 picks a free port; see --port_file)");
ABSL_FLAG(std::string, metrics_address, kDefaults.metrics_address,
          "host:port for Prometheus /metrics (port 0 picks a free port)");
ABSL_FLAG(std::string, data_dir, kDefaults.data_dir,
          "directory of the service's store (created if missing)");
ABSL_FLAG(int, max_message_bytes, kDefaults.max_message_bytes,
          "largest gRPC message accepted, in bytes");
ABSL_FLAG(int, max_concurrent_streams, kDefaults.max_concurrent_streams,
          "most concurrent calls per HTTP/2 connection");
ABSL_FLAG(bool, enable_reflection, kDefaults.enable_reflection,
          "serve gRPC server reflection (for grpcurl and similar tools)");
ABSL_FLAG(orgpulse::SyncMode, sync, kDefaults.synchronous,
          "full: fsync every commit (survives power loss); normal: survives "
          "process crashes only, faster");
ABSL_FLAG(bool, discard_damaged_wal, kDefaults.discard_damaged_wal,
          "start even if the write-ahead log is damaged before complete "
          "commits: keep a copy, drop those commits, log it (see "
          "docs/storage-faults.md); for an operator who has read the error");

ABSL_FLAG(bool, plaintext, false,
          "serve gRPC without TLS (development, or behind a proxy that "
          "terminates TLS); otherwise --tls_cert_file and --tls_key_file are "
          "required");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of this server");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM roots for mutual TLS: clients must present a certificate they "
          "signed");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "how often the TLS files are read again, so renewed certificates "
          "are served without a restart");
ABSL_FLAG(std::string, token_file, "",
          "file of bearer-token digests and scopes (see `orgpulse token new`); "
          "reloaded on SIGHUP");
ABSL_FLAG(std::string, metrics_basic_auth_file, "",
          "file of user:sha256-hex-of-password lines; when set, /metrics "
          "asks for HTTP basic auth (reloaded on SIGHUP)");
ABSL_FLAG(std::string, metrics_tls_cert_file, "",
          "PEM certificate chain for /metrics; with --metrics_tls_key_file, "
          "/metrics is served over TLS only (may be the --tls_cert_file)");
ABSL_FLAG(std::string, metrics_tls_key_file, "",
          "PEM private key of --metrics_tls_cert_file");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "serve every caller without a bearer token (instead of "
          "--token_file)");

ABSL_FLAG(
    std::string, now, "",
    "pin the clock to this RFC 3339 time (demos, tests); empty: real time");
ABSL_FLAG(std::string, port_file, "",
          "once serving, write 'grpc=PORT metrics=PORT' to this file");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "on SIGTERM, how long in-flight calls may take to finish");

namespace orgpulse {

void SetServerFlagDefaults(const ServerOptions& defaults) {
  absl::SetFlag(&FLAGS_grpc_address, defaults.grpc_address);
  absl::SetFlag(&FLAGS_metrics_address, defaults.metrics_address);
  absl::SetFlag(&FLAGS_data_dir, defaults.data_dir);
  absl::SetFlag(&FLAGS_max_message_bytes, defaults.max_message_bytes);
  absl::SetFlag(&FLAGS_max_concurrent_streams, defaults.max_concurrent_streams);
}

ServerOptions ServerOptionsFromFlags() {
  ServerOptions options;
  options.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.enable_reflection = absl::GetFlag(FLAGS_enable_reflection);
  options.synchronous = absl::GetFlag(FLAGS_sync);
  options.discard_damaged_wal = absl::GetFlag(FLAGS_discard_damaged_wal);
  options.transport = {
      .plaintext = absl::GetFlag(FLAGS_plaintext),
      .cert_file = absl::GetFlag(FLAGS_tls_cert_file),
      .key_file = absl::GetFlag(FLAGS_tls_key_file),
      .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file),
      .reload_interval = absl::GetFlag(FLAGS_tls_reload_interval)};
  options.auth = {
      .token_file = absl::GetFlag(FLAGS_token_file),
      .allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated)};
  options.metrics_basic_auth_file =
      absl::GetFlag(FLAGS_metrics_basic_auth_file);
  options.metrics_tls = {
      .cert_file = absl::GetFlag(FLAGS_metrics_tls_cert_file),
      .key_file = absl::GetFlag(FLAGS_metrics_tls_key_file)};
  return options;
}

ProcessFlags ProcessFlagsFromFlags() {
  return {.now = absl::GetFlag(FLAGS_now),
          .port_file = absl::GetFlag(FLAGS_port_file),
          .shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace)};
}

}  // namespace orgpulse
