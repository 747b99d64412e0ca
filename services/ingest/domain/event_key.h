// The identity of an event for deduplication: (source, event_id), reduced to
// a 128-bit fingerprint so the set of every stored event stays compact in
// memory. With 10^9 events the chance of any two distinct keys colliding is
// about 10^-21, far below the chance of undetected disk corruption.
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_KEY_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_KEY_H_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace orgpulse::ingest {

// A stable 64-bit hash (FNV-1a with a strong final mix); stable across
// processes and builds, so it may decide ties in stored data.
uint64_t StableHash64(absl::string_view data, uint64_t seed = 0);

absl::uint128 EventFingerprint(absl::string_view source,
                               absl::string_view event_id);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_KEY_H_
