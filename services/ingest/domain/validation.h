// Validation of pushed batches: the single place that decides what the
// ingest service accepts. Every bad field of every event is reported, so a
// client can fix a batch in one round trip.
//
// Example:
//   std::vector<FieldViolation> v = ValidateBatch(batch, clock.Now());
//   if (!v.empty()) return InvalidArgumentWithViolations("...", v);
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_VALIDATION_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_VALIDATION_H_

#include <vector>

#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_filter.h"

namespace orgpulse::ingest {

inline constexpr size_t kMaxEventsPerBatch = 10'000;
inline constexpr size_t kMaxEventIdLength = 128;
inline constexpr size_t kMaxSourceLength = 64;
inline constexpr size_t kMaxItemNameLength = 128;  // task ids, milestones
inline constexpr size_t kMaxLabelNameLength = 64;  // projects, procedures, KPIs
// Money and KPI values are summed exactly in fixed point; this bound keeps
// any realistic sum far from overflow.
inline constexpr double kMaxAmount = 1e12;
// The smallest KPI target: actuals are summed in millionths.
inline constexpr double kMinKpiTarget = 1e-6;
// Events may come from clocks slightly ahead of ours, not from the future.
inline constexpr absl::Duration kMaxClockSkew = absl::Hours(24);
// Due dates and plans may look far ahead.
inline constexpr absl::Duration kMaxPlanningHorizon =
    absl::Hours(24 * 366 * 20);

absl::Time EarliestValidTime();  // 2000-01-01T00:00:00Z

// The field name of the payload alternative, as in the API's oneof
// ("task_created"); "payload" for an unset one.
const char* PayloadFieldName(const Payload& payload);

// Every violation of the batch, with fields named like "events[3].team".
// Empty means the batch may be stored.
std::vector<FieldViolation> ValidateBatch(const EventBatch& batch,
                                          absl::Time now);

// Every violation of a removal's filter, with fields named "source", "from"
// and "to": the source is required and valid as in events; the bounds are
// valid timestamps (a malformed `from` arrives as absl::InfiniteFuture(), a
// malformed `to` as absl::InfinitePast()) with `from` before `to`.
std::vector<FieldViolation> ValidateRemoval(const EventFilter& filter);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_VALIDATION_H_
