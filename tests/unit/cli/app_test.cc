// The command line's flag handling, client options and exit codes, without
// a service (an address nothing listens on stands for an unreachable one).
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app/cli.h"
#include "cli/app/command_line.h"
#include "cli/app/connection.h"
#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::cli {
namespace {

using ::orgpulse::testing::StatusIs;
using ::orgpulse::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

Environment Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::vector<FlagSpec> kSpecs = {
    {.name = "ingest",
     .value_name = "ADDR",
     .env = "X_INGEST",
     .default_value = "127.0.0.1:50051"},
    {.name = "team-column", .value_name = "NAME"},
    {.name = "dry-run"},
    {.name = "json", .env = "X_JSON"},
};

TEST(ParseArgsTest, FlagsPositionalsAndPrecedence) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs({"a.csv", "--team_column", "Team", "--dry-run", "--ingest=h:1",
                 "--", "--not-a-flag.csv"},
                kSpecs, Env({{"X_INGEST", "env:2"}}));
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positionals(), ElementsAre("a.csv", "--not-a-flag.csv"));
  EXPECT_EQ(args->Get("team-column"), "Team");
  EXPECT_TRUE(args->Flag("dry-run"));
  EXPECT_FALSE(args->Flag("json"));
  EXPECT_EQ(args->Get("ingest"), "h:1");  // the flag beats the environment
  EXPECT_FALSE(args->help());

  args =
      ParseArgs({"-h"}, kSpecs, Env({{"X_INGEST", "env:2"}, {"X_JSON", "1"}}));
  ASSERT_TRUE(args.ok());
  EXPECT_TRUE(args->help());
  EXPECT_EQ(args->Get("ingest"), "env:2");  // the environment beats the default
  EXPECT_TRUE(args->IsSet("ingest"));
  EXPECT_TRUE(args->Flag("json"));
  args = ParseArgs({}, kSpecs, Env({}));
  EXPECT_EQ(args->Get("ingest"), "127.0.0.1:50051");
  EXPECT_FALSE(args->IsSet("ingest"));
  EXPECT_TRUE(ParseArgs({"--dry-run=false"}, kSpecs, Env({})).ok());
  EXPECT_FALSE(
      ParseArgs({"--dry-run=false"}, kSpecs, Env({}))->Flag("dry-run"));
}

TEST(ParseArgsTest, Errors) {
  EXPECT_THAT(ParseArgs({"--nope"}, kSpecs, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown flag --nope")));
  EXPECT_THAT(ParseArgs({"-x"}, kSpecs, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("-x")));
  EXPECT_THAT(ParseArgs({"--team-column"}, kSpecs, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--team-column needs a value (NAME)")));
  EXPECT_THAT(ParseArgs({"--dry-run=maybe"}, kSpecs, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("takes true or false")));
  EXPECT_THAT(
      ParseArgs({}, kSpecs, Env({{"X_JSON", "perhaps"}})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("X_JSON")));
}

absl::StatusOr<ClientOptions> Options(
    std::vector<std::string> argv,
    std::map<std::string, std::string> env = {}) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(argv, ConnectionFlags(), Env(env));
  EXPECT_TRUE(args.ok()) << args.status();
  return ClientOptionsFromFlags(*args, Service::kInsights);
}

TEST(ClientOptionsFromFlagsTest, FromFlagsAndEnvironment) {
  TempDir dir;
  const std::string token_file = dir.path() + "/token";
  std::ofstream(token_file) << "s3cret\n";
  absl::StatusOr<ClientOptions> options =
      Options({"--timeout=2m", "--retries=3", "--token-file", token_file},
              {{"ORGPULSE_INSIGHTS", "insights:443"},
               {"ORGPULSE_CA_FILE", "/etc/ca.pem"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->address, "insights:443");
  EXPECT_EQ(options->ca_file, "/etc/ca.pem");
  EXPECT_EQ(options->token, "s3cret");
  EXPECT_EQ(options->timeout, absl::Minutes(2));
  EXPECT_EQ(options->retry.max_attempts, 3);
  EXPECT_EQ(Options({"--timeout=5"})->timeout, absl::Seconds(5));
}

TEST(ClientOptionsFromFlagsTest, RetryForRidesOutARestartUnlessRetriesAlone) {
  EXPECT_EQ(Options({})->retry.retry_for, absl::Seconds(60));
  EXPECT_EQ(Options({})->retry.max_attempts, 5);
  EXPECT_EQ(Options({"--retry-for=2m"})->retry.retry_for, absl::Minutes(2));
  EXPECT_EQ(Options({"--retry-for=0"})->retry.retry_for, absl::ZeroDuration());
  // --retries alone keeps its meaning: that many attempts, then give up.
  EXPECT_EQ(Options({"--retries=2"})->retry.retry_for, absl::ZeroDuration());
  EXPECT_EQ(Options({}, {{"ORGPULSE_RETRIES", "2"}})->retry.retry_for,
            absl::ZeroDuration());
  absl::StatusOr<ClientOptions> both =
      Options({"--retries=2", "--retry-for=10s"});
  EXPECT_EQ(both->retry.max_attempts, 2);
  EXPECT_EQ(both->retry.retry_for, absl::Seconds(10));
  EXPECT_THAT(
      Options({"--retry-for=later"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--retry-for")));
  EXPECT_THAT(
      Options({"--retry-for=-1s"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--retry-for")));
}

TEST(ClientOptionsFromFlagsTest, BadValuesAreNamed) {
  EXPECT_THAT(
      Options({"--timeout=soon"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--timeout")));
  EXPECT_THAT(
      Options({"--timeout=-1s"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("positive")));
  EXPECT_THAT(
      Options({"--retries=0"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--retries")));
  EXPECT_THAT(Options({"--token-file=/nonexistent/token"}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("token file /nonexistent/token")));
  EXPECT_THAT(
      Options({"--token=a", "--token-file=/x"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
}

TEST(DescribeServerErrorTest, OneClearLinePerKind) {
  EXPECT_EQ(DescribeServerError(Service::kIngest, "h:1",
                                absl::UnavailableError("connection refused")),
            "cannot reach the ingest service at h:1 (connection refused)");
  EXPECT_THAT(DescribeServerError(Service::kInsights, "h:2",
                                  absl::UnauthenticatedError("bad token")),
              HasSubstr("the insights service at h:2 refused the credentials"));
  EXPECT_EQ(ExitCodeForServerStatus(absl::InvalidArgumentError("")),
            kExitInvalidInput);
  EXPECT_EQ(ExitCodeForServerStatus(absl::NotFoundError("")),
            kExitInvalidInput);
  EXPECT_EQ(ExitCodeForServerStatus(absl::UnavailableError("")), kExitServer);
  EXPECT_EQ(ExitCodeForServerStatus(absl::ResourceExhaustedError("")),
            kExitServer);
  EXPECT_EQ(ExitCodeForServerStatus(absl::PermissionDeniedError("")),
            kExitServer);
}

// Runs the command line in process.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun RunWith(std::vector<std::string> args,
               std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  const SystemClock clock;
  const CliContext context{.env = Env(env),
                           .out = &out,
                           .err = &err,
                           .err_is_terminal = false,
                           .clock = &clock};
  const int code = RunCli(args, context);
  return {code, out.str(), err.str()};
}

int CountLines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(RunCliTest, HelpForEveryCommand) {
  EXPECT_EQ(RunWith({"--help"}).code, kExitOk);
  EXPECT_THAT(RunWith({"help"}).out, HasSubstr("commands:"));
  for (const char* command : {"push", "teams", "execution", "insights"}) {
    const CliRun run = RunWith({command, "--help"});
    EXPECT_EQ(run.code, kExitOk) << command;
    EXPECT_THAT(run.out,
                AllOf(StartsWith(std::string("usage: orgpulse ") + command),
                      HasSubstr("--ingest=HOST:PORT"),
                      HasSubstr("[$ORGPULSE_TOKEN]"), HasSubstr("exit codes")))
        << command;
    EXPECT_THAT(run.err, IsEmpty());
  }
  EXPECT_THAT(RunWith({"push", "--help"}).out,
              AllOf(HasSubstr("--team-column=NAME"), HasSubstr("--dry-run"),
                    HasSubstr("--survey-mapping=FILE")));
}

TEST(RunCliTest, UsageErrorsAreOneLineAndExitTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"push"},
           {"push", "--nope", "a.csv"},
           {"push", "--format=xml", "a.csv"},
           {"push", "--format=jira", "a.csv"},
           {"push", "--format=survey", "a.csv"},
           {"push", "--timezone=Mars/Olympus", "a.csv"},
           {"push", "a.txt"},
           {"execution"},
           {"teams", "a", "b"},
           {"insights", "--order=size"}}) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << ::testing::PrintToString(args);
    if (!args.empty()) {
      EXPECT_EQ(CountLines(run.err), 1) << run.err;
      EXPECT_THAT(run.err, StartsWith("orgpulse")) << run.err;
    }
  }
  EXPECT_THAT(RunWith({"push", "--format=jira", "a.csv"}).err,
              HasSubstr("--format=jira needs --team-column"));
}

TEST(RunCliTest, SurveyEraseNeedsItsSubcommandAndARespondent) {
  const CliRun help = RunWith({"survey", "--help"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_THAT(help.out,
              AllOf(StartsWith("usage: orgpulse survey erase"),
                    HasSubstr("--respondent=ID"), HasSubstr("survey:erase")));
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"survey"},
           {"survey", "forget", "--respondent=a@example.com"},
           {"survey", "erase"},
           {"survey", "erase", "--respondent="},
           {"survey", "erase", "extra", "--respondent=a@example.com"}}) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_EQ(CountLines(run.err), 1) << run.err;
    EXPECT_THAT(run.err, StartsWith("orgpulse survey: ")) << run.err;
  }
  EXPECT_THAT(RunWith({"survey", "erase"}).err,
              HasSubstr("--respondent is required"));
  // The id is sent to the service, never echoed in an error.
  const CliRun down = RunWith({"survey", "erase", "--respondent=a@example.com",
                               "--insights=127.0.0.1:1", "--retries=1"});
  EXPECT_EQ(down.code, kExitServer);
  EXPECT_THAT(down.err, AllOf(HasSubstr("cannot reach the insights service"),
                              Not(HasSubstr("a@example.com"))));
}

TEST(RunCliTest, TlsConfigurationErrorsAreClearUsageErrors) {
  const CliRun run = RunWith({"teams", "--ca-file=/nonexistent/ca.pem"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(
      run.err,
      "orgpulse: CA file /nonexistent/ca.pem: No such file or directory\n");
  const CliRun token = RunWith({"insights", "--insights=example.com:443"},
                               {{"ORGPULSE_TOKEN", "t0ken"}});
  EXPECT_EQ(token.code, kExitUsage);
  EXPECT_THAT(token.err,
              AllOf(HasSubstr("only over TLS"), Not(HasSubstr("t0ken"))));
}

TEST(RunCliTest, UnreachableServiceExitsFour) {
  // Port 1 on loopback: nothing listens there.
  const CliRun run = RunWith({"teams", "--ingest=127.0.0.1:1", "--retries=1"});
  EXPECT_EQ(run.code, kExitServer);
  EXPECT_THAT(run.err,
              StartsWith("orgpulse: cannot reach the ingest service at "
                         "127.0.0.1:1"));
  EXPECT_EQ(CountLines(run.err), 1);
}

// A team map or a survey mapping that is not text: one line saying so.
TEST(RunCliTest, MappingFilesThatAreNotTextAreOneLineUsageErrors) {
  TempDir dir;
  const std::string utf16 = dir.path() + "/teams.csv";
  {
    std::ofstream out(utf16, std::ios::binary);
    out << "\xFF\xFE";  // Excel's "Unicode text"
    for (char c : std::string("name,team\nPayments,eng/payments\n")) {
      out << c << '\0';
    }
  }
  const std::string gzipped = dir.path() + "/mapping.csv";
  std::ofstream(gzipped, std::ios::binary)
      << std::string("\x1F\x8B\x08\x00\x00\x00\x00\x00\x02\x03", 10);
  const CliRun map =
      RunWith({"push", "--format=jira", "--team-column=Team",
               "--team-map=" + utf16, dir.path() + "/export.csv"});
  EXPECT_EQ(map.code, kExitUsage);
  EXPECT_EQ(CountLines(map.err), 1) << map.err;
  EXPECT_THAT(map.err, HasSubstr("--team-map " + utf16 +
                                 ": is UTF-16; save it as UTF-8"));
  const CliRun mapping =
      RunWith({"push", "--format=survey", "--survey-mapping=" + gzipped,
               "--round=2026-q4", dir.path() + "/export.csv"});
  EXPECT_EQ(mapping.code, kExitUsage);
  EXPECT_EQ(CountLines(mapping.err), 1) << mapping.err;
  EXPECT_THAT(mapping.err,
              HasSubstr("--survey-mapping " + gzipped +
                        ": is gzip-compressed; decompress it first"));
}

TEST(RunCliTest, BadFilesExitThreeAndNameTheirLines) {
  TempDir dir;
  const std::string file = dir.path() + "/events.csv";
  std::ofstream(file)
      << "kind,source,team,occurred_at,task_id\n"
         "task_started,jira,eng,2026-03-01T00:00:00Z,T-1\n"
         "task_started,jira,Not A Team,2026-03-01T00:00:00Z,T-2\n"
         "task_started,jira,eng,never,T-3\n";
  const CliRun run =
      RunWith({"push", "--dry-run", "--now=2026-11-20T12:00:00Z", file});
  EXPECT_EQ(run.code, kExitInvalidInput);
  EXPECT_THAT(run.err, AllOf(HasSubstr(file + ":3: team "),
                             HasSubstr(file + ":4: occurred_at: cannot read")));
  EXPECT_THAT(run.err, HasSubstr("2 of 3 rows rejected; nothing pushed"));
  const CliRun missing =
      RunWith({"push", "--dry-run", dir.path() + "/none.csv"});
  EXPECT_EQ(missing.code, kExitInvalidInput);
  EXPECT_THAT(missing.err, HasSubstr("none.csv: cannot open: No such file"));
}

TEST(RunCliTest, DryRunOfAGoodFileNeedsNoServer) {
  TempDir dir;
  const std::string file = dir.path() + "/events.jsonl";
  std::ofstream(file)
      << "{\"source\":\"jira\",\"team\":\"eng\",\"occurred_at\":"
         "\"2026-03-01T00:00:00Z\",\"task_started\":{\"task_id\":"
         "\"T-1\"}}\n";
  const CliRun run = RunWith({"push", "--dry-run", "--ingest=127.0.0.1:1",
                              "--json", "--now=2026-11-20T12:00:00Z", file});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  // With --json stdout is the JSON object alone; the summary is on stderr.
  EXPECT_THAT(run.out, AllOf(StartsWith("{\"files\":[{"), EndsWith("}]}\n"),
                             HasSubstr("\"outcome\":\"checked\""),
                             HasSubstr("\"format\":\"events-jsonl\"")));
  EXPECT_THAT(run.err, HasSubstr("1 rows, 1 events, 0 rejected: checked"));
}

}  // namespace
}  // namespace orgpulse::cli
