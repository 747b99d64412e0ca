// Undoing an import and retention with the real ingest binary: figures after
// a removal equal those of a service that only ever got what is left; a
// SIGKILL in the middle of a large removal leaves all of it or none; and
// --retain_events_for drops old events at start-up (time set with --now).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/integration/ingest_events.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::AllFigures;
using ::orgpulse::ingest::testing::Events;
using ::orgpulse::ingest::testing::kNow;
using ::orgpulse::ingest::testing::kNowTime;
using ::orgpulse::ingest::testing::PushAll;
using ::orgpulse::ingest::testing::Remove;
using ::orgpulse::testing::CommandResult;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;
using ::testing::HasSubstr;

std::vector<std::string> Flags() { return {absl::StrCat("--now=", kNow)}; }

// A with B's events (and a team only B has), B removed: every figure equals
// that of a service that only ever got A; B can be pushed again.
TEST(RemovalTest, RemovingASourceLeavesTheFiguresOfAServiceThatNeverHadIt) {
  const std::vector<v1::Event> a = Events("jira", 3000);
  std::vector<v1::Event> b = Events("wrong-file", 3000);
  b[7].set_team("eng/only-b");

  ServerProcess only_a(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(only_a.Start().ok());
  PushAll(only_a, a);
  const std::string expected = AllFigures(only_a);

  ServerProcess server(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(server.Start().ok());
  PushAll(server, a);
  PushAll(server, b);
  const std::string with_b = AllFigures(server);
  ASSERT_NE(with_b, expected);

  absl::StatusOr<v1::RemoveEventsResponse> dry =
      Remove(server, "wrong-file", /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->removed(), 3000);
  EXPECT_EQ(dry->teams_size(), 4);
  EXPECT_EQ(AllFigures(server), with_b);

  absl::StatusOr<v1::RemoveEventsResponse> removed =
      Remove(server, "wrong-file");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->removed(), 3000);
  EXPECT_EQ(removed->remaining(), 3000);
  EXPECT_EQ(AllFigures(server), expected);
  EXPECT_THAT(server.Log(),
              HasSubstr("removed 3000 events of source \"wrong-file\""));
  const std::string scrape =
      RunCommand(absl::StrCat("curl -sf http://127.0.0.1:",
                              server.metrics_port(), "/metrics"))
          .output;
  EXPECT_THAT(scrape, HasSubstr("orgpulse_ingest_events_removed_total{reason="
                                "\"request\"} 3000"));
  EXPECT_THAT(scrape, HasSubstr("orgpulse_store_events 3000"));

  // Durable, and idempotent.
  ASSERT_EQ(server.Terminate(), 0);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(AllFigures(server), expected);
  absl::StatusOr<v1::RemoveEventsResponse> again = Remove(server, "wrong-file");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->removed(), 0);

  // The removed events can be pushed again.
  PushAll(server, b);
  EXPECT_EQ(AllFigures(server), with_b);
}

// A SIGKILL at several points of a large removal (while it reads the store,
// while it rewrites it): after a restart the figures are those from before
// the removal or those from after it, never a mix; a removal then completes.
TEST(RemovalTest, SigkillDuringALargeRemovalLeavesAllOrNothing) {
  TempDir dirs;
  const std::string seed = dirs.path() + "/seed";
  const std::vector<v1::Event> a = Events("jira", 20'000);
  const std::vector<v1::Event> b = Events("wrong-file", 200'000);
  std::string before, after;
  {
    ServerProcess only_a(ORGPULSE_INGEST_BINARY, Flags());
    ASSERT_TRUE(only_a.Start().ok());
    PushAll(only_a, a);
    after = AllFigures(only_a);
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(), seed);
    ASSERT_TRUE(server.Start().ok());
    PushAll(server, a);
    PushAll(server, b);
    before = AllFigures(server);
    ASSERT_EQ(server.Terminate(), 0);
  }
  ASSERT_NE(before, after);

  // How long a whole removal takes here, on a copy.
  absl::Duration full;
  {
    const std::string dir = dirs.path() + "/timed";
    std::filesystem::copy(seed, dir);
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(), dir);
    ASSERT_TRUE(server.Start().ok());
    const absl::Time start = absl::Now();
    absl::StatusOr<v1::RemoveEventsResponse> removed =
        Remove(server, "wrong-file");
    full = absl::Now() - start;
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(removed->removed(), 200'000);
    EXPECT_EQ(AllFigures(server), after);
  }

  int killed_before_the_end = 0;
  for (double fraction : {0.1, 0.35, 0.6, 0.85}) {
    SCOPED_TRACE(absl::StrCat("killed at ", fraction, " of ",
                              absl::FormatDuration(full)));
    const std::string dir = absl::StrCat(dirs.path(), "/kill-", fraction);
    std::filesystem::copy(seed, dir);
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(), dir);
    ASSERT_TRUE(server.Start().ok());
    std::future<absl::StatusOr<v1::RemoveEventsResponse>> call = std::async(
        std::launch::async, [&] { return Remove(server, "wrong-file"); });
    // The service logs the request before it starts; poll for it (bounded).
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!absl::StrContains(server.Log(), "removing events of source") &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    // Not a wait for readiness: where in the removal the kill lands.
    absl::SleepFor(full * fraction);
    const bool finished =
        absl::StrContains(server.Log(), "removed 200000 events");
    ASSERT_EQ(server.Kill(), -SIGKILL);
    call.wait();
    if (!finished) ++killed_before_the_end;

    ASSERT_TRUE(server.Start().ok());
    const std::string figures = AllFigures(server);
    EXPECT_TRUE(figures == before || figures == after)
        << "a half-done removal: " << figures;
    std::cout << "killed at " << fraction << " of "
              << absl::FormatDuration(full) << ": "
              << (figures == before  ? "all before"
                  : figures == after ? "all after"
                                     : "MIXED")
              << (finished ? " (had finished)" : "") << "\n";
    // Whatever the kill left, the removal completes now.
    absl::StatusOr<v1::RemoveEventsResponse> removed =
        Remove(server, "wrong-file");
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(removed->removed(), figures == before ? 200'000 : 0);
    EXPECT_EQ(AllFigures(server), after);
  }
  EXPECT_GT(killed_before_the_end, 0);
}

// --retain_events_for with the clock set by --now: a restart later in time
// drops what became too old, with the figures of a service that never had
// those events; pushes of such events are refused; the metric counts them.
TEST(RemovalTest, RetentionDropsOldEventsAtStartUpAsIfNeverStored) {
  TempDir dirs;
  const std::string dir = dirs.path() + "/ingest";
  const std::vector<v1::Event> events = Events("jira", 3000, /*days_back=*/60);
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(), dir);
    ASSERT_TRUE(server.Start().ok());
    PushAll(server, events);
    ASSERT_EQ(server.Terminate(), 0);
  }
  // 20 days later, keeping 50 days: the events of the first 30 of the 60
  // days expire.
  const absl::Time later = kNowTime + absl::Hours(24 * 20);
  const std::string later_flag = absl::StrCat(
      "--now=",
      absl::FormatTime(absl::RFC3339_sec, later, absl::UTCTimeZone()));
  const absl::Time cut = later - absl::Hours(24 * 50);
  std::vector<v1::Event> fresh;
  for (const v1::Event& e : events) {
    if (absl::FromUnixSeconds(e.occurred_at().seconds()) >= cut) {
      fresh.push_back(e);
    }
  }
  ASSERT_GT(fresh.size(), 1000u);
  ASSERT_LT(fresh.size(), 2000u);
  const int64_t expired = static_cast<int64_t>(events.size() - fresh.size());

  ServerProcess reference(ORGPULSE_INGEST_BINARY, {later_flag});
  ASSERT_TRUE(reference.Start().ok());
  PushAll(reference, fresh);

  ServerProcess server(ORGPULSE_INGEST_BINARY,
                       {later_flag, "--retain_events_for=50d"}, dir);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(AllFigures(server), AllFigures(reference));
  EXPECT_THAT(server.Log(), HasSubstr(absl::StrCat("dropped ", expired,
                                                   " events older than")));
  const std::string scrape =
      RunCommand(absl::StrCat("curl -sf http://127.0.0.1:",
                              server.metrics_port(), "/metrics"))
          .output;
  EXPECT_THAT(scrape,
              HasSubstr(absl::StrCat("orgpulse_ingest_events_removed_total{"
                                     "reason=\"retention\"} ",
                                     expired)));

  // An expired event is refused, naming its field.
  auto stub = v1::IngestService::NewStub(server.Channel());
  v1::PushRequest request;
  *request.add_events() = events[0];
  grpc::ClientContext context;
  v1::PushResponse response;
  const grpc::Status refused = stub->Push(&context, request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Durable: a restart without retention still lacks them.
  ASSERT_EQ(server.Terminate(), 0);
  ServerProcess plain(ORGPULSE_INGEST_BINARY, {later_flag}, dir);
  ASSERT_TRUE(plain.Start().ok());
  EXPECT_EQ(AllFigures(plain), AllFigures(reference));
}

// Retention at start-up removes in one transaction too: a SIGKILL at several
// points of a start-up that drops 200,000 events leaves all or none of them.
TEST(RemovalTest, SigkillDuringStartUpRetentionLeavesAllOrNothing) {
  TempDir dirs;
  const std::string seed = dirs.path() + "/seed";
  // 220,000 events over the 60 days before kNow; 20 days later, keeping 50
  // days drops the first half of them.
  const std::vector<v1::Event> events = Events("jira", 220'000);
  const absl::Time later = kNowTime + absl::Hours(24 * 20);
  const std::string later_flag = absl::StrCat(
      "--now=",
      absl::FormatTime(absl::RFC3339_sec, later, absl::UTCTimeZone()));
  const std::vector<std::string> retain = {later_flag,
                                           "--retain_events_for=50d"};
  std::string before, after;
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, {later_flag}, seed);
    ASSERT_TRUE(server.Start().ok());
    PushAll(server, events);
    before = AllFigures(server);
    ASSERT_EQ(server.Terminate(), 0);
  }
  absl::Duration full;
  {
    const std::string dir = dirs.path() + "/timed";
    std::filesystem::copy(seed, dir);
    ServerProcess server(ORGPULSE_INGEST_BINARY, retain, dir);
    const absl::Time start = absl::Now();
    ASSERT_TRUE(server.Start().ok());
    full = absl::Now() - start;
    ASSERT_EQ(server.Terminate(), 0);
    ServerProcess plain(ORGPULSE_INGEST_BINARY, {later_flag}, dir);
    ASSERT_TRUE(plain.Start().ok());
    after = AllFigures(plain);
  }
  ASSERT_NE(before, after);

  for (double fraction : {0.2, 0.4, 0.6, 0.8}) {
    SCOPED_TRACE(absl::StrCat("killed at ", fraction, " of ",
                              absl::FormatDuration(full)));
    const std::string dir = absl::StrCat(dirs.path(), "/kill-", fraction);
    std::filesystem::copy(seed, dir);
    // Started by hand: ServerProcess waits for SERVING, past the sweep.
    std::vector<std::string> args = {ORGPULSE_INGEST_BINARY,
                                     "--grpc_address=127.0.0.1:0",
                                     "--metrics_address=127.0.0.1:0",
                                     "--data_dir=" + dir,
                                     "--plaintext",
                                     "--allow_unauthenticated",
                                     later_flag,
                                     "--retain_events_for=50d"};
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      freopen("/dev/null", "w", stderr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    ASSERT_GT(pid, 0);
    // Not a wait for readiness: where in the start-up the kill lands.
    absl::SleepFor(full * fraction);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);

    ServerProcess plain(ORGPULSE_INGEST_BINARY, {later_flag}, dir);
    ASSERT_TRUE(plain.Start().ok());
    const std::string figures = AllFigures(plain);
    std::cout << "start-up retention killed at " << fraction << " of "
              << absl::FormatDuration(full) << ": "
              << (figures == before  ? "all before"
                  : figures == after ? "all after"
                                     : "MIXED")
              << "\n";
    EXPECT_TRUE(figures == before || figures == after)
        << "a half-done retention sweep: " << figures;
  }
}

TEST(RemovalTest, ABadRetentionPeriodStopsStartUpNamingTheFlag) {
  const CommandResult r =
      RunCommand(absl::StrCat(ORGPULSE_INGEST_BINARY,
                              " --retain_events_for=2w --plaintext "
                              "--allow_unauthenticated 2>&1"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("retain_events_for"));
}

}  // namespace
}  // namespace orgpulse::ingest
