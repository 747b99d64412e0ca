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
using ::orgpulse::testing::StartWithSynchronousStandby;

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
  void Fold(const LogCursor& cursor, EventBatch&& events) override {
    const int64_t last = cursor.position;
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_GT(last, last_) << "positions went backwards";
    last_ = last;
    for (const Event& e : events) keys_.push_back(e.source + "/" + e.event_id);
  }
  void StartRefold(int64_t position) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!removals_expected_) ADD_FAILURE() << "nothing was removed";
    refolded_.push_back(position);
    last_ = -1;
    keys_.clear();
  }
  void ExpectRemovals() {
    std::lock_guard<std::mutex> lock(mu_);
    removals_expected_ = true;
  }
  std::vector<int64_t> refolded() {
    std::lock_guard<std::mutex> lock(mu_);
    return refolded_;
  }
  // What was applied is forgotten (the log is another one now).
  void StartOver(int64_t position) override {
    std::lock_guard<std::mutex> lock(mu_);
    started_over_.push_back(position);
    last_ = -1;
    keys_.clear();
  }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }
  std::vector<int64_t> started_over() {
    std::lock_guard<std::mutex> lock(mu_);
    return started_over_;
  }

 private:
  std::mutex mu_;
  int64_t last_ = 0;
  std::vector<std::string> keys_;
  std::vector<int64_t> started_over_;
  bool removals_expected_ = false;
  std::vector<int64_t> refolded_;
};

// Commits `ids` (source "jira") through `log`.
absl::StatusOr<PgCommit> CommitIds(PgEventLog& log,
                                   const std::vector<std::string>& ids) {
  std::vector<Event> events;
  for (const std::string& id : ids) events.push_back(TaskEvent("jira", id));
  std::vector<const Event*> pointers;
  for (const Event& e : events) pointers.push_back(&e);
  return log.Commit(pointers);
}

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
  (*follower)->Start({}, applied);

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
  EXPECT_TRUE(applied.started_over().empty());
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
  (*follower)->Start({c1->head}, applied);

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

TEST_F(PgLogFollowerTest, ARestartedServerIsTheSameLogAndNothingStartsOver) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(CommitIds(*log, {"1", "2"}).ok());
  Applied applied;
  auto follower = PgLogFollower::Open(
      server_.conninfo(), {.poll_interval = absl::Milliseconds(200)});
  ASSERT_TRUE(follower.ok()) << follower.status();
  (*follower)->Start({}, applied);
  ASSERT_TRUE((*follower)->WaitFor(2, absl::Seconds(10)));

  ASSERT_TRUE(server_.Kill().ok());
  ASSERT_TRUE(server_.Start().ok());
  absl::StatusOr<PgCommit> after = CommitIds(*log, {"3"});
  if (!after.ok()) after = CommitIds(*log, {"3"});  // the old session first
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE((*follower)->WaitFor(after->head, absl::Seconds(20)));
  EXPECT_EQ(applied.keys(),
            (std::vector<std::string>{"jira/1", "jira/2", "jira/3"}));
  EXPECT_TRUE(applied.started_over().empty());
}

TEST_F(PgLogFollowerTest,
       ARemovalOfTheLastFoldedEventRefoldsWithoutStartingOver) {
  std::unique_ptr<PgEventLog> log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(CommitIds(*log, {"1", "2"}).ok());
  Applied applied;
  applied.ExpectRemovals();
  auto follower = PgLogFollower::Open(
      server_.conninfo(), {.poll_interval = absl::Milliseconds(200)});
  ASSERT_TRUE(follower.ok()) << follower.status();
  (*follower)->Start({}, applied);
  ASSERT_TRUE((*follower)->WaitFor(2, absl::Seconds(10)));
  // Takes away the event the follower folded last (its anchor): the removal
  // record explains it, so this is the same log.
  absl::StatusOr<int64_t> removed = log->Remove("jira", 0, 1LL << 62);
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_EQ(*removed, 2);
  ASSERT_TRUE(CommitIds(*log, {"3"}).ok());
  ASSERT_TRUE((*follower)->WaitFor(4, absl::Seconds(10)));
  EXPECT_EQ(applied.keys(), std::vector<std::string>{"jira/3"});
  EXPECT_EQ(applied.refolded(), std::vector<int64_t>{3});
  EXPECT_TRUE(applied.started_over().empty());
}

// The failover that loses what a follower folded: the primary shows a commit
// its synchronous standby never got, the follower folds it, the primary dies
// and the standby is promoted; by the time the follower reconnects the new
// primary has committed more than the lost commit at the same positions (its
// head is past the follower's position, so only the anchor tells).
TEST(PgLogFollowerFailoverTest, StartsOverWhenThePromotedStandbyLacksAFold) {
  PostgresServer primary;
  PostgresServer standby;
  absl::Status started = StartWithSynchronousStandby(primary, standby);
  ASSERT_TRUE(started.ok()) << started;
  // The follower connects as its own role, so that the test can keep it
  // away from the new primary until that has committed (NOLOGIN).
  ASSERT_TRUE(primary.Query("CREATE ROLE follower LOGIN SUPERUSER").ok());
  auto writer = PgEventLog::Open(primary.conninfo());
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::StatusOr<PgCommit> common = CommitIds(**writer, {"a1", "a2", "a3"});
  ASSERT_TRUE(common.ok()) << common.status();

  Applied applied;
  auto follower = PgLogFollower::Open(
      absl::StrCat("host=", primary.socket_dir(), ",", standby.socket_dir(),
                   " port=5432,5432 user=follower dbname=postgres "
                   "target_session_attrs=read-write connect_timeout=2"),
      {.poll_interval = absl::Milliseconds(100)});
  ASSERT_TRUE(follower.ok()) << follower.status();
  (*follower)->Start({}, applied);
  ASSERT_TRUE((*follower)->WaitFor(common->head, absl::Seconds(10)));
  ASSERT_TRUE(primary.Query("ALTER ROLE follower NOLOGIN").ok());

  // A commit on the primary alone: it waits for the stopped standby until
  // its session is terminated, and is then shown, committed locally.
  auto lost_writer = PgEventLog::Open(primary.conninfo());
  ASSERT_TRUE(lost_writer.ok()) << lost_writer.status();
  ASSERT_TRUE(standby.Stop().ok());
  absl::Status lost_commit;
  std::thread committer([&] {
    lost_commit = CommitIds(**lost_writer, {"lost1", "lost2"}).status();
  });
  absl::Status terminated = primary.TerminateSyncRepWaiters();
  committer.join();
  ASSERT_TRUE(terminated.ok()) << terminated;
  EXPECT_FALSE(lost_commit.ok()) << "the commit was confirmed";
  ASSERT_TRUE((*follower)->WaitFor(common->head + 2, absl::Seconds(10)));
  ASSERT_EQ(applied.keys(),
            (std::vector<std::string>{"jira/a1", "jira/a2", "jira/a3",
                                      "jira/lost1", "jira/lost2"}));

  ASSERT_TRUE(primary.KillPostmaster().ok());
  ASSERT_TRUE(standby.Start().ok());
  ASSERT_TRUE(standby.Promote().ok());
  auto promoted = PgEventLog::Open(standby.conninfo());
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  absl::StatusOr<PgCommit> next = CommitIds(**promoted, {"b1", "b2", "b3"});
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_GT(next->head, common->head + 2) << "the head alone would tell";
  ASSERT_TRUE(standby.Query("ALTER ROLE follower LOGIN").ok());

  ASSERT_TRUE((*follower)->WaitFor(next->head, absl::Seconds(20)));
  EXPECT_EQ(applied.keys(),
            (std::vector<std::string>{"jira/a1", "jira/a2", "jira/a3",
                                      "jira/b1", "jira/b2", "jira/b3"}));
  EXPECT_EQ(applied.started_over(), std::vector<int64_t>{next->head});
}

}  // namespace
}  // namespace orgpulse::ingest
