// orgpulse-copy-to-postgres, the real binary, from a real embedded data
// directory into a real PostgreSQL 15: the same events in the same order,
// nothing twice when run again, and a copy killed halfway finishes on the
// next run with nothing lost or doubled. The survey log: the same responses
// and round resets in the same order, once, and never into a survey log that
// already holds records.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/store/pg_event_log.h"
#include "services/ingest/store/sqlite_event_store.h"
#include "services/insights/store/pg_survey_store.h"
#include "services/insights/store/sqlite_survey_store.h"
#include "services/insights/store/survey_codec.h"
#include "tests/support/pg_stored_events.h"
#include "tests/support/postgres_server.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::CommandResult;
using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::StoredEventKeys;
using ::orgpulse::testing::TempDir;
using ::testing::HasSubstr;

constexpr int kEvents = 6000;

// An embedded store as the service leaves it: groups of mixed events over
// several teams and sources.
void FillEmbeddedStore(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(dir, {});
  ASSERT_TRUE(store.ok()) << store.status();
  for (int g = 0; g < kEvents / 150; ++g) {
    std::vector<Event> group;
    for (int i = 0; i < 150; ++i) {
      const int n = g * 150 + i;
      Event e;
      e.source = n % 3 == 0 ? "github" : "jira";
      e.event_id = absl::StrCat("E-", n);
      e.team = absl::StrCat("eng/team-", n % 7);
      e.occurred_at = absl::FromUnixSeconds(1780000000 + n);
      if (n % 2 == 0) {
        e.payload = TaskCreated{absl::StrCat("T-", n),
                                absl::FromUnixSeconds(1790000000), 4};
      } else {
        e.payload = CostActual{"apollo", 10.0 + n};
      }
      group.push_back(std::move(e));
    }
    std::vector<const Event*> pointers;
    for (const Event& e : group) pointers.push_back(&e);
    ASSERT_TRUE((*store)->Append(pointers).ok());
  }
}

std::vector<std::string> EmbeddedKeys(const std::string& dir) {
  std::vector<std::string> keys;
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(dir, {});
  EXPECT_TRUE(store.ok());
  EXPECT_TRUE((*store)
                  ->Replay([&](const Event& e) {
                    keys.push_back(absl::StrCat(e.source, "/", e.event_id));
                  })
                  .ok());
  return keys;
}

class CopyToPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = pg_.Start();
    ASSERT_TRUE(started.ok()) << started;
    FillEmbeddedStore(data_.path());
  }
  CommandResult Copy(const std::string& extra = "") {
    return RunCommand(absl::StrCat(ORGPULSE_COPY_BINARY, " --ingest_data_dir='",
                                   data_.path(), "' --postgres='",
                                   pg_.conninfo(), "' ", extra, " 2>&1"));
  }

  PostgresServer pg_;
  TempDir data_;
};

TEST_F(CopyToPostgresTest, CopiesEveryEventInOrderAndOnlyOnce) {
  CommandResult first = Copy("--batch=1000");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(kEvents, " events read, ",
                                                   kEvents, " new")));
  const std::vector<std::string> embedded = EmbeddedKeys(data_.path());
  ASSERT_EQ(embedded.size(), size_t{kEvents});
  EXPECT_EQ(StoredEventKeys(pg_.conninfo()), embedded);

  CommandResult again = Copy();
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr(" 0 new"));
  CommandResult from_start = Copy("--from_start");
  ASSERT_EQ(from_start.exit_code, 0) << from_start.output;
  EXPECT_THAT(from_start.output,
              HasSubstr(absl::StrCat(kEvents, " events read, 0 new")));
  EXPECT_EQ(StoredEventKeys(pg_.conninfo()).size(), size_t{kEvents});
}

TEST_F(CopyToPostgresTest, AKilledCopyResumesWithNothingLostOrDoubled) {
  // Run with small batches and kill it once it has reported progress.
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string data_flag =
      absl::StrCat("--ingest_data_dir=", data_.path());
  const std::string pg_flag = absl::StrCat("--postgres=", pg_.conninfo());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDERR_FILENO);
    close(out[0]);
    execl(ORGPULSE_COPY_BINARY, ORGPULSE_COPY_BINARY, data_flag.c_str(),
          pg_flag.c_str(), "--batch=50", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string seen;
  char buffer[256];
  ssize_t n;
  while (!absl::StrContains(seen, "copied 500 ") &&
         (n = read(out[0], buffer, sizeof buffer)) > 0) {
    seen.append(buffer, n);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);
  ASSERT_THAT(seen, HasSubstr("copied 500 "));
  const size_t partial = StoredEventKeys(pg_.conninfo()).size();
  EXPECT_GE(partial, 500u);
  EXPECT_LT(partial, size_t{kEvents});

  CommandResult resumed = Copy();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("resuming after"));
  EXPECT_EQ(StoredEventKeys(pg_.conninfo()), EmbeddedKeys(data_.path()));
}

TEST_F(CopyToPostgresTest, RefusesAMissingStoreOrServerInOneLine) {
  CommandResult missing = RunCommand(absl::StrCat(
      ORGPULSE_COPY_BINARY, " --ingest_data_dir=/nonexistent/dir --postgres='",
      pg_.conninfo(), "' 2>&1"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("no ingest store in /nonexistent/dir"));
  EXPECT_EQ(std::count(missing.output.begin(), missing.output.end(), '\n'), 1);

  PostgresServer absent;
  CommandResult no_server = RunCommand(
      absl::StrCat(ORGPULSE_COPY_BINARY, " --ingest_data_dir='", data_.path(),
                   "' --postgres='", absent.conninfo(), "' 2>&1"));
  EXPECT_EQ(no_server.exit_code, 1);
  EXPECT_THAT(no_server.output, HasSubstr("cannot connect"));
}

// Every record of a survey log, encoded, in order ("r:" responses, "x:"
// resets).
std::vector<std::string> SurveyLog(insights::SurveyStore& store) {
  std::vector<std::string> records;
  EXPECT_TRUE(store
                  .Replay(
                      [&](const insights::ScoredResponse& r) {
                        records.push_back("r:" +
                                          insights::EncodeResponses({r}));
                      },
                      [&](const insights::RoundReset& r) {
                        records.push_back("x:" + insights::EncodeReset(r));
                      })
                  .ok());
  return records;
}

insights::ScoredResponse Response(int n, const std::string& round) {
  insights::ScoredResponse r;
  r.response_id = absl::StrCat("resp-", round, "-", n);
  r.team = absl::StrCat("eng/team-", n % 3);
  r.round = round;
  r.respondent = absl::StrCat("keyed-hash-", n);
  r.submitted_at = absl::FromUnixSeconds(1780000000 + n);
  for (size_t d = 0; d < r.dimension_scores.size(); ++d) {
    r.dimension_scores[d] = (n * 7 + d * 13) % 101;
  }
  r.enps = n % 11;
  r.intent_to_stay = 1 + n % 5;
  return r;
}

class CopySurveysToPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = pg_.Start();
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<std::unique_ptr<insights::SqliteSurveyStore>> store =
        insights::SqliteSurveyStore::Open(data_.path(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    // Two rounds, then an erasure that leaves a reset of the first, then
    // more responses after it.
    for (const char* round : {"2026-q1", "2026-q2"}) {
      std::vector<insights::ScoredResponse> batch;
      for (int n = 0; n < 40; ++n) batch.push_back(Response(n, round));
      ASSERT_TRUE((*store)->Append(batch).ok());
    }
    insights::RoundReset reset{.round = "2026-q1", .steps = 3};
    ASSERT_TRUE((*store)->Erase("keyed-hash-7", {reset}).ok());
    ASSERT_TRUE((*store)->Append({Response(50, "2026-q2")}).ok());
    embedded_ = SurveyLog(**store);
  }
  CommandResult Copy() {
    return RunCommand(absl::StrCat(ORGPULSE_COPY_BINARY,
                                   " --insights_data_dir='", data_.path(),
                                   "' --postgres='", pg_.conninfo(), "' 2>&1"));
  }
  std::vector<std::string> InPostgres() {
    absl::StatusOr<std::unique_ptr<insights::PgSurveyStore>> store =
        insights::PgSurveyStore::Open(pg_.conninfo(), {});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? SurveyLog(**store) : std::vector<std::string>{};
  }

  PostgresServer pg_;
  TempDir data_;
  std::vector<std::string> embedded_;
};

TEST_F(CopySurveysToPostgresTest, CopiesResponsesAndResetsInOrderOnce) {
  ASSERT_EQ(embedded_.size(), 79u + 1u);  // 80 - 2 erased + 1 + the reset
  CommandResult first = Copy();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("80 survey records read, 80 stored"));
  EXPECT_EQ(InPostgres(), embedded_);

  CommandResult again = Copy();
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("nothing to do"));
  EXPECT_EQ(InPostgres(), embedded_);
}

TEST_F(CopySurveysToPostgresTest, RefusesASurveyLogThatIsNotEmpty) {
  {
    absl::StatusOr<std::unique_ptr<insights::PgSurveyStore>> store =
        insights::PgSurveyStore::Open(pg_.conninfo(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append({Response(99, "2026-q3")}).ok());
  }
  CommandResult refused = Copy();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("survey log is not empty"));
  EXPECT_EQ(InPostgres().size(), 1u) << "a refused copy stored something";
  // Nothing recorded either: once the log is emptied the copy could go on.
  EXPECT_THAT(Copy().output, HasSubstr("not empty"));
}

TEST_F(CopySurveysToPostgresTest, RefusesAnotherMinGroupSizeThanTheReplicas) {
  {
    absl::StatusOr<std::unique_ptr<insights::PgSurveyStore>> store =
        insights::PgSurveyStore::Open(pg_.conninfo(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CheckSetting("min_group_size", "7").ok());
  }
  CommandResult refused = Copy();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("min_group_size=7"));
  EXPECT_TRUE(InPostgres().empty());
}

}  // namespace
}  // namespace orgpulse::ingest
