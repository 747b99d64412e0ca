// Who may call what: bearer tokens and their scopes, read from a tokens file
// that holds the SHA-256 of each token, never the token itself.
//
// The file has one client per line: a name, its scopes (comma-separated),
// the digest of its token and, for a reader limited to part of the org, a
// team subtree. Blank lines and '#' comments are ignored.
//
//   # name       scopes                      sha256 of the token    [subtree]
//   jira-sync    ingest:push                 sha256:9c56cc51b374c3ba...
//   insights     ingest:read                 sha256:2cf24dba5fb0a30e...
//   grafana      insights:read,ingest:read   sha256:486ea46224d1bb4f...
//   eng-lead     insights:read               sha256:5feceb66ffc86f38...
//   subtree=eng
//
// A subtree (a valid team id, common/org) limits what the token reads to
// that team and the teams under it; it may only go with read scopes, since
// it says nothing about what a writer may write. The check itself is
// CallAuthorizer::CheckReadPaths.
//
// `orgpulse token new` makes a token and prints its line. Pure: no gRPC.
//
// Example:
//   absl::StatusOr<TokenTable> table = TokenTable::FromFile(path);
//   absl::StatusOr<Caller> caller =
//       table->Authorize(token, Scope::kIngestPush);
#ifndef ORGPULSE_COMMON_AUTH_TOKEN_TABLE_H_
#define ORGPULSE_COMMON_AUTH_TOKEN_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orgpulse {

// What a token may do; each RPC needs exactly one.
enum class Scope : uint8_t {
  kIngestPush = 1,    // ingest: Push, PushStream
  kIngestRead = 2,    // ingest: GetTeamExecution, ListTeams
  kSurveySubmit = 4,  // insights: SubmitSurveyResponses
  kInsightsRead = 8,  // insights: GetTeamInsights, ListTeamInsights
  kIngestAdmin = 16,  // ingest: RemoveEvents
  kSurveyErase = 32,  // insights: EraseRespondent
};

// "ingest:push", "ingest:read", "survey:submit", "insights:read",
// "ingest:admin", "survey:erase".
absl::string_view ScopeName(Scope scope);
std::optional<Scope> ParseScope(absl::string_view name);

// True for the scopes that only read (a subtree may limit them).
bool IsReadScope(Scope scope);

// Who a call is from, once its token is known.
struct Caller {
  std::string name;
  // The teams it may read: this team id and those under it. Empty: every
  // team (and always so for a caller without a token when the service
  // serves every caller).
  std::string subtree;
};

class TokenTable {
 public:
  static constexpr size_t kMaxClients = 10000;
  static constexpr size_t kMaxNameBytes = 64;

  // INVALID_ARGUMENT naming `source` and the line of the first problem
  // (never a digest); NOT_FOUND / FAILED_PRECONDITION if the file cannot be
  // read.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text,
                                          absl::string_view source);
  static absl::StatusOr<TokenTable> FromFile(const std::string& path);

  // The client (name and subtree) if `token` is known and has `scope`.
  // UNAUTHENTICATED for an empty or unknown token; PERMISSION_DENIED naming
  // the client and the missing scope. No message contains the token.
  absl::StatusOr<Caller> Authorize(absl::string_view token, Scope scope) const;

  size_t size() const { return by_digest_.size(); }

 private:
  struct Client {
    Caller caller;
    uint8_t scopes = 0;
  };
  // Keyed by the token's SHA-256 (32 raw bytes). Looking up by digest leaks
  // nothing useful through timing: an attacker learns about digests, not
  // tokens.
  absl::flat_hash_map<std::string, Client> by_digest_;
};

// 1 to kMaxNameBytes of [A-Za-z0-9._@-].
bool IsValidClientName(absl::string_view name);

// The tokens-file line granting `scopes` to `name` for `token`, limited to
// `subtree` when not empty.
std::string TokenFileLine(absl::string_view name,
                          const std::vector<Scope>& scopes,
                          absl::string_view token,
                          absl::string_view subtree = "");

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_AUTH_TOKEN_TABLE_H_
