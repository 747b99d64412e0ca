// A hash map from well-mixed 64-bit keys (StableHash64 values) to small
// values, for state kept per entity for the life of the service (a team's
// tasks). Against absl::flat_hash_map it saves the control bytes and about
// a third of the empty slots: a slot is the key and the value, and the
// table stays 68-85 % full (linear probing; it grows by a quarter). The
// keys are used as their own hash, so they must be uniformly spread.
//
// Not thread-safe. References returned stay valid until the next insert.
//
// Example:
//   CompactHashMap<TaskState> tasks;
//   TaskState& t = tasks[StableHash64(task_id)];
//   tasks.ForEach([](uint64_t key, const TaskState& t) { ... });
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_COMPACT_HASH_MAP_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_COMPACT_HASH_MAP_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"

namespace orgpulse::ingest {

template <typename Value>
class CompactHashMap {
 public:
  // The value of `key`, default-constructed if new.
  Value& operator[](uint64_t key) {
    key = Stored(key);
    if (capacity_ == 0) Resize(kMinCapacity);
    uint32_t i = Find(key);
    if (slots_[i].key == key) return slots_[i].value;
    if (!Fits(size_ + 1, capacity_)) {
      // A quarter more, or (in a small table, where a quarter rounds down
      // to too little: 6 -> 7 slots for 6 keys) as much as the bound needs.
      uint32_t grown = capacity_ + capacity_ / 4;
      while (!Fits(size_ + 1, grown)) ++grown;
      Resize(grown);
      i = Find(key);
    }
    slots_[i].key = key;
    ++size_;
    return slots_[i].value;
  }

  // nullptr if absent.
  const Value* find(uint64_t key) const {
    if (capacity_ == 0) return nullptr;
    key = Stored(key);
    const Slot& s = slots_[Find(key)];
    return s.key == key ? &s.value : nullptr;
  }

  // Calls fn(key, value) for every entry, in no particular order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (uint32_t i = 0; i < capacity_; ++i) {
      if (slots_[i].key != kEmpty) fn(slots_[i].key, slots_[i].value);
    }
  }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t MemoryBytes() const { return size_t{capacity_} * sizeof(Slot); }

  // The slot array as bytes (capacity() slots of RawSlotBytes() each), for
  // snapshots: a copy of it restores the map as it is, with no rehashing.
  static constexpr size_t RawSlotBytes() { return sizeof(Slot); }
  absl::string_view RawSlots() const {
    return {reinterpret_cast<const char*>(slots_.get()), MemoryBytes()};
  }
  // Replaces the map by one whose slot array is `bytes` (from RawSlots of a
  // map of this Value's layout). False, leaving the map as it was, if the
  // bytes cannot be such an array: a size that is not whole slots, more
  // than 2^32 slots, or no empty slot (a probe would never end). A table
  // fuller than the load bound is taken (earlier binaries wrote small ones
  // so: 6 keys in 7 slots); the next insert grows it.
  bool AssignRawSlots(absl::string_view bytes) {
    if (bytes.size() % sizeof(Slot) != 0 ||
        bytes.size() / sizeof(Slot) > UINT32_MAX) {
      return false;
    }
    const auto capacity = static_cast<uint32_t>(bytes.size() / sizeof(Slot));
    std::unique_ptr<Slot[]> slots(capacity > 0 ? new Slot[capacity] : nullptr);
    if (capacity > 0) std::memcpy(slots.get(), bytes.data(), bytes.size());
    uint64_t size = 0;
    for (uint32_t i = 0; i < capacity; ++i) size += slots[i].key != kEmpty;
    if (capacity > 0 && size >= capacity) return false;
    slots_ = std::move(slots);
    capacity_ = capacity;
    size_ = static_cast<uint32_t>(size);
    return true;
  }

 private:
  static constexpr uint64_t kEmpty = 0;
  static constexpr uint32_t kMinCapacity = 4;
  static constexpr uint64_t kMaxLoadNum = 17;
  static constexpr uint64_t kMaxLoadDen = 20;

  struct Slot {
    uint64_t key = kEmpty;
    Value value{};
  };
  // Snapshots copy slots as bytes.
  static_assert(std::is_trivially_copyable_v<Value>);

  // Whether `size` keys keep `capacity` slots within the load bound.
  static bool Fits(uint64_t size, uint64_t capacity) {
    return size * kMaxLoadDen <= capacity * kMaxLoadNum;
  }

  // Key 0 marks an empty slot: it is stored as 1 (so 0 and 1 are one key,
  // a chance of 2^-63 for hashed keys).
  static uint64_t Stored(uint64_t key) { return key == kEmpty ? 1 : key; }

  // The slot holding `key`, or the empty one where it would go.
  uint32_t Find(uint64_t key) const {
    uint32_t i = static_cast<uint32_t>(((key >> 32) * capacity_) >> 32);
    while (slots_[i].key != key && slots_[i].key != kEmpty) {
      if (++i == capacity_) i = 0;
    }
    return i;
  }

  void Resize(uint32_t capacity) {
    std::unique_ptr<Slot[]> old =
        std::exchange(slots_, std::unique_ptr<Slot[]>(new Slot[capacity]));
    const uint32_t old_capacity = std::exchange(capacity_, capacity);
    for (uint32_t i = 0; i < old_capacity; ++i) {
      if (old[i].key == kEmpty) continue;
      slots_[Find(old[i].key)] = std::move(old[i]);
    }
  }

  std::unique_ptr<Slot[]> slots_;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_COMPACT_HASH_MAP_H_
