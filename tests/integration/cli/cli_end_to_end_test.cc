// The orgpulse command line end to end: the real services on 127.0.0.1, the
// real `orgpulse` binary run as a user would, sample files in
// tests/integration/cli/data: a generic events CSV and JSON Lines file, a
// realistic Jira export (BOM, CRLF, quoting, line breaks in cells, empty
// cells, local times across a clock change), a file with bad rows, a
// survey export with its question mapping, Jira exports with a team name
// holding a slash and with US-locale times, files that are not text, GitHub
// issues (gh and the REST API), a Linear export, and the survey exports of
// Microsoft Forms, Typeform and SurveyMonkey.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"

namespace orgpulse::cli {
namespace {

using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kNow[] = "2026-11-20T12:00:00Z";
const std::string kData = ORGPULSE_CLI_TEST_DATA;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Parses `json` with Debian's python3 (strictly: one JSON value, nothing
// before or after it) and prints `expression` of it, `d`; what python3
// printed, or its error.
std::string JsonQuery(const std::string& json, const std::string& expression) {
  TempDir dir;
  const std::string path = dir.path() + "/stdout.json";
  std::ofstream(path) << json;
  const std::string command = absl::StrCat(
      "/usr/bin/python3 -c 'import json, sys; d = json.load(open("
      "sys.argv[1])); print(",
      expression, ")' ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot run python3";
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    out.append(buffer, n);
  }
  pclose(pipe);
  return out;
}

int CountLines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

class CliEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.path() + "/respondent.key";
    std::ofstream(key_file_) << "test-respondent-secret-0123456789\n";
    response_key_file_ = dir_.path() + "/response.key";
    std::ofstream(response_key_file_) << "test-response-id-secret-98765\n";
    ingest_ = std::make_unique<ServerProcess>(
        ORGPULSE_INGEST_BINARY,
        std::vector<std::string>{absl::StrCat("--now=", kNow)});
    ASSERT_TRUE(ingest_->Start().ok());
  }

  void StartInsights() {
    insights_ = std::make_unique<ServerProcess>(
        ORGPULSE_INSIGHTS_BINARY,
        std::vector<std::string>{
            absl::StrCat("--now=", kNow),
            absl::StrCat("--ingest_address=", ingest_->grpc_target()),
            "--ingest_refresh=200ms", "--respondent_key_file=" + key_file_});
    ASSERT_TRUE(insights_->Start().ok());
  }

  // Runs `orgpulse ARGS...` with the services' addresses in the environment,
  // as a user's shell would have them.
  CliRun Orgpulse(std::vector<std::string> args) {
    return Finish(Spawn(std::move(args), "run"));
  }

  // Starts `orgpulse ARGS...` (its stdout and stderr go to NAME.out and
  // NAME.err) without waiting for it.
  struct Spawned {
    pid_t pid = -1;
    std::string out_path;
    std::string err_path;
  };
  Spawned Spawn(std::vector<std::string> args, const std::string& name) {
    const std::string out_path = dir_.path() + "/" + name + ".out";
    const std::string err_path = dir_.path() + "/" + name + ".err";
    std::vector<std::string> env = {
        "ORGPULSE_INGEST=" + ingest_->grpc_target(),
        "PATH=/usr/bin:/bin",
    };
    if (insights_)
      env.push_back("ORGPULSE_INSIGHTS=" + insights_->grpc_target());
    args.insert(args.begin(), ORGPULSE_CLI_BINARY);
    const pid_t pid = fork();
    if (pid == 0) {
      const int out =
          open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err =
          open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      std::vector<char*> argv, envp;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      for (std::string& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    return {pid, out_path, err_path};
  }

  // Waits for a spawned run (up to `timeout`, then kills it: code -1).
  static CliRun Finish(const Spawned& spawned,
                       absl::Duration timeout = absl::Minutes(5)) {
    int status = 0;
    const absl::Time deadline = absl::Now() + timeout;
    while (waitpid(spawned.pid, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(spawned.pid, SIGKILL);
        waitpid(spawned.pid, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    CliRun run;
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = ReadAll(spawned.out_path);
    run.err = ReadAll(spawned.err_path);
    return run;
  }

  CliRun PushJira() {
    return Orgpulse({"push", "--format=jira",
                     "--team-column=Custom field (Team)", "--team-prefix=eng",
                     "--timezone=Europe/Berlin", absl::StrCat("--now=", kNow),
                     kData + "/jira_export.csv"});
  }

  TempDir dir_;
  std::string key_file_;
  std::string response_key_file_;
  std::unique_ptr<ServerProcess> ingest_;
  std::unique_ptr<ServerProcess> insights_;
};

TEST_F(CliEndToEndTest, JiraExportLandsAndReimportingChangesNothing) {
  const CliRun first = PushJira();
  ASSERT_EQ(first.code, 0) << first.err;
  // 9 issues: PAY-106 has no due date; the rest give a created event each
  // and, when done or cancelled, a second one.
  EXPECT_THAT(
      first.out,
      AllOf(HasSubstr("jira_export.csv: 9 rows, 14 events: 14 accepted, "
                      "0 duplicates, 0 rejected"),
            HasSubstr("skipped 1 rows: no due date")));
  EXPECT_THAT(first.err, Not(HasSubstr("orgpulse:")));

  const CliRun payments = Orgpulse({"execution", "eng/payments", "--json"});
  ASSERT_EQ(payments.code, 0) << payments.err;
  // PAY-104 and PAY-105 open, PAY-105 past its due date; PAY-101 on time,
  // PAY-102 late; PAY-103 won't do.
  EXPECT_THAT(payments.out,
              AllOf(HasSubstr("\"open\":\"2\""), HasSubstr("\"overdue\":\"1\""),
                    HasSubstr("\"completed_on_time\":\"1\""),
                    HasSubstr("\"completed_late\":\"1\""),
                    HasSubstr("\"cancelled\":\"1\"")));
  // PLAT-1 was created at 10:00 summer time and resolved at 10:00 winter
  // time a week later: 7 days and 1 hour, if the export's local times were
  // read in the zone given.
  const CliRun platform = Orgpulse({"execution", "eng/platform", "--json"});
  EXPECT_THAT(platform.out, HasSubstr("\"cycle_time_p50_seconds\":608400"));
  // SRCH-8 is Closed without a Resolved date: completed at Updated, a day
  // after its due date.
  EXPECT_THAT(Orgpulse({"execution", "eng/search", "--json"}).out,
              AllOf(HasSubstr("\"completed_late\":\"1\""),
                    HasSubstr("\"cancelled\":\"1\"")));

  const std::string before = Orgpulse({"execution", "eng", "--json"}).out;
  const CliRun again = PushJira();
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out,
              HasSubstr("14 events: 0 accepted, 14 duplicates, 0 rejected"));
  EXPECT_EQ(Orgpulse({"execution", "eng", "--json"}).out, before);

  const CliRun table = Orgpulse({"teams"});
  EXPECT_EQ(table.code, 0);
  EXPECT_EQ(table.out,
            "TEAM          EVENTS  LAST EVENT\n"
            "eng/payments       8  2026-11-03T08:00:00Z\n"
            "eng/platform       2  2026-10-27T09:00:00Z\n"
            "eng/search         4  2026-10-24T08:00:00Z\n");
  const CliRun json = Orgpulse({"teams", "eng/search", "--json"});
  EXPECT_EQ(
      json.out,
      "{\"teams\":[{\"team\":\"eng/search\",\"events\":\"4\",\"last_event_at\":"
      "\"2026-10-24T08:00:00Z\"}]}\n");
  const CliRun rollup = Orgpulse({"execution", "eng"});
  EXPECT_THAT(
      rollup.out,
      AllOf(StartsWith("eng: 14 events, as of 2026-11-20T12:00:00Z\n"
                       "rolls up 3 teams: eng/payments, eng/platform, "
                       "eng/search\n"),
            HasSubstr("2 open, 1 overdue, 2 cancelled; on time 50% (2 of 4)")));
}

// The wrong file imported, then undone: a dry run says what would go and
// changes nothing; the removal leaves the figures as before the import; the
// file can then be imported again.
TEST_F(CliEndToEndTest, RemoveUndoesTheImportOfOneSource) {
  const CliRun base =
      Orgpulse({"push", absl::StrCat("--now=", kNow), kData + "/events.csv"});
  ASSERT_EQ(base.code, 0) << base.err;
  const std::string teams_before = Orgpulse({"teams", "--json"}).out;
  const std::string ops_before = Orgpulse({"execution", "ops", "--json"}).out;
  ASSERT_EQ(PushJira().code, 0);
  const std::string teams_with_jira = Orgpulse({"teams", "--json"}).out;
  ASSERT_NE(teams_with_jira, teams_before);

  const CliRun dry = Orgpulse({"remove", "--source=jira", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out,
              AllOf(StartsWith("dry run: would remove 14 events of source "
                               "jira, leaving 8; nothing was changed\n"),
                    ContainsRegex("eng/payments +8 +8 -> gone +2 -> gone")));
  EXPECT_EQ(Orgpulse({"teams", "--json"}).out, teams_with_jira);

  // Bounds outside every event: nothing to remove.
  const CliRun none = Orgpulse(
      {"remove", "--source=jira", "--from=2020-01-01", "--to=2020-02-01"});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_EQ(none.out, "removed 0 events of source jira; 22 remain\n");

  const CliRun removed = Orgpulse({"remove", "--source=jira", "--json"});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_EQ(JsonQuery(removed.out,
                      "d[\"removed\"], d[\"remaining\"], "
                      "[t[\"team\"] for t in d[\"teams\"]]"),
            "14 8 ['eng/payments', 'eng/platform', 'eng/search']\n");
  EXPECT_EQ(Orgpulse({"teams", "--json"}).out, teams_before);
  EXPECT_EQ(Orgpulse({"execution", "ops", "--json"}).out, ops_before);

  EXPECT_EQ(Orgpulse({"remove", "--source=jira"}).out,
            "removed 0 events of source jira; 8 remain\n");
  const CliRun again = PushJira();
  EXPECT_THAT(again.out, HasSubstr("14 events: 14 accepted, 0 duplicates"));
  EXPECT_EQ(Orgpulse({"teams", "--json"}).out, teams_with_jira);

  // Mistakes: one line each, nothing removed.
  const CliRun no_source = Orgpulse({"remove"});
  EXPECT_EQ(no_source.code, 2);
  EXPECT_THAT(no_source.err, HasSubstr("which source?"));
  const CliRun bad_time = Orgpulse({"remove", "--source=jira", "--from=soon"});
  EXPECT_EQ(bad_time.code, 2);
  EXPECT_THAT(bad_time.err, HasSubstr("--from: "));
  const CliRun bad_source = Orgpulse({"remove", "--source=Jira Export"});
  EXPECT_EQ(bad_source.code, 3);
  EXPECT_THAT(bad_source.err, HasSubstr("source"));
  const CliRun backwards = Orgpulse(
      {"remove", "--source=jira", "--from=2026-03-02", "--to=2026-03-01"});
  EXPECT_EQ(backwards.code, 3);
  EXPECT_THAT(backwards.err, HasSubstr("must be after from"));
  EXPECT_EQ(Orgpulse({"teams", "--json"}).out, teams_with_jira);
}

// The past from the stored events: a month end's figures through
// `execution --as-of` and the same point of `trend` agree, and each holds
// only what had happened by then.
TEST_F(CliEndToEndTest, TrendAndAsOfShowThePastOfTheStoredEvents) {
  const CliRun pushed =
      Orgpulse({"push", absl::StrCat("--now=", kNow), kData + "/events.csv"});
  ASSERT_EQ(pushed.code, 0) << pushed.err;

  // By the end of October: the plan (Sep 1) and the cost (Oct 15) only.
  const CliRun october = Orgpulse(
      {"execution", "ops/support", "--as-of=2026-10-31T23:59:59Z", "--json"});
  ASSERT_EQ(october.code, 0) << october.err;
  EXPECT_EQ(JsonQuery(october.out,
                      "d[\"events\"], d[\"budget\"][\"actual_cost\"], "
                      "d[\"as_of\"]"),
            "2 30000.5 2026-10-31T23:59:59Z\n");

  const CliRun trend =
      Orgpulse({"trend", "ops/support", "--from=2026-08-15", "--json"});
  ASSERT_EQ(trend.code, 0) << trend.err;
  EXPECT_EQ(JsonQuery(trend.out,
                      "[(p[\"as_of\"], p.get(\"events\", \"0\")) "
                      "for p in d[\"points\"]]"),
            "[('2026-08-31T23:59:59Z', '0'), ('2026-09-30T23:59:59Z', '1'), "
            "('2026-10-31T23:59:59Z', '2'), ('2026-11-20T12:00:00Z', '8')]\n");
  EXPECT_EQ(JsonQuery(trend.out, "d[\"points\"][2]"),
            JsonQuery(october.out, "d"));
  // The last point is now: what `execution` shows.
  EXPECT_EQ(
      JsonQuery(trend.out, "d[\"points\"][3]"),
      JsonQuery(Orgpulse({"execution", "ops/support", "--json"}).out, "d"));

  const CliRun table = Orgpulse({"trend", "ops/support", "--from=2026-08-15"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(
      table.out,
      AllOf(StartsWith("ops/support: 4 points (month ends) from "
                       "2026-08-31T23:59:59Z to 2026-11-20T12:00:00Z\n"),
            // Nothing before the first event; no check until Nov.
            ContainsRegex("\ncompliance +50% +50% +50% +50% +▄\n"),
            ContainsRegex("\nKPI tickets-closed \\(ops/support\\) +"
                          "38% +38% +38% +38% +▄\n")));

  // Mistakes: one line each.
  const CliRun unknown = Orgpulse({"trend", "sales"});
  EXPECT_EQ(unknown.code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("no team matches 'sales'"));
  const CliRun future = Orgpulse({"trend", "ops", "--to=2027-01-01"});
  EXPECT_EQ(future.code, 3);
  EXPECT_THAT(future.err, HasSubstr("--to: is in the future"));
  const CliRun before =
      Orgpulse({"execution", "ops/support", "--as-of=2026-01-01"});
  EXPECT_EQ(before.code, 3);
  EXPECT_THAT(before.err, HasSubstr("as of 2026-01-01"));
  const CliRun no_team = Orgpulse({"trend"});
  EXPECT_EQ(no_team.code, 2);
  EXPECT_THAT(no_team.err, HasSubstr("which team?"));
  const CliRun bad_time = Orgpulse({"trend", "ops", "--from=soon"});
  EXPECT_EQ(bad_time.code, 2);
  EXPECT_THAT(bad_time.err, HasSubstr("--from: "));
}

// A team field with a slash in it: one team, never a path; a second
// spelling of the same id is refused until a team map says which is which.
TEST_F(CliEndToEndTest, TeamNamesWithSlashesAreOneTeamAndCollisionsAreRefused) {
  const std::string file = kData + "/jira_team_names.csv";
  std::vector<std::string> push = {"push",
                                   "--format=jira",
                                   "--team-column=Custom field (Team)",
                                   "--team-prefix=eng",
                                   absl::StrCat("--now=", kNow),
                                   file};
  const CliRun refused = Orgpulse(push);
  EXPECT_EQ(refused.code, 3);
  EXPECT_THAT(refused.out, IsEmpty());
  EXPECT_THAT(
      refused.err,
      AllOf(HasSubstr(file + ":5: Custom field (Team): teams \"Platform / "
                             "Infra\" and \"Platform-Infra\" both give the "
                             "team id eng/platform-infra; say which team each "
                             "is with --team-map"),
            HasSubstr("1 of 4 rows rejected; nothing pushed")));
  // The mapping used, once for the three rows of that name.
  const std::string mapping =
      file + ": team \"Platform / Infra\" is eng/platform-infra\n";
  EXPECT_THAT(refused.err, HasSubstr(mapping));
  EXPECT_EQ(refused.err.find(mapping), refused.err.rfind(mapping));
  EXPECT_EQ(Orgpulse({"teams"}).out, "no teams\n");

  push.push_back("--skip-bad-rows");
  const CliRun skipping = Orgpulse(push);
  EXPECT_EQ(skipping.code, 3);
  EXPECT_THAT(skipping.out, HasSubstr("4 rows, 4 events: 4 accepted"));
  // One team, no parent eng/platform- made up on the way.
  EXPECT_EQ(Orgpulse({"teams"}).out,
            "TEAM                EVENTS  LAST EVENT\n"
            "eng/platform-infra       4  2026-07-24T17:00:00Z\n");
}

TEST_F(CliEndToEndTest, ATeamMapNamesTheTeamsOfAnExport) {
  const std::string map = dir_.path() + "/teams.csv";
  std::ofstream(map) << "name,team\nPlatform / Infra,eng/platform\n"
                        "Platform-Infra,eng/platform\n";
  const CliRun run =
      Orgpulse({"push", "--format=jira", "--team-column=Custom field (Team)",
                "--team-map=" + map, absl::StrCat("--now=", kNow),
                kData + "/jira_team_names.csv"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("4 rows, 5 events: 5 accepted"));
  EXPECT_THAT(run.err, Not(HasSubstr("team \"")));
  EXPECT_EQ(Orgpulse({"teams"}).out,
            "TEAM          EVENTS  LAST EVENT\n"
            "eng/platform       5  2026-07-24T17:00:00Z\n");
}

TEST_F(CliEndToEndTest, GenericCsvAndJsonLinesWithOffsets) {
  const CliRun dry =
      Orgpulse({"push", "--dry-run", absl::StrCat("--now=", kNow),
                kData + "/events.csv", kData + "/events.jsonl"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out,
              HasSubstr("events.csv: 8 rows, 8 events, 0 rejected: checked "
                        "(dry run, nothing pushed)"));
  EXPECT_EQ(Orgpulse({"teams"}).out, "no teams\n");

  // --memory-mb=0: the push reads the files again instead of keeping the
  // checked batches.
  // With --json, stdout is JSON alone (what `| jq` needs); the summary
  // lines go to stderr.
  const CliRun pushed =
      Orgpulse({"push", absl::StrCat("--now=", kNow), "--json", "--memory-mb=0",
                kData + "/events.csv", kData + "/events.jsonl"});
  ASSERT_EQ(pushed.code, 0) << pushed.err;
  EXPECT_THAT(pushed.out, AllOf(HasSubstr("\"outcome\":\"pushed\""),
                                HasSubstr("\"accepted\":8")));
  EXPECT_EQ(JsonQuery(pushed.out,
                      "[(f[\"file\"].split(\"/\")[-1], f[\"accepted\"]) "
                      "for f in d[\"files\"]]"),
            "[('events.csv', 8), ('events.jsonl', 3)]\n");
  EXPECT_THAT(pushed.err,
              AllOf(HasSubstr("events.csv: 8 rows, 8 events: 8 accepted"),
                    HasSubstr("events.jsonl: 3 rows, 3 events: 3 accepted")));
  const CliRun support = Orgpulse({"execution", "ops/support"});
  EXPECT_THAT(
      support.out,
      AllOf(HasSubstr("BAC 120,000"), HasSubstr("AC 30,001"),
            HasSubstr("incident-postmortem       2       1         50%"),
            ContainsRegex(
                "tickets-closed +ops/support +2026-11 +150.00 +400.00")));
  // The same files again: all duplicates.
  const CliRun again =
      Orgpulse({"push", absl::StrCat("--now=", kNow), kData + "/events.csv",
                kData + "/events.jsonl"});
  EXPECT_THAT(again.out, HasSubstr("8 events: 0 accepted, 8 duplicates"));
  EXPECT_THAT(again.out, HasSubstr("0 accepted, 3 duplicates"));
}

TEST_F(CliEndToEndTest, FileWithBadRowsPushesNothingAndNamesEveryBadLine) {
  const std::string file = kData + "/bad_events.csv";
  const CliRun run = Orgpulse({"push", absl::StrCat("--now=", kNow), file});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.out, IsEmpty());
  for (const std::string& bad : {
           file + ":3: team may hold only",
           file + ":4: occurred_at: cannot read \"yesterday\" as a time",
           file + ":5: cost_actual.amount is NaN",
           file + ":6: task_created.due_at is before 2000-01-01T00:00:00Z",
           file + ":7: cost_actual.amount must be",
           file + ":8: unknown kind \"teleport\"",
           file + ":10: project does not apply to task_started",
       }) {
    EXPECT_THAT(run.err, HasSubstr(bad));
  }
  // Seven bad rows, one line each, and one line to say what happened.
  EXPECT_EQ(CountLines(run.err), 8) << run.err;
  EXPECT_THAT(run.err, HasSubstr("orgpulse: " + file +
                                 ": 7 of 10 rows rejected; nothing pushed"));
  EXPECT_EQ(Orgpulse({"teams"}).out, "no teams\n");

  const CliRun skipping =
      Orgpulse({"push", absl::StrCat("--now=", kNow), "--skip-bad-rows", file});
  EXPECT_EQ(skipping.code, 3);
  EXPECT_THAT(
      skipping.out,
      HasSubstr("10 rows, 3 events: 3 accepted, 0 duplicates, 7 rejected"));
  // The same when the file is read again for the push.
  const CliRun reread = Orgpulse({"push", absl::StrCat("--now=", kNow),
                                  "--skip-bad-rows", "--memory-mb=0", file});
  EXPECT_EQ(reread.code, 3);
  EXPECT_THAT(reread.out, HasSubstr("10 rows, 3 events: 0 accepted, 3 "
                                    "duplicates, 7 rejected"));
  EXPECT_THAT(Orgpulse({"teams", "--json"}).out,
              HasSubstr("{\"team\":\"qa/tools\",\"events\":\"3\""));
}

// Files that are not CSV text, and a header that is not the format's: one
// line each saying what is wrong, and nothing pushed.
TEST_F(CliEndToEndTest, FilesThatAreNotTextGetOneLineSayingSo) {
  const std::string csv = ReadAll(kData + "/events.csv");
  const std::string utf16 = dir_.path() + "/events-utf16.csv";
  {
    std::ofstream out(utf16, std::ios::binary);
    out << "\xFF\xFE";  // as Excel saves "Unicode text"
    for (char c : csv) out << c << '\0';
  }
  const std::string gzipped = dir_.path() + "/events.csv.gz";
  // gzip -n of "Timestamp,Team\n".
  std::ofstream(gzipped, std::ios::binary) << std::string(
      "\x1F\x8B\x08\x00\x00\x00\x00\x00\x02\x03\x0B\xC9\xCC\x4D\x2D\x2E\x49"
      "\xCC\x2D\xD0\x09\x49\x4D\xCC\xE5\x02\x00\xC5\x44\xF9\xB4\x0F\x00\x00"
      "\x00",
      35);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--format=events-csv", utf16},
       "orgpulse: " + utf16 + ": is UTF-16; save it as UTF-8\n"},
      {{"--format=events-csv", gzipped},
       "orgpulse: " + gzipped + ": is gzip-compressed; decompress it first\n"},
      {{"--format=jira", "--team-column=Team", kData + "/events.csv"},
       "orgpulse: " + kData +
           "/events.csv: line 1 (the header): not a Jira export with the "
           "columns needed: missing Issue key, Status, Created\n"},
  };
  for (const auto& [args, says] : cases) {
    std::vector<std::string> push = {"push", absl::StrCat("--now=", kNow)};
    push.insert(push.end(), args.begin(), args.end());
    const CliRun run = Orgpulse(push);
    EXPECT_EQ(run.code, 3);
    EXPECT_THAT(run.out, IsEmpty());
    EXPECT_EQ(run.err, says);
  }
  EXPECT_EQ(Orgpulse({"teams"}).out, "no teams\n");
}

// Times as tools write them: Jira in a US locale, numeric dates whose order
// another row tells (or nothing does), and --time-format for the rest.
TEST_F(CliEndToEndTest, TimesAsExportsWriteThem) {
  const std::string now = absl::StrCat("--now=", kNow);
  const CliRun jira =
      Orgpulse({"push", "--format=jira", "--team-column=Custom field (Team)",
                "--team-prefix=ops", now, kData + "/jira_us_locale.csv"});
  ASSERT_EQ(jira.code, 0) << jira.err;
  EXPECT_THAT(jira.out, HasSubstr("2 rows, 3 events: 3 accepted"));
  EXPECT_THAT(Orgpulse({"teams", "ops"}).out,
              HasSubstr("ops/site-reliability       3  2026-08-03T14:15:00Z"));

  const std::string header = "kind,source,team,occurred_at,procedure,passed\n";
  const std::string untold = dir_.path() + "/untold.csv";
  std::ofstream(untold) << header
                        << "procedure_check,ci,qa/a,03/04/2026 10:00:00,"
                           "review,yes\n";
  const CliRun refused = Orgpulse({"push", now, untold});
  EXPECT_EQ(refused.code, 3);
  EXPECT_THAT(refused.err,
              HasSubstr(untold + ":2: occurred_at: \"03/04/2026 10:00:00\" "
                                 "could be day/month or month/day, and no "
                                 "other row of the file has a day over 12 to "
                                 "tell; give --time-format"));

  // A later row with a day over 12 says the file is day first.
  const std::string told = dir_.path() + "/told.csv";
  std::ofstream(told) << header
                      << "procedure_check,ci,qa/a,03/04/2026 10:00:00,review,"
                         "yes\n"
                         "procedure_check,ci,qa/b,21/04/2026 09:04:12,review,"
                         "yes\n";
  const CliRun pushed = Orgpulse({"push", now, told});
  ASSERT_EQ(pushed.code, 0) << pushed.err;
  EXPECT_THAT(Orgpulse({"teams", "qa"}).out,
              AllOf(HasSubstr("qa/a       1  2026-04-03T10:00:00Z"),
                    HasSubstr("qa/b       1  2026-04-21T09:04:12Z")));

  const std::string odd = dir_.path() + "/odd.csv";
  std::ofstream(odd) << header
                     << "procedure_check,ci,qa/c,2026.07.21 at 09.04,review,"
                        "yes\n";
  EXPECT_EQ(Orgpulse({"push", now, odd}).code, 3);
  const CliRun formatted =
      Orgpulse({"push", now, "--time-format=%Y.%m.%d at %H.%M", odd});
  ASSERT_EQ(formatted.code, 0) << formatted.err;
  EXPECT_THAT(Orgpulse({"teams", "qa/c"}).out,
              HasSubstr("qa/c       1  2026-07-21T09:04:00Z"));
}

TEST_F(CliEndToEndTest, SurveyExportAndTheOrgView) {
  StartInsights();
  ASSERT_EQ(PushJira().code, 0);
  ASSERT_EQ(
      Orgpulse({"push", absl::StrCat("--now=", kNow), kData + "/events.csv"})
          .code,
      0);
  std::vector<std::string> survey = {
      "push",
      "--format=survey",
      "--survey-mapping=" + kData + "/survey_mapping.csv",
      "--team-map=" + kData + "/survey_teams.csv",
      "--round=2026-q4",
      "--response-key-file=" + response_key_file_,
      "--timezone=Europe/Berlin",
      absl::StrCat("--now=", kNow),
      kData + "/survey_export.csv"};
  const CliRun sent = Orgpulse(survey);
  ASSERT_EQ(sent.code, 0) << sent.err;
  EXPECT_THAT(sent.out,
              HasSubstr("survey_export.csv: 9 rows, 9 responses: 9 accepted, "
                        "0 duplicates, 0 rejected"));
  EXPECT_THAT(Orgpulse(survey).out, HasSubstr("0 accepted, 9 duplicates"));

  // insights reads ingest's figures in the background; wait (bounded) until
  // it has them for payments.
  CliRun org;
  for (int i = 0; i < 100; ++i) {
    org = Orgpulse({"insights"});
    if (org.out.find("eng/payments  AT_RISK") != std::string::npos ||
        org.out.find("eng/payments  BURNOUT_RISK") != std::string::npos) {
      break;
    }
    usleep(100'000);
  }
  ASSERT_EQ(org.code, 0) << org.err;
  const std::vector<std::string> lines = absl::StrSplit(org.out, '\n');
  ASSERT_GE(lines.size(), 3u);
  EXPECT_THAT(lines[0], StartsWith("TEAM          QUADRANT"));
  // Payments is the only team with both views: highest risk, first. Six
  // answered; figures move in release steps of k = 5, so they show the
  // first five until four more answer.
  EXPECT_THAT(lines[1], AllOf(StartsWith("eng/payments"),
                              HasSubstr("2026-q4: 5 respondents, eNPS -100"),
                              HasSubstr("wellbeing")));
  // Three people answered in support: suppressed, no figure of theirs shown.
  EXPECT_THAT(org.out,
              ContainsRegex("ops/support +INSUFFICIENT_DATA .* 2026-q4: "
                            "suppressed"));
  const CliRun json = Orgpulse({"insights", "ops", "--json"});
  EXPECT_THAT(json.out, AllOf(HasSubstr("\"team\":\"ops/support\""),
                              HasSubstr("\"suppressed\":true"),
                              Not(HasSubstr("respondents"))));
  const std::string by_team = Orgpulse({"insights", "--order=team"}).out;
  std::vector<std::string> teams;
  for (absl::string_view line :
       absl::StrSplit(by_team, '\n', absl::SkipEmpty())) {
    teams.emplace_back(line.substr(0, line.find(' ')));
  }
  EXPECT_THAT(teams,
              ::testing::ElementsAre("TEAM", "eng/payments", "eng/platform",
                                     "eng/search", "ops/support"));

  // The leader view per round in a trend: released figures only.
  const CliRun trend = Orgpulse({"trend", "eng/payments", "--survey"});
  ASSERT_EQ(trend.code, 0) << trend.err;
  EXPECT_THAT(trend.out,
              AllOf(HasSubstr("\nsurvey rounds (released figures only): "
                              "2026-q4\n"),
                    ContainsRegex("\nrespondents +5 +5 +5 +5 +▄\n"),
                    ContainsRegex("\neNPS +-100 +-100 +-100 +-100 +▄\n")));
  const CliRun support = Orgpulse({"trend", "ops/support", "--survey"});
  ASSERT_EQ(support.code, 0) << support.err;
  EXPECT_THAT(support.out,
              AllOf(HasSubstr("survey rounds (released figures only): "
                              "2026-q4 (suppressed)\n"),
                    ContainsRegex("\nrespondents +- +- +- +-\n")));
  const CliRun trend_json =
      Orgpulse({"trend", "ops/support", "--survey", "--json"});
  ASSERT_EQ(trend_json.code, 0) << trend_json.err;
  EXPECT_EQ(
      JsonQuery(trend_json.out,
                "len(d[\"trend\"][\"points\"]), "
                "[(r[\"morale\"][\"round\"], r[\"morale\"][\"suppressed\"], "
                "\"respondents\" in r[\"morale\"]) for r in d[\"rounds\"]]"),
      "12 [('2026-q4', True, False)]\n");
}

// Each survey round's quadrant is paired with ingest's figures as of the
// round's end, not today's: a team delivering in the spring round and late
// in the summer one is THRIVING, then EXECUTION_GAP, with the same morale.
TEST_F(CliEndToEndTest, TrendGivesEachRoundTheQuadrantOfItsOwnTime) {
  StartInsights();
  const std::string events = dir_.path() + "/rounds_events.csv";
  {
    std::ofstream out(events);
    out << "kind,source,team,occurred_at,task_id,due_at\n";
    // Four tasks done on time in June; ten done late in September.
    for (int i = 0; i < 14; ++i) {
      const bool early = i < 4;
      const std::string id = absl::StrCat("R-", i);
      out << "task_created,jira,qa/rounds,"
          << (early ? "2026-06-01T09:00:00Z," : "2026-08-01T09:00:00Z,") << id
          << "," << (early ? "2026-06-10" : "2026-08-10") << "\n"
          << "task_completed,jira,qa/rounds,"
          << (early ? "2026-06-05T09:00:00Z," : "2026-09-20T09:00:00Z,") << id
          << ",\n";
    }
  }
  const CliRun pushed =
      Orgpulse({"push", absl::StrCat("--now=", kNow), events});
  ASSERT_EQ(pushed.code, 0) << pushed.err;

  const std::string teams = dir_.path() + "/rounds_teams.csv";
  std::ofstream(teams) << "name,team\nRounds,qa/rounds\n";
  // Five happy respondents per round (the wellbeing item is reverse scored).
  auto survey = [&](const std::string& round, const std::string& day) {
    const std::string path = dir_.path() + "/" + round + ".csv";
    std::ofstream out(path);
    out << ReadAll(kData + "/survey_export.csv")
               .substr(0, ReadAll(kData + "/survey_export.csv").find('\n') + 1);
    for (int i = 0; i < 5; ++i) {
      out << "p" << i << "@example.com,Rounds," << day << " 1" << i
          << ":00:00,Firefox,5,5,5,5,1,5,5,5,5,10,5,\n";
    }
    out.close();
    return Orgpulse({"push", "--format=survey",
                     "--survey-mapping=" + kData + "/survey_mapping.csv",
                     "--team-map=" + teams, "--round=" + round,
                     "--response-key-file=" + response_key_file_,
                     "--timezone=UTC", absl::StrCat("--now=", kNow), path});
  };
  const CliRun q2 = survey("2026-q2", "2026-06-20");
  ASSERT_EQ(q2.code, 0) << q2.err;
  const CliRun q3 = survey("2026-q3", "2026-09-25");
  ASSERT_EQ(q3.code, 0) << q3.err;

  const CliRun trend = Orgpulse({"trend", "qa/rounds", "--survey"});
  ASSERT_EQ(trend.code, 0) << trend.err;
  EXPECT_THAT(trend.out,
              AllOf(HasSubstr("survey rounds (released figures only): "
                              "2026-q2, 2026-q3\n"),
                    HasSubstr("\nquadrant (execution as of each round's end): "
                              "2026-q2 THRIVING, 2026-q3 EXECUTION_GAP\n")));
  // The JSON says which figures each round was paired with: those as of its
  // latest response.
  const CliRun json = Orgpulse({"trend", "qa/rounds", "--survey", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(JsonQuery(json.out,
                      "[(r[\"morale\"][\"round\"], r[\"quadrant\"], "
                      "r[\"execution\"][\"as_of\"], "
                      "r[\"execution\"][\"on_time_ratio\"]) "
                      "for r in d[\"rounds\"]]"),
            "[('2026-q2', 'QUADRANT_THRIVING', '2026-06-20T14:00:00Z', 1), "
            "('2026-q3', 'QUADRANT_EXECUTION_GAP', '2026-09-25T14:00:00Z', "
            "0.2857142857142857)]\n");
}

// GitHub issues as gh and the REST API write them: teams from labels (or
// the repository), due dates from milestones, pull requests skipped.
TEST_F(CliEndToEndTest, GithubIssuesFromGhAndTheRestApi) {
  const std::string now = absl::StrCat("--now=", kNow);
  const std::vector<std::string> push = {"push", "--format=github",
                                         "--team-prefix=eng", now};
  auto with = [&](const std::string& file) {
    std::vector<std::string> args = push;
    args.push_back(kData + "/" + file);
    return args;
  };
  const CliRun gh = Orgpulse(with("github_gh_issues.json"));
  ASSERT_EQ(gh.code, 0) << gh.err;
  EXPECT_THAT(gh.out,
              AllOf(HasSubstr("github_gh_issues.json: 7 rows, 10 events: 10 "
                              "accepted, 0 duplicates, 0 rejected"),
                    HasSubstr("skipped 1 rows: no due date (no milestone with "
                              "one)")));
  EXPECT_THAT(gh.err, HasSubstr("github_gh_issues.json: team \"checkout\" is "
                                "eng/checkout"));
  const CliRun rest = Orgpulse(with("github_rest_issues.json"));
  ASSERT_EQ(rest.code, 0) << rest.err;
  EXPECT_THAT(rest.out,
              AllOf(HasSubstr("github_rest_issues.json: 5 rows, 7 events: 7 "
                              "accepted"),
                    HasSubstr("skipped 1 rows: pull request")));

  // #101 on time, #102 not planned, #103 and #107 open past their
  // milestones' due days.
  const CliRun payments = Orgpulse({"execution", "eng/payments", "--json"});
  ASSERT_EQ(payments.code, 0) << payments.err;
  EXPECT_THAT(payments.out,
              AllOf(HasSubstr("\"open\":\"2\""), HasSubstr("\"overdue\":\"2\""),
                    HasSubstr("\"completed_on_time\":\"1\""),
                    HasSubstr("\"cancelled\":\"1\"")));
  // eng/search from both files: gh's #105 late; the API's #7 and #11 on
  // time, #10 a duplicate, #9 open.
  EXPECT_THAT(Orgpulse({"execution", "eng/search", "--json"}).out,
              AllOf(HasSubstr("\"open\":\"1\""),
                    HasSubstr("\"completed_on_time\":\"2\""),
                    HasSubstr("\"completed_late\":\"1\""),
                    HasSubstr("\"cancelled\":\"1\"")));
  EXPECT_THAT(Orgpulse(with("github_gh_issues.json")).out,
              HasSubstr("10 events: 0 accepted, 10 duplicates"));

  // A bad item: named by its number in the file, with the issue, its line
  // and the field; nothing of the file pushed.
  const std::string bad = dir_.path() + "/bad_issues.json";
  std::ofstream(bad) << "[\n  {\"number\": 1, \"state\": \"OPEN\", "
                        "\"createdAt\": \"2026-11-01T09:00:00Z\", \"url\": "
                        "\"https://github.com/acme/ops/issues/1\"},\n  "
                        "{\"number\": 2, \"state\": \"OPEN\", \"createdAt\": "
                        "\"last week\", \"url\": "
                        "\"https://github.com/acme/ops/issues/2\"}\n]\n";
  std::vector<std::string> bad_push = with("github_gh_issues.json");
  bad_push.back() = bad;
  bad_push.push_back("--default-due-days=7");
  const CliRun refused = Orgpulse(bad_push);
  EXPECT_EQ(refused.code, 3);
  EXPECT_THAT(refused.out, IsEmpty());
  EXPECT_THAT(refused.err,
              AllOf(HasSubstr(bad + ": item 2: acme/ops#2 (line 3): createdAt: "
                                    "cannot read \"last week\" as a time"),
                    HasSubstr("1 of 2 rows rejected; nothing pushed")));
  EXPECT_EQ(Orgpulse({"execution", "eng/ops"}).code, 3);
}

TEST_F(CliEndToEndTest, LinearExportLands) {
  const std::vector<std::string> push = {
      "push", "--format=linear", "--team-prefix=eng",
      absl::StrCat("--now=", kNow), kData + "/linear_export.csv"};
  const CliRun run = Orgpulse(push);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out,
              AllOf(HasSubstr("linear_export.csv: 5 rows, 10 events: 10 "
                              "accepted, 0 duplicates, 0 rejected"),
                    HasSubstr("skipped 1 rows: no due date")));
  EXPECT_THAT(run.err, HasSubstr("team \"Platform / Infra\" is "
                                 "eng/platform-infra"));
  // PAY-201 done before its due date, PAY-202 in progress past it, PAY-203
  // cancelled; INF-17 done two days late.
  EXPECT_THAT(Orgpulse({"execution", "eng/payments", "--json"}).out,
              AllOf(HasSubstr("\"open\":\"1\""), HasSubstr("\"overdue\":\"1\""),
                    HasSubstr("\"completed_on_time\":\"1\""),
                    HasSubstr("\"cancelled\":\"1\"")));
  EXPECT_THAT(Orgpulse({"execution", "eng/platform-infra", "--json"}).out,
              HasSubstr("\"completed_late\":\"1\""));
  EXPECT_THAT(Orgpulse(push).out,
              HasSubstr("10 events: 0 accepted, 10 duplicates"));
}

// The exports of Microsoft Forms (anonymous, day-first dates, saved from
// Excel with a byte order mark and CRLF), Typeform (UTC times) and
// SurveyMonkey (two header rows, US dates), each with its mapping.
TEST_F(CliEndToEndTest, SurveyExportsOfMicrosoftFormsTypeformSurveyMonkey) {
  StartInsights();
  auto push = [&](const std::string& format, const std::string& tool,
                  const std::string& zone) {
    return Orgpulse(
        {"push", "--format=" + format,
         "--survey-mapping=" + kData + "/" + tool + "_mapping.csv",
         "--team-map=" + kData + "/sources_teams.csv", "--round=2026-q4",
         "--response-key-file=" + response_key_file_, "--timezone=" + zone,
         absl::StrCat("--now=", kNow), kData + "/" + tool + "_export.csv"});
  };
  const CliRun forms = push("survey", "msforms", "Europe/London");
  ASSERT_EQ(forms.code, 0) << forms.err;
  EXPECT_THAT(forms.out, HasSubstr("msforms_export.csv: 6 rows, 6 responses: "
                                   "6 accepted, 0 duplicates, 0 rejected"));
  const CliRun typeform = push("survey", "typeform", "Europe/Berlin");
  ASSERT_EQ(typeform.code, 0) << typeform.err;
  EXPECT_THAT(typeform.out, HasSubstr("6 rows, 6 responses: 6 accepted"));
  const CliRun monkey =
      push("surveymonkey", "surveymonkey", "America/New_York");
  ASSERT_EQ(monkey.code, 0) << monkey.err;
  EXPECT_THAT(monkey.out, HasSubstr("surveymonkey_export.csv: 5 rows, 5 "
                                    "responses: 5 accepted"));
  EXPECT_THAT(push("survey", "msforms", "Europe/London").out,
              HasSubstr("0 accepted, 6 duplicates"));

  // Each tool's team has 5 or more respondents: released.
  const CliRun org = Orgpulse({"insights", "--order=team"});
  ASSERT_EQ(org.code, 0) << org.err;
  for (const char* team : {"eng/payments", "eng/platform", "eng/search"}) {
    EXPECT_THAT(org.out,
                ContainsRegex(absl::StrCat(team, " .* 2026-q4: 5 respondents")))
        << org.out;
  }
  // SurveyMonkey's export read with one header row: the rows of its matrix
  // question have no names there.
  const CliRun wrong = push("survey", "surveymonkey", "America/New_York");
  EXPECT_EQ(wrong.code, 3);
  EXPECT_THAT(wrong.err,
              HasSubstr("surveymonkey_export.csv: line 1 (the header): the "
                        "export has no column \"I feel safe to take a risk on "
                        "this team\""));
}

TEST_F(CliEndToEndTest, UnreachableServiceAndUnknownTeam) {
  const CliRun unknown = Orgpulse({"execution", "nosuch/team"});
  EXPECT_EQ(unknown.code, 3);
  EXPECT_EQ(CountLines(unknown.err), 1);
  EXPECT_THAT(unknown.err, StartsWith("orgpulse: the ingest service at "));

  const std::string address = ingest_->grpc_target();
  ASSERT_EQ(ingest_->Terminate(), 0);
  const CliRun push =
      Orgpulse({"push", "--retries=2", "--ingest=" + address,
                absl::StrCat("--now=", kNow), kData + "/events.csv"});
  EXPECT_EQ(push.code, 4);
  EXPECT_THAT(push.err,
              HasSubstr("cannot reach the ingest service at " + address));
  EXPECT_THAT(push.err, HasSubstr("0 of 8 events were stored"));
  const CliRun teams =
      Orgpulse({"teams", "--retries=1", "--ingest=" + address});
  EXPECT_EQ(teams.code, 4);
  EXPECT_EQ(CountLines(teams.err), 1);
}

TEST_F(CliEndToEndTest, APushRidesOutARestartOfTheIngestService) {
  // The service on a data directory of this test's, so that a second
  // process can take over the data (and the port) of the first.
  const std::string data_dir = dir_.path() + "/ingest-data";
  ingest_ = std::make_unique<ServerProcess>(
      ORGPULSE_INGEST_BINARY,
      std::vector<std::string>{absl::StrCat("--now=", kNow),
                               "--shutdown_grace=1s"},
      data_dir);
  ASSERT_TRUE(ingest_->Start().ok());
  const int port = ingest_->grpc_port();

  // Small batches, one at a time: the push takes long enough to be
  // interrupted.
  constexpr int kEvents = 20'000;
  const std::string file = dir_.path() + "/many.csv";
  {
    std::ofstream out(file);
    out << "kind,event_id,source,team,occurred_at,task_id,due_at\n";
    for (int i = 0; i < kEvents; ++i) {
      out << "task_created,R-" << i << ",restart-test,eng/restart,"
          << "2026-11-05T08:00:00Z,R-" << i << ",2026-11-12\n";
    }
  }
  // The events the service holds, or -1 if it does not answer.
  auto stored = [&] {
    const CliRun teams = Orgpulse({"teams", "--json", "--retries=1"});
    if (teams.code != 0) return -1;
    int events = -1;
    EXPECT_TRUE(absl::SimpleAtoi(
        JsonQuery(teams.out,
                  "sum(int(t[\"events\"]) for t in d.get(\"teams\", []))"),
        &events))
        << teams.out;
    return events;
  };
  const Spawned push =
      Spawn({"push", absl::StrCat("--now=", kNow), "--json", "--no-progress",
             "--batch-size=10", "--streams=1", "--in-flight=1", file},
            "push");
  bool finished = false;
  const auto reap = absl::MakeCleanup([&] {
    if (!finished) Finish(push, absl::ZeroDuration());
  });

  // Stop the service once some, not all, of the events are stored.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int before = 0;
  while ((before = stored()) <= 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GT(before, 0) << "the push stored nothing in 60 s";
  ASSERT_EQ(ingest_->Terminate(), 0);
  int status = 0;
  ASSERT_EQ(waitpid(push.pid, &status, WNOHANG), 0)
      << "the push ended before the restart: make the file larger";

  // The outage (longer than the 5 attempts alone would wait, about 1.5 s),
  // then a new process on the same port and data.
  absl::SleepFor(absl::Seconds(2));
  ingest_ = std::make_unique<ServerProcess>(
      ORGPULSE_INGEST_BINARY,
      std::vector<std::string>{absl::StrCat("--now=", kNow),
                               absl::StrCat("--grpc_address=127.0.0.1:", port)},
      data_dir);
  ASSERT_TRUE(ingest_->Start().ok());
  ASSERT_EQ(ingest_->grpc_port(), port);

  const CliRun pushed = Finish(push);
  finished = true;
  ASSERT_EQ(pushed.code, 0) << pushed.err;
  const std::string address = absl::StrCat("127.0.0.1:", port);
  EXPECT_THAT(pushed.err, HasSubstr("ingest at " + address +
                                    " unavailable, retrying for up to 60s\n"));
  EXPECT_THAT(pushed.err,
              HasSubstr("ingest at " + address + " is back, resuming\n"));
  // Every event once: those stored before the break and sent again count as
  // duplicates, not errors.
  EXPECT_EQ(JsonQuery(pushed.out,
                      "d[\"files\"][0][\"accepted\"] + "
                      "d[\"files\"][0][\"duplicates\"]"),
            absl::StrCat(kEvents, "\n"));
  EXPECT_EQ(stored(), kEvents);
}

TEST_F(CliEndToEndTest, TokensMadeByTheCliOpenTheService) {
  const std::string push_token = dir_.path() + "/pusher.token";
  const std::string read_token = dir_.path() + "/reader.token";
  const CliRun pusher =
      Orgpulse({"token", "new", "pusher", "--scopes=ingest:push",
                "--secret-file=" + push_token});
  ASSERT_EQ(pusher.code, 0) << pusher.err;
  const CliRun reader =
      Orgpulse({"token", "new", "reader", "--scopes=ingest:read",
                "--secret-file=" + read_token});
  ASSERT_EQ(reader.code, 0) << reader.err;
  struct stat info;
  ASSERT_EQ(stat(read_token.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string secret = ReadAll(read_token);
  EXPECT_THAT(reader.out, HasSubstr("reader ingest:read sha256:"));
  EXPECT_THAT(reader.out, Not(HasSubstr(secret.substr(0, 20))));
  // A token is never overwritten.
  const CliRun again =
      Orgpulse({"token", "new", "reader", "--scopes=ingest:read",
                "--secret-file=" + read_token});
  EXPECT_NE(again.code, 0);
  EXPECT_THAT(again.err, HasSubstr("never overwritten"));
  EXPECT_EQ(ReadAll(read_token), secret);

  const std::string tokens = dir_.path() + "/tokens";
  std::ofstream(tokens) << pusher.out << reader.out;
  ingest_ = std::make_unique<ServerProcess>(
      ORGPULSE_INGEST_BINARY,
      std::vector<std::string>{absl::StrCat("--now=", kNow),
                               "--token_file=" + tokens});
  ASSERT_TRUE(ingest_->Start().ok()) << ingest_->Log();

  const CliRun none = Orgpulse({"teams"});
  EXPECT_EQ(none.code, 4);
  EXPECT_THAT(none.err, HasSubstr("needs a bearer token"));
  EXPECT_EQ(CountLines(none.err), 1);
  const CliRun wrong = Orgpulse({"teams", "--token-file=" + push_token});
  EXPECT_EQ(wrong.code, 4);
  EXPECT_THAT(wrong.err, HasSubstr("lacks the scope ingest:read"));
  const CliRun right = Orgpulse({"teams", "--token-file=" + read_token});
  EXPECT_EQ(right.code, 0) << right.err;
  EXPECT_THAT(right.out, HasSubstr("no teams"));
  for (const CliRun* run : {&none, &wrong, &right}) {
    EXPECT_THAT(run->err, Not(HasSubstr(secret.substr(0, 20))));
  }
}

}  // namespace
}  // namespace orgpulse::cli
