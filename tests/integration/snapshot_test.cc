// Snapshots with the real ingest binary: a restart loads the latest snapshot
// and replays only the log after it, and serves exactly the figures of a
// full replay (a second start with --snapshot_every_events=0); a SIGKILL
// while a snapshot is being written leaves the previous one or none, never a
// torn one; and a snapshot taken before a removal is never loaded after it.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/integration/ingest_events.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::AllFigures;
using ::orgpulse::ingest::testing::Events;
using ::orgpulse::ingest::testing::kNow;
using ::orgpulse::ingest::testing::PushAll;
using ::orgpulse::ingest::testing::Remove;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Flags(int64_t snapshot_every_events) {
  return {absl::StrCat("--now=", kNow),
          absl::StrCat("--snapshot_every_events=", snapshot_every_events),
          "--snapshot_interval=0"};
}

std::vector<v1::Event> Slice(const std::vector<v1::Event>& events, size_t from,
                             size_t to) {
  return {events.begin() + from, events.begin() + to};
}

// Every figure of a start on `dir` that loads no snapshot (a full replay).
std::string FiguresOfAFullReplay(const std::string& dir) {
  ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(0), dir);
  EXPECT_TRUE(server.Start().ok());
  const std::string figures = AllFigures(server);
  EXPECT_THAT(server.Log(), HasSubstr("no snapshot"));
  EXPECT_EQ(server.Kill(), -SIGKILL);  // writes nothing
  return figures;
}

TEST(SnapshotTest, RestartFromSnapshotAndTailServesTheFiguresOfAFullReplay) {
  TempDir data;
  const std::string dir = data.path() + "/ingest";
  const std::vector<v1::Event> jira = Events("jira", 6000);
  const std::vector<v1::Event> erp = Events("erp", 2000);
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
    ASSERT_TRUE(server.Start().ok());
    PushAll(server, Slice(jira, 0, 4000));
    ASSERT_EQ(server.Terminate(), 0);  // a clean stop writes a snapshot
    EXPECT_THAT(server.Log(), HasSubstr("snapshot of 4000 events"));
  }
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
    ASSERT_TRUE(server.Start().ok());
    EXPECT_THAT(server.Log(), HasSubstr("snapshot of 4000 events at log "
                                        "position"));
    EXPECT_THAT(server.Log(), HasSubstr("then 0 events replayed"));
    // The snapshot kept the stored keys: these are duplicates.
    auto stub = v1::IngestService::NewStub(server.Channel());
    v1::PushRequest again;
    for (const v1::Event& e : Slice(jira, 3000, 4500)) *again.add_events() = e;
    grpc::ClientContext context;
    v1::PushResponse response;
    ASSERT_TRUE(stub->Push(&context, again, &response).ok());
    EXPECT_EQ(response.duplicates(), 1000);
    EXPECT_EQ(response.accepted(), 500);
    PushAll(server, Slice(jira, 4500, 6000));
    PushAll(server, erp);
    EXPECT_EQ(server.Kill(), -SIGKILL);
  }
  ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(server.Log(),
              HasSubstr("snapshot of 4000 events at log position"));
  EXPECT_THAT(server.Log(), HasSubstr("then 4000 events replayed"));
  const std::string served = AllFigures(server);
  EXPECT_EQ(server.Kill(), -SIGKILL);
  EXPECT_EQ(served, FiguresOfAFullReplay(dir));
  EXPECT_THAT(served, HasSubstr("events: 2667"));  // eng/a: 2000 + 667
}

// Pushes batches of new events until a push fails (the server was killed).
void PushUntilKilled(std::shared_ptr<grpc::Channel> channel, int round,
                     std::atomic<int64_t>& acked) {
  auto stub = v1::IngestService::NewStub(channel);
  const std::vector<v1::Event> events =
      Events(absl::StrCat("load-", round), 200'000);
  for (size_t i = 0; i < events.size(); i += 500) {
    v1::PushRequest request;
    for (size_t j = i; j < i + 500; ++j) *request.add_events() = events[j];
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::PushResponse response;
    if (!stub->Push(&context, request, &response).ok()) return;
    acked += response.accepted();
  }
}

TEST(SnapshotTest, KillsWhileSnapshotsAreWrittenLeaveAWholeOneOrNone) {
  TempDir data;
  const std::string dir = data.path() + "/ingest";
  const std::string temp = dir + "/events.snapshot.tmp";
  // A snapshot after every 2,000 events, so one is written every few
  // hundred ms under load; each round kills the server as soon as the
  // temporary file of one appears, i.e. in the middle of writing it (after
  // one was written whole).
  int interrupted = 0;
  int64_t acked = 0;
  for (int round = 0; round < 4; ++round) {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(2000), dir);
    ASSERT_TRUE(server.Start().ok()) << "round " << round;
    EXPECT_THAT(server.Log(), Not(HasSubstr("snapshot not used")))
        << "round " << round;
    std::atomic<int64_t> round_acked{0};
    std::thread client(PushUntilKilled, server.NewChannel(), round,
                       std::ref(round_acked));
    // One snapshot is written whole first, then the next is interrupted.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!absl::StrContains(server.Log(), "written in") &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    while (!std::filesystem::exists(temp) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(server.Kill(), -SIGKILL);
    client.join();
    acked += round_acked;
    if (std::filesystem::exists(temp)) ++interrupted;
  }
  // Most kills land within a write (the file's sync takes milliseconds);
  // those that land just after its rename leave no temporary file.
  EXPECT_GE(interrupted, 1) << "no kill interrupted a snapshot write";

  ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(2000), dir);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(server.Log(), Not(HasSubstr("snapshot not used")));
  EXPECT_THAT(server.Log(), HasSubstr("loaded in"));
  const std::string served = AllFigures(server);
  EXPECT_EQ(server.Kill(), -SIGKILL);
  EXPECT_EQ(served, FiguresOfAFullReplay(dir));
  std::cout << acked << " events acknowledged; " << interrupted
            << " of 4 kills interrupted a snapshot write\n";
}

TEST(SnapshotTest, RemovalAfterASnapshotGivesTheFiguresOfAServiceWithoutThem) {
  const std::vector<v1::Event> a = Events("jira", 3000);
  std::vector<v1::Event> b = Events("wrong-file", 3000);
  b[7].set_team("eng/only-b");
  ServerProcess only_a(ORGPULSE_INGEST_BINARY, Flags(1'000'000));
  ASSERT_TRUE(only_a.Start().ok());
  PushAll(only_a, a);
  const std::string expected = AllFigures(only_a);

  TempDir data;
  const std::string dir = data.path() + "/ingest";
  const std::string snapshot = dir + "/events.snapshot";
  const std::string kept = data.path() + "/old.snapshot";
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
    ASSERT_TRUE(server.Start().ok());
    PushAll(server, a);
    PushAll(server, b);
    ASSERT_EQ(server.Terminate(), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  std::filesystem::copy_file(snapshot, kept);
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
    ASSERT_TRUE(server.Start().ok());
    EXPECT_THAT(server.Log(), HasSubstr("snapshot of 6000 events"));
    absl::StatusOr<v1::RemoveEventsResponse> removed =
        Remove(server, "wrong-file");
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(removed->removed(), 3000);
    EXPECT_EQ(AllFigures(server), expected);
    EXPECT_EQ(server.Kill(), -SIGKILL);
  }
  // A kill between the removal's commit and the snapshot's replacement
  // leaves the old snapshot in place: put it back as such a kill would.
  std::filesystem::copy_file(kept, snapshot,
                             std::filesystem::copy_options::overwrite_existing);
  ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(server.Log(), HasSubstr("snapshot not used: the snapshot is of "
                                      "another event log or from before a "
                                      "removal"));
  EXPECT_EQ(AllFigures(server), expected);
  ASSERT_EQ(server.Terminate(), 0);
  // The clean stop wrote a snapshot of what is left, and it is used.
  ServerProcess next(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
  ASSERT_TRUE(next.Start().ok());
  EXPECT_THAT(next.Log(), HasSubstr("snapshot of 3000 events"));
  EXPECT_EQ(AllFigures(next), expected);
}

TEST(SnapshotTest, ADamagedSnapshotIsRefusedAndTheLogReplayed) {
  TempDir data;
  const std::string dir = data.path() + "/ingest";
  const std::vector<v1::Event> a = Events("jira", 3000);
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
    ASSERT_TRUE(server.Start().ok());
    PushAll(server, a);
    ASSERT_EQ(server.Terminate(), 0);
  }
  const std::string expected = FiguresOfAFullReplay(dir);
  const std::string snapshot = dir + "/events.snapshot";
  const auto size = std::filesystem::file_size(snapshot);
  std::filesystem::resize_file(snapshot, size - 100);
  ServerProcess server(ORGPULSE_INGEST_BINARY, Flags(1'000'000), dir);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(server.Log(), HasSubstr("snapshot not used: snapshot cut short"));
  EXPECT_THAT(server.Log(), HasSubstr("replayed 3000 events, no snapshot"));
  EXPECT_EQ(AllFigures(server), expected);
}

}  // namespace
}  // namespace orgpulse::ingest
