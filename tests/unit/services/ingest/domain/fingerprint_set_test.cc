#include "services/ingest/domain/fingerprint_set.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/event_key.h"

namespace orgpulse::ingest {
namespace {

// Deterministic fingerprint-like keys (splitmix64), so every run is alike.
class Keys {
 public:
  explicit Keys(uint64_t seed) : state_(seed) {}
  absl::uint128 Next() {
    const uint64_t hi = Step();
    return absl::MakeUint128(hi, Step());
  }

 private:
  uint64_t Step() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

TEST(FingerprintSetTest, InsertTellsWhetherTheKeyIsNew) {
  FingerprintSet set;
  const absl::uint128 a = EventFingerprint("jira", "A-1");
  const absl::uint128 b = EventFingerprint("jira", "A-2");
  EXPECT_TRUE(set.insert(a));
  EXPECT_FALSE(set.insert(a));
  EXPECT_TRUE(set.contains(a));
  EXPECT_FALSE(set.contains(b));
  EXPECT_EQ(set.size(), 1u);
}

TEST(FingerprintSetTest, KeyZeroIsAKeyLikeAnyOther) {
  FingerprintSet set;
  EXPECT_FALSE(set.contains(0));
  EXPECT_TRUE(set.insert(0));
  EXPECT_TRUE(set.contains(0));
  EXPECT_FALSE(set.insert(0));
  EXPECT_TRUE(set.erase(0));
  EXPECT_FALSE(set.contains(0));
  EXPECT_EQ(set.size(), 0u);
}

TEST(FingerprintSetTest, KeysDifferingOnlyInTheirShardBitsAreDistinct) {
  FingerprintSet set;
  const absl::uint128 a = absl::MakeUint128(uint64_t{1} << 63, 42);
  const absl::uint128 b = absl::MakeUint128(uint64_t{1} << 62, 42);
  EXPECT_TRUE(set.insert(a));
  EXPECT_TRUE(set.insert(b));
  EXPECT_TRUE(set.erase(a));
  EXPECT_TRUE(set.contains(b));
}

// Random inserts, erases and lookups against absl::flat_hash_set, through
// growth and with long probe runs (erase must keep every run reachable).
TEST(FingerprintSetTest, AgreesWithAReferenceSetThroughGrowthAndErase) {
  FingerprintSet set;
  absl::flat_hash_set<absl::uint128> reference;
  std::vector<absl::uint128> inserted;
  Keys keys(7);
  uint64_t coin = 12345;
  for (int step = 0; step < 400'000; ++step) {
    coin = coin * 6364136223846793005ULL + 1442695040888963407ULL;
    const int op = static_cast<int>((coin >> 33) % 10);
    if (op < 6 || inserted.empty()) {
      const absl::uint128 k = keys.Next();
      ASSERT_EQ(set.insert(k), reference.insert(k).second);
      inserted.push_back(k);
    } else if (op < 8) {
      const absl::uint128 k = inserted[(coin >> 20) % inserted.size()];
      ASSERT_EQ(set.erase(k), reference.erase(k) == 1);
    } else {
      const absl::uint128 k = inserted[(coin >> 20) % inserted.size()];
      ASSERT_EQ(set.contains(k), reference.contains(k));
      ASSERT_EQ(set.insert(k), reference.insert(k).second);
    }
  }
  EXPECT_EQ(set.size(), reference.size());
  for (const absl::uint128& k : inserted) {
    ASSERT_EQ(set.contains(k), reference.contains(k));
  }
  EXPECT_GT(set.growths(), 0);
}

TEST(FingerprintSetTest, ReserveAvoidsEveryGrowthUpToItsSize) {
  FingerprintSet set;
  set.reserve(300'000);
  const int64_t growths = set.growths();
  Keys keys(1);
  for (int i = 0; i < 300'000; ++i) ASSERT_TRUE(set.insert(keys.Next()));
  EXPECT_EQ(set.growths(), growths);
}

// The shards grow one after another: between any two checkpoints a few
// thousand keys apart, only a small share of them is rehashed, and no
// shard is much larger than the average (a rehash moves one shard).
TEST(FingerprintSetTest, GrowthIsSpreadOverTheShards) {
  FingerprintSet set;
  Keys keys(3);
  constexpr int kStep = 2'000;
  int64_t most_growths_per_step = 0;
  for (int i = 0; i < 1'500'000; i += kStep) {
    const int64_t before = set.growths();
    for (int j = 0; j < kStep; ++j) set.insert(keys.Next());
    if (i >= 500'000) {
      most_growths_per_step =
          std::max(most_growths_per_step, set.growths() - before);
    }
  }
  // About kShards growths per growth step of a quarter (250-375k keys
  // here), so 6-8 per 2,000 keys on average (25 at most with these keys);
  // shards of one size all round would give 50 here, and more the larger
  // the set.
  EXPECT_LE(most_growths_per_step, 32);
  const double average_capacity =
      static_cast<double>(set.size()) / FingerprintSet::kShards / 0.68;
  EXPECT_LE(static_cast<double>(set.MaxShardCapacity()),
            1.5 * average_capacity);
}

TEST(FingerprintSetTest, MemoryIsAbout12BytesASlotAtAHighLoad) {
  FingerprintSet set;
  Keys keys(5);
  for (int i = 0; i < 1'000'000; ++i) set.insert(keys.Next());
  const double per_key =
      static_cast<double>(set.MemoryBytes()) / static_cast<double>(set.size());
  // 12-byte slots at a load of 0.68-0.85: 14.1-17.6 bytes a key, plus the
  // shard headers.
  EXPECT_GE(per_key, 12.0);
  EXPECT_LE(per_key, 18.0);
}

TEST(FingerprintSetTest, MemoryIsAbout10BytesASlotAtAHighLoad) {
  FingerprintSet set;
  Keys keys(6);
  for (int i = 0; i < 1'000'000; ++i) set.insert(keys.Next());
  const double per_key =
      static_cast<double>(set.MemoryBytes()) / static_cast<double>(set.size());
  // 10-byte slots at a load of 0.68-0.85: 11.8-14.7 bytes a key, plus the
  // shard headers (0.02 bytes a key here).
  EXPECT_GE(per_key, 11.7);
  EXPECT_LE(per_key, 14.8);
}

// A slot keeps 80 of the key's bits besides its shard; keys that differ in
// any of those, even only in the high half's low 16 bits, are distinct.
TEST(FingerprintSetTest,
     KeysDifferingOnlyInTheLowBitsOfTheirHighHalfAreDistinct) {
  FingerprintSet set;
  const absl::uint128 a = absl::MakeUint128(uint64_t{1} << 15, 42);
  const absl::uint128 b = absl::MakeUint128(uint64_t{1}, 42);
  EXPECT_TRUE(set.insert(a));
  EXPECT_TRUE(set.insert(b));
  EXPECT_TRUE(set.erase(a));
  EXPECT_TRUE(set.contains(b));
  EXPECT_FALSE(set.contains(a));
}

}  // namespace
}  // namespace orgpulse::ingest
