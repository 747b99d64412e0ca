// SqliteSurveyStore on a real SQLite file in a temporary directory, and the
// batch encoding on its own: round trips, reopening, and DATA_LOSS (never a
// crash) on corrupt bytes.
#include "services/insights/store/sqlite_survey_store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_permissions.h"
#include "tests/support/file_scan.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::FilePermissionsBind;
using ::orgpulse::testing::FilesContaining;
using ::orgpulse::testing::HexForms;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

ScoredResponse Scored(int i) {
  ScoredResponse r;
  r.response_id = absl::StrCat("resp-", i);
  r.team = i % 2 ? "eng/payments" : "ops";
  r.round = "2026-q1";
  r.respondent = absl::StrCat("hash-", i * 7919);
  r.submitted_at = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 9, 0, 0),
                                   absl::UTCTimeZone()) +
                   absl::Microseconds(1234567 * i);
  for (int d = 0; d < kDimensionCount; ++d) {
    r.dimension_scores[d] = (i + d) % 5 * 25.0 + (d == 4 ? 1.0 / 3 : 0);
  }
  r.enps = i % 11;
  r.intent_to_stay = 1 + i % 5;
  return r;
}

std::vector<ScoredResponse> Batch(int first, int n) {
  std::vector<ScoredResponse> out;
  for (int i = first; i < first + n; ++i) out.push_back(Scored(i));
  return out;
}

// Every field, exactly (doubles bit for bit).
std::string DebugString(const ScoredResponse& r) {
  std::string out = absl::StrCat(
      r.response_id, "|", r.team, "|", r.round, "|", r.respondent, "|",
      absl::ToUnixMicros(r.submitted_at), "|", r.enps, "|", r.intent_to_stay);
  for (double d : r.dimension_scores) absl::StrAppend(&out, "|", d);
  return out;
}

std::vector<std::string> DebugStrings(const std::vector<ScoredResponse>& rs) {
  std::vector<std::string> out;
  for (const ScoredResponse& r : rs) out.push_back(DebugString(r));
  return out;
}

std::vector<std::string> Decode(absl::string_view blob, absl::Status* status) {
  std::vector<std::string> out;
  *status = DecodeResponses(
      blob, [&](const ScoredResponse& r) { out.push_back(DebugString(r)); });
  return out;
}

// --- The encoding ------------------------------------------------------------

TEST(ResponseCodecTest, RoundTripKeepsEveryField) {
  const std::vector<ScoredResponse> batch = Batch(0, 25);
  absl::Status status;
  EXPECT_EQ(Decode(EncodeResponses(batch), &status), DebugStrings(batch));
  EXPECT_TRUE(status.ok()) << status;
  // The exact double survives (1/3 is not a short decimal).
  std::vector<ScoredResponse> decoded;
  ASSERT_TRUE(
      DecodeResponses(EncodeResponses(batch), [&](const ScoredResponse& r) {
        decoded.push_back(r);
      }).ok());
  EXPECT_EQ(decoded[0].dimension_scores[4], batch[0].dimension_scores[4]);
  EXPECT_EQ(decoded[3].submitted_at, batch[3].submitted_at);
}

TEST(ResponseCodecTest, EmptyBatchRoundTrips) {
  absl::Status status;
  EXPECT_THAT(Decode(EncodeResponses({}), &status), IsEmpty());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ResponseCodecTest, EmptyBlobIsDataLoss) {
  absl::Status status;
  Decode("", &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ResponseCodecTest, UnknownFormatIsDataLoss) {
  std::string blob = EncodeResponses(Batch(0, 2));
  blob[0] = 2;
  absl::Status status;
  EXPECT_THAT(Decode(blob, &status), IsEmpty());
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ResponseCodecTest, EveryTruncationIsDataLoss) {
  const std::string blob = EncodeResponses(Batch(0, 3));
  for (size_t n = 0; n < blob.size(); ++n) {
    absl::Status status;
    Decode(blob.substr(0, n), &status);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss)) << n;
  }
}

TEST(ResponseCodecTest, TrailingBytesAreDataLoss) {
  absl::Status status;
  Decode(EncodeResponses(Batch(0, 2)) + "x", &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ResponseCodecTest, OverstatedCountIsDataLoss) {
  std::string blob = EncodeResponses(Batch(0, 2));
  blob[1] = 3;  // the varint count, 2 -> 3
  absl::Status status;
  Decode(blob, &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ResponseCodecTest, GarbageNeverCrashes) {
  const std::string blob = EncodeResponses(Batch(0, 4));
  // Flip every byte in turn; the result is either decodable or DATA_LOSS.
  for (size_t i = 0; i < blob.size(); ++i) {
    std::string bad = blob;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    absl::Status status;
    Decode(bad, &status);
    EXPECT_THAT(status, ::testing::AnyOf(StatusIs(absl::StatusCode::kOk),
                                         StatusIs(absl::StatusCode::kDataLoss)))
        << i;
  }
  // A huge claimed count or string length must not allocate or loop long.
  absl::Status status;
  Decode(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x7f", 11),
         &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
}

// --- The store ---------------------------------------------------------------

class SqliteSurveyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/orgpulse-survey-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string dir() const { return root_ + "/data"; }
  std::string db_path() const { return dir() + "/responses.db"; }

  std::unique_ptr<SqliteSurveyStore> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> store =
        SqliteSurveyStore::Open(dir(), {});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static std::vector<std::string> ReplayAll(SqliteSurveyStore& store) {
    std::vector<std::string> out;
    EXPECT_TRUE(
        store
            .Replay(
                [&](const ScoredResponse& r) { out.push_back(DebugString(r)); },
                [&](const RoundReset& r) {
                  out.push_back(absl::StrCat("reset ", r.round, " steps ",
                                             r.steps, " kept ",
                                             r.published.size()));
                })
            .ok());
    return out;
  }

  std::string root_;
};

TEST_F(SqliteSurveyStoreTest, EmptyStoreReplaysNothing) {
  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ReplayAll(*store), IsEmpty());
  EXPECT_TRUE(std::filesystem::exists(db_path()));
}

TEST_F(SqliteSurveyStoreTest, ReplaysBatchesInOrderAfterReopening) {
  std::vector<std::string> expected;
  {
    std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    for (int b = 0; b < 4; ++b) {
      const std::vector<ScoredResponse> batch = Batch(b * 10, 3 + b);
      ASSERT_TRUE(store->Append(batch).ok());
      for (const std::string& s : DebugStrings(batch)) expected.push_back(s);
    }
    ASSERT_TRUE(store->Append({}).ok());  // nothing to store
    EXPECT_EQ(ReplayAll(*store), expected);
  }
  std::unique_ptr<SqliteSurveyStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ReplayAll(*reopened), expected);
  // And it keeps appending after the old rows.
  const std::vector<ScoredResponse> more = Batch(100, 2);
  ASSERT_TRUE(reopened->Append(more).ok());
  for (const std::string& s : DebugStrings(more)) expected.push_back(s);
  EXPECT_EQ(ReplayAll(*reopened), expected);
}

TEST_F(SqliteSurveyStoreTest, UndecodableRowIsDataLoss) {
  {
    std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Batch(0, 2)).ok());
  }
  {
    absl::StatusOr<SqliteConnection> db = SqliteConnection::Open(
        db_path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.status();
    const absl::Status s = db->Exec(
        "INSERT INTO log(items, blob) VALUES (1, x'0102ff')", "insert");
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  int seen = 0;
  EXPECT_THAT(store->Replay([&](const ScoredResponse&) { ++seen; },
                            [](const RoundReset&) {}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(seen, 2);  // the good batch came first
}

TEST_F(SqliteSurveyStoreTest, AppendOverMaxBytesIsResourceExhausted) {
  absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> opened =
      SqliteSurveyStore::Open(
          dir(), {.synchronous = SyncMode::kFull, .max_bytes = 64 * 1024});
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteSurveyStore& store = **opened;
  const std::vector<ScoredResponse> small = Batch(0, 3);
  ASSERT_TRUE(store.Append(small).ok());
  EXPECT_THAT(store.Append(Batch(10, 3000)),  // ~400 KiB encoded
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Nothing of the refused batch is stored; while full, even a small batch
  // is refused at once.
  EXPECT_EQ(ReplayAll(store), DebugStrings(small));
  EXPECT_FALSE(store.writable());
  EXPECT_THAT(store.Append(Batch(20, 1)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  opened->reset();

  // Reopened with room: appends resume after what was stored.
  std::unique_ptr<SqliteSurveyStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->writable());
  ASSERT_TRUE(reopened->Append(Batch(20, 1)).ok());
  std::vector<std::string> expected = DebugStrings(small);
  expected.push_back(DebugString(Scored(20)));
  EXPECT_EQ(ReplayAll(*reopened), expected);
}

TEST_F(SqliteSurveyStoreTest, ReadOnlyDataDirectoryIsNamedNotWritable) {
  std::filesystem::create_directories(dir());
  ASSERT_EQ(chmod(dir().c_str(), 0555), 0);
  FilePermissionsBind bind;
  if (!bind.ok()) GTEST_SKIP() << bind.error();
  EXPECT_THAT(
      SqliteSurveyStore::Open(dir(), {}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("data directory " + dir() + " is not writable")));
}

TEST_F(SqliteSurveyStoreTest, WritableObserverHearsTheStoreFillUp) {
  absl::StatusOr<std::unique_ptr<SqliteSurveyStore>> opened =
      SqliteSurveyStore::Open(dir(), {.max_bytes = 64 * 1024});
  ASSERT_TRUE(opened.ok()) << opened.status();
  SurveyStore& store = **opened;  // through the interface the server uses
  std::vector<bool> seen;         // appends and notifications on this thread
  store.SetWritableObserver([&](bool writable) { seen.push_back(writable); });
  EXPECT_TRUE(store.writable());
  EXPECT_THAT(store.Append(Batch(10, 3000)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(store.writable());
  store.SetWritableObserver(nullptr);
  EXPECT_THAT(seen, ElementsAre(true, false));
}

// A respondent hash no other bytes of the store could happen to hold.
constexpr char kErased[] = "ERASED-PERSON-HASH";

std::vector<std::string> ErasedNeedles() {
  std::vector<std::string> needles = HexForms(kErased);
  needles.push_back(kErased);
  return needles;
}

TEST_F(SqliteSurveyStoreTest, EraseRemovesEveryResponseAndLeavesNoByteBehind) {
  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::vector<ScoredResponse> first = Batch(0, 4);
  first[1].respondent = kErased;
  std::vector<ScoredResponse> only = {Scored(10)};
  only[0].respondent = kErased;
  only[0].round = "2026-q2";
  const std::vector<ScoredResponse> other = Batch(20, 3);
  ASSERT_TRUE(store->Append(first).ok());
  ASSERT_TRUE(store->Append(only).ok());
  ASSERT_TRUE(store->Append(other).ok());
  ASSERT_THAT(FilesContaining(dir(), ErasedNeedles()), Not(IsEmpty()));

  RoundReset q1{.round = "2026-q1", .steps = 3};
  q1.published["ops"] = GroupMorale{.respondents = 5};
  const RoundReset q2{.round = "2026-q2", .steps = 0};
  absl::StatusOr<int64_t> erased = store->Erase(kErased, {q1, q2});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 2);

  std::vector<std::string> expected;
  for (const ScoredResponse& r : first) {
    if (r.respondent != kErased) expected.push_back(DebugString(r));
  }
  for (const std::string& s : DebugStrings(other)) expected.push_back(s);
  expected.push_back("reset 2026-q1 steps 3 kept 1");
  expected.push_back("reset 2026-q2 steps 0 kept 0");
  EXPECT_EQ(ReplayAll(*store), expected);
  // Not in the database's free pages, not in the write-ahead log.
  EXPECT_THAT(FilesContaining(dir(), ErasedNeedles()), IsEmpty());

  // Idempotent; the new resets replace those of the same rounds.
  q1.steps = 4;
  erased = store->Erase(kErased, {q1});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 0);
  expected.erase(expected.end() - 2);
  expected.push_back("reset 2026-q1 steps 4 kept 1");
  EXPECT_EQ(ReplayAll(*store), expected);
  store.reset();
  std::unique_ptr<SqliteSurveyStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ReplayAll(*reopened), expected);
  EXPECT_THAT(reopened->Erase("", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SqliteSurveyStoreTest, DropRoundsRemovesTheirResponsesAndResets) {
  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::vector<ScoredResponse> mixed = Batch(0, 4);
  mixed[0].round = "2025-q4";
  mixed[0].respondent = kErased;
  ASSERT_TRUE(store->Append(mixed).ok());
  ASSERT_TRUE(store->Erase("nobody", {{.round = "2025-q4"}}).ok());
  ASSERT_TRUE(store->Erase("nobody", {{.round = "2026-q1"}}).ok());

  absl::StatusOr<int64_t> dropped = store->DropRounds({"2025-q4"});
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 1);
  std::vector<std::string> expected =
      DebugStrings({mixed.begin() + 1, mixed.end()});
  expected.push_back("reset 2026-q1 steps 0 kept 0");
  EXPECT_EQ(ReplayAll(*store), expected);
  EXPECT_THAT(FilesContaining(dir(), ErasedNeedles()), IsEmpty());
}

// The state of a store's log, as a snapshot of it holds it.
absl::StatusOr<SurveySnapshot> Snapshot(SqliteSurveyStore& store) {
  SurveyState state(5);
  absl::Status replayed =
      store.Replay([&](const ScoredResponse& r) { state.Apply(r); },
                   [&](const RoundReset& r) { state.ApplyReset(r); });
  if (!replayed.ok()) return replayed;
  absl::StatusOr<SurveySnapshot> snapshot = store.SnapshotMark({});
  if (!snapshot.ok()) return snapshot;
  state.Encode(snapshot->state);
  return snapshot;
}

TEST_F(SqliteSurveyStoreTest, ASnapshotIsLoadedWithItsPositionAndTheTailAfter) {
  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_TRUE(store->Append(Batch(0, 3)).ok());
  ASSERT_TRUE(store->Append(Batch(3, 2)).ok());
  absl::StatusOr<SurveySnapshot> saved = Snapshot(*store);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->cursor.position, 2);
  ASSERT_TRUE(store->SaveSnapshot(*saved).ok());
  ASSERT_TRUE(store->Append(Batch(5, 4)).ok());
  store.reset();

  std::unique_ptr<SqliteSurveyStore> reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<SurveySnapshot> loaded = reopened->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->cursor, saved->cursor);
  EXPECT_EQ(loaded->state, saved->state);
  std::vector<std::string> tail;
  absl::StatusOr<SurveyLogRead> read = reopened->ReadAfter(
      loaded->cursor,
      [&](const ScoredResponse& r) { tail.push_back(DebugString(r)); },
      [&](const RoundReset&) { tail.push_back("reset"); });
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->from_start);
  EXPECT_EQ(read->cursor.position, 3);
  EXPECT_EQ(tail, DebugStrings(Batch(5, 4)));
}

// The snapshot holds the erased person's scores as the log did: the erasure
// deletes it before its rewrite, and a snapshot taken before the erasure
// cannot be saved after it.
TEST_F(SqliteSurveyStoreTest, EraseDeletesTheSnapshotAndRefusesOneTakenBefore) {
  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::vector<ScoredResponse> batch = Batch(0, 4);
  batch[2].respondent = kErased;
  ASSERT_TRUE(store->Append(batch).ok());
  absl::StatusOr<SurveySnapshot> before = Snapshot(*store);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(store->SaveSnapshot(*before).ok());
  // Only the snapshot file: the scan would find them there.
  ASSERT_THAT(FilesContaining(dir(), ErasedNeedles()),
              ::testing::Contains(HasSubstr("survey.snapshot")));

  ASSERT_TRUE(store->Erase(kErased, {}).ok());
  EXPECT_THAT(FilesContaining(dir(), ErasedNeedles()), IsEmpty());
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->SaveSnapshot(*before),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(FilesContaining(dir(), ErasedNeedles()), IsEmpty());

  // One taken after the erasure is saved and loaded.
  absl::StatusOr<SurveySnapshot> after = Snapshot(*store);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(after->cursor.rewrites, before->cursor.rewrites);
  ASSERT_TRUE(store->SaveSnapshot(*after).ok());
  EXPECT_TRUE(store->LoadSnapshot().ok());
  // And a retention drop deletes that one.
  ASSERT_TRUE(store->DropRounds({"2026-q1"}).ok());
  EXPECT_THAT(store->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SqliteSurveyStoreTest, ASnapshotOfAnotherLogOrBeyondItsEndIsRefused) {
  absl::StatusOr<SurveySnapshot> saved;
  {
    std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Batch(0, 3)).ok());
    ASSERT_TRUE(store->Append(Batch(3, 3)).ok());
    saved = Snapshot(*store);
    ASSERT_TRUE(saved.ok()) << saved.status();
  }
  // Beyond the log's end (a log copied back from before the snapshot).
  SurveySnapshot beyond = *saved;
  beyond.cursor.position = 9;
  std::unique_ptr<SqliteSurveyStore> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SaveSnapshot(beyond).ok());
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("beyond its last row 2")));
  // Of another log: a new data directory with the old snapshot file.
  store.reset();
  std::filesystem::copy_file(dir() + "/survey.snapshot",
                             root_ + "/saved.snapshot");
  std::filesystem::remove_all(dir());
  store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::filesystem::copy_file(root_ + "/saved.snapshot",
                             dir() + "/survey.snapshot");
  EXPECT_THAT(store->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("epoch differs")));
}

}  // namespace
}  // namespace orgpulse::insights
