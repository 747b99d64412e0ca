// `orgpulse token new NAME --scopes=SCOPE,... --secret-file=FILE`: makes a
// bearer token, writes it to FILE (created, mode 0600, never overwritten)
// and prints the line that grants it in a service's tokens file
// (--token_file), which holds only the token's SHA-256.
#ifndef ORGPULSE_CLI_APP_TOKEN_H_
#define ORGPULSE_CLI_APP_TOKEN_H_

#include <string>
#include <vector>

#include "cli/app/cli.h"

namespace orgpulse::cli {

int RunToken(const std::vector<std::string>& args, const CliContext& context);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_TOKEN_H_
