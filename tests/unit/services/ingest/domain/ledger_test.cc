#include "services/ingest/domain/ledger.h"

#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock/clock.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::DebugString;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = Utc(2026, 3, 11);

// An in-memory EventStore that can be told to fail the next Append, or to
// hold the next Append until released (so batches queue up behind it and
// are committed as one group).
class FakeEventStore final : public EventStore {
 public:
  absl::StatusOr<AppendResult> Append(
      absl::Span<const Event* const> events) override {
    absl::MutexLock lock(&mu_);
    ++appends_;
    const absl::Status result = std::exchange(next_append_, absl::OkStatus());
    if (hold_next_) {
      hold_next_ = false;
      held_ = true;
      mu_.Await(absl::Condition(
          +[](bool* held) { return !*held; }, &held_));
    }
    if (!result.ok()) return result;
    for (const Event* e : events) events_.push_back(*e);
    group_sizes_.push_back(events.size());
    return AppendResult{.head = static_cast<int64_t>(group_sizes_.size())};
  }

  absl::Status Replay(absl::FunctionRef<void(const Event&)> fn) override {
    WaitIfReadHeld();
    absl::MutexLock lock(&mu_);
    ++replays_;
    for (const Event& e : events_) fn(e);
    return replay_status_;
  }
  absl::StatusOr<int64_t> Remove(const EventFilter& filter) override {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(std::erase_if(
        events_, [&](const Event& e) { return filter.Matches(e); }));
  }
  // A reader of its own: a copy of the events, read outside mu_.
  absl::Status ReplayBesideCommits(
      absl::FunctionRef<void(const Event&)> fn) override {
    std::vector<Event> copy;
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      copy = events_;
      status = replay_status_;
    }
    WaitIfReadHeld();
    for (const Event& e : copy) fn(e);
    return status;
  }
  // The next read (either kind) waits, once it began, until ReleaseRead.
  void HoldNextRead() {
    absl::MutexLock lock(&read_mu_);
    hold_read_ = true;
  }
  void AwaitReadHeld() {
    absl::MutexLock lock(&read_mu_);
    read_mu_.Await(absl::Condition(&read_held_));
  }
  void ReleaseRead() {
    absl::MutexLock lock(&read_mu_);
    read_held_ = false;
  }

  void FailNextAppend(absl::Status status) {
    absl::MutexLock lock(&mu_);
    next_append_ = std::move(status);
  }
  void FailReplay(absl::Status status) {
    absl::MutexLock lock(&mu_);
    replay_status_ = std::move(status);
  }
  void HoldNextAppend() {
    absl::MutexLock lock(&mu_);
    hold_next_ = true;
  }
  // Blocks until an Append is being held.
  void AwaitHeld() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&held_));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }
  void Prefill(std::vector<Event> events) {
    absl::MutexLock lock(&mu_);
    events_ = std::move(events);
  }

  std::vector<std::string> Stored() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const Event& e : events_) out.push_back(DebugString(e));
    return out;
  }
  std::vector<size_t> group_sizes() const {
    absl::MutexLock lock(&mu_);
    return group_sizes_;
  }
  int appends() const {
    absl::MutexLock lock(&mu_);
    return appends_;
  }
  int replays() const {
    absl::MutexLock lock(&mu_);
    return replays_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> group_sizes_ ABSL_GUARDED_BY(mu_);
  absl::Status next_append_ ABSL_GUARDED_BY(mu_);
  absl::Status replay_status_ ABSL_GUARDED_BY(mu_);
  bool hold_next_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int appends_ ABSL_GUARDED_BY(mu_) = 0;
  int replays_ ABSL_GUARDED_BY(mu_) = 0;

  void WaitIfReadHeld() {
    absl::MutexLock lock(&read_mu_);
    if (!std::exchange(hold_read_, false)) return;
    read_held_ = true;
    read_mu_.Await(absl::Condition(
        +[](bool* held) { return !*held; }, &read_held_));
  }
  absl::Mutex read_mu_;
  bool hold_read_ ABSL_GUARDED_BY(read_mu_) = false;
  bool read_held_ ABSL_GUARDED_BY(read_mu_) = false;
};

Event Check(const std::string& id, const std::string& team, bool passed = true,
            const std::string& source = "jira") {
  return MakeEvent(id, team, Utc(2026, 3, 1), ProcedureCheck{"review", passed},
                   source);
}
Event Cost(const std::string& id, const std::string& team, double amount) {
  return MakeEvent(id, team, Utc(2026, 3, 2), CostActual{"apollo", amount});
}

// A batch submitted without waiting; its result arrives later.
struct Submitted {
  std::promise<absl::StatusOr<PushResult>> promise;
  std::future<absl::StatusOr<PushResult>> future = promise.get_future();
};
void SubmitTo(Ledger& ledger, EventBatch batch, Submitted& s) {
  ledger.Submit(std::move(batch), [&s](absl::StatusOr<PushResult> r) {
    s.promise.set_value(std::move(r));
  });
}

class LedgerTest : public ::testing::Test {
 protected:
  void Start(LedgerOptions options = {}) {
    ledger_ = std::make_unique<Ledger>(store_, clock_, options);
    ASSERT_TRUE(ledger_->Recover().ok());
  }

  // Figures of `team`, or the status if there are none.
  std::string Figures(absl::string_view team) {
    absl::StatusOr<TeamExecution> f = ledger_->GetTeamExecution(team);
    return f.ok() ? DebugString(*f) : f.status().ToString();
  }

  FakeEventStore store_;
  FixedClock clock_{kNow};
  std::unique_ptr<Ledger> ledger_;
};

void ExpectResult(const absl::StatusOr<PushResult>& r, int64_t accepted,
                  int64_t duplicates) {
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, accepted);
  EXPECT_EQ(r->duplicates, duplicates);
}

TEST_F(LedgerTest, CountsAcceptedAndDuplicateEvents) {
  Start();
  ExpectResult(ledger_->Push({Check("e1", "eng"), Check("e2", "eng")}), 2, 0);
  ExpectResult(ledger_->Push({Check("e2", "eng"), Check("e3", "eng")}), 1, 1);
  // The key is (source, event_id): the same id from another source is new.
  ExpectResult(ledger_->Push({Check("e1", "eng", true, "erp")}), 1, 0);

  EXPECT_EQ(store_.Stored().size(), 4u);
  absl::StatusOr<TeamExecution> f = ledger_->GetTeamExecution("eng");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->events, 4);
  EXPECT_EQ(f->as_of, kNow);
}

TEST_F(LedgerTest, DuplicateWithinOneBatchIsStoredOnce) {
  Start();
  // Same key, other payload: the first one in the batch is kept.
  ExpectResult(ledger_->Push({Cost("c1", "eng", 10), Cost("c1", "eng", 99),
                              Cost("c2", "eng", 5)}),
               2, 1);
  EXPECT_THAT(store_.Stored(), ElementsAre(DebugString(Cost("c1", "eng", 10)),
                                           DebugString(Cost("c2", "eng", 5))));
  absl::StatusOr<TeamExecution> f = ledger_->GetTeamExecution("eng");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->budget.actual_cost, 15);
}

TEST_F(LedgerTest, RetriedBatchChangesNoFigure) {
  Start();
  const EventBatch batch = {
      Cost("c1", "eng/a", 12.5),
      Check("p1", "eng/b", false),
      MakeEvent("t1", "eng/a", Utc(2026, 3, 1),
                TaskCreated{"task", Utc(2026, 3, 5), 1}),
      MakeEvent("t2", "eng/a", Utc(2026, 3, 6), TaskCompleted{"task"}),
  };
  ExpectResult(ledger_->Push(batch), 4, 0);
  const std::string before = Figures("eng");
  const std::vector<std::string> stored = store_.Stored();
  const int appends = store_.appends();

  ExpectResult(ledger_->Push(batch), 0, 4);
  EXPECT_EQ(Figures("eng"), before);
  EXPECT_EQ(store_.Stored(), stored);
  EXPECT_EQ(store_.appends(), appends);  // nothing new to write
  EXPECT_EQ(ledger_->stats().commits, 1);
}

TEST_F(LedgerTest, InvalidBatchStoresNothingAndNamesEveryBadField) {
  Start();
  Event bad_team = Check("e2", "Eng");
  Event bad_cost = Cost("e3", "eng", -1);
  bad_cost.occurred_at = kNow + absl::Hours(48);
  bool called = false;
  absl::Status status;
  ledger_->Submit({Check("e1", "eng"), bad_team, bad_cost},
                  [&](absl::StatusOr<PushResult> r) {
                    called = true;
                    status = r.status();
                  });
  ASSERT_TRUE(called) << "an invalid batch is answered at once";
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("nothing was stored")));
  std::vector<std::string> fields;
  for (const FieldViolation& v : GetFieldViolations(status)) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ElementsAre("events[1].team", "events[2].occurred_at",
                                  "events[2].cost_actual.amount"));

  EXPECT_THAT(store_.Stored(), IsEmpty());
  EXPECT_THAT(ledger_->GetTeamExecution("eng"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ledger_->stats().rejected_invalid, 3);
  // Its valid event was not remembered as stored either.
  ExpectResult(ledger_->Push({Check("e1", "eng")}), 1, 0);
}

TEST_F(LedgerTest, ValidationUsesTheInjectedClock) {
  Start();
  Event ahead = Check("e1", "eng");
  ahead.occurred_at = kNow + absl::Hours(30);
  EXPECT_THAT(ledger_->Push({ahead}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  clock_.Advance(absl::Hours(12));
  ExpectResult(ledger_->Push({ahead}), 1, 0);
}

TEST_F(LedgerTest, FiguresUseTheInjectedClock) {
  Start();
  ExpectResult(
      ledger_->Push({MakeEvent("t1", "eng", Utc(2026, 3, 1),
                               TaskCreated{"t", Utc(2026, 3, 12), 1})}),
      1, 0);
  absl::StatusOr<TeamExecution> f = ledger_->GetTeamExecution("eng");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->tasks.overdue, 0);
  clock_.Set(Utc(2026, 3, 13));
  f = ledger_->GetTeamExecution("eng");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->tasks.overdue, 1);
  EXPECT_EQ(f->as_of, Utc(2026, 3, 13));
}

TEST_F(LedgerTest, TeamCapRefusesTheWholeBatch) {
  Start({.max_teams = 2});
  ExpectResult(ledger_->Push({Check("a1", "eng/a")}), 1, 0);
  ExpectResult(ledger_->Push({Check("b1", "eng/b")}), 1, 0);
  const std::string before = Figures("eng");

  // A third team: refused, including the event for a known team.
  EXPECT_THAT(ledger_->Push({Check("a2", "eng/a"), Check("c1", "eng/c")}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("nothing of the batch was stored")));
  EXPECT_EQ(store_.Stored().size(), 2u);
  EXPECT_EQ(Figures("eng"), before);
  EXPECT_EQ(ledger_->ListTeams("").size(), 2u);
  EXPECT_EQ(ledger_->stats().rejected_team_limit, 2);

  // Its keys were not remembered: the known team's event is new later.
  ExpectResult(ledger_->Push({Check("a2", "eng/a")}), 1, 0);
  // Events of known teams only are fine at the cap.
  ExpectResult(ledger_->Push({Check("a3", "eng/a"), Check("b2", "eng/b")}), 2,
               0);
}

TEST_F(LedgerTest, TeamCapCountsTeamsOfOneBatch) {
  Start({.max_teams = 2});
  ExpectResult(ledger_->Push({Check("a1", "eng/a"), Check("b1", "eng/b")}), 2,
               0);
  Start({.max_teams = 2});  // a fresh ledger over the same store: 2 teams
  EXPECT_THAT(ledger_->Push({Check("c1", "eng/c")}),
              StatusIs(absl::StatusCode::kResourceExhausted));

  FakeEventStore empty;
  Ledger fresh(empty, clock_, {.max_teams = 2});
  ASSERT_TRUE(fresh.Recover().ok());
  EXPECT_THAT(fresh.Push({Check("a1", "eng/a"), Check("b1", "eng/b"),
                          Check("c1", "eng/c")}),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(empty.Stored(), IsEmpty());
}

TEST_F(LedgerTest, TeamCapAppliesAcrossBatchesOfOneCommitGroup) {
  Start({.max_teams = 2});
  store_.HoldNextAppend();
  Submitted first;
  SubmitTo(*ledger_, {Check("a1", "eng/a")}, first);
  store_.AwaitHeld();
  // Queued behind the held commit: committed together as one group, in
  // which only one more team fits.
  Submitted b, c, a2;
  SubmitTo(*ledger_, {Check("b1", "eng/b")}, b);
  SubmitTo(*ledger_, {Check("c1", "eng/c"), Check("x1", "eng/a")}, c);
  SubmitTo(*ledger_, {Check("a2", "eng/a")}, a2);
  store_.Release();

  ExpectResult(first.future.get(), 1, 0);
  ExpectResult(b.future.get(), 1, 0);
  EXPECT_THAT(c.future.get(), StatusIs(absl::StatusCode::kResourceExhausted));
  ExpectResult(a2.future.get(), 1, 0);
  EXPECT_THAT(store_.group_sizes(), ElementsAre(1u, 2u));
  EXPECT_EQ(ledger_->ListTeams("").size(), 2u);
}

TEST_F(LedgerTest, SourceCapRefusesTheWholeBatchNamingTheNewSources) {
  Start({.max_sources = 2});
  ExpectResult(ledger_->Push({Check("a1", "eng/a", true, "jira")}), 1, 0);
  ExpectResult(ledger_->Push({Check("b1", "eng/a", true, "erp")}), 1, 0);
  const std::string before = Figures("eng");

  // A third and a fourth source: refused, with the known source's event.
  EXPECT_THAT(ledger_->Push({Check("a2", "eng/a", true, "jira"),
                             Check("c1", "eng/a", true, "ci"),
                             Check("d1", "eng/a", true, "sheet")}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("2 new source(s) (ci, sheet) to 2 "
                                       "known, over the limit of 2"),
                             HasSubstr("--max_sources"),
                             HasSubstr("nothing of the batch was stored"))));
  EXPECT_EQ(store_.Stored().size(), 2u);
  EXPECT_EQ(Figures("eng"), before);
  EXPECT_EQ(ledger_->ListSources().size(), 2u);
  EXPECT_EQ(ledger_->stats().rejected_source_limit, 3);
  EXPECT_EQ(ledger_->stats().rejected_team_limit, 0);

  // Its keys were not remembered, and known sources go on at the cap.
  ExpectResult(ledger_->Push({Check("a2", "eng/a", true, "jira"),
                              Check("b2", "eng/b", true, "erp")}),
               2, 0);
  // A fresh ledger over the same store counts the stored sources.
  Start({.max_sources = 2});
  EXPECT_THAT(ledger_->Push({Check("c1", "eng/a", true, "ci")}),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// A retention sweep refolds the whole store, and pushes wait meanwhile: it
// does so only once some event is past the cutoff.
TEST_F(LedgerTest, ARetentionSweepReadsTheStoreOnlyWhenSomethingExpired) {
  Start({.retain_events_for = absl::Hours(24 * 30)});
  ExpectResult(ledger_->Push({Check("e1", "eng"), Cost("c1", "ops", 5)}), 2, 0);
  const int replays = store_.replays();
  absl::StatusOr<int64_t> dropped = ledger_->DropExpired();
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 0);
  EXPECT_EQ(store_.replays(), replays) << "refolded with nothing expired";
  // e1 (March 1) is past the cutoff 30 days after March 31, c1 (March 2)
  // not yet.
  clock_.Set(Utc(2026, 4, 1) + absl::Hours(1));
  (void)ledger_->DropExpired();
  EXPECT_GT(store_.replays(), replays);
}

// A figure of the past refolds the stored events (seconds per million): it
// reads beside commits, and pushes meanwhile are stored and acknowledged.
TEST_F(LedgerTest, APastReadDoesNotHoldUpPushes) {
  Start();
  ExpectResult(ledger_->Push({Check("e1", "eng")}), 1, 0);
  store_.HoldNextRead();
  std::thread reader(
      [&] { EXPECT_TRUE(ledger_->GetTeamExecutionAsOf("eng", kNow).ok()); });
  store_.AwaitReadHeld();
  Submitted push;
  SubmitTo(*ledger_, {Check("e2", "eng")}, push);
  const bool acknowledged = push.future.wait_for(std::chrono::seconds(10)) ==
                            std::future_status::ready;
  store_.ReleaseRead();
  reader.join();
  EXPECT_TRUE(acknowledged) << "a push waited for a past read to end";
  ExpectResult(push.future.get(), 1, 0);
}

TEST_F(LedgerTest, SourceCapAppliesAcrossBatchesOfOneCommitGroup) {
  Start({.max_sources = 2});
  store_.HoldNextAppend();
  Submitted first;
  SubmitTo(*ledger_, {Check("a1", "eng", true, "jira")}, first);
  store_.AwaitHeld();
  // Committed together as one group, in which only one more source fits.
  Submitted erp, ci, jira;
  SubmitTo(*ledger_, {Check("b1", "eng", true, "erp")}, erp);
  SubmitTo(*ledger_, {Check("c1", "eng", true, "ci")}, ci);
  SubmitTo(*ledger_, {Check("a2", "eng", true, "jira")}, jira);
  store_.Release();

  ExpectResult(first.future.get(), 1, 0);
  ExpectResult(erp.future.get(), 1, 0);
  EXPECT_THAT(ci.future.get(), StatusIs(absl::StatusCode::kResourceExhausted,
                                        HasSubstr("(ci)")));
  ExpectResult(jira.future.get(), 1, 0);
  EXPECT_THAT(store_.group_sizes(), ElementsAre(1u, 2u));
}

// What orgpulse_source_last_event_timestamp_seconds shows: per source, its
// stored events and the latest occurred_at, whatever the arrival order, and
// the same after a restart (rebuilt from the store).
TEST_F(LedgerTest, ListSourcesHasEachSourcesLatestEventAndSurvivesARestart) {
  Start();
  EXPECT_THAT(ledger_->ListSources(), IsEmpty());
  ExpectResult(ledger_->Push({MakeEvent("j1", "eng", Utc(2026, 3, 5),
                                        ProcedureCheck{"review", true}, "jira"),
                              MakeEvent("e1", "ops", Utc(2026, 2, 1),
                                        CostActual{"apollo", 5}, "erp")}),
               2, 0);
  // Back-dated: the latest stays 5 March.
  ExpectResult(
      ledger_->Push({MakeEvent("j0", "ops", Utc(2026, 1, 1),
                               ProcedureCheck{"review", true}, "jira")}),
      1, 0);
  auto expect_sources = [&] {
    const std::vector<SourceSummary> sources = ledger_->ListSources();
    ASSERT_EQ(sources.size(), 2u);
    EXPECT_EQ(sources[0].source, "erp");
    EXPECT_EQ(sources[0].events, 1);
    EXPECT_EQ(sources[0].last_event_at, Utc(2026, 2, 1));
    EXPECT_EQ(sources[1].source, "jira");
    EXPECT_EQ(sources[1].events, 2);
    EXPECT_EQ(sources[1].last_event_at, Utc(2026, 3, 5));
  };
  expect_sources();
  Start();  // a fresh ledger over the same store
  expect_sources();
}

class StoreFailureTest
    : public LedgerTest,
      public ::testing::WithParamInterface<absl::StatusCode> {};

TEST_P(StoreFailureTest, FailsTheBatchAndChangesNothing) {
  Start();
  ExpectResult(ledger_->Push({Cost("c0", "eng", 1)}), 1, 0);
  const std::string before = Figures("eng");
  const LedgerStats stats_before = ledger_->stats();

  store_.FailNextAppend(absl::Status(GetParam(), "disk trouble"));
  const EventBatch batch = {Cost("c1", "eng", 10), Cost("c2", "eng/new", 20)};
  EXPECT_THAT(ledger_->Push(batch), StatusIs(GetParam()));
  EXPECT_EQ(Figures("eng"), before);
  EXPECT_EQ(store_.Stored().size(), 1u);
  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.rejected_storage, 2);
  EXPECT_EQ(after.accepted, stats_before.accepted);
  EXPECT_EQ(after.stored_events, stats_before.stored_events);
  EXPECT_EQ(after.teams, 1u);

  // The dedupe state is untouched: the same batch later is new.
  ExpectResult(ledger_->Push(batch), 2, 0);
  absl::StatusOr<TeamExecution> f = ledger_->GetTeamExecution("eng");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->budget.actual_cost, 31);
}

INSTANTIATE_TEST_SUITE_P(Codes, StoreFailureTest,
                         ::testing::Values(absl::StatusCode::kResourceExhausted,
                                           absl::StatusCode::kUnavailable));

// A batch whose events repeat ones of an earlier batch in the same commit
// group depends on that commit: if the commit fails, it must fail too, or
// it would be acknowledged as stored while nothing is.
TEST_F(LedgerTest, StoreFailureFailsBatchesThatDependOnTheFailedGroup) {
  Start();
  ExpectResult(ledger_->Push({Check("old", "eng")}), 1, 0);
  const LedgerStats stats_before = ledger_->stats();

  store_.HoldNextAppend();
  Submitted first;
  SubmitTo(*ledger_, {Check("e0", "eng")}, first);
  store_.AwaitHeld();
  store_.FailNextAppend(absl::UnavailableError("disk trouble"));
  Submitted a, b, c;
  SubmitTo(*ledger_, {Check("e1", "eng")}, a);   // new
  SubmitTo(*ledger_, {Check("e1", "eng")}, b);   // repeats a's event
  SubmitTo(*ledger_, {Check("old", "eng")}, c);  // repeats a stored event
  store_.Release();

  ExpectResult(first.future.get(), 1, 0);
  EXPECT_THAT(a.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(b.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  ExpectResult(c.future.get(), 0, 1);
  EXPECT_EQ(store_.appends(), 3);  // the first, "old", the failed group

  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.accepted, stats_before.accepted + 1);
  EXPECT_EQ(after.duplicates, stats_before.duplicates + 1);  // c's
  EXPECT_EQ(after.rejected_storage, 2);                      // a's and b's

  // Neither was stored: retrying b stores it.
  ExpectResult(ledger_->Push({Check("e1", "eng")}), 1, 0);
}

// Returns once `n` groups are decided and not yet acknowledged: with the
// first held in its Append, the later ones were decided while it was.
void AwaitGroupsInFlight(const Ledger& ledger, size_t n) {
  while (ledger.groups_in_flight() < n) std::this_thread::yield();
}

// Group N+1 is decided while group N is appended, against stored_keys_
// holding N's keys. If N's Append fails, N+1's repeat of N's event is no
// duplicate: it must not be acknowledged, and a retry stores it.
TEST_F(LedgerTest, ABatchRepeatingAGroupWhoseAppendFailsIsNotADuplicate) {
  Start();
  ExpectResult(ledger_->Push({Check("old", "eng")}), 1, 0);
  const LedgerStats stats_before = ledger_->stats();

  store_.HoldNextAppend();
  store_.FailNextAppend(absl::UnavailableError("disk trouble"));
  Submitted first, repeat, old;
  SubmitTo(*ledger_, {Check("e1", "eng")}, first);
  store_.AwaitHeld();
  SubmitTo(*ledger_, {Check("e1", "eng")}, repeat);  // repeats first's event
  AwaitGroupsInFlight(*ledger_, 2);
  SubmitTo(*ledger_, {Check("old", "eng")}, old);  // repeats a stored event
  store_.Release();

  EXPECT_THAT(first.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(repeat.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  ExpectResult(old.future.get(), 0, 1);
  EXPECT_EQ(store_.appends(), 2);  // "old" and the failed one
  const LedgerStats after = ledger_->stats();
  EXPECT_EQ(after.accepted, stats_before.accepted);
  EXPECT_EQ(after.duplicates, stats_before.duplicates + 1);  // old's
  EXPECT_EQ(after.rejected_storage, 2);

  // Nothing of it was stored: the retry stores it.
  ExpectResult(ledger_->Push({Check("e1", "eng")}), 1, 0);
  EXPECT_EQ(store_.Stored().size(), 2u);
}

// A group decided while a failing group was appended counted that group's
// new team against the cap: its refusal fails as the storage failure (to be
// retried), and the failed group's team is not counted after it.
TEST_F(LedgerTest, TheTeamsOfAGroupWhoseAppendFailsAreNotCounted) {
  Start({.max_teams = 1});
  store_.HoldNextAppend();
  store_.FailNextAppend(absl::UnavailableError("disk trouble"));
  Submitted first, second;
  SubmitTo(*ledger_, {Check("a1", "eng/a")}, first);
  store_.AwaitHeld();
  SubmitTo(*ledger_, {Check("b1", "eng/b")}, second);
  AwaitGroupsInFlight(*ledger_, 2);
  store_.Release();

  EXPECT_THAT(first.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(second.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(ledger_->stats().rejected_team_limit, 0);
  EXPECT_EQ(ledger_->stats().rejected_storage, 2);

  ExpectResult(ledger_->Push({Check("b1", "eng/b")}), 1, 0);
  EXPECT_THAT(ledger_->Push({Check("a1", "eng/a")}),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ledger_->ListTeams("").size(), 1u);
}

// Stop drains every stage: each batch decided, appended or queued is
// acknowledged once (a second call would throw from its promise).
TEST_F(LedgerTest, StopAcknowledgesTheBatchesOfEveryStageOnce) {
  Start();
  store_.HoldNextAppend();
  Submitted appending, decided, queued;
  SubmitTo(*ledger_, {Check("e1", "eng")}, appending);
  store_.AwaitHeld();
  SubmitTo(*ledger_, {Check("e2", "eng")}, decided);
  AwaitGroupsInFlight(*ledger_, 2);
  SubmitTo(*ledger_, {Check("e3", "eng")}, queued);
  std::thread stop([&] { ledger_->Stop(); });
  store_.Release();
  stop.join();

  ExpectResult(appending.future.get(), 1, 0);
  ExpectResult(decided.future.get(), 1, 0);
  ExpectResult(queued.future.get(), 1, 0);
  EXPECT_EQ(store_.Stored().size(), 3u);
  EXPECT_EQ(ledger_->stats().stored_events, 3);
}

// A batch whose acknowledgement holds the folding thread until released:
// the groups committed after it wait, appended but not yet folded.
struct HeldAck {
  absl::Notification entered;
  absl::Notification release;
  absl::StatusOr<PushResult> result;
  void SubmitTo(Ledger& ledger, EventBatch batch) {
    ledger.Submit(std::move(batch), [this](absl::StatusOr<PushResult> r) {
      result = std::move(r);
      entered.Notify();
      release.WaitForNotification();
    });
  }
};

// Counts the store's appends through the commit observer.
class CommitCounter {
 public:
  Ledger::CommitObserver Observer() {
    return [this](absl::Duration, size_t) {
      absl::MutexLock lock(&mu_);
      ++commits_;
    };
  }
  void AwaitCommits(int n) {
    absl::MutexLock lock(&mu_);
    wanted_ = n;
    mu_.Await(absl::Condition(this, &CommitCounter::Reached));
  }

 private:
  bool Reached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return commits_ >= wanted_;
  }
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
  int wanted_ ABSL_GUARDED_BY(mu_) = 0;
};

// While group N is folded, group N+1 is committed: its new teams count
// against the cap for group N+2 although the figures do not hold them yet.
TEST_F(LedgerTest, TeamCapCountsTheTeamsOfGroupsNotYetFolded) {
  CommitCounter counter;
  ledger_ =
      std::make_unique<Ledger>(store_, clock_, LedgerOptions{.max_teams = 2});
  ledger_->set_commit_observer(counter.Observer());
  ASSERT_TRUE(ledger_->Recover().ok());
  ExpectResult(ledger_->Push({Check("a1", "eng/a")}), 1, 0);
  HeldAck held;
  held.SubmitTo(*ledger_, {Check("a2", "eng/a")});
  held.entered.WaitForNotification();
  Submitted b, c;
  SubmitTo(*ledger_, {Check("b1", "eng/b")}, b);
  counter.AwaitCommits(3);  // b1 is stored, its fold waits behind a2's ack
  SubmitTo(*ledger_, {Check("c1", "eng/c")}, c);
  held.release.Notify();

  ExpectResult(held.result, 1, 0);
  ExpectResult(b.future.get(), 1, 0);
  EXPECT_THAT(c.future.get(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ledger_->ListTeams("").size(), 2u);
}

// A removal (like a snapshot) waits for the groups being folded, so that
// it refolds the store into a state that every later fold continues.
TEST_F(LedgerTest, ARemovalWaitsForTheGroupsBeingFolded) {
  CommitCounter counter;
  ledger_ = std::make_unique<Ledger>(store_, clock_, LedgerOptions{});
  ledger_->set_commit_observer(counter.Observer());
  ASSERT_TRUE(ledger_->Recover().ok());
  ExpectResult(ledger_->Push({Check("x1", "eng/a", true, "old")}), 1, 0);
  HeldAck held;
  held.SubmitTo(*ledger_, {Check("a1", "eng/a")});
  held.entered.WaitForNotification();
  Submitted b;
  SubmitTo(*ledger_, {Check("b1", "eng/b")}, b);
  counter.AwaitCommits(3);  // b1 is stored, not yet folded
  absl::StatusOr<RemovalReport> removed;
  std::thread removal(
      [&] { removed = ledger_->RemoveNow({.filter = {.source = "old"}}); });
  held.release.Notify();
  removal.join();

  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->removed, 1);
  ExpectResult(b.future.get(), 1, 0);
  // b1 is counted once: folded before the removal's refold, not again after.
  absl::StatusOr<TeamExecution> eng_b = ledger_->GetTeamExecution("eng/b");
  ASSERT_TRUE(eng_b.ok()) << eng_b.status();
  EXPECT_EQ(eng_b->events, 1);
  EXPECT_EQ(ledger_->stats().stored_events, 2);
}

TEST_F(LedgerTest, RecoverReplaysTheStore) {
  const Event task = MakeEvent("t1", "eng/a", Utc(2026, 3, 1),
                               TaskCreated{"t", Utc(2026, 3, 5), 1});
  store_.Prefill({task, Cost("c1", "eng/b", 7), Check("p1", "ops"),
                  Cost("c1", "eng/b", 7)});  // a repeat is skipped
  Start();

  const LedgerStats stats = ledger_->stats();
  EXPECT_EQ(stats.stored_events, 3);
  EXPECT_EQ(stats.teams, 3u);
  EXPECT_EQ(stats.accepted, 0);
  absl::StatusOr<TeamExecution> f = ledger_->GetTeamExecution("eng");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->events, 2);
  EXPECT_EQ(f->tasks.overdue, 1);
  EXPECT_EQ(f->budget.actual_cost, 7);
  EXPECT_EQ(ledger_->ListTeams("").size(), 3u);

  // Recovered events are known: pushing them again is a duplicate.
  ExpectResult(ledger_->Push({task, Cost("c2", "eng/b", 1)}), 1, 1);
}

TEST_F(LedgerTest, RecoverFailsWhenTheStoreCannotBeRead) {
  store_.FailReplay(absl::DataLossError("corrupt"));
  Ledger ledger(store_, clock_, {});
  EXPECT_THAT(ledger.Recover(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ledger.Push({Check("e1", "eng")}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(LedgerTest, SubmitAfterStopIsUnavailable) {
  Start();
  ExpectResult(ledger_->Push({Check("e1", "eng")}), 1, 0);
  ledger_->Stop();
  EXPECT_THAT(
      ledger_->Push({Check("e2", "eng")}),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  ledger_->Stop();  // idempotent
  EXPECT_EQ(store_.Stored().size(), 1u);
  // Figures stay readable.
  EXPECT_TRUE(ledger_->GetTeamExecution("eng").ok());
}

TEST_F(LedgerTest, SubmitBeforeRecoverIsUnavailable) {
  Ledger ledger(store_, clock_, {});
  EXPECT_THAT(ledger.Push({Check("e1", "eng")}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(LedgerTest, StopCommitsQueuedBatches) {
  Start();
  store_.HoldNextAppend();
  Submitted first, second;
  SubmitTo(*ledger_, {Check("e1", "eng")}, first);
  store_.AwaitHeld();
  SubmitTo(*ledger_, {Check("e2", "eng")}, second);
  std::thread stopper([this] { ledger_->Stop(); });
  store_.Release();
  stopper.join();
  ExpectResult(first.future.get(), 1, 0);
  ExpectResult(second.future.get(), 1, 0);
  EXPECT_EQ(store_.Stored().size(), 2u);
}

TEST_F(LedgerTest, StatsCountEveryOutcome) {
  Start({.max_teams = 2});
  ExpectResult(ledger_->Push({Check("e1", "eng"), Check("e2", "eng/a"),
                              Check("e2", "eng/a")}),
               2, 1);
  ExpectResult(ledger_->Push({Check("e1", "eng"), Check("e3", "eng")}), 1, 1);
  EXPECT_FALSE(ledger_->Push({Check("bad", "BAD"), Check("e4", "eng")}).ok());
  EXPECT_FALSE(ledger_->Push({Check("e5", "ops")}).ok());
  store_.FailNextAppend(absl::ResourceExhaustedError("full"));
  EXPECT_FALSE(
      ledger_
          ->Push({Check("e6", "eng"), Check("e7", "eng"), Check("e8", "eng")})
          .ok());

  const LedgerStats s = ledger_->stats();
  EXPECT_EQ(s.accepted, 3);
  EXPECT_EQ(s.duplicates, 2);
  EXPECT_EQ(s.rejected_invalid, 2);
  EXPECT_EQ(s.rejected_team_limit, 1);
  EXPECT_EQ(s.rejected_storage, 3);
  EXPECT_EQ(s.stored_events, 3);
  EXPECT_EQ(s.teams, 2u);
  // Only groups that wrote to the store are commits.
  EXPECT_EQ(s.commits, 2);
  EXPECT_EQ(store_.group_sizes(), (std::vector<size_t>{2, 1}));
}

// A scrape reads team after team: a commit (which needs the state's write
// lock) goes through while the scrape is still busy with a team's figures.
TEST_F(LedgerTest, CommitsGoOnWhileEveryTeamsFiguresAreRead) {
  Start();
  ExpectResult(ledger_->Push({Cost("c1", "eng/a", 1), Cost("c2", "eng/b", 2)}),
               2, 0);
  std::vector<std::string> seen;
  bool committed_during_read = false;
  ledger_->ForEachTeamOwnFigures(
      [&](const TeamSummary& summary, const TeamExecution& figures) {
        seen.push_back(absl::StrCat(summary.team, " ", figures.events, " ",
                                    figures.budget.actual_cost));
        if (seen.size() > 1) return;
        absl::Notification done;
        ledger_->Submit({Cost("c3", "eng/b", 4)},
                        [&](absl::StatusOr<PushResult>) { done.Notify(); });
        // Bounded, so a lock held across the callback fails the test
        // instead of hanging it.
        committed_during_read =
            done.WaitForNotificationWithTimeout(absl::Seconds(10));
      });
  EXPECT_TRUE(committed_during_read);
  // eng/b is read after the commit: its own figures include c3.
  EXPECT_THAT(seen, ElementsAre("eng/a 1 1", "eng/b 2 6"));
}

TEST_F(LedgerTest, ListTeamExecutionsPagesEveryTeamAndPrefixInOrder) {
  Start();
  ExpectResult(ledger_->Push({Cost("c1", "eng/a", 1), Cost("c2", "eng/b/x", 2),
                              Cost("c3", "eng-ops", 4), Cost("c4", "ops", 8)}),
               4, 0);
  std::vector<std::string> nodes;
  std::vector<double> costs;
  std::string after;
  int pages = 0;
  do {
    TeamExecutionPage page = ledger_->ListTeamExecutions(2, after);
    ++pages;
    EXPECT_LE(page.executions.size(), 2u);
    for (const TeamExecution& f : page.executions) {
      nodes.push_back(f.team);
      costs.push_back(f.budget.actual_cost);
      // The same figures as GetTeamExecution's.
      EXPECT_EQ(DebugString(f), Figures(f.team));
    }
    after = page.next_after;
  } while (!after.empty() && pages < 10);
  EXPECT_THAT(
      nodes, ElementsAre("eng", "eng-ops", "eng/a", "eng/b", "eng/b/x", "ops"));
  EXPECT_THAT(costs, ElementsAre(3, 4, 1, 2, 2, 8));
  EXPECT_EQ(pages, 3);
  // A page that ends on the last node says so.
  EXPECT_EQ(ledger_->ListTeamExecutions(6, "").next_after, "");
  EXPECT_THAT(ledger_->ListTeamExecutions(5, "").next_after, "eng/b/x");
  EXPECT_THAT(ledger_->ListTeamExecutions(5, "ops").executions, IsEmpty());
}

// At now, the figures of the past are those of now: the same code.
TEST_F(LedgerTest, AsOfNowGivesTheFiguresOfNow) {
  Start();
  ExpectResult(ledger_->Push({Cost("c1", "eng/a", 1), Check("k1", "eng/b"),
                              Cost("c2", "ops", 8)}),
               3, 0);
  absl::StatusOr<TeamExecution> past =
      ledger_->GetTeamExecutionAsOf("eng", kNow);
  ASSERT_TRUE(past.ok()) << past.status();
  EXPECT_EQ(DebugString(*past), Figures("eng"));
}

TEST_F(LedgerTest, AsOfLeavesOutWhatHappenedLaterAndIsEvaluatedThen) {
  Start();
  // Check() happens on Mar 1, Cost() on Mar 2.
  ExpectResult(
      ledger_->Push({Check("k1", "eng"), Cost("c1", "eng", 5),
                     MakeEvent("t", "eng", Utc(2026, 2, 1),
                               TaskCreated{"t1", Utc(2026, 3, 1, 12)})}),
      3, 0);
  absl::StatusOr<TeamExecution> f =
      ledger_->GetTeamExecutionAsOf("eng", Utc(2026, 3, 1, 6));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->as_of, Utc(2026, 3, 1, 6));
  EXPECT_EQ(f->events, 2);
  EXPECT_EQ(f->budget.actual_cost, 0);
  EXPECT_EQ(f->tasks.open, 1);
  EXPECT_EQ(f->tasks.overdue, 0);  // due at noon: not yet overdue at 6
  // Now, with every event, it is overdue.
  EXPECT_EQ(ledger_->GetTeamExecution("eng")->tasks.overdue, 1);
}

TEST_F(LedgerTest, AsOfRefusesTheFutureAndATimeBeforeAnyEvent) {
  Start();
  ExpectResult(ledger_->Push({Check("k1", "eng")}), 1, 0);
  absl::StatusOr<TeamExecution> future =
      ledger_->GetTeamExecutionAsOf("eng", kNow + absl::Seconds(1));
  EXPECT_THAT(future.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("as_of is in the future")));
  absl::StatusOr<TeamExecution> before =
      ledger_->GetTeamExecutionAsOf("eng", Utc(2026, 2, 1));
  EXPECT_THAT(before.status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no team matches 'eng' as of 2026-02-01")));
  EXPECT_THAT(ledger_->GetTeamExecutionAsOf("ops", kNow).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(LedgerTest, AsOfReadsTheStoreSoItSurvivesARestart) {
  Start();
  ExpectResult(ledger_->Push({Check("k1", "eng"), Cost("c1", "eng", 5)}), 2, 0);
  ledger_->Stop();
  Start();
  absl::StatusOr<TeamExecution> f =
      ledger_->GetTeamExecutionAsOf("eng", Utc(2026, 3, 1, 12));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->events, 1);
  store_.FailReplay(absl::DataLossError("bad row"));
  EXPECT_THAT(ledger_->GetTeamExecutionAsOf("eng", kNow).status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(LedgerTest, TrendGivesTheFiguresAtEachMonthEnd) {
  Start();
  ExpectResult(
      ledger_->Push(
          {MakeEvent("a", "eng/a", Utc(2025, 12, 5), CostActual{"apollo", 1}),
           MakeEvent("b", "eng/b", Utc(2026, 1, 31, 23, 59, 59),
                     CostActual{"apollo", 2}),
           MakeEvent("c", "eng/a", Utc(2026, 2, 1), CostActual{"apollo", 4}),
           MakeEvent("d", "engineering", Utc(2026, 1, 1),
                     CostActual{"apollo", 100})}),
      4, 0);
  absl::StatusOr<std::vector<TeamExecution>> trend =
      ledger_->GetTeamTrend("eng", {.from = Utc(2025, 11, 1)});
  ASSERT_TRUE(trend.ok()) << trend.status();
  std::vector<absl::Time> times;
  std::vector<double> costs;
  for (const TeamExecution& p : *trend) {
    times.push_back(p.as_of);
    costs.push_back(p.budget.actual_cost);
    // Each point is what GetTeamExecutionAsOf gives.
    absl::StatusOr<TeamExecution> at =
        ledger_->GetTeamExecutionAsOf("eng", p.as_of);
    EXPECT_EQ(DebugString(p), at.ok() ? DebugString(*at)
                                      : DebugString(TeamExecution{
                                            .team = "eng", .as_of = p.as_of}));
  }
  EXPECT_THAT(times, ElementsAre(Utc(2025, 11, 30, 23, 59, 59),
                                 Utc(2025, 12, 31, 23, 59, 59),
                                 Utc(2026, 1, 31, 23, 59, 59),
                                 Utc(2026, 2, 28, 23, 59, 59), kNow));
  EXPECT_THAT(costs, ElementsAre(0, 1, 3, 7, 7));
  EXPECT_TRUE((*trend)[0].teams.empty());

  // The default span: twelve points ending now.
  absl::StatusOr<std::vector<TeamExecution>> by_default =
      ledger_->GetTeamTrend("eng", {});
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_EQ(by_default->size(), 12u);
  EXPECT_EQ(by_default->back().as_of, kNow);

  EXPECT_THAT(ledger_->GetTeamTrend("ops", {}).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      ledger_->GetTeamTrend("eng", {.from = kNow, .to = kNow + absl::Hours(1)})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to")));
}

TEST_F(LedgerTest, TrendWithAStepGivesATeamsOwnFigures) {
  Start();
  ExpectResult(
      ledger_->Push(
          {MakeEvent("a", "eng", Utc(2026, 3, 1, 1), CostActual{"apollo", 1}),
           MakeEvent("b", "eng/x", Utc(2026, 3, 1, 2), CostActual{"apollo", 2}),
           MakeEvent("c", "eng", Utc(2026, 3, 1, 3), CostActual{"apollo", 4})}),
      3, 0);
  absl::StatusOr<std::vector<TeamExecution>> own =
      ledger_->GetTeamTrend("eng", {.from = Utc(2026, 3, 1),
                                    .to = Utc(2026, 3, 1, 4),
                                    .step = absl::Hours(2),
                                    .own = true});
  ASSERT_TRUE(own.ok()) << own.status();
  std::vector<double> costs;
  for (const TeamExecution& p : *own) costs.push_back(p.budget.actual_cost);
  EXPECT_THAT(costs, ElementsAre(0, 1, 5));  // at 0h, 2h, 4h; not eng/x's
  // With `own`, the team itself must exist (a prefix that is none is not).
  EXPECT_THAT(ledger_->GetTeamTrend("eng/x", {.own = true}).status(),
              StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(ledger_->GetTeamTrend("en", {.own = true}).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace orgpulse::ingest
