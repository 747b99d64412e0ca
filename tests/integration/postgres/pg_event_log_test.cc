// PgEventLog against a real PostgreSQL 15 (tests/support/postgres_server.h):
// duplicates decided in the commit, positions in commit order, followers
// that miss nothing, several replicas over one database, a server restart.
#include "services/ingest/store/pg_event_log.h"

#include <atomic>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_server.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::PostgresServer;

Event TaskEvent(std::string source, std::string id, std::string team = "eng") {
  Event e;
  e.source = std::move(source);
  e.event_id = std::move(id);
  e.team = std::move(team);
  e.occurred_at = absl::FromUnixSeconds(1780000000);
  e.payload = TaskStarted{"T-1"};
  return e;
}

std::vector<const Event*> Pointers(const std::vector<Event>& events) {
  std::vector<const Event*> out;
  for (const Event& e : events) out.push_back(&e);
  return out;
}

class PgEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  std::unique_ptr<PgEventLog> Open() {
    absl::StatusOr<std::unique_ptr<PgEventLog>> log =
        PgEventLog::Open(server_.conninfo());
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }
  // Every (position, source/event_id) after `position`.
  std::vector<std::pair<int64_t, std::string>> ReadAll(PgEventLog& log) {
    std::vector<std::pair<int64_t, std::string>> out;
    absl::StatusOr<int64_t> last =
        log.ReadAfter(0, 1 << 20, [&](int64_t at, const Event& e) {
          out.emplace_back(at, absl::StrCat(e.source, "/", e.event_id));
        });
    EXPECT_TRUE(last.ok()) << last.status();
    return out;
  }

  PostgresServer server_;
};

TEST_F(PgEventLogTest, StoresNewEventsAndReportsDuplicatesInTheSameCommit) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  std::vector<Event> first = {TaskEvent("jira", "1"), TaskEvent("jira", "2"),
                              TaskEvent("jira", "1")};
  absl::StatusOr<PgCommit> a = log->Commit(Pointers(first));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->stored, ::testing::ElementsAre(true, true, false));
  EXPECT_EQ(a->stored_count, 2);

  std::vector<Event> second = {TaskEvent("jira", "2"), TaskEvent("gh", "1")};
  absl::StatusOr<PgCommit> b = log->Commit(Pointers(second));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->stored, ::testing::ElementsAre(false, true));
  EXPECT_GT(b->head, a->head);
  EXPECT_EQ(*log->Head(), b->head);

  std::vector<std::pair<int64_t, std::string>> all = ReadAll(*log);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].second, "jira/1");
  EXPECT_EQ(all[1].second, "jira/2");
  EXPECT_EQ(all[2].second, "gh/1");
  EXPECT_LT(all[0].first, all[1].first);
  EXPECT_LT(all[1].first, all[2].first);
  EXPECT_LE(all[2].first, b->head);
}

TEST_F(PgEventLogTest, KeepsAnyBytesAndDecodesTheEventWhole) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  Event odd = TaskEvent(std::string("s\0\"\\{,}'", 9), "id \"x\" \\ é",
                        "platform-infra");
  odd.payload = TaskCreated{"T-9", absl::FromUnixSeconds(1790000000), 7.5};
  std::vector<Event> events = {odd};
  ASSERT_TRUE(log->Commit(Pointers(events)).ok());
  std::vector<Event> read;
  ASSERT_TRUE(
      log->ReadAfter(0, 10, [&](int64_t, const Event& e) { read.push_back(e); })
          .ok());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].source, odd.source);
  EXPECT_EQ(read[0].event_id, odd.event_id);
  EXPECT_EQ(read[0].team, odd.team);
  EXPECT_EQ(read[0].occurred_at, odd.occurred_at);
  const auto* created = std::get_if<TaskCreated>(&read[0].payload);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->estimate_hours, 7.5);
  // The same key again is a duplicate however odd its bytes.
  absl::StatusOr<PgCommit> again = log->Commit(Pointers(events));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored_count, 0);
}

TEST_F(PgEventLogTest, ReplicasPushingTheSameEventsStoreEachOnce) {
  constexpr int kReplicas = 4;
  constexpr int kGroups = 50;
  constexpr int kPerGroup = 20;
  std::vector<std::unique_ptr<PgEventLog>> replicas;
  for (int i = 0; i < kReplicas; ++i) replicas.push_back(Open());
  for (const auto& r : replicas) ASSERT_NE(r, nullptr);

  // Every replica is pushed the same groups at once; each event must be
  // stored by exactly one of them.
  std::vector<std::vector<int>> stored_by(kGroups,
                                          std::vector<int>(kPerGroup, 0));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  for (int r = 0; r < kReplicas; ++r) {
    threads.emplace_back([&, r] {
      for (int g = 0; g < kGroups; ++g) {
        std::vector<Event> group;
        for (int i = 0; i < kPerGroup; ++i) {
          group.push_back(TaskEvent("jira", absl::StrCat(g, "-", i)));
        }
        absl::StatusOr<PgCommit> c = replicas[r]->Commit(Pointers(group));
        if (!c.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        for (int i = 0; i < kPerGroup; ++i) stored_by[g][i] += c->stored[i];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  for (int g = 0; g < kGroups; ++g) {
    for (int i = 0; i < kPerGroup; ++i) {
      EXPECT_EQ(stored_by[g][i], 1) << "event " << g << "-" << i;
    }
  }
  EXPECT_EQ(ReadAll(*replicas[0]).size(), size_t{kGroups * kPerGroup});
}

TEST_F(PgEventLogTest, AFollowerMissesNoCommitOfConcurrentCommitters) {
  // Committers race while a follower reads after the last position it saw.
  // Positions in commit order mean it never passes a position that a later
  // commit fills in behind it.
  constexpr int kCommitters = 3;
  constexpr int kGroups = 60;
  constexpr int kPerGroup = 10;
  std::vector<std::unique_ptr<PgEventLog>> committers;
  for (int i = 0; i < kCommitters; ++i) committers.push_back(Open());
  std::unique_ptr<PgEventLog> follower = Open();
  ASSERT_NE(follower, nullptr);

  std::atomic<int> running{kCommitters};
  std::vector<std::thread> threads;
  for (int c = 0; c < kCommitters; ++c) {
    threads.emplace_back([&, c] {
      for (int g = 0; g < kGroups; ++g) {
        std::vector<Event> group;
        for (int i = 0; i < kPerGroup; ++i) {
          group.push_back(
              TaskEvent(absl::StrCat("c", c), absl::StrCat(g, ".", i)));
        }
        EXPECT_TRUE(committers[c]->Commit(Pointers(group)).ok());
      }
      --running;
    });
  }
  std::set<std::string> seen;
  int64_t position = 0;
  bool last_round = false;
  while (true) {
    const bool done = running.load() == 0;
    absl::StatusOr<int64_t> last =
        follower->ReadAfter(position, 64, [&](int64_t, const Event& e) {
          EXPECT_TRUE(seen.insert(e.source + "/" + e.event_id).second);
        });
    ASSERT_TRUE(last.ok()) << last.status();
    const bool advanced = *last != position;
    position = *last;
    if (advanced) continue;
    if (last_round) break;
    last_round = done;  // one more full read after every committer ended
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(seen.size(), size_t{kCommitters * kGroups * kPerGroup});
}

TEST_F(PgEventLogTest,
       ServerRestartIsUnavailableThenResumesWithNothingHalfDone) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  std::vector<Event> before = {TaskEvent("jira", "a")};
  ASSERT_TRUE(log->Commit(Pointers(before)).ok());
  ASSERT_TRUE(server_.Kill().ok());
  std::vector<Event> during = {TaskEvent("jira", "b"), TaskEvent("jira", "c")};
  absl::StatusOr<PgCommit> refused = log->Commit(Pointers(during));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  absl::Status restarted = server_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted;
  absl::StatusOr<PgCommit> resumed = log->Commit(Pointers(during));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->stored_count, 2);
  EXPECT_EQ(ReadAll(*log).size(), 3u);
}

TEST_F(PgEventLogTest, RemovesOneSourceInATimeRangeAndKeepsTheOrder) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  std::vector<Event> events;
  for (int i = 0; i < 6; ++i) {
    events.push_back(TaskEvent(i % 2 == 0 ? "jira" : "gh", absl::StrCat(i)));
    events.back().occurred_at = absl::FromUnixSeconds(1000 * i);
  }
  ASSERT_TRUE(log->Commit(Pointers(events)).ok());
  // jira events 0, 2, 4 at 0 s, 2000 s, 4000 s: [1000 s, 5000 s) takes 2, 4.
  absl::StatusOr<int64_t> removed =
      log->Remove("jira", absl::ToUnixMicros(absl::FromUnixSeconds(1000)),
                  absl::ToUnixMicros(absl::FromUnixSeconds(5000)));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(*log->Remove("jira", 0, 5000000000), 1);  // idempotent beyond
  std::vector<std::string> left;
  for (const auto& [position, key] : ReadAll(*log)) left.push_back(key);
  EXPECT_THAT(left, ::testing::ElementsAre("gh/1", "gh/3", "gh/5"));
  // Every source: retention.
  EXPECT_EQ(*log->Remove("", std::numeric_limits<int64_t>::min(),
                         absl::ToUnixMicros(absl::FromUnixSeconds(3500))),
            2);
  // A removed event may be pushed again.
  std::vector<Event> again = {events[2]};
  EXPECT_EQ(log->Commit(Pointers(again))->stored_count, 1);
}

TEST_F(PgEventLogTest, SnapshotsComeBackLatestFirstAndSurviveReopening) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->LatestSnapshot()->has_value());
  const std::string state("\0folded\xff", 8);
  ASSERT_TRUE(log->WriteSnapshot(10, "old", "replica-a").ok());
  ASSERT_TRUE(log->WriteSnapshot(20, state, "replica-b").ok());
  log.reset();
  std::unique_ptr<PgEventLog> reopened = Open();  // migrations already current
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<std::optional<PgSnapshot>> latest = reopened->LatestSnapshot();
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->position, 20);
  EXPECT_EQ((*latest)->body, state);
}

}  // namespace
}  // namespace orgpulse::ingest
