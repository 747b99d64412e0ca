// Checks each gRPC call's bearer token against the tokens file, and reloads
// the file on request (SIGHUP) without dropping a call. The gRPC handlers
// call Check first, before reading anything of the request; health checking
// is a separate service and stays open.
//
// Metrics (on the registry given at construction):
//   orgpulse_auth_refused_calls_total{reason="no_token|unknown_token|missing_scope"}
//   orgpulse_auth_tokens            clients in the loaded tokens file
//   orgpulse_auth_reloads_total{result="ok|error"}
//
// Example:
//   absl::StatusOr<std::unique_ptr<CallAuthorizer>> auth =
//       CallAuthorizer::Create(options, *registry);
//   if (absl::Status s = (*auth)->Check(*context, Scope::kIngestPush);
//       !s.ok()) { ... finish the call with s ... }
#ifndef ORGPULSE_COMMON_AUTH_CALL_AUTHORIZER_H_
#define ORGPULSE_COMMON_AUTH_CALL_AUTHORIZER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/token_table.h"
#include "common/status/grpc_status.h"
#include "grpcpp/server_context.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace orgpulse {

struct AuthOptions {
  // The tokens file (see token_table.h); required unless
  // allow_unauthenticated.
  std::string token_file;
  // Serve every caller without a token. Exclusive with token_file.
  bool allow_unauthenticated = false;
};

class CallAuthorizer {
 public:
  // INVALID_ARGUMENT for contradictory or missing options, else the error of
  // reading the tokens file.
  static absl::StatusOr<std::unique_ptr<CallAuthorizer>> Create(
      const AuthOptions& options, prometheus::Registry& registry);

  // OK, or UNAUTHENTICATED / PERMISSION_DENIED (see TokenTable::Authorize).
  // Thread-safe.
  absl::Status Check(const grpc::ServerContextBase& context, Scope scope) const;

  // Reads the tokens file again; on any error keeps the tokens it has and
  // returns the error. A no-op when unauthenticated.
  absl::Status Reload();

  // False when every caller is served (allow_unauthenticated).
  bool enabled() const { return !options_.allow_unauthenticated; }

 private:
  CallAuthorizer(AuthOptions options, prometheus::Registry& registry);

  const AuthOptions options_;
  prometheus::Counter& refused_no_token_;
  prometheus::Counter& refused_unknown_token_;
  prometheus::Counter& refused_missing_scope_;
  prometheus::Gauge& tokens_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_error_;

  mutable absl::Mutex mu_;
  // Replaced whole on reload; a check holds its own reference.
  std::shared_ptr<const TokenTable> table_ ABSL_GUARDED_BY(mu_);
};

// Finishes a unary call refused by CallAuthorizer::Check.
grpc::ServerUnaryReactor* RefuseCall(grpc::CallbackServerContext* context,
                                     const absl::Status& refusal);

// A bidirectional stream refused before reading anything.
template <typename Request, typename Response>
class RefusedStream final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit RefusedStream(const absl::Status& refusal) {
    this->Finish(ToGrpcStatus(refusal));
  }
  void OnDone() override { delete this; }
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_AUTH_CALL_AUTHORIZER_H_
