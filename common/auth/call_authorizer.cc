#include "common/auth/call_authorizer.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/org/team_id.h"
#include "common/status/grpc_status.h"

namespace orgpulse {
namespace {

// The token of "authorization: Bearer <token>"; empty if absent or of
// another scheme.
absl::string_view BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  absl::string_view value(it->second.data(), it->second.size());
  if (value.size() < 7 ||
      !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return {};
  }
  return absl::StripAsciiWhitespace(value.substr(7));
}

prometheus::Family<prometheus::Counter>& RefusedFamily(
    prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("orgpulse_auth_refused_calls_total")
      .Help("Calls refused for their bearer token, by reason.")
      .Register(registry);
}

prometheus::Family<prometheus::Counter>& ReloadsFamily(
    prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("orgpulse_auth_reloads_total")
      .Help(
          "Reloads of the tokens file (SIGHUP), by result; on error the "
          "previous tokens stay in force.")
      .Register(registry);
}

}  // namespace

CallAuthorizer::CallAuthorizer(AuthOptions options,
                               prometheus::Registry& registry)
    : options_(std::move(options)),
      refused_no_token_(RefusedFamily(registry).Add({{"reason", "no_token"}})),
      refused_unknown_token_(
          RefusedFamily(registry).Add({{"reason", "unknown_token"}})),
      refused_missing_scope_(
          RefusedFamily(registry).Add({{"reason", "missing_scope"}})),
      refused_out_of_subtree_(
          RefusedFamily(registry).Add({{"reason", "out_of_subtree"}})),
      tokens_(prometheus::BuildGauge()
                  .Name("orgpulse_auth_tokens")
                  .Help("Clients in the loaded tokens file (0 when every "
                        "caller is served without a token).")
                  .Register(registry)
                  .Add({})),
      reloads_ok_(ReloadsFamily(registry).Add({{"result", "ok"}})),
      reloads_error_(ReloadsFamily(registry).Add({{"result", "error"}})) {}

absl::StatusOr<std::unique_ptr<CallAuthorizer>> CallAuthorizer::Create(
    const AuthOptions& options, prometheus::Registry& registry) {
  if (options.allow_unauthenticated && !options.token_file.empty()) {
    return absl::InvalidArgumentError(
        "--token_file and --allow_unauthenticated exclude each other");
  }
  if (!options.allow_unauthenticated && options.token_file.empty()) {
    return absl::InvalidArgumentError(
        "no --token_file: give one, or pass --allow_unauthenticated to serve "
        "every caller without a token");
  }
  std::unique_ptr<CallAuthorizer> authorizer(
      new CallAuthorizer(options, registry));
  if (authorizer->enabled()) {
    absl::StatusOr<TokenTable> table = TokenTable::FromFile(options.token_file);
    if (!table.ok()) return table.status();
    authorizer->tokens_.Set(static_cast<double>(table->size()));
    absl::MutexLock lock(&authorizer->mu_);
    authorizer->table_ = std::make_shared<const TokenTable>(*std::move(table));
  }
  return authorizer;
}

absl::StatusOr<Caller> CallAuthorizer::Authorize(
    const grpc::ServerContextBase& context, Scope scope) const {
  if (!enabled()) return Caller{};
  std::shared_ptr<const TokenTable> table;
  {
    absl::MutexLock lock(&mu_);
    table = table_;
  }
  const absl::string_view token = BearerToken(context);
  absl::StatusOr<Caller> client = table->Authorize(token, scope);
  if (client.ok()) return client;
  if (token.empty()) {
    refused_no_token_.Increment();
  } else if (absl::IsUnauthenticated(client.status())) {
    refused_unknown_token_.Increment();
  } else {
    refused_missing_scope_.Increment();
  }
  return client.status();
}

absl::Status CallAuthorizer::CheckReadPaths(
    const Caller& caller, absl::Span<const absl::string_view> paths) const {
  if (caller.subtree.empty()) return absl::OkStatus();
  for (absl::string_view path : paths) {
    // An empty path is every team, above any subtree; an invalid one could
    // pass the prefix test ("eng/"), so it is outside too.
    if (IsValidTeamId(path) && IsInTeamTree(path, caller.subtree)) continue;
    refused_out_of_subtree_.Increment();
    return absl::PermissionDeniedError(absl::StrCat(
        "client \"", caller.name, "\" reads only the subtree \"",
        caller.subtree, "\" (", caller.subtree, " and ", caller.subtree,
        "/*): ",
        path.empty() ? "every team (an empty path)"
                     : absl::StrCat("\"", path, "\""),
        " is outside it; ask for ", caller.subtree, " or a team under it"));
  }
  return absl::OkStatus();
}

absl::Status CallAuthorizer::Reload() {
  if (!enabled()) return absl::OkStatus();
  absl::StatusOr<TokenTable> table = TokenTable::FromFile(options_.token_file);
  if (!table.ok()) {
    reloads_error_.Increment();
    return table.status();
  }
  tokens_.Set(static_cast<double>(table->size()));
  reloads_ok_.Increment();
  absl::MutexLock lock(&mu_);
  table_ = std::make_shared<const TokenTable>(*std::move(table));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RefuseCall(grpc::CallbackServerContext* context,
                                     const absl::Status& refusal) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(refusal));
  return reactor;
}

}  // namespace orgpulse
