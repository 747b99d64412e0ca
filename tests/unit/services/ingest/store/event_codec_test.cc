#include "services/ingest/store/event_codec.h"

#include <set>
#include <string>
#include <vector>

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
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One event of every kind, with values that catch swapped or truncated
// fields: distinct strings, fractional and negative doubles, times to the
// microsecond, a string longer than 127 bytes (a two-byte length).
std::vector<Event> OneOfEveryKind() {
  const absl::Time t = Utc(2026, 3, 11, 9, 30) + absl::Microseconds(123457);
  const absl::Time due = Utc(2026, 4, 1) + absl::Microseconds(1);
  std::vector<Event> out = {
      MakeEvent("e1", "eng/a", t, TaskCreated{"task-1", due, 3.25}),
      MakeEvent("e2", "eng/a", t, TaskStarted{"task-2"}),
      MakeEvent("e3", "eng/a", t, TaskCompleted{"task-3"}),
      MakeEvent("e4", "eng/a", t, TaskCancelled{"task-4"}),
      MakeEvent("e5", "eng/a", t, TaskDueDateChanged{"task-5", due}),
      MakeEvent("e6", "eng/b", t,
                ProjectBudgetPlan{"apollo", 1234567.89, Utc(2001, 1, 1),
                                  Utc(2045, 12, 31, 23, 59, 59)}),
      MakeEvent("e7", "eng/b", t, CostActual{"apollo", 0.1}),
      MakeEvent("e8", "eng/b", t, ProjectProgress{"apollo", 99.999}),
      MakeEvent("e9", "eng/b", t, MilestoneDue{"apollo", "beta", due}),
      MakeEvent("e10", "eng/b", t, MilestoneReached{"apollo", "gamma"}),
      MakeEvent("e11", "ops", t, ProcedureCheck{"review", true}),
      MakeEvent(
          "e12", "ops", t,
          KpiMonthlyTarget{"uptime", 2026, 12, 99.95, KpiAggregation::kLast}),
      MakeEvent(std::string(128, 'x'), "ops/a/b/c", Utc(2000, 1, 1),
                KpiActual{"revenue", -1e12}, "finance-erp"),
  };
  return out;
}

std::vector<const Event*> Pointers(const std::vector<Event>& events) {
  std::vector<const Event*> out;
  for (const Event& e : events) out.push_back(&e);
  return out;
}

std::string Encode(const std::vector<Event>& events) {
  return EncodeEvents(Pointers(events));
}

TEST(EventCodecTest, RoundTripsOneEventOfEveryKind) {
  std::vector<Event> events = OneOfEveryKind();
  // A second ProcedureCheck with the other flag, after a different kind, so
  // decoding into a reused event must overwrite every field.
  events.push_back(
      MakeEvent("e14", "ops", Utc(2026, 1, 2), ProcedureCheck{"lint", false}));
  std::set<size_t> kinds;
  for (const Event& e : events) kinds.insert(e.payload.index());
  ASSERT_EQ(kinds.size(), std::variant_size_v<Payload> - 1)
      << "every kind but the unset one";

  std::vector<std::string> decoded;
  ASSERT_TRUE(DecodeEvents(Encode(events), [&](const Event& e) {
                decoded.push_back(DebugString(e));
              }).ok());
  ASSERT_EQ(decoded.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(decoded[i], DebugString(events[i])) << "event " << i;
  }
}

TEST(EventCodecTest, EmptyGroupRoundTrips) {
  const std::string blob = EncodeEvents({});
  int calls = 0;
  EXPECT_TRUE(DecodeEvents(blob, [&](const Event&) { ++calls; }).ok());
  EXPECT_EQ(calls, 0);
}

TEST(EventCodecTest, EveryTruncationIsDataLoss) {
  const std::string blob = Encode(OneOfEveryKind());
  for (size_t n = 0; n < blob.size(); ++n) {
    int calls = 0;
    EXPECT_THAT(DecodeEvents(blob.substr(0, n), [&](const Event&) { ++calls; }),
                StatusIs(absl::StatusCode::kDataLoss))
        << "prefix of " << n << " of " << blob.size() << " bytes";
    EXPECT_LT(calls, 13);
  }
}

TEST(EventCodecTest, TrailingBytesAreDataLoss) {
  EXPECT_THAT(
      DecodeEvents(Encode(OneOfEveryKind()) + '\0', [](const Event&) {}),
      StatusIs(absl::StatusCode::kDataLoss));
}

TEST(EventCodecTest, WrongFormatByteIsDataLoss) {
  std::string blob = Encode(OneOfEveryKind());
  for (char format : {'\0', '\2', '\xff'}) {
    blob[0] = format;
    int calls = 0;
    EXPECT_THAT(DecodeEvents(blob, [&](const Event&) { ++calls; }),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("format")));
    EXPECT_EQ(calls, 0);
  }
}

TEST(EventCodecTest, UnknownKindIsDataLoss) {
  // Layout: format byte, count (one byte for 1), then the kind index.
  std::string blob = Encode({OneOfEveryKind()[1]});
  ASSERT_EQ(blob[2], 2) << "TaskStarted's index";
  for (char kind : {'\x0e', '\x00', '\x7f'}) {
    blob[2] = kind;
    EXPECT_THAT(
        DecodeEvents(blob, [](const Event&) {}),
        StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown kind")));
  }
  // A multi-byte varint far beyond the known kinds.
  const std::string huge = std::string("\x01\x01\xff\xff\xff\xff\x0f", 7);
  EXPECT_THAT(DecodeEvents(huge, [](const Event&) {}),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(EventCodecTest, CountBeyondTheDataIsDataLoss) {
  std::string blob = Encode({OneOfEveryKind()[1]});
  blob[1] = 5;  // claims five events, holds one
  std::vector<std::string> seen;
  EXPECT_THAT(
      DecodeEvents(blob, [&](const Event& e) { seen.push_back(e.event_id); }),
      StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(seen, ::testing::ElementsAre("e2"));

  blob[1] = 0;  // claims none, holds one
  EXPECT_THAT(DecodeEvents(blob, [](const Event&) {}),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(EventCodecTest, StringLengthBeyondTheDataIsDataLoss) {
  // format 1, count 1, kind 2 (TaskStarted), event_id of length 100 with
  // only 3 bytes behind it.
  const std::string blob(
      "\x01\x01\x02\x64"
      "abc",
      7);
  std::vector<Event> seen;
  EXPECT_THAT(DecodeEvents(blob, [&](const Event& e) { seen.push_back(e); }),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(seen, IsEmpty());
}

// Format 2 (EncodeEventsCompressed): what the SQLite log stores.

// Enough events for compression to pay: every kind, 20 times, distinct ids.
std::vector<Event> ManyOfEveryKind() {
  std::vector<Event> out;
  for (int i = 0; i < 20; ++i) {
    for (Event e : OneOfEveryKind()) {
      e.event_id += absl::StrCat("-", i);
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::string Compress(const std::vector<Event>& events) {
  return EncodeEventsCompressed(Pointers(events));
}

std::vector<std::string> DecodeAll(absl::string_view blob,
                                   absl::Status& status) {
  std::vector<std::string> out;
  status = DecodeEvents(blob,
                        [&](const Event& e) { out.push_back(DebugString(e)); });
  return out;
}

TEST(EventCodecTest, CompressedGroupRoundTripsThroughBothDecoders) {
  const std::vector<Event> events = ManyOfEveryKind();
  const std::string blob = Compress(events);
  ASSERT_EQ(blob[0], '\x02');
  EXPECT_LT(blob.size(), Encode(events).size() / 2);

  absl::Status status;
  const std::vector<std::string> decoded = DecodeAll(blob, status);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(decoded.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(decoded[i], DebugString(events[i])) << "event " << i;
  }
  EventBatch into;
  ASSERT_TRUE(DecodeEventsInto(blob, into).ok());
  ASSERT_EQ(into.size(), events.size());
  EXPECT_EQ(DebugString(into.back()), DebugString(events.back()));

  std::string buffer;
  absl::StatusOr<absl::string_view> plain = UncompressedEvents(blob, buffer);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, Encode(events));
}

TEST(EventCodecTest, UncompressedFormatOnePassesThroughUnchanged) {
  // Rows written before format 2 existed, and PostgreSQL's rows.
  const std::string blob = Encode(OneOfEveryKind());
  std::string buffer;
  absl::StatusOr<absl::string_view> plain = UncompressedEvents(blob, buffer);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->data(), blob.data()) << "a view of the row, not a copy";
  EXPECT_TRUE(buffer.empty());
}

TEST(EventCodecTest, GroupThatDoesNotShrinkIsStoredUncompressed) {
  const std::vector<Event> one = {OneOfEveryKind()[1]};
  EXPECT_EQ(Compress(one), Encode(one));
  EXPECT_EQ(EncodeEventsCompressed({}), EncodeEvents({}));
}

TEST(EventCodecTest, EveryTruncationOfACompressedGroupIsDataLoss) {
  const std::string blob = Compress(ManyOfEveryKind());
  for (size_t n = 0; n < blob.size(); ++n) {
    int calls = 0;
    EXPECT_THAT(DecodeEvents(blob.substr(0, n), [&](const Event&) { ++calls; }),
                StatusIs(absl::StatusCode::kDataLoss))
        << "prefix of " << n << " of " << blob.size() << " bytes";
    EXPECT_EQ(calls, 0);
    EventBatch into(1);
    EXPECT_THAT(DecodeEventsInto(blob.substr(0, n), into),
                StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_EQ(into.size(), 1u);
  }
}

TEST(EventCodecTest, DamagedCompressedGroupNeverDecodesToOtherEvents) {
  const std::vector<Event> events = ManyOfEveryKind();
  const std::string blob = Compress(events);
  absl::Status status;
  const std::vector<std::string> original = DecodeAll(blob, status);
  ASSERT_TRUE(status.ok());
  for (size_t i = 1; i < blob.size(); ++i) {
    for (char flip : {'\x01', '\x80'}) {
      std::string damaged = blob;
      damaged[i] ^= flip;
      const std::vector<std::string> decoded = DecodeAll(damaged, status);
      if (status.ok()) {
        EXPECT_EQ(decoded, original) << "byte " << i;
      } else {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss))
            << "byte " << i;
      }
    }
  }
}

// The zstd frame header: magic number, a descriptor for an 8-byte
// single-segment content size, then the size (little-endian).
std::string FrameHeaderClaiming(uint64_t size) {
  std::string out("\x02\x28\xb5\x2f\xfd\xe0", 6);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(size >> (8 * i)));
  return out;
}

TEST(EventCodecTest, CompressedGroupClaimingAHugeSizeIsRefusedUnread) {
  for (uint64_t size : {uint64_t{1} << 40, uint64_t{64} * 100}) {
    std::string buffer;
    EXPECT_THAT(UncompressedEvents(FrameHeaderClaiming(size) + "abc", buffer),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr(absl::StrCat("claims ", size, " bytes"))));
    EXPECT_EQ(buffer.capacity(), std::string().capacity()) << "no allocation";
  }
}

TEST(EventCodecTest, CompressedGroupOfOtherBytesIsDataLoss) {
  std::string buffer;
  // Not a zstd frame at all.
  EXPECT_THAT(UncompressedEvents(std::string("\x02not zstd", 9), buffer),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("format 2) whose zstd frame header")));
  // A size it can hold, but no blocks behind the header.
  EXPECT_THAT(
      UncompressedEvents(FrameHeaderClaiming(10), buffer),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not decompress")));
}

}  // namespace
}  // namespace orgpulse::ingest
