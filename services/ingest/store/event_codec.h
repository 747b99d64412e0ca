// The on-disk encoding of events: compact, versioned by a leading byte, and
// owned by the domain rather than the public API, so the API can evolve
// without rewriting stored data.
//
// A group is: format byte, varint count, then per event: varint payload
// index, strings (varint length + bytes), zigzag-varint Unix microseconds,
// and little-endian doubles, in the order of the fields in event.h.
//
// Example:
//   std::string blob = EncodeEvents(events);
//   absl::Status s = DecodeEvents(blob, [](const Event& e) {...});
#ifndef ORGPULSE_SERVICES_INGEST_STORE_EVENT_CODEC_H_
#define ORGPULSE_SERVICES_INGEST_STORE_EVENT_CODEC_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/ingest/domain/event.h"

namespace orgpulse::ingest {

std::string EncodeEvents(absl::Span<const Event* const> events);

// Calls `fn` for each event of `blob`; DATA_LOSS if it is malformed (then
// `fn` may have seen a prefix of the events).
[[nodiscard]] absl::Status DecodeEvents(
    absl::string_view blob, absl::FunctionRef<void(const Event&)> fn);

// Appends the events of `blob` to `out`; on DATA_LOSS `out` is unchanged.
[[nodiscard]] absl::Status DecodeEventsInto(absl::string_view blob,
                                            EventBatch& out);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_EVENT_CODEC_H_
