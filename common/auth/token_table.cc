#include "common/auth/token_table.h"

#include <fstream>
#include <iterator>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/digest.h"
#include "common/org/team_id.h"

namespace orgpulse {
namespace {

constexpr absl::string_view kDigestPrefix = "sha256:";
constexpr absl::string_view kSubtreePrefix = "subtree=";
constexpr size_t kMaxFileBytes = 4 << 20;

struct NamedScope {
  Scope scope;
  absl::string_view name;
};
constexpr NamedScope kScopes[] = {
    {Scope::kIngestPush, "ingest:push"},
    {Scope::kIngestRead, "ingest:read"},
    {Scope::kSurveySubmit, "survey:submit"},
    {Scope::kInsightsRead, "insights:read"},
    {Scope::kIngestAdmin, "ingest:admin"},
    {Scope::kSurveyErase, "survey:erase"},
};

}  // namespace

bool IsValidClientName(absl::string_view name) {
  if (name.empty() || name.size() > TokenTable::kMaxNameBytes) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' &&
        c != '@') {
      return false;
    }
  }
  return true;
}

absl::string_view ScopeName(Scope scope) {
  for (const NamedScope& s : kScopes) {
    if (s.scope == scope) return s.name;
  }
  return "unknown";
}

std::optional<Scope> ParseScope(absl::string_view name) {
  for (const NamedScope& s : kScopes) {
    if (s.name == name) return s.scope;
  }
  return std::nullopt;
}

bool IsReadScope(Scope scope) {
  return scope == Scope::kIngestRead || scope == Scope::kInsightsRead;
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text,
                                             absl::string_view source) {
  TokenTable table;
  absl::flat_hash_set<std::string> names;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_number, ": ", what));
    };
    if (const size_t hash = line.find('#'); hash != line.npos) {
      line = line.substr(0, hash);
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields.size() != 3 && fields.size() != 4) {
      return error(absl::StrCat(
          "expected 3 fields (name, scopes, sha256:digest) and optionally "
          "a fourth (subtree=TEAM), found ",
          fields.size()));
    }
    const absl::string_view name = fields[0];
    if (!IsValidClientName(name)) {
      return error(absl::StrCat("client name must be 1-", kMaxNameBytes,
                                " of [A-Za-z0-9._@-]"));
    }
    if (!names.insert(std::string(name)).second) {
      return error(absl::StrCat("client \"", name, "\" is listed twice"));
    }
    Client client{.caller = {.name = std::string(name)}};
    std::optional<Scope> write_scope;
    for (absl::string_view scope_name : absl::StrSplit(fields[1], ',')) {
      std::optional<Scope> scope = ParseScope(scope_name);
      if (!scope) {
        return error(absl::StrCat("unknown scope \"", scope_name,
                                  "\" (known: ingest:push, ingest:read, "
                                  "survey:submit, insights:read, "
                                  "ingest:admin)"));
      }
      if (!IsReadScope(*scope)) write_scope = scope;
      client.scopes |= static_cast<uint8_t>(*scope);
    }
    if (fields.size() == 4) {
      absl::string_view subtree = fields[3];
      if (!absl::ConsumePrefix(&subtree, kSubtreePrefix)) {
        return error("the fourth field must be subtree=TEAM");
      }
      if (std::string why = TeamIdError(subtree); !why.empty()) {
        return error(absl::StrCat("subtree: a team id ", why));
      }
      if (write_scope) {
        return error(absl::StrCat(
            "client \"", name, "\" has a subtree and the scope ",
            ScopeName(*write_scope),
            ": a subtree limits reads only; give the writer a token of its "
            "own"));
      }
      client.caller.subtree = std::string(subtree);
    }
    absl::string_view digest_hex = fields[2];
    std::optional<std::string> parsed;
    if (absl::ConsumePrefix(&digest_hex, kDigestPrefix)) {
      parsed = Sha256FromHex(digest_hex);
    }
    if (!parsed) {
      return error(
          "the third field must be sha256: and 64 lower-case hex digits (the "
          "digest of the token, not the token)");
    }
    std::string digest = *std::move(parsed);
    if (table.by_digest_.contains(digest)) {
      return error(absl::StrCat("client \"", name,
                                "\" has the same token as another client"));
    }
    if (table.by_digest_.size() == kMaxClients) {
      return error(absl::StrCat("more than ", kMaxClients, " clients"));
    }
    table.by_digest_.emplace(std::move(digest), std::move(client));
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the tokens file ", path));
  }
  std::string text;
  text.assign(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("error reading the tokens file ", path));
  }
  if (text.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the tokens file ", path, " is larger than ", kMaxFileBytes, " bytes"));
  }
  return Parse(text, path);
}

absl::StatusOr<Caller> TokenTable::Authorize(absl::string_view token,
                                             Scope scope) const {
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "this call needs a bearer token (metadata \"authorization: Bearer "
        "<token>\")");
  }
  auto it = by_digest_.find(Sha256(token));
  if (it == by_digest_.end()) {
    return absl::UnauthenticatedError("the bearer token is not known");
  }
  if ((it->second.scopes & static_cast<uint8_t>(scope)) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("client \"", it->second.caller.name, "\" lacks the scope ",
                     ScopeName(scope), " this call needs"));
  }
  return it->second.caller;
}

std::string TokenFileLine(absl::string_view name,
                          const std::vector<Scope>& scopes,
                          absl::string_view token, absl::string_view subtree) {
  std::string line =
      absl::StrCat(name, " ",
                   absl::StrJoin(scopes, ",",
                                 [](std::string* out, Scope s) {
                                   absl::StrAppend(out, ScopeName(s));
                                 }),
                   " ", kDigestPrefix, absl::BytesToHexString(Sha256(token)));
  if (!subtree.empty()) absl::StrAppend(&line, " ", kSubtreePrefix, subtree);
  return line;
}

}  // namespace orgpulse
