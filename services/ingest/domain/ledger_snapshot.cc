#include "services/ingest/domain/ledger_snapshot.h"

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/storage/binary_codec.h"

namespace orgpulse::ingest {
namespace {

constexpr char kMagic[8] = {'o', 'p', 'i', 'n', 'g', 's', 'n', 'p'};
// magic, version (u32), body size (u64), body checksum (u64); little-endian.
constexpr size_t kHeaderBytes = sizeof kMagic + 4 + 8 + 8;

template <typename T>
void PutFixed(std::string& out, size_t at, T v) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  std::memcpy(out.data() + at, &v, sizeof v);
}
template <typename T>
T GetFixed(absl::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;

uint64_t Rotl(uint64_t v, int r) { return (v << r) | (v >> (64 - r)); }
uint64_t Round(uint64_t acc, uint64_t lane) {
  return Rotl(acc + lane * kPrime2, 31) * kPrime1;
}

}  // namespace

uint64_t SnapshotChecksum(absl::string_view bytes) {
  // xxHash64's inner loop: four independent lanes, so it runs at memory
  // speed (a snapshot of 10M events' state is a few hundred MB).
  uint64_t acc[4] = {kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1};
  const char* p = bytes.data();
  size_t n = bytes.size();
  for (; n >= 32; p += 32, n -= 32) {
    for (int i = 0; i < 4; ++i) {
      uint64_t lane;
      std::memcpy(&lane, p + 8 * i, 8);
      acc[i] = Round(acc[i], lane);
    }
  }
  uint64_t h = Rotl(acc[0], 1) + Rotl(acc[1], 7) + Rotl(acc[2], 12) +
               Rotl(acc[3], 18) + bytes.size();
  for (; n > 0; ++p, --n) {
    h = Rotl(h ^ (static_cast<uint8_t>(*p) * kPrime3), 11) * kPrime1;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  return h ^ (h >> 32);
}

size_t LedgerSnapshotSizeHint(const ExecutionState& state,
                              const FingerprintSet* keys) {
  return kHeaderBytes + 32 + state.EncodedSizeHint() +
         (keys ? keys->MemoryBytes() + FingerprintSet::kShards + 8 : 0);
}

void EncodeUnsealedLedgerSnapshot(int64_t position, int64_t stored_events,
                                  const ExecutionState& state,
                                  const FingerprintSet* keys,
                                  std::string& out) {
  out.assign(kHeaderBytes, '\0');
  BinaryWriter w(out);
  w.Int(position);
  w.Int(stored_events);
  w.Byte(keys != nullptr);
  state.Encode(w);
  if (keys != nullptr) keys->Encode(w);
}

void SealLedgerSnapshot(std::string& out) {
  const absl::string_view body = absl::string_view(out).substr(kHeaderBytes);
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  PutFixed<uint32_t>(out, 8, kLedgerSnapshotVersion);
  PutFixed<uint64_t>(out, 12, body.size());
  PutFixed<uint64_t>(out, 20, SnapshotChecksum(body));
}

std::string EncodeLedgerSnapshot(int64_t position, int64_t stored_events,
                                 const ExecutionState& state,
                                 const FingerprintSet* keys) {
  std::string out;
  out.reserve(LedgerSnapshotSizeHint(state, keys));
  EncodeUnsealedLedgerSnapshot(position, stored_events, state, keys, out);
  SealLedgerSnapshot(out);
  return out;
}

absl::StatusOr<LedgerSnapshot> DecodeLedgerSnapshot(absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return absl::DataLossError(
        absl::StrCat("not an ingest snapshot (", bytes.size(),
                     " bytes, without the snapshot header)"));
  }
  const auto version = GetFixed<uint32_t>(bytes, 8);
  if (version != kLedgerSnapshotVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot format ", version, ", this binary reads only ",
                     kLedgerSnapshotVersion));
  }
  const auto size = GetFixed<uint64_t>(bytes, 12);
  const absl::string_view body = bytes.substr(kHeaderBytes);
  if (body.size() != size) {
    return absl::DataLossError(
        absl::StrCat("snapshot cut short or padded: ", body.size(),
                     " bytes of body, the "
                     "header says ",
                     size));
  }
  if (SnapshotChecksum(body) != GetFixed<uint64_t>(bytes, 20)) {
    return absl::DataLossError("snapshot damaged: its checksum does not match");
  }
  BinaryReader r(body);
  LedgerSnapshot out;
  out.position = r.Int();
  out.stored_events = r.Int();
  const uint8_t has_keys = r.Byte();
  if (!r.ok() || out.position < 0 || out.stored_events < 0 || has_keys > 1) {
    return absl::DataLossError("snapshot damaged: bad position or counts");
  }
  absl::StatusOr<ExecutionState> state = ExecutionState::Decode(r);
  if (!state.ok()) {
    return absl::DataLossError(
        absl::StrCat("snapshot damaged: ", state.status().message()));
  }
  out.state = *std::move(state);
  if (has_keys == 1) {
    absl::StatusOr<FingerprintSet> keys = FingerprintSet::Decode(r);
    if (!keys.ok()) {
      return absl::DataLossError(
          absl::StrCat("snapshot damaged: ", keys.status().message()));
    }
    out.keys = *std::move(keys);
  }
  if (!r.ok() || !r.done()) {
    return absl::DataLossError("snapshot damaged: bytes after its end");
  }
  return out;
}

}  // namespace orgpulse::ingest
