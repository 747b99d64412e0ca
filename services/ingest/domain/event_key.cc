#include "services/ingest/domain/event_key.h"

namespace orgpulse::ingest {
namespace {

// splitmix64's finaliser: every input bit affects every output bit.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t StableHash64(absl::string_view data, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix(seed);
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix(h ^ data.size());
}

absl::uint128 EventFingerprint(absl::string_view source,
                               absl::string_view event_id) {
  // Sources cannot contain '\0' (validation), so the join is unambiguous.
  uint64_t hi = StableHash64(source, 1);
  uint64_t lo = StableHash64(source, 2);
  hi = StableHash64(event_id, hi);
  lo = StableHash64(event_id, lo ^ 0x9e3779b97f4a7c15ULL);
  return absl::MakeUint128(hi, lo);
}

}  // namespace orgpulse::ingest
