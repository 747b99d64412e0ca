// Where insights gets the manager view: ingest's figures per team, as last
// fetched. The implementation (services/insights/ingest_client) fetches over
// gRPC in the background with deadlines, retries and backoff, so reads here
// are from memory and never wait on the network.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_EXECUTION_SOURCE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_EXECUTION_SOURCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/insights/domain/scoring.h"

namespace orgpulse::insights {

struct ExecutionSnapshot {
  ExecutionInputs inputs;
  absl::Time as_of;       // ingest's as-of time of the figures
  absl::Time fetched_at;  // when insights received them
};

struct SourceHealth {
  bool reachable = false;   // the latest attempt succeeded
  absl::Time last_success;  // InfinitePast if never
  std::string last_error;   // empty when reachable
  // Reads that failed part way; the figures they had read were kept.
  int64_t partial_reads = 0;
};

class ExecutionSource {
 public:
  virtual ~ExecutionSource() = default;

  // The last known figures of `node` (a team or a prefix); nullopt if never
  // known. Thread-safe.
  virtual std::optional<ExecutionSnapshot> Get(
      absl::string_view node) const = 0;

  // The teams ingest knows (leaf ids). Thread-safe.
  virtual std::vector<std::string> Teams() const = 0;

  virtual SourceHealth Health() const = 0;
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_EXECUTION_SOURCE_H_
