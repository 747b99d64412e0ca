// The flags of `orgpulse push` and what they make: the import settings,
// checked once before any file is read (a bad mapping file, key file or
// time zone is a usage error, exit code 2).
#ifndef ORGPULSE_CLI_APP_PUSH_SETTINGS_H_
#define ORGPULSE_CLI_APP_PUSH_SETTINGS_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/app/command.h"
#include "cli/app/command_line.h"
#include "cli/import/generic_events.h"
#include "cli/import/github.h"
#include "cli/import/jira.h"
#include "cli/import/linear.h"
#include "cli/import/survey.h"
#include "cli/import/team_names.h"

namespace orgpulse::cli {

enum class Format {
  kEventsCsv,
  kEventsJsonl,
  kJira,
  kSurvey,
  kResponsesJsonl,
  kGithub,
  kLinear,
  kSurveyMonkey,
};

// "events-csv", ... as --format spells them.
const char* FormatName(Format format);

// The command, its help and its flags.
const CommandSpec& PushCommand();

struct Settings {
  std::optional<Format> format;  // nullopt: by file extension
  bool dry_run = false;
  bool skip_bad_rows = false;
  // The team names of jira, github, linear and survey files (their options
  // point here).
  std::unique_ptr<TeamNames> teams;
  GenericEventOptions generic;
  JiraOptions jira;
  GithubOptions github;
  LinearOptions linear;
  // Of survey and surveymonkey files.
  std::optional<SurveyOptions> survey;
  size_t batch_size = 1000;
  int streams = 4;
  int in_flight = 8;
  size_t memory_bytes = 512 << 20;
  // What times are checked against.
  absl::Time now;
};

// INVALID_ARGUMENT (or the error of a file it reads) for a bad flag.
absl::StatusOr<Settings> SettingsFromFlags(const ParsedArgs& args,
                                           absl::Time now);

// The format of `path`: --format, or its extension.
absl::StatusOr<Format> FormatOf(const Settings& settings,
                                const std::string& path);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_PUSH_SETTINGS_H_
