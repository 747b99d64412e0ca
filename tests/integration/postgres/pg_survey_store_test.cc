// PgSurveyStore against a real PostgreSQL 15 (tests/support/postgres_server.h):
// one log for every replica, response ids decided in the append, erasure and
// retention in one transaction with no byte of the removed rows left in the
// table files, a conditional erase, agreement on settings, and a server
// killed and restarted (UNAVAILABLE, then back by itself).
#include "services/insights/store/pg_survey_store.h"

#include <iostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/storage/pg_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_scan.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::FilesContaining;
using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::StartWithSynchronousStandby;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

ScoredResponse Scored(const std::string& id, const std::string& respondent,
                      const std::string& round = "2026-q1") {
  ScoredResponse r;
  r.response_id = id;
  r.team = "eng/payments";
  r.round = round;
  r.respondent = respondent;
  r.submitted_at = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 9, 0, 0),
                                   absl::UTCTimeZone());
  for (int d = 0; d < kDimensionCount; ++d) r.dimension_scores[d] = 25.0 * d;
  r.enps = 9;
  r.intent_to_stay = 4;
  return r;
}

// The log as "id" for a response and "reset:round" for a reset, in order.
struct LogContents {
  std::vector<std::string> records;
  SurveyLogRead read;
};

LogContents ReadLog(SurveyStore& store, const SurveyLogCursor& from = {}) {
  LogContents out;
  absl::StatusOr<SurveyLogRead> read = store.ReadAfter(
      from,
      [&](const ScoredResponse& r) { out.records.push_back(r.response_id); },
      [&](const RoundReset& r) {
        out.records.push_back(absl::StrCat("reset:", r.round));
      });
  EXPECT_TRUE(read.ok()) << read.status();
  if (read.ok()) out.read = *read;
  return out;
}

class PgSurveyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  std::unique_ptr<PgSurveyStore> Open() {
    absl::StatusOr<std::unique_ptr<PgSurveyStore>> store = PgSurveyStore::Open(
        server_.conninfo(), {.probe_interval = absl::Milliseconds(50)});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Runs SQL as the superuser, on a connection of its own.
  PgResult Sql(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<PgConnection>> pg =
        PgConnection::Connect(server_.conninfo());
    EXPECT_TRUE(pg.ok()) << pg.status();
    if (!pg.ok()) return PgResult();
    absl::StatusOr<PgResult> result = (*pg)->Exec(sql);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? std::move(*result) : PgResult();
  }
  // The directory of the database's table and index files.
  std::string DatabaseFiles() {
    PgResult oid =
        Sql("SELECT oid FROM pg_database WHERE datname = current_database()");
    return absl::StrCat(server_.socket_dir(), "/data/base/", oid.Get(0, 0));
  }

  PostgresServer server_;
};

TEST_F(PgSurveyStoreTest, ReplicasShareOneLogAndEachResponseIdIsStoredOnce) {
  std::unique_ptr<PgSurveyStore> a = Open();
  std::unique_ptr<PgSurveyStore> b = Open();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->shared());
  ASSERT_TRUE(a->Append({Scored("r1", "p1"), Scored("r2", "p2")}).ok());
  ASSERT_TRUE(b->Append({Scored("r2", "p2"), Scored("r3", "p3")}).ok());
  ASSERT_TRUE(a->Append({Scored("r1", "p1")}).ok());  // all known

  LogContents log = ReadLog(*b);
  EXPECT_THAT(log.records, ElementsAre("r1", "r2", "r3"));
  EXPECT_TRUE(log.read.from_start);
  // Positions follow commits; a skipped id leaves a gap, an all-known
  // batch does not move the head.
  EXPECT_EQ(log.read.cursor, (SurveyLogCursor{4, 0}));
  absl::StatusOr<int> version = [&] {
    absl::StatusOr<std::unique_ptr<PgConnection>> pg =
        PgConnection::Connect(server_.conninfo());
    return pg.ok() ? PgSchemaVersion(**pg, "insights")
                   : absl::StatusOr<int>(pg.status());
  }();
  EXPECT_EQ(version.value_or(-1), 2);  // 2: snapshots
}

TEST_F(PgSurveyStoreTest, ReadAfterGivesTheTailAndStartsOverAfterARewrite) {
  std::unique_ptr<PgSurveyStore> a = Open();
  std::unique_ptr<PgSurveyStore> b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Append({Scored("r1", "p1"), Scored("r2", "p2")}).ok());
  const SurveyLogCursor first = ReadLog(*b).read.cursor;
  ASSERT_TRUE(a->Append({Scored("r3", "p3")}).ok());
  LogContents tail = ReadLog(*b, first);
  EXPECT_THAT(tail.records, ElementsAre("r3"));
  EXPECT_FALSE(tail.read.from_start);
  EXPECT_THAT(ReadLog(*b, tail.read.cursor).records, IsEmpty());

  RoundReset reset{.round = "2026-q1", .steps = 1};
  absl::StatusOr<int64_t> erased = a->Erase("p2", {reset});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 1);
  LogContents after = ReadLog(*b, tail.read.cursor);
  EXPECT_TRUE(after.read.from_start) << "a rewrite must restart readers";
  EXPECT_THAT(after.records, ElementsAre("r1", "r3", "reset:2026-q1"));
  EXPECT_EQ(after.read.cursor.rewrites, 1);
}

TEST_F(PgSurveyStoreTest, EraseLeavesNoByteOfThePersonInTheTableFiles) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  const std::string secret = "respondent-hash-5f3a9c";
  const std::string secret_id = "response-of-the-erased-7d1e";
  std::vector<ScoredResponse> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(Scored(absl::StrCat("other-", i), absl::StrCat("p", i)));
  }
  batch.push_back(Scored(secret_id, secret));
  ASSERT_TRUE(store->Append(batch).ok());
  Sql("CHECKPOINT");  // the rows in the table files, not only in memory
  const std::string files = DatabaseFiles();
  ASSERT_THAT(FilesContaining(files, {secret, secret_id}), Not(IsEmpty()))
      << "the check below would prove nothing";

  absl::StatusOr<int64_t> erased =
      store->Erase(secret, {RoundReset{.round = "2026-q1", .steps = 2}});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 1);
  Sql("CHECKPOINT");  // unlinks the files VACUUM FULL replaced
  EXPECT_THAT(FilesContaining(files, {secret, secret_id}), IsEmpty());
  LogContents log = ReadLog(*store);
  EXPECT_EQ(log.records.size(), 21u);  // 20 others and the reset
  EXPECT_EQ(log.records.back(), "reset:2026-q1");

  // Erasing again removes nothing and replaces the round's reset.
  erased = store->Erase(secret, {RoundReset{.round = "2026-q1", .steps = 3}});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 0);
  EXPECT_EQ(ReadLog(*store).records.size(), 21u);
  EXPECT_THAT(store->Erase("", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A snapshot of what `store` read last, with `state` as its state bytes.
SurveySnapshot SnapshotOf(PgSurveyStore& store, const SurveyLogCursor& folded,
                          const std::string& state) {
  absl::StatusOr<SurveySnapshot> s = store.SnapshotMark(folded);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  s->state = state;
  return *std::move(s);
}

TEST_F(PgSurveyStoreTest, AnotherReplicaLoadsASnapshotAndReadsOnlyTheTail) {
  std::unique_ptr<PgSurveyStore> a = Open();
  std::unique_ptr<PgSurveyStore> b = Open();
  ASSERT_TRUE(a && b);
  EXPECT_THAT(b->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_TRUE(a->Append({Scored("r1", "p1"), Scored("r2", "p2")}).ok());
  const SurveyLogCursor folded = ReadLog(*a).read.cursor;
  EXPECT_THAT(a->SnapshotMark({}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(a->SaveSnapshot(SnapshotOf(*a, folded, "state-bytes")).ok());
  ASSERT_TRUE(a->Append({Scored("r3", "p3")}).ok());

  absl::StatusOr<SurveySnapshot> loaded = b->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->cursor, folded);
  EXPECT_EQ(loaded->state, "state-bytes");
  LogContents tail = ReadLog(*b, loaded->cursor);
  EXPECT_FALSE(tail.read.from_start);
  EXPECT_THAT(tail.records, ElementsAre("r3"));

  // The newest three are kept; a replica behind another's snapshot writes
  // nothing.
  for (int i = 4; i < 8; ++i) {
    ASSERT_TRUE(a->Append({Scored(absl::StrCat("r", i), "p")}).ok());
    const SurveyLogCursor at = ReadLog(*a).read.cursor;
    ASSERT_TRUE(a->SaveSnapshot(SnapshotOf(*a, at, absl::StrCat(i))).ok());
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM insights_snapshots").Get(0, 0), "3");
  ASSERT_TRUE(b->SaveSnapshot(SnapshotOf(*b, tail.read.cursor, "old")).ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM insights_snapshots WHERE position = " +
                absl::StrCat(tail.read.cursor.position))
                .Get(0, 0),
            "0");
  loaded = b->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state, "7");
}

// A snapshot holds the person's scores as the log does: the erasure deletes
// every snapshot in its transaction, VACUUM FULL rewrites the table, and a
// snapshot taken before the erasure is refused when it comes to be saved.
TEST_F(PgSurveyStoreTest, EraseDeletesEverySnapshotAndRefusesOneTakenBefore) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  const std::string secret = "respondent-hash-in-a-snapshot-8c2b";
  ASSERT_TRUE(
      store->Append({Scored("other", "p1"), Scored("theirs", secret)}).ok());
  const SurveyLogCursor folded = ReadLog(*store).read.cursor;
  const SurveySnapshot before =
      SnapshotOf(*store, folded, absl::StrCat("state holding ", secret));
  ASSERT_TRUE(store->SaveSnapshot(before).ok());
  Sql("CHECKPOINT");
  const std::string files = DatabaseFiles();
  ASSERT_THAT(FilesContaining(files, {"state holding"}), Not(IsEmpty()))
      << "the check below would prove nothing";

  ASSERT_TRUE(store->Erase(secret, {}).ok());
  Sql("CHECKPOINT");  // unlinks the files VACUUM FULL replaced
  EXPECT_THAT(FilesContaining(files, {secret, "state holding"}), IsEmpty());
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->SaveSnapshot(before),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Sql("SELECT count(*) FROM insights_snapshots").Get(0, 0), "0");

  // One taken after it is saved, and a retention drop deletes it.
  const SurveyLogCursor after = ReadLog(*store).read.cursor;
  ASSERT_TRUE(store->SaveSnapshot(SnapshotOf(*store, after, "after")).ok());
  EXPECT_TRUE(store->LoadSnapshot().ok());
  ASSERT_TRUE(store->DropRounds({"2026-q1"}).ok());
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgSurveyStoreTest, ADamagedSnapshotIsRefusedSayingWhy) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append({Scored("r1", "p1")}).ok());
  const SurveyLogCursor folded = ReadLog(*store).read.cursor;
  ASSERT_TRUE(store->SaveSnapshot(SnapshotOf(*store, folded, "state")).ok());
  Sql("UPDATE insights_snapshots SET body = overlay(body placing '\\xff' "
      "from length(body) - 1 for 1)");
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kDataLoss,
                                              HasSubstr("checksum mismatch")));
}

// Not timed: prints what an erasure (DELETE, then VACUUM FULL of both
// tables) costs with 20,000 stored responses, for docs/postgresql.md.
TEST_F(PgSurveyStoreTest, EraseCostWithTwentyThousandResponses) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<ScoredResponse> responses;
    for (int i = 0; i < 1000; ++i) {
      const int n = batch * 1000 + i;
      responses.push_back(
          Scored(absl::StrCat("r", n), absl::StrCat("p", n % 5000)));
    }
    ASSERT_TRUE(store->Append(responses).ok());
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> erased =
      store->Erase("p42", {RoundReset{.round = "2026-q1"}});
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 4);
  const absl::Time read_start = absl::Now();
  EXPECT_EQ(ReadLog(*store).records.size(), 19997u);
  std::cout << "erasure among 20000 responses: " << absl::FormatDuration(took)
            << "; reading the whole log: "
            << absl::FormatDuration(absl::Now() - read_start) << "\n";
}

TEST_F(PgSurveyStoreTest, EraseAtIsRefusedWhenTheLogMovedAndChangesNothing) {
  std::unique_ptr<PgSurveyStore> a = Open();
  std::unique_ptr<PgSurveyStore> b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Append({Scored("r1", "p1")}).ok());
  const SurveyLogCursor seen = ReadLog(*a).read.cursor;
  ASSERT_TRUE(b->Append({Scored("r2", "p1")}).ok());  // another replica
  EXPECT_THAT(a->EraseAt(seen, "p1", {RoundReset{.round = "2026-q1"}}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("moved")));
  EXPECT_THAT(ReadLog(*a).records, ElementsAre("r1", "r2"));

  const SurveyLogCursor now = ReadLog(*a).read.cursor;
  absl::StatusOr<int64_t> erased =
      a->EraseAt(now, "p1", {RoundReset{.round = "2026-q1"}});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 2);
  EXPECT_THAT(ReadLog(*b).records, ElementsAre("reset:2026-q1"));
}

TEST_F(PgSurveyStoreTest, DropRoundsRemovesTheirResponsesAndResets) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Append({Scored("a1", "p1", "2026-q1"),
                            Scored("b1", "p1", "2026-q2"),
                            Scored("a2", "p2", "2026-q1")})
                  .ok());
  ASSERT_TRUE(store->Erase("p2", {RoundReset{.round = "2026-q1"}}).ok());
  absl::StatusOr<int64_t> dropped = store->DropRounds({"2026-q1"});
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 1);
  LogContents log = ReadLog(*store);
  EXPECT_THAT(log.records, ElementsAre("b1"));
  EXPECT_EQ(log.read.cursor.rewrites, 2);
  // Nothing to drop: no rewrite, readers keep their place.
  ASSERT_TRUE(store->DropRounds({"2025-q4"}).ok());
  EXPECT_EQ(ReadLog(*store).read.cursor.rewrites, 2);
}

TEST_F(PgSurveyStoreTest, ReplicasMustAgreeOnSettings) {
  std::unique_ptr<PgSurveyStore> a = Open();
  std::unique_ptr<PgSurveyStore> b = Open();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->CheckSetting("min_group_size", "5").ok());
  EXPECT_TRUE(b->CheckSetting("min_group_size", "5").ok());
  EXPECT_THAT(b->CheckSetting("min_group_size", "3"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("min_group_size=5, this one with "
                                 "min_group_size=3")));
}

TEST_F(PgSurveyStoreTest, ARestartedServerKeepsEverythingAndTheStoreResumes) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  absl::Mutex mu;
  std::vector<bool> seen;
  store->SetWritableObserver([&](bool w) {
    absl::MutexLock lock(&mu);
    seen.push_back(w);
  });
  auto wait_for = [&](bool want) {
    absl::MutexLock lock(&mu);
    auto reached = [&] { return !seen.empty() && seen.back() == want; };
    return mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(20));
  };
  ASSERT_TRUE(store->Append({Scored("r1", "p1")}).ok());

  ASSERT_TRUE(server_.Kill().ok());
  EXPECT_THAT(store->Append({Scored("r2", "p2")}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(wait_for(false));
  EXPECT_FALSE(store->writable());
  EXPECT_THAT(store->Append({Scored("r2", "p2")}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("the survey store (PostgreSQL) is "
                                 "unreachable")));

  ASSERT_TRUE(server_.Start().ok());
  EXPECT_TRUE(wait_for(true)) << "the probe did not find the server again";
  absl::Status appended = store->Append({Scored("r2", "p2")});
  ASSERT_TRUE(appended.ok()) << appended;
  store->SetWritableObserver(nullptr);
  EXPECT_THAT(ReadLog(*store).records, ElementsAre("r1", "r2"));
  // A new process finds everything too.
  std::unique_ptr<PgSurveyStore> reopened = Open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(ReadLog(*reopened).records, ElementsAre("r1", "r2"));
}

TEST_F(PgSurveyStoreTest, TheWatcherIsWokenByAnotherReplicasChange) {
  std::unique_ptr<PgSurveyStore> store = Open();
  ASSERT_NE(store, nullptr);
  absl::Mutex mu;
  int calls = 0;
  // A long poll interval: only the notification can wake it in time.
  PgSurveyLogWatcher watcher(server_.conninfo(), absl::Seconds(60), [&] {
    absl::MutexLock lock(&mu);
    ++calls;
  });
  auto calls_reach = [&](int n) {
    absl::MutexLock lock(&mu);
    auto reached = [&] { return calls >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(20));
  };
  ASSERT_TRUE(calls_reach(1));  // the first read, at start
  ASSERT_TRUE(store->Append({Scored("r1", "p1")}).ok());
  EXPECT_TRUE(calls_reach(2));
  ASSERT_TRUE(store->Erase("p1", {}).ok());
  EXPECT_TRUE(calls_reach(3));
}

// A failover that loses records a reader has read: the primary shows an
// append its synchronous standby never got, the reader reads it, the
// primary dies, the standby is promoted and takes other appends at those
// positions (and past them). The reader's next read starts over.
TEST(PgSurveyStoreFailoverTest,
     ReadsFromTheStartWhenThePromotedStandbyLacksARead) {
  PostgresServer primary;
  PostgresServer standby;
  absl::Status started = StartWithSynchronousStandby(primary, standby);
  ASSERT_TRUE(started.ok()) << started;
  auto open = [](const std::string& conninfo) {
    absl::StatusOr<std::unique_ptr<PgSurveyStore>> store = PgSurveyStore::Open(
        conninfo, {.probe_interval = absl::Milliseconds(50)});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  };
  std::unique_ptr<PgSurveyStore> reader = open(
      absl::StrCat("host=", primary.socket_dir(), ",", standby.socket_dir(),
                   " port=5432,5432 user=postgres dbname=postgres "
                   "target_session_attrs=read-write connect_timeout=2"));
  std::unique_ptr<PgSurveyStore> writer = open(primary.conninfo());
  std::unique_ptr<PgSurveyStore> lost_writer = open(primary.conninfo());
  ASSERT_TRUE(reader && writer && lost_writer);
  ASSERT_TRUE(writer->Append({Scored("r1", "p1"), Scored("r2", "p2")}).ok());
  const SurveyLogCursor first = ReadLog(*reader).read.cursor;

  ASSERT_TRUE(standby.Stop().ok());
  absl::Status lost;
  std::thread appender([&] {
    lost = lost_writer->Append({Scored("lost3", "p3"), Scored("lost4", "p4")});
  });
  absl::Status terminated = primary.TerminateSyncRepWaiters();
  appender.join();
  ASSERT_TRUE(terminated.ok()) << terminated;
  EXPECT_FALSE(lost.ok()) << "the append was confirmed";
  LogContents seen = ReadLog(*reader, first);
  ASSERT_THAT(seen.records, ElementsAre("lost3", "lost4"));

  ASSERT_TRUE(primary.KillPostmaster().ok());
  ASSERT_TRUE(standby.Start().ok());
  ASSERT_TRUE(standby.Promote().ok());
  std::unique_ptr<PgSurveyStore> promoted = open(standby.conninfo());
  ASSERT_NE(promoted, nullptr);
  ASSERT_TRUE(promoted->Append({Scored("n3", "p3"), Scored("n4", "p4")}).ok());

  // The new log's head is the reader's cursor again: an erasure computed
  // from the lost records is refused all the same. (The reader's session
  // died with the old primary: it reconnects.)
  absl::StatusOr<int64_t> erased = absl::UnavailableError("not yet");
  for (int i = 0; i < 200 && absl::IsUnavailable(erased.status()); ++i) {
    erased = reader->EraseAt(seen.read.cursor, "p1", {});
    if (!erased.ok()) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(erased, StatusIs(absl::StatusCode::kAborted,
                               HasSubstr("not the one read up to position 4")));

  // And now past it: the reader starts over.
  ASSERT_TRUE(promoted->Append({Scored("n5", "p5")}).ok());
  LogContents after;
  absl::StatusOr<SurveyLogRead> read = reader->ReadAfter(
      seen.read.cursor,
      [&](const ScoredResponse& r) { after.records.push_back(r.response_id); },
      [&](const RoundReset&) { after.records.push_back("reset"); });
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->from_start) << "the lost records' positions were skipped";
  EXPECT_THAT(after.records, ElementsAre("r1", "r2", "n3", "n4", "n5"));
  // The same log from then on: no start over.
  ASSERT_TRUE(promoted->Append({Scored("n6", "p6")}).ok());
  LogContents tail = ReadLog(*reader, read->cursor);
  EXPECT_FALSE(tail.read.from_start);
  EXPECT_THAT(tail.records, ElementsAre("n6"));
}

}  // namespace
}  // namespace orgpulse::insights
