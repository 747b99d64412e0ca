// Flags of the command line's subcommands: `--name=value`, `--name value`,
// `--flag` (booleans), `--` ends the flags; `-h`/`--help` asks for help.
// Names are spelled with `-`; `_` is accepted too. A flag not given takes
// its environment variable, then its default. Pure: the environment is
// passed in.
//
// Example:
//   const std::vector<FlagSpec> specs = {
//       {.name = "ingest", .value_name = "HOST:PORT", .help = "...",
//        .env = "ORGPULSE_INGEST", .default_value = "127.0.0.1:50051"},
//       {.name = "json", .help = "print JSON"}};
//   absl::StatusOr<ParsedArgs> args = ParseArgs(argv_tail, specs, env);
//   args->Get("ingest");  args->Flag("json");  args->positionals();
#ifndef ORGPULSE_CLI_APP_COMMAND_LINE_H_
#define ORGPULSE_CLI_APP_COMMAND_LINE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace orgpulse::cli {

struct FlagSpec {
  std::string name;
  // Empty for a boolean flag.
  std::string value_name;
  std::string help;
  std::string env;
  std::string default_value;
};

// Looks up an environment variable.
using Environment =
    std::function<std::optional<std::string>(const std::string& name)>;

class ParsedArgs {
 public:
  // The flag's value, else its environment variable's, else its default.
  const std::string& Get(const std::string& name) const;
  // A boolean flag (or its environment variable: 1, true, yes).
  bool Flag(const std::string& name) const;
  // Whether the value came from the command line or the environment.
  bool IsSet(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help() const { return help_; }

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string>,
                                              const std::vector<FlagSpec>&,
                                              const Environment&);
  absl::flat_hash_map<std::string, std::string> values_;
  absl::flat_hash_map<std::string, bool> set_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

// INVALID_ARGUMENT for an unknown flag, a missing value or a boolean that is
// not one.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     const std::vector<FlagSpec>& specs,
                                     const Environment& env);

// The flags' help, one block per flag.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_COMMAND_LINE_H_
