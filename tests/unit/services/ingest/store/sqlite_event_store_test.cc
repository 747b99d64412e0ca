#include "services/ingest/store/sqlite_event_store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/store/event_codec.h"
#include "tests/support/file_permissions.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::DebugString;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::FilePermissionsBind;
using ::orgpulse::testing::StatusIs;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<const Event*> Pointers(const std::vector<Event>& events) {
  std::vector<const Event*> out;
  for (const Event& e : events) out.push_back(&e);
  return out;
}

std::vector<Event> Group(const std::string& prefix, int n) {
  std::vector<Event> out;
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrCat(prefix, "-", i);
    const absl::Time at = Utc(2026, 3, 1) + absl::Seconds(i);
    switch (i % 3) {
      case 0:
        out.push_back(
            MakeEvent(id, "eng/a", at, TaskCreated{id, Utc(2026, 4, 1), 1.5}));
        break;
      case 1:
        out.push_back(MakeEvent(id, "eng/b", at, CostActual{"apollo", 0.25}));
        break;
      default:
        out.push_back(MakeEvent(
            id, "ops", at,
            KpiMonthlyTarget{"uptime", 2026, 3, 99.9, KpiAggregation::kLast}));
        break;
    }
  }
  return out;
}

class SqliteEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/orgpulse-sqlite-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    dir_ = root_;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::unique_ptr<SqliteEventStore> OpenOrDie(
      SqliteEventStoreOptions options = {}) {
    absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
        SqliteEventStore::Open(dir_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static std::vector<std::string> ReplayAll(SqliteEventStore& store) {
    std::vector<std::string> out;
    const absl::Status s =
        store.Replay([&](const Event& e) { out.push_back(DebugString(e)); });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::string db_path() const { return dir_ + "/events.db"; }

  // The stored rows' bytes, in log order, read beside the store.
  std::vector<std::string> Rows() const {
    std::vector<std::string> out;
    absl::StatusOr<SqliteConnection> db =
        SqliteConnection::Open(db_path(), SQLITE_OPEN_READONLY);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return out;
    sqlite3_stmt* select = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db->get(), "SELECT blob FROM log ORDER BY seq",
                                 -1, &select, nullptr),
              SQLITE_OK);
    while (sqlite3_step(select) == SQLITE_ROW) {
      out.emplace_back(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                       static_cast<size_t>(sqlite3_column_bytes(select, 0)));
    }
    sqlite3_finalize(select);
    return out;
  }

  std::string root_;  // removed after each test
  std::string dir_;   // the store's directory, under root_
};

TEST_F(SqliteEventStoreTest, ReplaysAppendedGroupsInOrderAfterReopening) {
  const std::vector<Event> first = Group("a", 3);
  const std::vector<Event> second = Group("b", 5);
  std::vector<std::string> expected;
  for (const auto* group : {&first, &second}) {
    for (const Event& e : *group) expected.push_back(DebugString(e));
  }
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Pointers(first)).ok());
    ASSERT_TRUE(store->Append(Pointers(second)).ok());
    EXPECT_EQ(ReplayAll(*store), expected);
  }
  std::unique_ptr<SqliteEventStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ReplayAll(*reopened), expected);

  // Appends after reopening follow the recovered ones.
  const std::vector<Event> third = Group("c", 1);
  ASSERT_TRUE(reopened->Append(Pointers(third)).ok());
  expected.push_back(DebugString(third[0]));
  EXPECT_EQ(ReplayAll(*reopened), expected);
}

TEST_F(SqliteEventStoreTest, EachAppendMovesTheHeadWhichSurvivesReopening) {
  const std::vector<Event> first = Group("a", 3);
  const std::vector<Event> second = Group("b", 2);
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    absl::StatusOr<AppendResult> empty = store->Append({});
    ASSERT_TRUE(empty.ok()) << empty.status();
    EXPECT_EQ(empty->head, 0);
    absl::StatusOr<AppendResult> a = store->Append(Pointers(first));
    absl::StatusOr<AppendResult> b = store->Append(Pointers(second));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_GT(a->head, 0);
    EXPECT_GT(b->head, a->head);
    // The embedded store leaves duplicates to its caller.
    EXPECT_THAT(b->duplicate, IsEmpty());
  }
  std::unique_ptr<SqliteEventStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<AppendResult> unchanged = reopened->Append({});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->head, 2);
  absl::StatusOr<AppendResult> third = reopened->Append(Pointers(first));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->head, 3);
}

TEST_F(SqliteEventStoreTest, CreatesMissingDirectories) {
  dir_ += "/nested/data";
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(db_path()));
}

TEST_F(SqliteEventStoreTest, EmptyStoreReplaysNothing) {
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ReplayAll(*store), IsEmpty());
  // An empty append stores nothing, not an empty group.
  EXPECT_TRUE(store->Append({}).ok());
  EXPECT_THAT(ReplayAll(*store), IsEmpty());
}

TEST_F(SqliteEventStoreTest, NormalSynchronousModeWorks) {
  std::unique_ptr<SqliteEventStore> store =
      OpenOrDie({.synchronous = SyncMode::kNormal});
  ASSERT_NE(store, nullptr);
  const std::vector<Event> group = Group("a", 2);
  ASSERT_TRUE(store->Append(Pointers(group)).ok());
  EXPECT_EQ(ReplayAll(*store).size(), 2u);
}

TEST_F(SqliteEventStoreTest, GarbageDatabaseFileFailsToOpen) {
  std::mt19937 rng(42);
  std::string garbage(16384, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  {
    std::ofstream out(db_path(), std::ios::binary);
    out.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(dir_, {});
  EXPECT_THAT(store, AnyOf(StatusIs(absl::StatusCode::kDataLoss),
                           StatusIs(absl::StatusCode::kUnavailable)));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));
}

TEST_F(SqliteEventStoreTest, UndecodableRowMakesReplayDataLoss) {
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    const std::vector<Event> group = Group("a", 2);
    ASSERT_TRUE(store->Append(Pointers(group)).ok());
  }
  {
    absl::StatusOr<SqliteConnection> db = SqliteConnection::Open(
        db_path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.status();
    const absl::Status s = db->Exec(
        "INSERT INTO log(items, blob) VALUES (1, x'0102ff')", "insert");
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  int seen = 0;
  EXPECT_THAT(store->Replay([&](const Event&) { ++seen; }),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(seen, 2);  // the good group came first
}

TEST_F(SqliteEventStoreTest, AppendOverMaxBytesIsResourceExhausted) {
  std::unique_ptr<SqliteEventStore> store = OpenOrDie({.max_bytes = 64 * 1024});
  ASSERT_NE(store, nullptr);
  const std::vector<Event> small = Group("small", 3);
  ASSERT_TRUE(store->Append(Pointers(small)).ok());

  // Stored compressed (EncodeEventsCompressed): still beyond 64 KiB.
  const std::vector<Event> large = Group("large", 50000);
  EXPECT_THAT(store->Append(Pointers(large)),
              StatusIs(absl::StatusCode::kResourceExhausted));

  // Nothing of the failed append is stored; while the store is full, appends
  // are refused at once, even small ones.
  std::vector<std::string> expected;
  for (const Event& e : small) expected.push_back(DebugString(e));
  EXPECT_EQ(ReplayAll(*store), expected);
  const std::vector<Event> after = Group("after", 2);
  EXPECT_THAT(store->Append(Pointers(after)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(store->writable());

  // Reopened with room, the store takes appends again; nothing was lost.
  store.reset();
  std::unique_ptr<SqliteEventStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ReplayAll(*reopened), expected);
  ASSERT_TRUE(reopened->Append(Pointers(after)).ok());
  for (const Event& e : after) expected.push_back(DebugString(e));
  EXPECT_EQ(ReplayAll(*reopened), expected);
}

TEST_F(SqliteEventStoreTest, ReadOnlyDataDirectoryIsNamedNotWritable) {
  ASSERT_EQ(chmod(dir_.c_str(), 0555), 0);
  FilePermissionsBind bind;
  if (!bind.ok()) GTEST_SKIP() << bind.error();
  EXPECT_THAT(
      SqliteEventStore::Open(dir_, {}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("data directory " + dir_ + " is not writable")));
}

TEST_F(SqliteEventStoreTest, WritableObserverHearsTheStoreFillUp) {
  std::unique_ptr<SqliteEventStore> opened =
      OpenOrDie({.max_bytes = 64 * 1024});
  ASSERT_NE(opened, nullptr);
  EventStore& store = *opened;  // through the interface the server uses
  std::vector<bool> seen;       // appends and notifications on this thread
  store.SetWritableObserver([&](bool writable) { seen.push_back(writable); });
  EXPECT_TRUE(store.writable());
  const std::vector<Event> large = Group("large", 50000);  // see above
  EXPECT_THAT(store.Append(Pointers(large)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(store.writable());
  store.SetWritableObserver(nullptr);
  EXPECT_THAT(seen, ElementsAre(true, false));
}

// Remove: the events a filter matches leave every group they are in; groups
// left empty go, the order of the rest stays.

TEST_F(SqliteEventStoreTest, RemoveTakesTheMatchingEventsOutOfEveryGroup) {
  // Three groups: one all "jira", one mixed, one without any "jira".
  std::vector<Event> first = Group("a", 4);
  std::vector<Event> second = Group("b", 6);
  std::vector<Event> third = Group("c", 3);
  for (size_t i = 0; i < second.size(); i += 2) second[i].source = "erp";
  for (Event& e : third) e.source = "erp";
  const EventFilter filter{.source = "jira",
                           .from = Utc(2026, 3, 1),
                           .to = Utc(2026, 3, 1) + absl::Seconds(5)};
  std::vector<std::string> expected;
  int64_t matching = 0;
  for (const auto* group : {&first, &second, &third}) {
    for (const Event& e : *group) {
      if (filter.Matches(e)) {
        ++matching;
      } else {
        expected.push_back(DebugString(e));
      }
    }
  }
  ASSERT_EQ(matching, 4 + 2);  // a-0..a-3; b-1, b-3 (b-5 is after `to`)
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    for (const auto* group : {&first, &second, &third}) {
      ASSERT_TRUE(store->Append(Pointers(*group)).ok());
    }
    absl::StatusOr<int64_t> removed = store->Remove(filter);
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(*removed, matching);
    EXPECT_EQ(ReplayAll(*store), expected);
    EXPECT_EQ(store->EventCountHint(), 13 - matching);
    // Idempotent.
    removed = store->Remove(filter);
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(*removed, 0);
  }
  std::unique_ptr<SqliteEventStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ReplayAll(*reopened), expected);
}

// Rows are stored compressed (format 2); rows an earlier binary wrote
// (format 1) are read and removed from alike, and a row without the source
// is kept byte for byte.
TEST_F(SqliteEventStoreTest, RemoveReadsCompressedAndOlderRowsAlike) {
  std::vector<Event> mixed = Group("new", 300);
  for (size_t i = 0; i < mixed.size(); i += 3) mixed[i].source = "wrong-file";
  std::vector<Event> clean = Group("clean", 300);
  std::vector<Event> old = Group("old", 30);
  for (size_t i = 0; i < old.size(); i += 3) old[i].source = "wrong-file";
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Pointers(mixed)).ok());
    ASSERT_TRUE(store->Append(Pointers(clean)).ok());
  }
  {
    absl::StatusOr<SqliteConnection> db = SqliteConnection::Open(
        db_path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.status();
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db->get(),
                                 "INSERT INTO log(items, blob) VALUES (?, ?)",
                                 -1, &insert, nullptr),
              SQLITE_OK);
    const std::string blob = EncodeEvents(Pointers(old));
    sqlite3_bind_int64(insert, 1, static_cast<int64_t>(old.size()));
    sqlite3_bind_blob(insert, 2, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_finalize(insert);
  }
  const std::vector<std::string> before = Rows();
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before[0][0], '\x02');
  EXPECT_EQ(before[1][0], '\x02');
  EXPECT_EQ(before[2][0], '\x01');
  EXPECT_EQ(before[0].find("wrong-file"), std::string::npos)
      << "the source's bytes are not in a compressed row";

  std::vector<std::string> expected;
  for (const auto* group : {&mixed, &clean, &old}) {
    for (const Event& e : *group) {
      if (e.source != "wrong-file") expected.push_back(DebugString(e));
    }
  }
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReplayAll(*store).size(), 630u);
  absl::StatusOr<int64_t> removed = store->Remove({.source = "wrong-file"});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 100 + 10);
  EXPECT_EQ(ReplayAll(*store), expected);
  const std::vector<std::string> after = Rows();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0][0], '\x02') << "rewritten compressed";
  EXPECT_EQ(after[1], before[1]) << "kept as it was";
  EXPECT_NE(after[2], before[2]);
}

TEST_F(SqliteEventStoreTest, RemoveWithoutASourceTakesEverySourcesOldEvents) {
  std::vector<Event> group = Group("a", 6);
  for (size_t i = 0; i < group.size(); i += 2) group[i].source = "erp";
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(Pointers(group)).ok());
  absl::StatusOr<int64_t> removed =
      store->Remove({.to = Utc(2026, 3, 1) + absl::Seconds(3)});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 3);
  EXPECT_EQ(ReplayAll(*store), (std::vector<std::string>{
                                   DebugString(group[3]), DebugString(group[4]),
                                   DebugString(group[5])}));
}

TEST_F(SqliteEventStoreTest, RemoveOverAnUndecodableRowIsDataLossAndKeepsAll) {
  const std::vector<Event> good = Group("a", 3);
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Pointers(good)).ok());
  }
  {
    absl::StatusOr<SqliteConnection> db =
        SqliteConnection::Open(db_path(), SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO log(items, blob) VALUES (1, "
                         "x'01ff6a697261')",  // \x01 \xff "jira"
                         "corrupt")
                    .ok());
  }
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Remove({.source = "jira"}),
              StatusIs(absl::StatusCode::kDataLoss));
  int replayed = 0;
  EXPECT_FALSE(store->Replay([&](const Event&) { ++replayed; }).ok());
  EXPECT_EQ(replayed, 3);  // the good group is still there
}

}  // namespace
}  // namespace orgpulse::ingest

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::HasSubstr;

TEST_F(SqliteEventStoreTest, ReplayGroupsAfterReplaysOnlyTheLaterGroups) {
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const std::vector<Event> a = Group("a", 3), b = Group("b", 2),
                           c = Group("c", 4);
  ASSERT_TRUE(store->Append(Pointers(a)).ok());
  absl::StatusOr<AppendResult> after_b = store->Append(Pointers(b));
  ASSERT_TRUE(after_b.ok());
  ASSERT_TRUE(store->Append(Pointers(c)).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store
                  ->ReplayGroupsAfter(after_b->head,
                                      [&](EventBatch&& group) {
                                        for (const Event& e : group) {
                                          seen.push_back(DebugString(e));
                                        }
                                      })
                  .ok());
  std::vector<std::string> expected;
  for (const Event& e : c) expected.push_back(DebugString(e));
  EXPECT_EQ(seen, expected);
  seen.clear();
  ASSERT_TRUE(
      store->ReplayGroupsAfter(0, [&](EventBatch&& g) { seen.push_back(""); })
          .ok());
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(SqliteEventStoreTest, SnapshotIsKeptWithItsPositionAcrossReopens) {
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
    ASSERT_TRUE(store->Append(Pointers(Group("a", 3))).ok());
    const LogMark mark = store->Mark();
    EXPECT_EQ(mark.position, 1);
    EXPECT_NE(mark.epoch, 0u);
    ASSERT_TRUE(store->SaveSnapshot(mark, "state after a").ok());
    ASSERT_TRUE(store->Append(Pointers(Group("b", 3))).ok());
  }
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<StoredSnapshot> loaded = store->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->position, 1);
  EXPECT_EQ(loaded->bytes, "state after a");
  // A newer one replaces it.
  ASSERT_TRUE(store->SaveSnapshot(store->Mark(), "state after b").ok());
  loaded = store->LoadSnapshot();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->position, 2);
  EXPECT_EQ(loaded->bytes, "state after b");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/events.snapshot.tmp"));
}

// A removal that drops the last rows lets their sequence numbers be handed
// out again; a snapshot from before it (left by a crash before its file was
// removed) must not be taken for the new rows.
TEST_F(SqliteEventStoreTest, SnapshotFromBeforeARemovalIsNeverLoaded) {
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(Pointers(Group("a", 3))).ok());
  std::vector<Event> wrong = Group("w", 3);
  for (Event& e : wrong) e.source = "wrong-file";
  ASSERT_TRUE(store->Append(Pointers(wrong)).ok());
  ASSERT_TRUE(store->SaveSnapshot(store->Mark(), "with the wrong file").ok());
  const std::string snapshot = dir_ + "/events.snapshot";
  std::filesystem::copy_file(snapshot, root_ + "/kept");

  absl::StatusOr<int64_t> removed = store->Remove({.source = "wrong-file"});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 3);
  EXPECT_FALSE(std::filesystem::exists(snapshot));
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
  // Row 2 again, with other events.
  ASSERT_TRUE(store->Append(Pointers(Group("b", 3))).ok());
  EXPECT_EQ(store->Mark().position, 2);

  std::filesystem::copy_file(root_ + "/kept", snapshot);
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("from before a removal")));
  store.reset();
  store = OpenOrDie();  // the epoch is durable
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("from before a removal")));
}

TEST_F(SqliteEventStoreTest, SnapshotOfAnotherLogIsNeverLoaded) {
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Pointers(Group("a", 3))).ok());
    ASSERT_TRUE(store->SaveSnapshot(store->Mark(), "of the old log").ok());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(db_path() + suffix);
  }
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(Pointers(Group("b", 3))).ok());
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another event log")));
}

TEST_F(SqliteEventStoreTest, OpenRemovesTheTempFileOfAnInterruptedSave) {
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->SaveSnapshot(store->Mark(), "whole").ok());
  }
  std::ofstream(dir_ + "/events.snapshot.tmp") << "half of a snap";
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/events.snapshot.tmp"));
  absl::StatusOr<StoredSnapshot> loaded = store->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->bytes, "whole");
}

// An older copy of the log (a restored backup) under a newer snapshot: the
// snapshot is refused and removed, or the rows appended next would reuse the
// numbers it covers.
TEST_F(SqliteEventStoreTest, SnapshotBeyondTheLogsEndIsRefusedAndRemoved) {
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Pointers(Group("a", 3))).ok());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (std::filesystem::exists(db_path() + suffix)) {
      std::filesystem::copy_file(db_path() + suffix,
                                 root_ + "/backup" + suffix);
    }
  }
  {
    std::unique_ptr<SqliteEventStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Pointers(Group("b", 3))).ok());
    ASSERT_TRUE(store->SaveSnapshot(store->Mark(), "a and b").ok());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(db_path() + suffix);
    if (std::filesystem::exists(root_ + "/backup" + suffix)) {
      std::filesystem::copy_file(root_ + "/backup" + suffix,
                                 db_path() + suffix);
    }
  }
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the log ends at row 1")));
  ASSERT_TRUE(store->Append(Pointers(Group("c", 3))).ok());
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SqliteEventStoreTest, ATornSnapshotFileIsRefusedAsNotASnapshot) {
  std::unique_ptr<SqliteEventStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::ofstream(dir_ + "/events.snapshot") << "opsn";
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("is not a snapshot file")));
}

}  // namespace
}  // namespace orgpulse::ingest
