// Undoing an import and retention, on the Ledger over a real
// SqliteEventStore: after a removal every figure equals that of a ledger that
// only ever stored what is left (also after a restart), the removed events
// can be pushed again, a dry run changes nothing, and a removal is
// idempotent.
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock/clock.h"
#include "common/status/field_violations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/store/sqlite_event_store.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::DebugString;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = Utc(2026, 3, 20);

// The right import: every kind of event, over two teams.
EventBatch ImportA() {
  const std::string s = "jira";
  return {
      MakeEvent("t1", "eng/a", Utc(2026, 3, 1),
                TaskCreated{"t1", Utc(2026, 3, 10), 3}, s),
      MakeEvent("t1s", "eng/a", Utc(2026, 3, 2), TaskStarted{"t1"}, s),
      MakeEvent("t2", "eng/a", Utc(2026, 3, 1),
                TaskCreated{"t2", Utc(2026, 3, 30), 1}, s),
      MakeEvent("t2c", "eng/a", Utc(2026, 3, 5), TaskCompleted{"t2"}, s),
      MakeEvent(
          "p", "eng/b", Utc(2026, 1, 1),
          ProjectBudgetPlan{"apollo", 1000, Utc(2026, 1, 1), Utc(2026, 12, 31)},
          s),
      MakeEvent("c1", "eng/b", Utc(2026, 2, 1), CostActual{"apollo", 120.5}, s),
      MakeEvent("pr", "eng/b", Utc(2026, 3, 1), ProjectProgress{"apollo", 20},
                s),
      MakeEvent("md", "eng/b", Utc(2026, 1, 2),
                MilestoneDue{"apollo", "beta", Utc(2026, 3, 15)}, s),
      MakeEvent("pc", "eng/b", Utc(2026, 3, 3), ProcedureCheck{"review", true},
                s),
      MakeEvent("kt", "eng/b", Utc(2026, 3, 1),
                KpiMonthlyTarget{"nps", 2026, 3, 50, KpiAggregation::kLast}, s),
      MakeEvent("ka", "eng/b", Utc(2026, 3, 4), KpiActual{"nps", 40}, s),
  };
}

// The wrong file: later events that override A's registers, add to its sums
// and counters, and a team of its own.
EventBatch ImportB() {
  const std::string s = "wrong-file";
  return {
      MakeEvent("b1", "eng/a", Utc(2026, 3, 3),
                TaskDueDateChanged{"t1", Utc(2026, 3, 25)}, s),
      MakeEvent("b2", "eng/a", Utc(2026, 3, 6), TaskCancelled{"t2"}, s),
      MakeEvent("b3", "eng/a", Utc(2026, 2, 1), TaskStarted{"t1"}, s),
      MakeEvent(
          "b4", "eng/b", Utc(2026, 3, 2),
          ProjectBudgetPlan{"apollo", 5000, Utc(2026, 2, 1), Utc(2026, 6, 1)},
          s),
      MakeEvent("b5", "eng/b", Utc(2026, 3, 3), CostActual{"apollo", 999.25},
                s),
      MakeEvent("b6", "eng/b", Utc(2026, 3, 9), ProjectProgress{"apollo", 70},
                s),
      MakeEvent("b7", "eng/b", Utc(2026, 3, 10),
                MilestoneReached{"apollo", "beta"}, s),
      MakeEvent("b8", "eng/b", Utc(2026, 3, 11),
                ProcedureCheck{"review", false}, s),
      MakeEvent("b9", "eng/b", Utc(2026, 3, 12), KpiActual{"nps", 90}, s),
      MakeEvent("b10", "eng/wrong", Utc(2026, 3, 12),
                TaskCreated{"x", Utc(2026, 4, 1), 2}, s),
      // Same event id as one of A's, other source: a different event.
      MakeEvent("t1", "eng/a", Utc(2026, 3, 12), TaskCompleted{"t1"}, s),
  };
}

EventBatch Concat(EventBatch a, const EventBatch& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Every figure a reader can see: the team list, each team's figures and
// every rollup.
std::string AllFigures(const Ledger& ledger) {
  std::string out;
  for (const TeamSummary& t : ledger.ListTeams("")) {
    absl::StrAppend(&out, "summary ", t.team, " ", t.events, " ",
                    absl::ToUnixMicros(t.last_event_at), "\n");
  }
  for (const std::string prefix : {"eng", "eng/a", "eng/b", "eng/wrong"}) {
    absl::StatusOr<TeamExecution> f = ledger.GetTeamExecution(prefix);
    absl::StrAppend(&out, prefix, ": ",
                    f.ok() ? DebugString(*f) : f.status().ToString(), "\n");
  }
  return out;
}

class LedgerRemovalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/orgpulse-ledger-removal-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
  }
  void TearDown() override {
    ledgers_.clear();
    stores_.clear();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // A ledger over the store in `name` (opened anew: a restart).
  Ledger& Open(const std::string& name, LedgerOptions options = {}) {
    ledgers_.erase(name);
    stores_.erase(name);
    auto store = SqliteEventStore::Open(root_ + "/" + name, {});
    EXPECT_TRUE(store.ok()) << store.status();
    stores_[name] = *std::move(store);
    auto ledger = std::make_unique<Ledger>(*stores_[name], clock_, options);
    EXPECT_TRUE(ledger->Recover().ok());
    return *(ledgers_[name] = std::move(ledger));
  }

  static void Push(Ledger& ledger, EventBatch batch, int64_t accepted) {
    absl::StatusOr<PushResult> r = ledger.Push(std::move(batch));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->accepted, accepted);
  }

  static absl::StatusOr<RemovalReport> RemoveAsync(Ledger& ledger,
                                                   RemovalRequest request) {
    std::promise<absl::StatusOr<RemovalReport>> promise;
    ledger.Remove(std::move(request), [&](absl::StatusOr<RemovalReport> r) {
      promise.set_value(std::move(r));
    });
    return promise.get_future().get();
  }

  std::string root_;
  FixedClock clock_{kNow};
  std::map<std::string, std::unique_ptr<SqliteEventStore>> stores_;
  std::map<std::string, std::unique_ptr<Ledger>> ledgers_;
};

TEST_F(LedgerRemovalTest,
       RemovingASourceLeavesEveryFigureAsIfItWasNeverPushed) {
  Ledger& only_a = Open("only-a");
  Push(only_a, ImportA(), 11);
  Ledger& both = Open("both");
  Push(both, ImportA(), 11);
  Push(both, ImportB(), 11);
  ASSERT_NE(AllFigures(both), AllFigures(only_a));

  absl::StatusOr<RemovalReport> report =
      RemoveAsync(both, {.filter = {.source = "wrong-file"}});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->dry_run);
  EXPECT_EQ(report->removed, 11);
  EXPECT_EQ(report->remaining, 11);
  EXPECT_EQ(AllFigures(both), AllFigures(only_a));
  EXPECT_EQ(both.stats().stored_events, 11);
  EXPECT_EQ(both.stats().teams, 2u);
  EXPECT_EQ(both.stats().removed_by_request, 11);

  // Durable: a restart replays what is left.
  Ledger& restarted = Open("both");
  EXPECT_EQ(AllFigures(restarted), AllFigures(only_a));
  EXPECT_EQ(restarted.stats().stored_events, 11);
}

TEST_F(LedgerRemovalTest, RemovedEventsCanBePushedAgain) {
  Ledger& ledger = Open("ledger");
  Push(ledger, ImportA(), 11);
  Push(ledger, ImportB(), 11);
  const std::string with_b = AllFigures(ledger);
  ASSERT_TRUE(RemoveAsync(ledger, {.filter = {.source = "wrong-file"}}).ok());

  // The dedup set forgot them: accepted, not duplicates; A's still are.
  absl::StatusOr<PushResult> again = ledger.Push(Concat(ImportB(), ImportA()));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->accepted, 11);
  EXPECT_EQ(again->duplicates, 11);
  EXPECT_EQ(AllFigures(ledger), with_b);
}

TEST_F(LedgerRemovalTest, ATimeRangeRemovesOnlyTheSourcesEventsInIt) {
  const EventFilter filter{
      .source = "wrong-file", .from = Utc(2026, 3, 3), .to = Utc(2026, 3, 11)};
  EventBatch kept = ImportA();
  int64_t in_range = 0;
  for (const Event& e : ImportB()) {
    if (filter.Matches(e)) {
      ++in_range;
    } else {
      kept.push_back(e);
    }
  }
  // b1, b2, b5..b7; b4 is a day before `from`, b8 falls on `to` (exclusive).
  ASSERT_EQ(in_range, 5);
  Ledger& expected = Open("expected");
  Push(expected, kept, static_cast<int64_t>(kept.size()));

  Ledger& ledger = Open("ledger");
  Push(ledger, ImportA(), 11);
  Push(ledger, ImportB(), 11);
  absl::StatusOr<RemovalReport> report = ledger.RemoveNow({.filter = filter});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->removed, in_range);
  EXPECT_EQ(AllFigures(ledger), AllFigures(expected));
}

TEST_F(LedgerRemovalTest, ADryRunReportsWhatWouldChangeAndChangesNothing) {
  Ledger& only_a = Open("only-a");
  Push(only_a, ImportA(), 11);
  Ledger& ledger = Open("ledger");
  Push(ledger, ImportA(), 11);
  Push(ledger, ImportB(), 11);
  const std::string before = AllFigures(ledger);

  absl::StatusOr<RemovalReport> report = RemoveAsync(
      ledger, {.filter = {.source = "wrong-file"}, .dry_run = true});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->dry_run);
  EXPECT_EQ(report->removed, 11);
  EXPECT_EQ(report->remaining, 11);
  ASSERT_EQ(report->teams.size(), 3u);
  EXPECT_EQ(report->teams[0].team, "eng/a");
  EXPECT_EQ(report->teams[0].removed, 4);
  EXPECT_EQ(report->teams[1].team, "eng/b");
  EXPECT_EQ(report->teams[1].removed, 6);
  EXPECT_EQ(report->teams[2].team, "eng/wrong");
  EXPECT_EQ(report->teams[2].removed, 1);
  // Before: the figures now; after: those of the ledger without B.
  for (const TeamRemoval& t : report->teams) {
    EXPECT_EQ(DebugString(t.before),
              DebugString(*ledger.GetTeamExecution(t.team)));
    absl::StatusOr<TeamExecution> expected_after =
        only_a.GetTeamExecution(t.team);
    if (expected_after.ok()) {
      ASSERT_TRUE(t.after.has_value()) << t.team;
      EXPECT_EQ(DebugString(*t.after), DebugString(*expected_after));
    } else {
      EXPECT_FALSE(t.after.has_value()) << t.team << " disappears";
    }
  }
  EXPECT_EQ(AllFigures(ledger), before);
  EXPECT_EQ(AllFigures(Open("ledger")), before);  // nor in the store
}

TEST_F(LedgerRemovalTest, RemovingAgainIsHarmless) {
  Ledger& ledger = Open("ledger");
  Push(ledger, ImportA(), 11);
  Push(ledger, ImportB(), 11);
  ASSERT_TRUE(ledger.RemoveNow({.filter = {.source = "wrong-file"}}).ok());
  const std::string after = AllFigures(ledger);
  absl::StatusOr<RemovalReport> again =
      ledger.RemoveNow({.filter = {.source = "wrong-file"}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->removed, 0);
  EXPECT_EQ(again->remaining, 11);
  EXPECT_TRUE(again->teams.empty());
  EXPECT_EQ(AllFigures(ledger), after);
  absl::StatusOr<RemovalReport> unknown =
      ledger.RemoveNow({.filter = {.source = "never-pushed"}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->removed, 0);
}

TEST_F(LedgerRemovalTest, ABadFilterIsRefusedNamingEachField) {
  Ledger& ledger = Open("ledger");
  Push(ledger, ImportB(), 11);
  const std::string before = AllFigures(ledger);
  absl::StatusOr<RemovalReport> r = RemoveAsync(
      ledger,
      {.filter = {
           .source = "", .from = Utc(2026, 3, 5), .to = Utc(2026, 3, 1)}});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GetFieldViolations(r.status()),
              ElementsAre(FieldViolation{"source", "is required"},
                          FieldViolation{"to",
                                         "must be after from "
                                         "(2026-03-05T00:00:00+00:00)"}));
  r = ledger.RemoveNow({.filter = {.source = "Wrong File"}});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  r = ledger.RemoveNow(
      {.filter = {.source = "jira", .from = absl::InfiniteFuture()}});
  EXPECT_THAT(GetFieldViolations(r.status()),
              ElementsAre(FieldViolation{"from", "is not a valid timestamp"}));
  EXPECT_EQ(AllFigures(ledger), before);
}

TEST_F(LedgerRemovalTest, RemoveAfterStopIsUnavailable) {
  Ledger& ledger = Open("ledger");
  ledger.Stop();
  EXPECT_THAT(RemoveAsync(ledger, {.filter = {.source = "jira"}}),
              StatusIs(absl::StatusCode::kUnavailable));
}

// Retention: events older than now minus the period.

TEST_F(LedgerRemovalTest, RetentionDropsExpiredEventsAsIfNeverStored) {
  const absl::Duration retain = absl::Hours(24 * 75);
  // The cut falls inside both imports: A's plan (Jan 1), milestone (Jan 2)
  // and first cost (Feb 1) expire, and B's b3 (Feb 1).
  const absl::Time cut = Utc(2026, 2, 18);
  const EventBatch all = Concat(ImportA(), ImportB());
  EventBatch fresh;
  for (const Event& e : all) {
    if (e.occurred_at >= cut) fresh.push_back(e);
  }
  ASSERT_EQ(fresh.size(), all.size() - 4);

  // Pushed while every event was recent, then time passes.
  clock_.Set(Utc(2026, 3, 12));
  Ledger& ledger = Open("ledger", {.retain_events_for = retain});
  Push(ledger, all, 22);
  Ledger& keeper = Open("keeper");  // no retention yet
  Push(keeper, all, 22);
  Ledger& expected = Open("expected");
  Push(expected, fresh, static_cast<int64_t>(fresh.size()));
  clock_.Set(cut + retain);
  ASSERT_NE(AllFigures(ledger), AllFigures(expected));

  absl::StatusOr<int64_t> dropped = ledger.DropExpired();
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 4);
  EXPECT_EQ(AllFigures(ledger), AllFigures(expected));
  EXPECT_EQ(ledger.stats().removed_by_retention, 4);
  EXPECT_EQ(ledger.stats().stored_events, 18);
  EXPECT_EQ(*ledger.DropExpired(), 0);

  // At start-up: the keeper's store holds all 22; started with retention,
  // it keeps the 18, durably.
  Ledger& restarted = Open("keeper", {.retain_events_for = retain});
  EXPECT_EQ(restarted.stats().removed_by_retention, 4);
  EXPECT_EQ(restarted.stats().stored_events, 18);
  EXPECT_EQ(AllFigures(restarted), AllFigures(expected));
  EXPECT_EQ(AllFigures(Open("keeper")), AllFigures(expected));
}

TEST_F(LedgerRemovalTest, RetentionRefusesBatchesWithExpiredEvents) {
  Ledger& ledger = Open("ledger", {.retain_events_for = absl::Hours(24 * 30)});
  // Before the cut (2026-02-18): events [4], [5] and [7].
  EventBatch batch = ImportA();
  absl::StatusOr<PushResult> r = ledger.Push(batch);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  const std::vector<FieldViolation> v = GetFieldViolations(r.status());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].field, "events[4].occurred_at");
  EXPECT_THAT(v[0].description,
              HasSubstr("older than the retention period (720h): before "
                        "2026-02-18T00:00:00+00:00"));
  EXPECT_EQ(v[1].field, "events[5].occurred_at");
  EXPECT_EQ(v[2].field, "events[7].occurred_at");
  EXPECT_EQ(ledger.stats().stored_events, 0);
}

TEST_F(LedgerRemovalTest, RetentionSweepsPeriodically) {
  Ledger& ledger =
      Open("ledger", {.retain_events_for = absl::Hours(24 * 75),
                      .retention_sweep_interval = absl::Milliseconds(10)});
  Push(ledger, ImportB(), 11);
  clock_.Set(kNow + absl::Hours(24 * 365));  // everything expires
  // Polls the sweeps' effect, bounded; no fixed sleep.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (ledger.stats().stored_events != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(ledger.stats().stored_events, 0);
  EXPECT_EQ(ledger.stats().removed_by_retention, 11);
  EXPECT_TRUE(ledger.ListTeams("").empty());
}

// Snapshots (they meet removals here): a restart loads the latest and
// replays the log after it.
const LedgerOptions kSnapshots{.snapshot_every_events = 1'000'000};

TEST_F(LedgerRemovalTest, RestartFromASnapshotAndItsTailEqualsAFullReplay) {
  Ledger& full = Open("full");
  Push(full, ImportA(), static_cast<int64_t>(ImportA().size()));
  Push(full, ImportB(), static_cast<int64_t>(ImportB().size()));

  Ledger& first = Open("s", kSnapshots);
  Push(first, ImportA(), static_cast<int64_t>(ImportA().size()));
  absl::StatusOr<SnapshotReport> written = first.WriteSnapshot();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->events, static_cast<int64_t>(ImportA().size()));
  // B goes in without snapshots, so the one of A is the latest.
  Ledger& second = Open("s");
  Push(second, ImportB(), static_cast<int64_t>(ImportB().size()));

  Ledger& restarted = Open("s", kSnapshots);
  const RecoveryReport r = restarted.recovery();
  EXPECT_TRUE(r.from_snapshot);
  EXPECT_TRUE(r.snapshot_refused.ok()) << r.snapshot_refused;
  EXPECT_EQ(r.snapshot_events, static_cast<int64_t>(ImportA().size()));
  EXPECT_EQ(r.replayed_events, static_cast<int64_t>(ImportB().size()));
  EXPECT_EQ(AllFigures(restarted), AllFigures(full));
  EXPECT_EQ(restarted.stats().stored_events, full.stats().stored_events);
  // The keys came back with the snapshot.
  Push(restarted, ImportA(), 0);
}

TEST_F(LedgerRemovalTest, ARemovalRetiresTheSnapshotAndTheNextHasWhatIsLeft) {
  Ledger& only_a = Open("only-a");
  Push(only_a, ImportA(), static_cast<int64_t>(ImportA().size()));

  Ledger& ledger = Open("s", kSnapshots);
  Push(ledger, ImportA(), static_cast<int64_t>(ImportA().size()));
  Push(ledger, ImportB(), static_cast<int64_t>(ImportB().size()));
  ASSERT_TRUE(ledger.WriteSnapshot().ok());
  ASSERT_TRUE(ledger.RemoveNow({.filter = {.source = "wrong-file"}}).ok());

  // Stop writes the snapshot the removal made due (if the maintenance
  // thread has not yet).
  Ledger& restarted = Open("s", kSnapshots);
  const RecoveryReport r = restarted.recovery();
  EXPECT_TRUE(r.from_snapshot);
  EXPECT_EQ(r.snapshot_events, static_cast<int64_t>(ImportA().size()));
  EXPECT_EQ(r.replayed_events, 0);
  EXPECT_EQ(AllFigures(restarted), AllFigures(only_a));
  Push(restarted, ImportB(), static_cast<int64_t>(ImportB().size()));
}

TEST_F(LedgerRemovalTest, WriteSnapshotIsRefusedWhenSnapshotsAreOff) {
  Ledger& ledger = Open("off");
  EXPECT_THAT(ledger.WriteSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace orgpulse::ingest
