// Ledger over a shared log with a follower (ledger_log.cc), with an
// in-memory log that decides duplicates and a follower the test drives: a
// push is acknowledged only once folded, duplicates are the store's
// decision, replicas count each event once, reads wait for a position
// (bounded), a refold replaces the figures, and commits wait for catch-up.
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/ledger.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

const absl::Time kNow = Utc(2026, 3, 11);

// The database: positions in commit order, duplicates decided per commit.
class SharedLog {
 public:
  AppendResult Commit(absl::Span<const Event* const> events) {
    absl::MutexLock lock(&mu_);
    AppendResult result;
    bool stored = false;
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = *events[i];
      const bool duplicate = !keys_.insert(e.source + "/" + e.event_id).second;
      result.duplicate.push_back(duplicate);
      if (!duplicate) log_.push_back({head_ + 1 + static_cast<int64_t>(i), e});
      stored = stored || !duplicate;
    }
    // As PgEventLog: the head moves only when something was stored.
    if (stored) head_ += static_cast<int64_t>(events.size());
    result.head = head_;
    ++commits_;
    return result;
  }
  int64_t head() const {
    absl::MutexLock lock(&mu_);
    return head_;
  }
  // Events after `position`, and the head.
  std::pair<EventBatch, int64_t> After(int64_t position) const {
    absl::MutexLock lock(&mu_);
    EventBatch out;
    for (const auto& [at, e] : log_) {
      if (at > position) out.push_back(e);
    }
    return {out, head_};
  }
  void AwaitCommits(int n) const {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return commits_ >= n;
    };
    mu_.Await(absl::Condition(&done));
  }

 private:
  mutable absl::Mutex mu_;
  int64_t head_ ABSL_GUARDED_BY(mu_) = 0;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<int64_t, Event>> log_ ABSL_GUARDED_BY(mu_);
};

class SharedLogStore final : public EventStore {
 public:
  explicit SharedLogStore(SharedLog& log) : log_(log) {}
  absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) override {
    return log_.Commit(events);
  }
  bool decides_duplicates() const override { return true; }
  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override {
    for (const Event& e : log_.After(0).first) fn(e);
    return absl::OkStatus();
  }

 private:
  SharedLog& log_;
};

// Hands the log to the sink when the test says so (Deliver), on the test's
// thread.
class DrivenFollower final : public EventLogFollower {
 public:
  explicit DrivenFollower(SharedLog& log) : log_(log) {}
  absl::StatusOr<int64_t> Head() override { return log_.head(); }
  void Start(const LogCursor& from, Sink& sink) override {
    position_ = from.position;
    sink_ = &sink;
  }
  void Stop() override {}
  void Deliver() {
    auto [events, head] = log_.After(position_);
    sink_->Fold({head}, std::move(events));
    position_ = head;
  }
  Sink& sink() { return *sink_; }

 private:
  SharedLog& log_;
  int64_t position_ = 0;
  Sink* sink_ = nullptr;
};

EventBatch Batch(const std::string& prefix, int count,
                 const std::string& team = "eng/search") {
  EventBatch batch;
  for (int i = 0; i < count; ++i) {
    batch.push_back(MakeEvent(absl::StrCat(prefix, i), team, Utc(2026, 3, 1),
                              TaskStarted{absl::StrCat("T-", prefix, i)}));
  }
  return batch;
}

// A replica: its store view, follower and ledger.
struct Replica {
  Replica(SharedLog& log, const Clock& clock, LedgerOptions options = {})
      : store(log), follower(log), ledger(store, clock, options, &follower) {}
  SharedLogStore store;
  DrivenFollower follower;
  Ledger ledger;
};

class LedgerLogTest : public ::testing::Test {
 protected:
  FixedClock clock_{kNow};
  SharedLog log_;
};

TEST_F(LedgerLogTest, APushIsAcknowledgedOnlyOnceThisReplicaFoldedIt) {
  Replica r(log_, clock_);
  ASSERT_TRUE(r.ledger.Recover().ok());
  std::promise<absl::StatusOr<PushResult>> acked;
  r.ledger.Submit(Batch("a", 3), [&](absl::StatusOr<PushResult> result) {
    acked.set_value(std::move(result));
  });
  log_.AwaitCommits(1);
  auto future = acked.get_future();
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(0)),
            std::future_status::timeout)
      << "acknowledged before it was folded";
  EXPECT_THAT(r.ledger.GetTeamExecution("eng"),
              StatusIs(absl::StatusCode::kNotFound));
  r.follower.Deliver();
  absl::StatusOr<PushResult> result = future.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->accepted, 3);
  EXPECT_EQ(result->log_position, 3);
  EXPECT_TRUE(r.ledger.GetTeamExecution("eng").ok());
  EXPECT_EQ(r.ledger.stats().stored_events, 3);
}

TEST_F(LedgerLogTest, TheSameEventsThroughTwoReplicasCountOnceOnEach) {
  Replica a(log_, clock_);
  Replica b(log_, clock_);
  ASSERT_TRUE(a.ledger.Recover().ok());
  ASSERT_TRUE(b.ledger.Recover().ok());
  std::promise<absl::StatusOr<PushResult>> on_a, on_b;
  a.ledger.Submit(Batch("x", 4), [&](absl::StatusOr<PushResult> r) {
    on_a.set_value(std::move(r));
  });
  b.ledger.Submit(Batch("x", 4), [&](absl::StatusOr<PushResult> r) {
    on_b.set_value(std::move(r));
  });
  log_.AwaitCommits(2);
  a.follower.Deliver();
  b.follower.Deliver();
  absl::StatusOr<PushResult> ra = on_a.get_future().get();
  absl::StatusOr<PushResult> rb = on_b.get_future().get();
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->accepted + rb->accepted, 4);
  EXPECT_EQ(ra->duplicates + rb->duplicates, 4);
  EXPECT_EQ(a.ledger.stats().stored_events, 4);
  EXPECT_EQ(b.ledger.stats().stored_events, 4);
  absl::StatusOr<TeamExecution> fa = a.ledger.GetTeamExecution("eng");
  absl::StatusOr<TeamExecution> fb = b.ledger.GetTeamExecution("eng");
  ASSERT_TRUE(fa.ok() && fb.ok());
  EXPECT_EQ(testing::DebugString(*fa), testing::DebugString(*fb));
}

TEST_F(LedgerLogTest, AReadWaitsForItsPositionThenGivesUpUnavailable) {
  Replica a(log_, clock_, {.fold_wait = absl::Milliseconds(50)});
  Replica b(log_, clock_, {.fold_wait = absl::Milliseconds(50)});
  ASSERT_TRUE(a.ledger.Recover().ok());
  ASSERT_TRUE(b.ledger.Recover().ok());
  std::promise<absl::StatusOr<PushResult>> pushed;
  a.ledger.Submit(Batch("p", 2), [&](absl::StatusOr<PushResult> r) {
    pushed.set_value(std::move(r));
  });
  log_.AwaitCommits(1);
  a.follower.Deliver();
  const int64_t position = pushed.get_future().get()->log_position;

  // B has not folded it: the read waits, and is answered when B does.
  std::promise<absl::Status> read;
  b.ledger.AfterLogPosition(position, absl::Seconds(10),
                            [&](absl::Status s) { read.set_value(s); });
  b.follower.Deliver();
  EXPECT_TRUE(read.get_future().get().ok());

  // A position nobody reached: UNAVAILABLE after fold_wait, naming both.
  std::promise<absl::Status> too_far;
  b.ledger.AfterLogPosition(position + 5, absl::Seconds(10),
                            [&](absl::Status s) { too_far.set_value(s); });
  EXPECT_THAT(too_far.get_future().get(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("up to position ", position,
                                              ", not yet ", position + 5))));
}

TEST_F(LedgerLogTest, CommitsAndReadinessWaitUntilCaughtUpWithTheHead) {
  {
    Replica writer(log_, clock_);
    ASSERT_TRUE(writer.ledger.Recover().ok());
    writer.ledger.Submit(Batch("old", 5), [](absl::StatusOr<PushResult>) {});
    log_.AwaitCommits(1);
    writer.follower.Deliver();
  }
  Replica late(log_, clock_, {.max_teams = 1});
  absl::Notification caught_up;
  late.ledger.OnCaughtUp([&] { caught_up.Notify(); });
  ASSERT_TRUE(late.ledger.Recover().ok());
  EXPECT_FALSE(caught_up.HasBeenNotified());
  // A new team: before catch-up the cap could not be checked, so the batch
  // waits; once caught up, eng/search counts and the cap refuses it.
  std::promise<absl::StatusOr<PushResult>> refused;
  late.ledger.Submit(Batch("new", 1, "ops"), [&](absl::StatusOr<PushResult> r) {
    refused.set_value(std::move(r));
  });
  late.follower.Deliver();
  EXPECT_TRUE(caught_up.HasBeenNotified());
  EXPECT_EQ(late.ledger.folded_position(), 5);
  EXPECT_THAT(refused.get_future().get(),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// --max_sources holds on a shared log as on the embedded store: a batch
// bringing a source over the cap is refused whole, naming it, and stores
// nothing; known sources go on.
TEST_F(LedgerLogTest, TheSourceCapRefusesAWholeBatchOnASharedLog) {
  Replica r(log_, clock_, {.max_sources = 1});
  ASSERT_TRUE(r.ledger.Recover().ok());
  auto push = [&](EventBatch batch) {
    std::promise<absl::StatusOr<PushResult>> done;
    r.ledger.Submit(std::move(batch), [&](absl::StatusOr<PushResult> result) {
      done.set_value(std::move(result));
    });
    auto future = done.get_future();
    while (future.wait_for(std::chrono::milliseconds(1)) !=
           std::future_status::ready) {
      r.follower.Deliver();
    }
    return future.get();
  };
  ASSERT_TRUE(push(Batch("a", 2)).ok());
  EventBatch mixed = Batch("b", 2);
  mixed[1].source = "erp";
  EXPECT_THAT(push(mixed), StatusIs(absl::StatusCode::kResourceExhausted,
                                    AllOf(HasSubstr("1 new source(s) (erp)"),
                                          HasSubstr("--max_sources"))));
  EXPECT_EQ(log_.head(), 2) << "a refused batch reached the log";
  EXPECT_EQ(r.ledger.stats().rejected_source_limit, 2);
  ASSERT_TRUE(push(Batch("c", 1)).ok());
  EXPECT_EQ(r.ledger.stats().stored_events, 3);
}

TEST_F(LedgerLogTest, ARefoldReplacesTheFiguresOnlyWhenWhole) {
  Replica r(log_, clock_);
  ASSERT_TRUE(r.ledger.Recover().ok());
  r.follower.sink().Fold({4}, Batch("a", 4));
  ASSERT_EQ(r.ledger.stats().stored_events, 4);
  // Removed at position 6: the log up to it now holds a0 and a1 only.
  r.follower.sink().StartRefold(6);
  EventBatch kept = Batch("a", 2);
  r.follower.sink().Fold({2}, EventBatch{kept[0], kept[1]});
  EXPECT_EQ(r.ledger.stats().stored_events, 4) << "a half refold was shown";
  EXPECT_EQ(r.ledger.folded_position(), 4);
  r.follower.sink().Fold({6}, {});
  EXPECT_EQ(r.ledger.stats().stored_events, 2);
  EXPECT_EQ(r.ledger.folded_position(), 6);
  std::vector<TeamSummary> teams = r.ledger.ListTeams("");
  ASSERT_EQ(teams.size(), 1u);
  EXPECT_EQ(teams[0].events, 2);
}

TEST_F(LedgerLogTest, StartingOverForgetsTheFoldedLogAndIsBehindUntilDone) {
  Replica r(log_, clock_, {.fold_wait = absl::Seconds(10)});
  int caught_up = 0;
  int started_over = 0;
  r.ledger.OnCaughtUp([&] { ++caught_up; });
  r.ledger.OnStartOver([&] { ++started_over; });
  ASSERT_TRUE(r.ledger.Recover().ok());
  ASSERT_EQ(caught_up, 1);  // an empty log
  // Positions 1-4 held a0-a3 on the old primary; the promoted standby has
  // none of them, and its positions 1-3 hold b0-b2.
  r.follower.sink().Fold({4}, Batch("a", 4));
  r.follower.sink().StartOver(3);
  EXPECT_EQ(started_over, 1);
  EXPECT_EQ(r.ledger.folded_position(), 0) << "a position of the old log";
  std::promise<absl::Status> read;
  r.ledger.AfterLogPosition(2, absl::Seconds(10),
                            [&](absl::Status s) { read.set_value(s); });
  auto answered = read.get_future();
  EventBatch b = Batch("b", 3);
  r.follower.sink().Fold({2}, EventBatch{b[0], b[1]});
  EXPECT_EQ(answered.wait_for(std::chrono::milliseconds(0)),
            std::future_status::timeout)
      << "answered from the old log's figures";
  EXPECT_EQ(r.ledger.stats().stored_events, 4) << "a half refold was shown";
  r.follower.sink().Fold({3}, EventBatch{b[2]});
  EXPECT_TRUE(answered.get().ok());
  EXPECT_EQ(r.ledger.folded_position(), 3);
  EXPECT_EQ(r.ledger.stats().stored_events, 3);
  EXPECT_EQ(caught_up, 2) << "ready again once refolded";
  absl::StatusOr<TeamExecution> figures = r.ledger.GetTeamExecution("eng");
  ASSERT_TRUE(figures.ok()) << figures.status();
  Replica fresh(log_, clock_);
  ASSERT_TRUE(fresh.ledger.Recover().ok());
  fresh.follower.sink().Fold({3}, Batch("b", 3));
  absl::StatusOr<TeamExecution> expected = fresh.ledger.GetTeamExecution("eng");
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(testing::DebugString(*figures), testing::DebugString(*expected));
}

}  // namespace
}  // namespace orgpulse::ingest
