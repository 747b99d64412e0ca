// The ingest service's domain metrics, derived at scrape time from the
// Ledger (one source of truth; nothing is updated on the push path):
// per-team task, budget, milestone, procedure and KPI figures, and the
// ingest counters. The README lists them (The ingest service: Metrics).
#ifndef ORGPULSE_SERVICES_INGEST_METRICS_INGEST_COLLECTOR_H_
#define ORGPULSE_SERVICES_INGEST_METRICS_INGEST_COLLECTOR_H_

#include "common/metrics/metric_collector.h"
#include "services/ingest/domain/ledger.h"

namespace orgpulse::ingest {

class IngestCollector final : public MetricCollector {
 public:
  // `ledger` must outlive the collector's registration.
  explicit IngestCollector(const Ledger& ledger) : ledger_(ledger) {}
  void CollectInto(MetricSink& out) const override;

 private:
  const Ledger& ledger_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_METRICS_INGEST_COLLECTOR_H_
