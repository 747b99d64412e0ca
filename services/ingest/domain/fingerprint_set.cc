#include "services/ingest/domain/fingerprint_set.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace orgpulse::ingest {
namespace {

// A shard grows when more than 17/20 of its slots are taken, by a quarter:
// its load stays within 0.68-0.85 (linear probing stays short there) and a
// growth rehashes one shard of 1/kShards of the keys.
constexpr uint64_t kMaxLoadNum = 17;
constexpr uint64_t kMaxLoadDen = 20;
constexpr double kGrowth = 1.25;
constexpr double kMinCapacity = 64;
// Far above any real set (64 * 1.25^80 is 3.4e9 slots): a snapshot's level
// beyond it is damage.
constexpr int kMaxLevel = 80;

bool Empty(uint64_t low, uint16_t high) { return low == 0 && high == 0; }

}  // namespace

FingerprintSet::FingerprintSet() : shards_(kShards) {
  for (size_t i = 0; i < kShards; ++i) Resize(i, 0);
}
FingerprintSet::FingerprintSet(FingerprintSet&&) noexcept = default;
FingerprintSet& FingerprintSet::operator=(FingerprintSet&&) noexcept = default;
FingerprintSet::~FingerprintSet() = default;

uint32_t FingerprintSet::CapacityAt(size_t shard, int level) {
  // Shard i sits i/kShards of a growth step above shard 0, so the shards
  // reach their limits (and rehash) one after another, never together.
  const double exponent =
      level + static_cast<double>(shard) / static_cast<double>(kShards);
  return static_cast<uint32_t>(
      std::ceil(kMinCapacity * std::pow(kGrowth, exponent)));
}

uint32_t FingerprintSet::Find(const Shard& shard, const Slot& slot) {
  uint32_t i = Home(slot, shard.capacity);
  while (true) {
    const Slot& s = shard.slots[i];
    if (Empty(s.low, s.high) || (s.low == slot.low && s.high == slot.high)) {
      return i;
    }
    if (++i == shard.capacity) i = 0;
  }
}

void FingerprintSet::Resize(size_t index, int level) {
  Shard& shard = shards_[index];
  Shard bigger;
  bigger.level = static_cast<uint8_t>(level);
  bigger.capacity = CapacityAt(index, level);
  bigger.slots = std::make_unique<Slot[]>(bigger.capacity);  // zeroed: empty
  bigger.size = shard.size;
  for (uint32_t i = 0; i < shard.capacity; ++i) {
    const Slot& s = shard.slots[i];
    if (Empty(s.low, s.high)) continue;
    bigger.slots[Find(bigger, s)] = s;
  }
  if (shard.slots) ++growths_;
  shard = std::move(bigger);
}

void FingerprintSet::reserve(size_t n) {
  // Each shard takes about n / kShards keys, give or take a few standard
  // deviations (sqrt of that); its staggered capacity keeps the later
  // growths apart.
  const double mean = static_cast<double>(n) / kShards;
  const auto per_shard = static_cast<uint64_t>(mean + 5 * std::sqrt(mean) + 1);
  for (size_t i = 0; i < kShards; ++i) {
    int level = shards_[i].level;
    while (uint64_t{CapacityAt(i, level)} * kMaxLoadNum <
           per_shard * kMaxLoadDen) {
      ++level;
    }
    if (level != shards_[i].level) Resize(i, level);
  }
}

bool FingerprintSet::insert(absl::uint128 key) {
  const Slot slot = SlotOf(key);
  const size_t index = ShardOf(key);
  Shard* shard = &shards_[index];
  uint32_t i = Find(*shard, slot);
  const Slot& found = shard->slots[i];
  if (!Empty(found.low, found.high)) return false;
  if ((uint64_t{shard->size} + 1) * kMaxLoadDen >
      uint64_t{shard->capacity} * kMaxLoadNum) {
    Resize(index, shard->level + 1);
    shard = &shards_[index];
    i = Find(*shard, slot);
  }
  shard->slots[i] = slot;
  ++shard->size;
  ++size_;
  return true;
}

bool FingerprintSet::contains(absl::uint128 key) const {
  const Slot slot = SlotOf(key);
  const Shard& shard = shards_[ShardOf(key)];
  const Slot& found = shard.slots[Find(shard, slot)];
  return !Empty(found.low, found.high);
}

bool FingerprintSet::erase(absl::uint128 key) {
  const Slot slot = SlotOf(key);
  Shard& shard = shards_[ShardOf(key)];
  uint32_t hole = Find(shard, slot);
  if (Empty(shard.slots[hole].low, shard.slots[hole].high)) return false;
  // Backward-shift deletion: move up each later key of the run whose home
  // is not between the hole and it, so no lookup meets a gap before its key.
  uint32_t j = hole;
  while (true) {
    if (++j == shard.capacity) j = 0;
    const Slot& s = shard.slots[j];
    if (Empty(s.low, s.high)) break;
    const uint32_t home = Home(s, shard.capacity);
    const bool stays =
        hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    shard.slots[hole] = s;
    hole = j;
  }
  shard.slots[hole] = Slot{0, 0};
  --shard.size;
  --size_;
  return true;
}

size_t FingerprintSet::MemoryBytes() const {
  size_t bytes = shards_.capacity() * sizeof(Shard);
  for (const Shard& s : shards_) bytes += size_t{s.capacity} * sizeof(Slot);
  return bytes;
}

size_t FingerprintSet::MaxShardCapacity() const {
  size_t most = 0;
  for (const Shard& s : shards_) most = std::max<size_t>(most, s.capacity);
  return most;
}

void FingerprintSet::Encode(BinaryWriter& out) const {
  out.Varint(shards_.size());
  for (const Shard& s : shards_) out.Byte(s.level);
  for (const Shard& s : shards_) {
    out.Raw({reinterpret_cast<const char*>(s.slots.get()),
             size_t{s.capacity} * sizeof(Slot)});
  }
}

absl::StatusOr<FingerprintSet> FingerprintSet::Decode(BinaryReader& in) {
  const uint64_t shards = in.Varint();
  if (!in.ok() || shards != kShards) {
    return absl::DataLossError(absl::StrCat(
        "fingerprint set: ", shards, " shards where ", kShards, " are built"));
  }
  std::vector<uint8_t> levels(kShards);
  for (uint8_t& level : levels) {
    level = in.Byte();
    if (level > kMaxLevel) {
      return absl::DataLossError(
          absl::StrCat("fingerprint set: shard level ", level));
    }
  }
  FingerprintSet set;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& shard = set.shards_[i];
    const uint32_t capacity = CapacityAt(i, levels[i]);
    const absl::string_view bytes = in.Raw(uint64_t{capacity} * sizeof(Slot));
    if (!in.ok()) {
      return absl::DataLossError(
          absl::StrCat("fingerprint set: shard ", i, " is cut short"));
    }
    if (capacity != shard.capacity) {
      shard.slots = std::make_unique_for_overwrite<Slot[]>(capacity);
    }
    std::memcpy(shard.slots.get(), bytes.data(), bytes.size());
    shard.capacity = capacity;
    shard.level = levels[i];
    uint64_t size = 0;
    for (uint32_t j = 0; j < capacity; ++j) {
      size += !Empty(shard.slots[j].low, shard.slots[j].high);
    }
    // Find needs an empty slot to stop at.
    if (size * kMaxLoadDen > uint64_t{capacity} * kMaxLoadNum) {
      return absl::DataLossError(absl::StrCat("fingerprint set: shard ", i,
                                              " holds ", size, " keys in ",
                                              capacity, " slots"));
    }
    shard.size = static_cast<uint32_t>(size);
    set.size_ += size;
  }
  return set;
}

}  // namespace orgpulse::ingest
