// The set of every stored event's fingerprint (EventFingerprint), which the
// Ledger deduplicates against. It grows with the store, so it is built for
// three things a general hash set does not give:
//
//  - No stall when it grows. The keys are split over kShards shards by their
//    top bits, and each shard grows alone, by a quarter. The shards' sizes
//    are staggered (shard i's capacities are a fraction i/kShards of a
//    growth step apart), so their growths fall at different times: at 10M
//    keys one shard of ~10k keys is rehashed every few thousand inserts,
//    well under a millisecond each, instead of the whole set at once.
//  - 10 bytes a slot at a load of 0.68-0.85. A slot keeps 80 of the
//    fingerprint's bits; the shard index adds 10 more, so two different
//    keys are taken for one (and the second event dropped as a duplicate)
//    with a chance of about n^2 / 2^91: 4 * 10^-12 for 10^8 stored events,
//    4 * 10^-10 for 10^9. (12-byte slots made it 10^-14 at 10^9, for 20 %
//    more memory: a sixth of all the memory the service holds per event.)
//  - One probe per key: insert tells whether the key was there.
//
// Not thread-safe.
//
// Example:
//   FingerprintSet keys;
//   keys.reserve(store.EventCountHint());
//   if (!keys.insert(EventFingerprint(source, id))) { /* a duplicate */ }
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_FINGERPRINT_SET_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_FINGERPRINT_SET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "common/storage/binary_codec.h"

namespace orgpulse::ingest {

class FingerprintSet {
 public:
  static constexpr int kShardBits = 10;
  static constexpr size_t kShards = size_t{1} << kShardBits;

  FingerprintSet();
  FingerprintSet(FingerprintSet&&) noexcept;
  FingerprintSet& operator=(FingerprintSet&&) noexcept;
  ~FingerprintSet();

  // Sizes every shard so that about `n` keys in all fit without growing.
  void reserve(size_t n);

  // Adds `key`; false if it was there already (nothing changes then).
  bool insert(absl::uint128 key);
  bool contains(absl::uint128 key) const;
  // Removes `key`; false if it was not there.
  bool erase(absl::uint128 key);
  // Starts loading the memory that a probe of `key` reads first, so that an
  // insert or lookup of it a few keys later finds it in the cache. A hint:
  // changes nothing.
  void Prefetch(absl::uint128 key) const {
    const Shard& shard = shards_[ShardOf(key)];
    __builtin_prefetch(&shard.slots[Home(SlotOf(key), shard.capacity)]);
  }

  size_t size() const { return size_; }
  // Heap bytes held (slots and shard headers), for the memory figures.
  size_t MemoryBytes() const;
  // How many times a shard was rehashed into a larger one, in all.
  int64_t growths() const { return growths_; }
  // The largest shard's slot count (a rehash costs about that many moves).
  size_t MaxShardCapacity() const;

  // The set as bytes for a snapshot: each shard's level, then its slots as
  // they lie in memory, so Decode is a copy per shard, with no rehashing.
  void Encode(BinaryWriter& out) const;
  // Reads what Encode wrote. DATA_LOSS (naming what is wrong) if it cannot
  // be a set: another shard count, a level out of range, bytes missing, or
  // a shard too full to probe.
  static absl::StatusOr<FingerprintSet> Decode(BinaryReader& in);

 private:
  // 80 bits of the fingerprint (its low 64, and the 16 lowest of the high
  // half, whose top 10 bits choose the shard); all zero marks an empty slot.
  struct Slot {
    uint64_t low;
    uint16_t high;
  } __attribute__((packed));
  static_assert(sizeof(Slot) == 10);

  struct Shard {
    std::unique_ptr<Slot[]> slots;
    uint32_t capacity = 0;
    uint32_t size = 0;
    uint8_t level = 0;  // capacity is CapacityAt(shard index, level)
  };

  static Slot SlotOf(absl::uint128 key) {
    Slot s{absl::Uint128Low64(key),
           static_cast<uint16_t>(absl::Uint128High64(key))};
    // All-zero marks an empty slot; the key that would be stored so shares
    // its slot with one other key of 2^90.
    if (s.low == 0 && s.high == 0) s.high = 1;
    return s;
  }
  static size_t ShardOf(absl::uint128 key) {
    return static_cast<size_t>(absl::Uint128High64(key) >> (64 - kShardBits));
  }
  static uint32_t Home(const Slot& slot, uint32_t capacity) {
    // Maps the key's top 32 low bits onto [0, capacity) without a division.
    return static_cast<uint32_t>(((slot.low >> 32) * capacity) >> 32);
  }
  static uint32_t CapacityAt(size_t shard, int level);

  // The slot holding `slot`'s key, or the empty slot where it would go.
  static uint32_t Find(const Shard& shard, const Slot& slot);
  void Resize(size_t index, int level);

  std::vector<Shard> shards_;
  size_t size_ = 0;
  int64_t growths_ = 0;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_FINGERPRINT_SET_H_
