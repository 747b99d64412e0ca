// Checks each gRPC call's bearer token against the tokens file, and reloads
// the file on request (SIGHUP) without dropping a call. The gRPC handlers
// call Check (or Authorize) first, before reading anything of the request;
// health checking is a separate service and stays open.
//
// Reads limited to a subtree. A token may be limited to a team subtree
// (`eng`: it reads `eng` and `eng/*`, see token_table.h). Every handler of a
// read RPC, now and later (a paged read, a trend, a stream), does two
// things: Authorize with its read scope before decoding, then, once the
// request is decoded and its team arguments validated, CheckReadPaths with
// every team path the request reads ("" for "every team"). A path above the
// subtree, such as the prefix "" or `eng`'s parent, is refused
// (PERMISSION_DENIED naming the subtree), never silently narrowed: a reader
// must not take part of the org for all of it. A streaming read checks the
// paths of each request it reads before answering it.
//
// Metrics (on the registry given at construction):
//   orgpulse_auth_refused_calls_total{reason="no_token|unknown_token|
//                                     missing_scope|out_of_subtree"}
//   orgpulse_auth_tokens            clients in the loaded tokens file
//   orgpulse_auth_reloads_total{result="ok|error"}
//
// Example:
//   absl::StatusOr<std::unique_ptr<CallAuthorizer>> auth =
//       CallAuthorizer::Create(options, *registry);
//   if (absl::Status s = (*auth)->Check(*context, Scope::kIngestPush);
//       !s.ok()) { ... finish the call with s ... }
//
//   absl::StatusOr<Caller> caller =
//       (*auth)->Authorize(*context, Scope::kIngestRead);
//   ... decode and validate the request ...
//   absl::Status s = (*auth)->CheckReadPaths(*caller, {request.team()});
#ifndef ORGPULSE_COMMON_AUTH_CALL_AUTHORIZER_H_
#define ORGPULSE_COMMON_AUTH_CALL_AUTHORIZER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
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

  // The caller, or UNAUTHENTICATED / PERMISSION_DENIED (see
  // TokenTable::Authorize). With allow_unauthenticated, an unnamed caller
  // who reads every team. Thread-safe.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& context,
                                   Scope scope) const;

  // Authorize, for calls that read no team data (writes).
  absl::Status Check(const grpc::ServerContextBase& context,
                     Scope scope) const {
    return Authorize(context, scope).status();
  }

  // The one subtree check of every read RPC: OK if `caller` may read each of
  // `paths` (team ids or prefixes; "" means every team), else
  // PERMISSION_DENIED naming the caller, its subtree and the first path
  // outside it. Paths match by segments (`eng` covers `eng/web`, not
  // `engineering`); a path that is not a valid team id is outside every
  // subtree. REQUIRES: `paths` validated by the caller (an invalid one would
  // otherwise be refused here rather than reported as INVALID_ARGUMENT).
  // Thread-safe.
  absl::Status CheckReadPaths(const Caller& caller,
                              absl::Span<const absl::string_view> paths) const;

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
  prometheus::Counter& refused_out_of_subtree_;
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
