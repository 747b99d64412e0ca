// Conversion of ingest's public figures (orgpulse.ingest.v1.TeamExecution)
// into the inputs insights scores. Pure; total over any proto a server may
// send: a ratio ingest marks absent, or one that is not a finite number,
// stays absent rather than becoming 0.
//
// Example:
//   ExecutionSnapshot s = ToExecutionSnapshot(response, clock.Now());
#ifndef ORGPULSE_SERVICES_INSIGHTS_INGEST_CLIENT_EXECUTION_CONVERSION_H_
#define ORGPULSE_SERVICES_INSIGHTS_INGEST_CLIENT_EXECUTION_CONVERSION_H_

#include "absl/time/time.h"
#include "orgpulse/ingest/v1/ingest.pb.h"
#include "services/insights/domain/execution_source.h"

namespace orgpulse::insights {

// `fetched_at` is when insights received `proto`. A missing or out-of-range
// as_of becomes absl::InfinitePast().
ExecutionSnapshot ToExecutionSnapshot(
    const orgpulse::ingest::v1::TeamExecution& proto, absl::Time fetched_at);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_INGEST_CLIENT_EXECUTION_CONVERSION_H_
