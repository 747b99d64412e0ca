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

}  // namespace

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
  PutFixed<uint64_t>(out, 20, Checksum64(body));
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
  if (Checksum64(body) != GetFixed<uint64_t>(bytes, 20)) {
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
