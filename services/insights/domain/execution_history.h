// Where insights gets the manager view of a past time: ingest's figures of a
// team or prefix as they were then (GetTeamExecution with as_of), so that a
// survey round is paired with the execution of its own time, not today's.
// Unlike ExecutionSource, a call waits on the network.
//
// Example:
//   absl::StatusOr<std::optional<ExecutionSnapshot>> then =
//       history.GetAsOf("eng", round_end);
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_EXECUTION_HISTORY_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_EXECUTION_HISTORY_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/insights/domain/execution_source.h"

namespace orgpulse::insights {

class ExecutionHistory {
 public:
  virtual ~ExecutionHistory() = default;

  // The figures of `node` as of `as_of` (not after ingest's time); nullopt
  // when no team under `node` had an event by then. UNAVAILABLE (or another
  // code, with ingest's message) when ingest does not answer. Thread-safe.
  virtual absl::StatusOr<std::optional<ExecutionSnapshot>> GetAsOf(
      absl::string_view node, absl::Time as_of) const = 0;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_EXECUTION_HISTORY_H_
