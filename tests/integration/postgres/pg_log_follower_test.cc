// PgLogFollower against a real PostgreSQL 15: every commit of every
// committer applied once, in position order, soon after it commits (woken by
// NOTIFY, not the poll interval), and following on after a database restart.
#include "services/ingest/store/pg_log_follower.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_server.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::PostgresServer;

Event TaskEvent(const std::string& source, const std::string& id) {
  Event e;
  e.source = source;
  e.event_id = id;
  e.team = "eng";
  e.occurred_at = absl::FromUnixSeconds(1780000000);
  e.payload = TaskStarted{"T-1"};
  return e;
}

class Applied final : public EventLogFollower::Sink {
 public:
  void Fold(int64_t last, EventBatch&& events) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_GT(last, last_) << "positions went backwards";
    last_ = last;
    for (const Event& e : events) keys_.push_back(e.source + "/" + e.event_id);
  }
  void StartRefold(int64_t) override { ADD_FAILURE() << "nothing was removed"; }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }

 private:
  std::mutex mu_;
  int64_t last_ = 0;
  std::vector<std::string> keys_;
};

class PgLogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  std::unique_ptr<PgEventLog> Open() {
    auto log = PgEventLog::Open(server_.conninfo());
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }
  PostgresServer server_;
};

TEST_F(PgLogFollowerTest, AppliesEveryCommitOnceInOrderSoonAfterIt) {
  std::unique_ptr<PgEventLog> a = Open();
  std::unique_ptr<PgEventLog> b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Applied applied;
  // A long poll interval: only NOTIFY can make the follower this quick.
  auto follower = PgLogFollower::Open(server_.conninfo(),
                                      {.poll_interval = absl::Seconds(30)});
  ASSERT_TRUE(follower.ok()) << follower.status();
  (*follower)->Start(0, applied);

  std::vector<absl::Duration> visible_after;
  for (int i = 0; i < 40; ++i) {
    PgEventLog& committer = i % 2 == 0 ? *a : *b;
    std::vector<Event> group = {TaskEvent("jira", absl::StrCat(i)),
                                TaskEvent("jira", absl::StrCat(i, "b"))};
    const Event* pointers[] = {&group[0], &group[1]};
    absl::StatusOr<PgCommit> commit = committer.Commit(pointers);
    ASSERT_TRUE(commit.ok()) << commit.status();
    const absl::Time committed = absl::Now();
    ASSERT_TRUE((*follower)->WaitFor(commit->head, absl::Seconds(10)))
        << "commit " << i << " not applied within 10 s";
    visible_after.push_back(absl::Now() - committed);
  }
  const std::vector<std::string> keys = applied.keys();
  ASSERT_EQ(keys.size(), 80u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 80u);
  EXPECT_EQ(keys.front(), "jira/0");
  EXPECT_EQ(keys.back(), "jira/39b");
  std::sort(visible_after.begin(), visible_after.end());
  std::cout << "visible to the follower after a commit: median "
            << visible_after[visible_after.size() / 2] << ", max "
            << visible_after.back() << "\n";
  EXPECT_LT(visible_after[visible_after.size() / 2], absl::Seconds(5))
      << "woken by polling, not by NOTIFY";
}

TEST_F(PgLogFollowerTest, StartsFromAPositionAndFollowsOnAfterARestart) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  std::vector<Event> first = {TaskEvent("jira", "1"), TaskEvent("jira", "2")};
  const Event* p1[] = {&first[0], &first[1]};
  absl::StatusOr<PgCommit> c1 = log->Commit(p1);
  ASSERT_TRUE(c1.ok());
  Applied applied;
  // From the first commit's head, as after loading a snapshot that covers it.
  auto follower = PgLogFollower::Open(
      server_.conninfo(), {.poll_interval = absl::Milliseconds(200)});
  ASSERT_TRUE(follower.ok()) << follower.status();
  (*follower)->Start(c1->head, applied);

  ASSERT_TRUE(server_.Kill().ok());
  ASSERT_TRUE(server_.Start().ok());
  std::vector<Event> second = {TaskEvent("jira", "3")};
  const Event* p2[] = {&second[0]};
  absl::StatusOr<PgCommit> c2 = log->Commit(p2);
  if (!c2.ok()) c2 = log->Commit(p2);  // the first try finds the old session
  ASSERT_TRUE(c2.ok()) << c2.status();
  ASSERT_TRUE((*follower)->WaitFor(c2->head, absl::Seconds(20)));
  EXPECT_EQ(applied.keys(), std::vector<std::string>{"jira/3"});
}

}  // namespace
}  // namespace orgpulse::ingest
