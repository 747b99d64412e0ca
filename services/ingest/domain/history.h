// The figures of the past: what GetTeamExecution would have answered at a
// time t, computed from the stored events by the same code as the live
// figures (ExecutionState): the events with occurred_at <= t folded in, and
// the figures evaluated as of t. Pure: the ledger hands it the events of a
// team subtree read from the store.
//
// One pass serves a whole series: the events are sorted by occurred_at once
// and folded incrementally, the figures taken at each time in turn, so a
// trend of n points costs one sort plus n evaluations, not n folds.
//
// Example:
//   absl::StatusOr<std::vector<absl::Time>> times =
//       TrendTimes(from, to, clock.Now());
//   std::vector<TeamExecution> points =
//       FiguresAt(std::move(events), "eng", *times);
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_HISTORY_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_HISTORY_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/execution_figures.h"

namespace orgpulse::ingest {

// A trend has at most this many points (20 years of months), or with a
// step (StepTimes) kMaxStepPoints.
inline constexpr int kMaxTrendPoints = 240;
inline constexpr int kMaxStepPoints = 2000;

// What GetTeamTrend is asked for. Absent times default as the EventLedger
// says; a malformed one is absl::InfiniteFuture() (refused by validation).
struct TrendRequest {
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
  // Points every `step` from `from` instead of at month ends.
  std::optional<absl::Duration> step;
  // The team's own figures, without the teams under it (as /metrics gives
  // them per team).
  bool own = false;

  bool operator==(const TrendRequest&) const = default;
};

// The figures of `prefix` (a team or a prefix, as ExecutionState::Figures
// takes it) at each of `times`, from `events`: at time t, those with
// occurred_at <= t. A time before the subtree's first event gives figures
// with no team and no event. `events` may be in any order and may hold
// events of other teams (they are ignored). With `own`, only the events of
// the team `prefix` itself count (its own figures, without the teams under
// it).
// REQUIRES: `times` ascending; every event valid and stored once.
std::vector<TeamExecution> FiguresAt(std::vector<Event> events,
                                     absl::string_view prefix,
                                     absl::Span<const absl::Time> times,
                                     bool own = false);

// INVALID_ARGUMENT with a field violation on `field` when `as_of` is not a
// time the figures can be asked for: malformed (absl::InfiniteFuture(), what
// decoding makes of a bad timestamp) or later than `now` (the future has no
// figures yet: events up to a day ahead may already be stored).
absl::Status ValidateAsOf(absl::string_view field, absl::Time as_of,
                          absl::Time now);

// The times of a monthly trend from `from` to `to`: the end of each calendar
// month (UTC) after `from` and before `to`, then `to` itself. A month ends at
// its last second (23:59:59 UTC of its last day), so the figures taken there
// (a KPI's month, the month's events) are still that month's.
// INVALID_ARGUMENT naming `from` or `to` when `to` is not after `from`, when
// either fails ValidateAsOf, or when there would be more than
// kMaxTrendPoints points.
absl::StatusOr<std::vector<absl::Time>> TrendTimes(absl::Time from,
                                                   absl::Time to,
                                                   absl::Time now);

// The times from `from` every `step` up to `to` (inclusive when it falls on
// one). INVALID_ARGUMENT naming `from`, `to` or `step` when a time fails
// ValidateAsOf, `to` is before `from`, `step` is under a second, or there
// would be more than kMaxStepPoints points.
absl::StatusOr<std::vector<absl::Time>> StepTimes(absl::Time from,
                                                  absl::Time to,
                                                  absl::Duration step,
                                                  absl::Time now);

// The start of the calendar month (UTC) eleven months before the one of
// `to`: a trend from there to `to` has twelve points, the last eleven
// months' ends and `to`.
absl::Time DefaultTrendFrom(absl::Time to);

// The last second of the calendar month (UTC) that holds `t`.
absl::Time MonthEnd(absl::Time t);

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_HISTORY_H_
