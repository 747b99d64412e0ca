// Conversion between the public API (orgpulse.ingest.v1) and the domain.
// Conversion into the domain is total: unset or malformed values become
// values that ValidateBatch rejects with a precise message, so validation
// has one home.
#ifndef ORGPULSE_SERVICES_INGEST_GRPC_CONVERSION_H_
#define ORGPULSE_SERVICES_INGEST_GRPC_CONVERSION_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "orgpulse/ingest/v1/ingest.pb.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_ledger.h"
#include "services/ingest/domain/execution_figures.h"

namespace orgpulse::ingest {

Event FromProto(const v1::Event& proto);
EventBatch FromProto(const v1::PushRequest& proto);
// The inverse, for clients and tests.
v1::Event ToProto(const Event& event);

void ToProto(const TeamExecution& figures, v1::TeamExecution& out);
void ToProto(const TeamSummary& summary, v1::TeamSummary& out);
void ToProto(absl::string_view team, const std::vector<TeamExecution>& points,
             v1::TeamTrend& out);
// Absent times and step stay absent; a malformed time becomes
// absl::InfiniteFuture() and a malformed step zero, which validation refuses.
TrendRequest FromProto(const v1::GetTeamTrendRequest& proto);

// Unset bounds become the filter's open ones; a malformed `from` becomes
// absl::InfiniteFuture() and a malformed `to` absl::InfinitePast(), which
// ValidateRemoval rejects.
RemovalRequest FromProto(const v1::RemoveEventsRequest& proto);
void ToProto(const RemovalReport& report, v1::RemoveEventsResponse& out);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_GRPC_CONVERSION_H_
