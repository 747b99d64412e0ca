#include "cli/app/token.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/app/command.h"
#include "common/auth/token_table.h"
#include "common/crypto/digest.h"
#include "common/org/team_id.h"

namespace orgpulse::cli {
namespace {

// Creates `path` readable by its owner only; fails if it exists.
absl::Status WriteSecretFile(const std::string& path,
                             const std::string& secret) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create ", path, ": ", std::strerror(errno),
        errno == EEXIST ? " (an existing token is never overwritten)" : ""));
  }
  const std::string content = secret + "\n";
  const bool ok = write(fd, content.data(), content.size()) ==
                      static_cast<ssize_t>(content.size()) &&
                  fsync(fd) == 0;
  close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

int RunToken(const std::vector<std::string>& args, const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "token",
      .usage =
          "token new NAME --scopes=SCOPE[,SCOPE...] --secret-file=FILE "
          "[--subtree=TEAM]",
      .description =
          "Makes a bearer token for the client NAME, writes it to FILE\n"
          "(created with mode 0600; an existing file is never overwritten)\n"
          "and prints the line to append to the services' tokens file\n"
          "(--token_file), which holds the token's SHA-256, not the token.\n"
          "After editing the tokens file, send the service SIGHUP.\n"
          "\n"
          "scopes: ingest:push, ingest:read, survey:submit, insights:read,\n"
          "ingest:admin, survey:erase\n"
          "\n"
          "--subtree=eng limits a reader to eng and eng/*: any read of\n"
          "another team, or of a rollup above eng, is refused. Read scopes\n"
          "only.",
      .flags = {
          {.name = "scopes",
           .value_name = "LIST",
           .help = "comma-separated scopes the token grants"},
          {.name = "secret-file",
           .value_name = "FILE",
           .help = "where to write the token (for --token-file)"},
          {.name = "subtree",
           .value_name = "TEAM",
           .help = "read only this team and the teams under it"},
      }};
  ParsedArgs parsed;
  if (auto done = ParseCommand(*command, args, context, parsed)) return *done;
  const std::vector<std::string>& positionals = parsed.positionals();
  if (positionals.size() != 2 || positionals[0] != "new") {
    return UsageError(*command, context, "expected: token new NAME");
  }
  const std::string& name = positionals[1];
  if (!IsValidClientName(name)) {
    return UsageError(*command, context,
                      absl::StrCat("NAME must be 1-", TokenTable::kMaxNameBytes,
                                   " of [A-Za-z0-9._@-]"));
  }
  std::vector<Scope> scopes;
  for (absl::string_view s :
       absl::StrSplit(parsed.Get("scopes"), ',', absl::SkipEmpty())) {
    std::optional<Scope> scope = ParseScope(s);
    if (!scope) {
      return UsageError(*command, context,
                        absl::StrCat("--scopes: unknown scope \"", s, "\""));
    }
    scopes.push_back(*scope);
  }
  if (scopes.empty()) {
    return UsageError(*command, context, "--scopes is required");
  }
  if (parsed.Get("secret-file").empty()) {
    return UsageError(*command, context, "--secret-file is required");
  }
  const std::string subtree = parsed.Get("subtree");
  if (!subtree.empty()) {
    if (std::string why = TeamIdError(subtree); !why.empty()) {
      return UsageError(*command, context,
                        absl::StrCat("--subtree: a team id ", why));
    }
    for (Scope scope : scopes) {
      if (!IsReadScope(scope)) {
        return UsageError(
            *command, context,
            absl::StrCat("--subtree limits reads only, not ", ScopeName(scope),
                         ": give the writer a token of its own"));
      }
    }
  }
  const std::string token = RandomToken();
  const std::string line = TokenFileLine(name, scopes, token, subtree);
  if (absl::Status s = WriteSecretFile(parsed.Get("secret-file"), token);
      !s.ok()) {
    return Fail(context, kExitFailure, s.message());
  }
  *context.out << line << "\n";
  return kExitOk;
}

}  // namespace orgpulse::cli
