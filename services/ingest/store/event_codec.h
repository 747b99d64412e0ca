// The on-disk encoding of events: compact, versioned by a leading byte, and
// owned by the domain rather than the public API, so the API can evolve
// without rewriting stored data.
//
// Format 1: format byte 1, varint count, then per event: varint payload
// index, strings (varint length + bytes), zigzag-varint Unix microseconds,
// and little-endian doubles, in the order of the fields in event.h.
// Format 2 (compressed): format byte 2, then the format 1 bytes as one zstd
// frame (level 1) that records their size and a checksum. The SQLite log
// stores whole groups compressed, rows ~3x smaller (docs/benchmarks.md);
// PostgreSQL stores one event per row, too small to gain, in format 1.
// The decoders read both formats.
//
// Example:
//   std::string blob = EncodeEventsCompressed(events);
//   absl::Status s = DecodeEvents(blob, [](const Event& e) {...});
#ifndef ORGPULSE_SERVICES_INGEST_STORE_EVENT_CODEC_H_
#define ORGPULSE_SERVICES_INGEST_STORE_EVENT_CODEC_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/ingest/domain/event.h"

namespace orgpulse::ingest {

// Format 1.
std::string EncodeEvents(absl::Span<const Event* const> events);

// Format 2, or format 1 where compressing does not make it smaller (or
// would make it smaller than UncompressedEvents accepts).
std::string EncodeEventsCompressed(absl::Span<const Event* const> events);

// The format 1 bytes of `blob`: `blob` itself when it is not compressed, else
// its bytes decompressed into `buffer` (and a view of `buffer`). DATA_LOSS
// if the compressed form is malformed, or claims more than 64 times its own
// size, so a corrupt length never makes a huge allocation. The format 1
// bytes themselves are not checked; the decoders below do.
[[nodiscard]] absl::StatusOr<absl::string_view> UncompressedEvents(
    absl::string_view blob, std::string& buffer);

// Calls `fn` for each event of `blob` (either format); DATA_LOSS if it is
// malformed (then `fn` may have seen a prefix of the events).
[[nodiscard]] absl::Status DecodeEvents(
    absl::string_view blob, absl::FunctionRef<void(const Event&)> fn);

// Appends the events of `blob` to `out`; on DATA_LOSS `out` is unchanged.
[[nodiscard]] absl::Status DecodeEventsInto(absl::string_view blob,
                                            EventBatch& out);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_EVENT_CODEC_H_
