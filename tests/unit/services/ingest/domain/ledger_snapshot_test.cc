#include "services/ingest/domain/ledger_snapshot.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/event_key.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"
#include "tests/unit/services/ingest/random_state.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::FirstDifference;
using ::orgpulse::ingest::testing::FoldInOrder;
using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::RandomEvents;
using ::orgpulse::ingest::testing::RenderFigures;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::HasSubstr;

// Every kind of state, and enough tasks that the task tables have grown.
std::vector<Event> ManyEvents() {
  std::vector<Event> events = RandomEvents(7, 3000);
  for (int i = 0; i < 5000; ++i) {
    events.push_back(MakeEvent(
        absl::StrCat("bulk-", i), i % 2 == 0 ? "eng/a" : "ops",
        Utc(2026, 2, 1) + absl::Minutes(i),
        TaskCreated{absl::StrCat("bulk-task-", i), Utc(2026, 3, 1), 1}));
  }
  return events;
}

FingerprintSet KeysOf(const std::vector<Event>& events) {
  FingerprintSet keys;
  for (const Event& e : events)
    keys.insert(EventFingerprint(e.source, e.event_id));
  return keys;
}

TEST(LedgerSnapshotTest, RoundTripKeepsEveryFigureKeyAndCount) {
  const std::vector<Event> events = ManyEvents();
  const ExecutionState state = FoldInOrder(events);
  const FingerprintSet keys = KeysOf(events);
  const std::string bytes = EncodeLedgerSnapshot(
      /*position=*/4242, static_cast<int64_t>(events.size()), state, &keys);

  absl::StatusOr<LedgerSnapshot> decoded = DecodeLedgerSnapshot(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->position, 4242);
  EXPECT_EQ(decoded->stored_events, static_cast<int64_t>(events.size()));
  EXPECT_EQ(
      FirstDifference(RenderFigures(state), RenderFigures(decoded->state)), "");
  ASSERT_TRUE(decoded->keys.has_value());
  EXPECT_EQ(decoded->keys->size(), keys.size());
  for (const Event& e : events) {
    EXPECT_TRUE(
        decoded->keys->contains(EventFingerprint(e.source, e.event_id)));
  }
  EXPECT_FALSE(decoded->keys->contains(EventFingerprint("jira", "never")));
  // The sources (orgpulse_source_last_event_timestamp_seconds) too.
  auto render = [](const ExecutionState& s) {
    std::string out;
    for (const SourceSummary& source : s.Sources()) {
      absl::StrAppend(&out, source.source, " ", source.events, " ",
                      absl::FormatTime(source.last_event_at), "\n");
    }
    return out;
  };
  EXPECT_FALSE(render(state).empty());
  EXPECT_EQ(render(decoded->state), render(state));
  // And the same bytes again: nothing of the state was lost or reordered.
  EXPECT_EQ(EncodeLedgerSnapshot(4242, static_cast<int64_t>(events.size()),
                                 decoded->state, &*decoded->keys),
            bytes);
}

TEST(LedgerSnapshotTest, DecodedStateKeepsFoldingLikeTheOriginal) {
  const std::vector<Event> events = ManyEvents();
  const std::vector<Event> first(events.begin(), events.begin() + 4000);
  const std::vector<Event> rest(events.begin() + 4000, events.end());
  absl::StatusOr<LedgerSnapshot> decoded = DecodeLedgerSnapshot(
      EncodeLedgerSnapshot(1, 4000, FoldInOrder(first), nullptr));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->keys.has_value());
  for (const Event& e : rest) {
    decoded->state.Apply(e, EventFingerprint(e.source, e.event_id));
  }
  EXPECT_EQ(FirstDifference(RenderFigures(FoldInOrder(events)),
                            RenderFigures(decoded->state)),
            "");
}

TEST(LedgerSnapshotTest, DecodedKeysTakeInsertsAndErases) {
  const std::vector<Event> events = ManyEvents();
  FingerprintSet keys = KeysOf(events);
  absl::StatusOr<LedgerSnapshot> decoded =
      DecodeLedgerSnapshot(EncodeLedgerSnapshot(1, 1, ExecutionState(), &keys));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  FingerprintSet& copy = *decoded->keys;
  EXPECT_FALSE(
      copy.insert(EventFingerprint(events[0].source, events[0].event_id)));
  EXPECT_TRUE(
      copy.erase(EventFingerprint(events[1].source, events[1].event_id)));
  for (int i = 0; i < 200000; ++i) {
    ASSERT_TRUE(copy.insert(EventFingerprint("new", absl::StrCat(i))));
  }
  EXPECT_EQ(copy.size(), keys.size() - 1 + 200000);
}

TEST(LedgerSnapshotTest, EmptyStateRoundTrips) {
  absl::StatusOr<LedgerSnapshot> decoded = DecodeLedgerSnapshot(
      EncodeLedgerSnapshot(0, 0, ExecutionState(), nullptr));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->state.team_count(), 0u);
}

class DamagedSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<Event> events = ManyEvents();
    const FingerprintSet keys = KeysOf(events);
    bytes_ = EncodeLedgerSnapshot(9, 8000, FoldInOrder(events), &keys);
  }
  std::string bytes_;
};

TEST_F(DamagedSnapshotTest, AFlippedByteAnywhereInTheBodyIsRefused) {
  for (size_t at :
       {size_t{28}, size_t{100}, bytes_.size() / 2, bytes_.size() - 1}) {
    std::string damaged = bytes_;
    damaged[at] ^= 0x10;
    EXPECT_THAT(DecodeLedgerSnapshot(damaged).status(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum")))
        << "byte " << at;
  }
}

TEST_F(DamagedSnapshotTest, TruncatedIsRefused) {
  for (size_t keep : {size_t{0}, size_t{10}, size_t{28}, bytes_.size() - 1}) {
    EXPECT_THAT(DecodeLedgerSnapshot(bytes_.substr(0, keep)).status(),
                StatusIs(absl::StatusCode::kDataLoss))
        << "kept " << keep;
  }
}

TEST_F(DamagedSnapshotTest, AnotherFormatVersionIsRefused) {
  std::string other = bytes_;
  other[8] = static_cast<char>(kLedgerSnapshotVersion + 1);
  EXPECT_THAT(
      DecodeLedgerSnapshot(other).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr(absl::StrCat(
                   "snapshot format ", kLedgerSnapshotVersion + 1,
                   ", this binary reads only ", kLedgerSnapshotVersion))));
}

TEST_F(DamagedSnapshotTest, AnotherFileIsRefused) {
  EXPECT_THAT(
      DecodeLedgerSnapshot("SQLite format 3\0 and more bytes here").status(),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("not an ingest snapshot")));
}

}  // namespace
}  // namespace orgpulse::ingest
