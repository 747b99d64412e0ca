#include "cli/app/push_settings.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/import/text_check.h"
#include "clients/ingest_client.h"
#include "common/crypto/keyed_hash.h"

namespace orgpulse::cli {

const char* FormatName(Format f) {
  switch (f) {
    case Format::kEventsCsv:
      return "events-csv";
    case Format::kEventsJsonl:
      return "events-jsonl";
    case Format::kJira:
      return "jira";
    case Format::kSurvey:
      return "survey";
    case Format::kResponsesJsonl:
      return "responses-jsonl";
    case Format::kGithub:
      return "github";
    case Format::kLinear:
      return "linear";
    case Format::kSurveyMonkey:
      return "surveymonkey";
  }
  return "?";
}

namespace {

std::optional<Format> ParseFormat(absl::string_view name) {
  for (Format f : {Format::kEventsCsv, Format::kEventsJsonl, Format::kJira,
                   Format::kSurvey, Format::kResponsesJsonl, Format::kGithub,
                   Format::kLinear, Format::kSurveyMonkey}) {
    if (name == FormatName(f)) return f;
  }
  return std::nullopt;
}

}  // namespace

const CommandSpec& PushCommand() {
  static const auto* command = new CommandSpec{
      .name = "push",
      .usage = "push [flags] FILE...",
      .description =
          "Pushes CSV or JSON Lines files of events to the ingest service, or\n"
          "survey exports to the insights service. Each file is read and\n"
          "checked whole first (its format, and the service's own rules); if\n"
          "any row is bad, every bad row is listed as FILE:LINE: reason and\n"
          "nothing of that file is pushed. Event ids come from each row's\n"
          "identity, so pushing a file again changes nothing.\n\n"
          "formats (--format; by default .csv is events-csv, .jsonl and\n"
          ".ndjson are events-jsonl):\n"
          "  events-csv       one event per row, columns named after the API\n"
          "  events-jsonl     one orgpulse.ingest.v1.Event per line (JSON)\n"
          "  jira             a Jira CSV export (needs --team-column)\n"
          "  github           GitHub issues as JSON: gh issue list --json ...\n"
          "                   or the REST API's GET /repos/O/R/issues\n"
          "  linear           Linear's CSV export of issues\n"
          "  survey           a survey tool's CSV export with one header row\n"
          "                   (Google Forms, Microsoft Forms, Typeform; needs\n"
          "                   --survey-mapping, and --round or a round "
          "column)\n"
          "  surveymonkey     SurveyMonkey's CSV export (two header rows), as\n"
          "                   survey\n"
          "  responses-jsonl  one orgpulse.insights.v1.SurveyResponse per "
          "line\n"
          "See docs/cli.md for the columns of each format.",
      .flags = {
          {.name = "format",
           .value_name = "FORMAT",
           .help = "events-csv, events-jsonl, jira, github, linear, survey, "
                   "surveymonkey, responses-jsonl, or auto (by file "
                   "extension)",
           .default_value = "auto"},
          {.name = "dry-run", .help = "check the files only; push nothing"},
          {.name = "skip-bad-rows",
           .help = "push the good rows of a file that has bad ones (the bad "
                   "rows are still listed, and the exit code is 3)"},
          {.name = "source",
           .value_name = "NAME",
           .help = "the source of events whose rows name none (events "
                   "formats); the source of Jira, GitHub and Linear events "
                   "(default jira, github, linear)"},
          {.name = "timezone",
           .value_name = "ZONE",
           .help = "the time zone of times written without an offset, e.g. "
                   "Europe/Berlin",
           .env = "ORGPULSE_TIMEZONE",
           .default_value = "UTC"},
          {.name = "time-format",
           .value_name = "FORMAT",
           .help = "times in this absl::ParseTime (strftime-like) format, "
                   "e.g. '%d.%m.%Y %H:%M', besides ISO 8601, Jira's and "
                   "numeric dates"},
          {.name = "team-column",
           .value_name = "NAME",
           .help = "jira: the column that names each issue's team; linear: "
                   "instead of Team"},
          {.name = "team-label-prefix",
           .value_name = "PREFIX",
           .help = "github: a label PREFIX NAME names the issue's team",
           .default_value = "team:"},
          {.name = "team",
           .value_name = "NAME",
           .help = "github: the team of issues without a team label (default: "
                   "the repository's name)"},
          {.name = "team-prefix",
           .value_name = "PATH",
           .help = "jira, github, linear, survey: put PATH/ before team "
                   "names (each name "
                   "is one team: \"Platform / Infra\" is PATH/platform-infra)"},
          {.name = "team-map",
           .value_name = "FILE",
           .help = "jira, github, linear, survey: a CSV of name,team rows "
                   "mapping the export's "
                   "team names to team ids (which may be paths, eng/platform)"},
          {.name = "done-statuses",
           .value_name = "LIST",
           .help = "jira: statuses that mean done",
           .default_value = "Done,Closed,Resolved"},
          {.name = "cancelled-statuses",
           .value_name = "LIST",
           .help = "jira: statuses that mean cancelled",
           .default_value =
               "Won't Do,Wont Do,Cancelled,Canceled,Declined,Rejected,"
               "Duplicate,Abandoned"},
          {.name = "default-due-days",
           .value_name = "N",
           .help = "jira, github, linear: issues without a due date are "
                   "due N days after "
                   "creation (0: such issues are skipped)",
           .default_value = "0"},
          {.name = "survey-mapping",
           .value_name = "FILE",
           .help = "survey: the question-to-dimension mapping (CSV "
                   "column,maps_to,reverse_scored)"},
          {.name = "round",
           .value_name = "ID",
           .help = "survey: the survey round, e.g. 2026-q4 (if no column has "
                   "it)"},
          {.name = "response-key-file",
           .value_name = "FILE",
           .help = "survey: a secret (16+ bytes) to derive response ids from, "
                   "when the export has no response id column",
           .env = "ORGPULSE_RESPONSE_KEY_FILE"},
          {.name = "batch-size",
           .value_name = "N",
           .help = "events per request",
           .default_value = "1000"},
          {.name = "streams",
           .value_name = "N",
           .help = "concurrent streams to the ingest service",
           .default_value = "4"},
          {.name = "in-flight",
           .value_name = "N",
           .help = "requests sent and not yet acknowledged, per stream",
           .default_value = "8"},
          {.name = "memory-mb",
           .value_name = "N",
           .help = "memory for the checked batches of a file, kept so that "
                   "the push need not read the file again; a larger file is "
                   "read twice",
           .default_value = "512"},
          {.name = "now",
           .value_name = "TIME",
           .help = "check times against this instant (RFC 3339) instead of "
                   "the clock, like the services' --now"},
          {.name = "no-progress", .help = "no progress bar or progress lines"},
      }};
  return *command;
}

namespace {

absl::StatusOr<TeamResolver> Teams(const ParsedArgs& args) {
  const std::string& map = args.Get("team-map");
  if (map.empty()) return TeamResolver(args.Get("team-prefix"));
  if (!args.Get("team-prefix").empty()) {
    return absl::InvalidArgumentError(
        "give --team-map or --team-prefix, not both");
  }
  std::ifstream in(map, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--team-map ", map, ": ", std::strerror(errno)));
  }
  if (const absl::Status text = CheckIsText(in); !text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--team-map ", map, ": ", text.message()));
  }
  return TeamResolver::FromMapFile(in, map);
}

std::vector<std::string> List(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view s :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(s));
  }
  return out;
}

}  // namespace

absl::StatusOr<Settings> SettingsFromFlags(const ParsedArgs& args,
                                           absl::Time now) {
  Settings s;
  s.now = now;
  if (const std::string& pinned = args.Get("now"); !pinned.empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, pinned, &s.now, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--now: \"", pinned, "\" is not an RFC 3339 time"));
    }
  }
  s.dry_run = args.Flag("dry-run");
  s.skip_bad_rows = args.Flag("skip-bad-rows");
  if (args.Get("format") != "auto") {
    s.format = ParseFormat(args.Get("format"));
    if (!s.format) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--format: unknown format \"", args.Get("format"), "\""));
    }
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(args.Get("timezone"), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timezone: unknown time zone \"", args.Get("timezone"), "\""));
  }
  TimeSyntax times;
  times.format = args.Get("time-format");
  if (!times.format.empty() && !absl::StrContains(times.format, "%")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--time-format: \"", times.format,
        "\" has no conversion such as %Y or %H (see absl::ParseTime)"));
  }
  s.generic.default_source = args.Get("source");
  s.generic.zone = zone;
  s.generic.times = times;
  int n = 0;
  if (!absl::SimpleAtoi(args.Get("batch-size"), &n) || n < 1 ||
      n > IngestClient::kMaxEventsPerRequest - 16) {
    return absl::InvalidArgumentError("--batch-size must be 1 to 9984");
  }
  s.batch_size = static_cast<size_t>(n);
  if (!absl::SimpleAtoi(args.Get("in-flight"), &s.in_flight) ||
      s.in_flight < 1 || s.in_flight > 64) {
    return absl::InvalidArgumentError("--in-flight must be 1 to 64");
  }
  if (!absl::SimpleAtoi(args.Get("streams"), &s.streams) || s.streams < 1 ||
      s.streams > 16) {
    return absl::InvalidArgumentError("--streams must be 1 to 16");
  }
  if (!absl::SimpleAtoi(args.Get("memory-mb"), &n) || n < 0) {
    return absl::InvalidArgumentError("--memory-mb must be 0 or more");
  }
  s.memory_bytes = static_cast<size_t>(n) << 20;

  const bool jira = s.format == Format::kJira;
  const bool github = s.format == Format::kGithub;
  const bool linear = s.format == Format::kLinear;
  const bool survey =
      s.format == Format::kSurvey || s.format == Format::kSurveyMonkey;
  int default_due_days = 0;
  if (!absl::SimpleAtoi(args.Get("default-due-days"), &default_due_days) ||
      default_due_days < 0) {
    return absl::InvalidArgumentError("--default-due-days must be 0 or more");
  }
  if (jira || github || linear || survey) {
    absl::StatusOr<TeamResolver> teams = Teams(args);
    if (!teams.ok()) return teams.status();
    s.teams = std::make_unique<TeamNames>(*std::move(teams));
    s.jira.teams = s.teams.get();
    s.github.teams = s.teams.get();
    s.linear.teams = s.teams.get();
    if (survey) {
      s.survey.emplace();
      s.survey->teams = s.teams.get();
    }
  }
  if (github) {
    if (!args.Get("source").empty()) s.github.source = args.Get("source");
    s.github.team_label_prefix = args.Get("team-label-prefix");
    s.github.team = args.Get("team");
    s.github.default_due_days = default_due_days;
    s.github.zone = zone;
  }
  if (linear) {
    if (!args.Get("source").empty()) s.linear.source = args.Get("source");
    if (!args.Get("team-column").empty()) {
      s.linear.team_column = args.Get("team-column");
    }
    s.linear.zone = zone;
    s.linear.times = times;
    s.linear.default_due_days = default_due_days;
  }
  if (jira) {
    s.jira.team_column = args.Get("team-column");
    if (s.jira.team_column.empty()) {
      return absl::InvalidArgumentError("--format=jira needs --team-column");
    }
    if (!args.Get("source").empty()) s.jira.source = args.Get("source");
    s.jira.zone = zone;
    s.jira.times = times;
    s.jira.done_statuses = List(args.Get("done-statuses"));
    s.jira.cancelled_statuses = List(args.Get("cancelled-statuses"));
    s.jira.default_due_days = default_due_days;
  }
  if (survey) {
    const std::string& mapping_file = args.Get("survey-mapping");
    if (mapping_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--format=", FormatName(*s.format), " needs --survey-mapping"));
    }
    std::ifstream in(mapping_file, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--survey-mapping ", mapping_file, ": ", std::strerror(errno)));
    }
    if (const absl::Status text = CheckIsText(in); !text.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--survey-mapping ", mapping_file, ": ", text.message()));
    }
    absl::StatusOr<SurveyMapping> mapping =
        ParseSurveyMapping(in, mapping_file);
    if (!mapping.ok()) return mapping.status();
    s.survey->mapping = *std::move(mapping);
    s.survey->round = args.Get("round");
    s.survey->zone = zone;
    s.survey->times = times;
    if (!args.Get("response-key-file").empty()) {
      absl::StatusOr<KeyedHasher> key =
          KeyedHasher::FromFile(args.Get("response-key-file"));
      if (!key.ok()) return key.status();
      s.survey->response_key = *std::move(key);
    }
    // Checks round and ids once, for every file.
    absl::StatusOr<std::unique_ptr<SurveyMapper>> mapper =
        SurveyMapper::Create(*s.survey);
    if (!mapper.ok()) return mapper.status();
  }
  return s;
}

absl::StatusOr<Format> FormatOf(const Settings& s, const std::string& path) {
  if (s.format) return *s.format;
  const std::string ext =
      absl::AsciiStrToLower(std::filesystem::path(path).extension().string());
  if (ext == ".csv") return Format::kEventsCsv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::kEventsJsonl;
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot tell the format of ", path, " from its name: give --format"));
}

}  // namespace orgpulse::cli
