// A snapshot of the ledger's folded state (decision 0004): the figures'
// state, the set of stored fingerprints (for a ledger that decides
// duplicates itself) and the log position they cover, as bytes a store
// keeps. Start-up decodes the latest one and replays only the log after its
// position.
//
// The bytes are a fixed header (magic, format version, body size, body
// checksum) and the body. The hash tables go as their slot arrays, so
// decoding is mostly copies of flat arrays: about 0.1 s per million events
// of state, against a replay's decode, hash and fold per event.
//
// Example:
//   std::string bytes = EncodeLedgerSnapshot(head, stored, state, &keys);
//   absl::StatusOr<LedgerSnapshot> s = DecodeLedgerSnapshot(bytes);
//   if (!s.ok()) { /* log s.status(), replay the whole log */ }
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_SNAPSHOT_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/ingest/domain/execution_state.h"
#include "services/ingest/domain/fingerprint_set.h"

namespace orgpulse::ingest {

// The format this binary writes and the only one it reads. Bump it with
// any change of ExecutionState's, FingerprintSet's or this file's encoding
// (or of the layout of a slot that is copied as bytes).
inline constexpr uint32_t kLedgerSnapshotVersion =
    3;  // 2: sources' first event; 3: 48-byte tasks, 10-byte keys

struct LedgerSnapshot {
  int64_t position = 0;       // the log position the state covers
  int64_t stored_events = 0;  // events folded into it
  ExecutionState state;
  std::optional<FingerprintSet> keys;  // absent if the store decides them
};

// `keys` may be null (a store that decides duplicates does not need them).
std::string EncodeLedgerSnapshot(int64_t position, int64_t stored_events,
                                 const ExecutionState& state,
                                 const FingerprintSet* keys);

// The same in two steps, for a caller that must hold a lock while the state
// is read but not while the rest runs: reserve `out` with SizeHint (and
// touch it, so that page faults fall outside the lock), Encode into it under
// the lock (copies, mostly), then Seal (the checksum) after it.
size_t LedgerSnapshotSizeHint(const ExecutionState& state,
                              const FingerprintSet* keys);
void EncodeUnsealedLedgerSnapshot(int64_t position, int64_t stored_events,
                                  const ExecutionState& state,
                                  const FingerprintSet* keys, std::string& out);
void SealLedgerSnapshot(std::string& bytes);

// FAILED_PRECONDITION for a snapshot of another format version; DATA_LOSS,
// saying what is wrong, for bytes that are not a whole, intact snapshot
// (truncated, checksum mismatch, undecodable).
absl::StatusOr<LedgerSnapshot> DecodeLedgerSnapshot(absl::string_view bytes);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_LEDGER_SNAPSHOT_H_
