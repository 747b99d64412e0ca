// Which stored events a removal takes: those of one source (or of any), whose
// occurred_at lies in [from, to). The predicate is plain data, so any store
// can evaluate it where the events are: SQLite decodes and tests each event,
// PostgreSQL would run one `DELETE ... WHERE source = $1 AND occurred_at >= $2
// AND occurred_at < $3` in a transaction.
//
// Example:
//   EventFilter wrong_file{.source = "jira",
//                          .from = Utc(2026, 1, 1), .to = Utc(2026, 2, 1)};
//   if (wrong_file.Matches(event)) ...
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_FILTER_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_FILTER_H_

#include <string>

#include "absl/time/time.h"
#include "services/ingest/domain/event.h"

namespace orgpulse::ingest {

struct EventFilter {
  // Empty: every source (retention).
  std::string source;
  // Inclusive lower and exclusive upper bound on occurred_at.
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();

  bool Matches(const Event& event) const {
    return (source.empty() || event.source == source) &&
           event.occurred_at >= from && event.occurred_at < to;
  }
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_FILTER_H_
