#include "services/ingest/domain/compact_hash_map.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/event_key.h"

namespace orgpulse::ingest {
namespace {

struct Counts {
  int64_t a = 0;
  int64_t b = 0;
};

TEST(CompactHashMapTest, NewKeysStartDefaultAndKeepTheirValues) {
  CompactHashMap<Counts> map;
  EXPECT_EQ(map.find(StableHash64("t1")), nullptr);
  map[StableHash64("t1")].a = 5;
  map[StableHash64("t2")].b = 7;
  ASSERT_NE(map.find(StableHash64("t1")), nullptr);
  EXPECT_EQ(map.find(StableHash64("t1"))->a, 5);
  EXPECT_EQ(map.find(StableHash64("t1"))->b, 0);
  EXPECT_EQ(map.find(StableHash64("t2"))->b, 7);
  EXPECT_EQ(map.size(), 2u);
}

TEST(CompactHashMapTest, KeyZeroIsStoredLikeAnyOther) {
  CompactHashMap<Counts> map;
  map[0].a = 3;
  ASSERT_NE(map.find(0), nullptr);
  EXPECT_EQ(map.find(0)->a, 3);
  int seen = 0;
  map.ForEach([&](uint64_t, const Counts& c) { seen += c.a; });
  EXPECT_EQ(seen, 3);
}

// Through many growths every value stays where a lookup finds it, and
// ForEach visits each entry once.
TEST(CompactHashMapTest, AgreesWithAReferenceMapThroughGrowth) {
  CompactHashMap<Counts> map;
  absl::flat_hash_map<uint64_t, int64_t> reference;
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t key = StableHash64(absl::StrCat("task-", i % 150'000));
    ++map[key].a;
    ++reference[key];
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [key, n] : reference) {
    const Counts* c = map.find(key);
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->a, n);
  }
  size_t visited = 0;
  int64_t total = 0;
  map.ForEach([&](uint64_t key, const Counts& c) {
    ++visited;
    total += c.a;
    ASSERT_EQ(reference.at(key), c.a);
  });
  EXPECT_EQ(visited, reference.size());
  EXPECT_EQ(total, 200'000);
}

TEST(CompactHashMapTest, StaysBetween68And85PercentFull) {
  CompactHashMap<Counts> map;
  for (int i = 0; i < 100'000; ++i) {
    map[StableHash64(absl::StrCat("k", i))];
    if (i < 1'000) continue;  // tiny tables round their steps
    const double load =
        static_cast<double>(map.size()) / static_cast<double>(map.capacity());
    ASSERT_GE(load, 0.67) << i;
    ASSERT_LE(load, 0.85) << i;
  }
  // A slot is the key and the value, nothing else.
  EXPECT_EQ(map.MemoryBytes(), map.capacity() * (8 + sizeof(Counts)));
}

// Small tables too: a growth by a quarter rounds down to too little there
// (it once left 6 keys in 7 slots, which snapshots then refused).
TEST(CompactHashMapTest, NoTableIsFullerThan85Percent) {
  CompactHashMap<Counts> map;
  for (int i = 0; i < 2'000; ++i) {
    map[StableHash64(absl::StrCat("k", i))];
    ASSERT_LE(map.size() * 20, map.capacity() * 17)
        << map.size() << " keys in " << map.capacity() << " slots";
  }
}

TEST(CompactHashMapTest, EverySizeComesBackFromItsRawSlots) {
  for (int n = 1; n <= 200; ++n) {
    CompactHashMap<Counts> map;
    for (int i = 0; i < n; ++i) map[StableHash64(absl::StrCat("k", i))].a = i;
    CompactHashMap<Counts> copy;
    ASSERT_TRUE(copy.AssignRawSlots(map.RawSlots())) << n << " keys";
    ASSERT_EQ(copy.size(), map.size());
    for (int i = 0; i < n; ++i) {
      const Counts* c = copy.find(StableHash64(absl::StrCat("k", i)));
      ASSERT_NE(c, nullptr) << n << " keys, key " << i;
      EXPECT_EQ(c->a, i);
    }
  }
}

// Raw slots of `keys` nonzero keys in `capacity` slots, as a map writes them.
std::string RawTable(int keys, int capacity) {
  std::string bytes(capacity * CompactHashMap<Counts>::RawSlotBytes(), '\0');
  for (int i = 0; i < keys; ++i) {
    const uint64_t key = 1000 + i;
    std::memcpy(&bytes[i * CompactHashMap<Counts>::RawSlotBytes()], &key,
                sizeof key);
  }
  return bytes;
}

TEST(CompactHashMapTest, TakesTablesEarlierBinariesWroteAndRefusesFullOnes) {
  CompactHashMap<Counts> map;
  ASSERT_TRUE(map.AssignRawSlots(RawTable(6, 7)));  // over the bound
  EXPECT_EQ(map.size(), 6);
  map[StableHash64("one more")];  // grows within the bound
  EXPECT_LE(map.size() * 20, map.capacity() * 17);
  EXPECT_NE(map.find(1000 + 5), nullptr);

  CompactHashMap<Counts> full;
  EXPECT_FALSE(full.AssignRawSlots(RawTable(7, 7)));  // no probe would end
  EXPECT_EQ(full.size(), 0);
}

}  // namespace
}  // namespace orgpulse::ingest
