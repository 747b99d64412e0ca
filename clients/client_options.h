// How a client reaches one orgpulse service: its address, transport security
// (TLS, optionally mutual), a bearer token, the deadline of each call, and
// the retry policy. Shared by IngestClient and InsightsClient.
//
// Example:
//   ClientOptions options;
//   options.address = "ingest.internal:50051";
//   options.ca_file = "/etc/orgpulse/ca.pem";      // TLS
//   options.token = "s3cret";                      // authorization: Bearer
//   absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
//       CreateClientChannel(options);
#ifndef ORGPULSE_CLIENTS_CLIENT_OPTIONS_H_
#define ORGPULSE_CLIENTS_CLIENT_OPTIONS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace orgpulse {

// Retries happen on UNAVAILABLE only: the server did not take the call (it
// is down, restarting or draining), and every write in the API is idempotent,
// so sending it again is safe. Other codes are answers and are returned.
struct RetryPolicy {
  // Attempts in all, the first included; 1 disables retries (unless
  // retry_for is set).
  int max_attempts = 5;
  // Retries also go on until this long after the first of a run of failures
  // (a service restarting takes seconds): a call gives up once it has made
  // max_attempts attempts AND retry_for has passed. The last wait is cut to
  // end at retry_for. Zero: attempts alone decide.
  absl::Duration retry_for = absl::ZeroDuration();
  // The wait before retry n is initial_backoff * multiplier^(n-1), capped at
  // max_backoff, times a random factor in [1 - jitter, 1 + jitter].
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  double multiplier = 2.0;
  double jitter = 0.2;
  // Called, when set, before the first wait of a run of failures, and after
  // the first success (or progress, for a stream) that ends such a run; not
  // when the run ends by giving up. From the calling thread (several, for a
  // push over several streams): must be thread-safe.
  std::function<void()> on_waiting;
  std::function<void()> on_resumed;
};

struct ClientOptions {
  // host:port, or any gRPC target (dns:///, unix:).
  std::string address;
  // TLS is on when `tls` is set or any of the files below is given. Without
  // ca_file the system's roots verify the server.
  bool tls = false;
  std::string ca_file;
  // A client certificate and its key, for mutual TLS; both or neither.
  std::string cert_file;
  std::string key_file;
  // Sent as `authorization: Bearer <token>` on every call. Refused without
  // TLS unless the address is on loopback, where nothing is on the wire, or
  // token_without_tls is set.
  std::string token;
  // Sends the token without TLS to any address. Only for a caller whose
  // operator asked for plaintext explicitly, on a network of its own
  // (insights' --ingest_plaintext on compose's network); the command line
  // never sets it.
  bool token_without_tls = false;
  // The deadline of each unary call; for a stream, the longest wait for the
  // acknowledgement of a batch.
  absl::Duration timeout = absl::Seconds(30);
  // The longest a whole stream may take (it is reopened after it, resending
  // unacknowledged batches).
  absl::Duration max_stream_duration = absl::Minutes(10);
  RetryPolicy retry;
};

// Checks the options and reads the TLS files. The error names the option and
// the file, never the token or a key: INVALID_ARGUMENT for inconsistent
// options, NOT_FOUND / PERMISSION_DENIED for unreadable files.
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateClientChannel(
    const ClientOptions& options);

// True for 127.0.0.0/8, ::1, localhost and unix: targets.
bool IsLoopbackAddress(absl::string_view address);

// The token in `path`, trailing whitespace removed. NOT_FOUND if the file
// cannot be read, INVALID_ARGUMENT if it is empty; the error names the file,
// never its content.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Sets the deadline and the token (none if empty) on a call's context.
void PrepareContext(absl::string_view token, absl::Time deadline,
                    grpc::ClientContext& context);
// The same with options.token and the deadline now + timeout.
void PrepareContext(const ClientOptions& options, absl::Duration timeout,
                    grpc::ClientContext& context);

}  // namespace orgpulse

#endif  // ORGPULSE_CLIENTS_CLIENT_OPTIONS_H_
