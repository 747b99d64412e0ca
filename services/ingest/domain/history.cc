#include "services/ingest/domain/history.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/org/team_id.h"
#include "common/status/field_violations.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/execution_state.h"

namespace orgpulse::ingest {
namespace {

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// Why `t` cannot be asked for; empty if it can.
std::string AsOfProblem(absl::Time t, absl::Time now) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return "is not a valid timestamp";
  }
  if (t > now) {
    return absl::StrCat("is in the future (", FormatUtc(t),
                        "; the server's time is ", FormatUtc(now), ")");
  }
  return "";
}

// INVALID_ARGUMENT saying every violation.
absl::Status Refusal(const std::vector<FieldViolation>& violations) {
  std::vector<std::string> parts;
  for (const FieldViolation& v : violations) {
    parts.push_back(absl::StrCat(v.field, " ", v.description));
  }
  return InvalidArgumentWithViolations(absl::StrJoin(parts, "; "), violations);
}

}  // namespace

std::vector<TeamExecution> FiguresAt(std::vector<Event> events,
                                     absl::string_view prefix,
                                     absl::Span<const absl::Time> times,
                                     bool own) {
  events.erase(std::remove_if(events.begin(), events.end(),
                              [&](const Event& e) {
                                return own ? e.team != prefix
                                           : !IsInTeamTree(e.team, prefix);
                              }),
               events.end());
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.occurred_at < b.occurred_at;
  });
  ExecutionState state;
  std::vector<TeamExecution> out;
  out.reserve(times.size());
  auto next = events.begin();
  for (absl::Time t : times) {
    for (; next != events.end() && next->occurred_at <= t; ++next) {
      state.Apply(*next, EventFingerprint(next->source, next->event_id));
    }
    absl::StatusOr<TeamExecution> figures = state.Figures(prefix, t);
    if (figures.ok()) {
      out.push_back(*std::move(figures));
    } else {  // no event of the subtree yet
      TeamExecution empty;
      empty.team = std::string(prefix);
      empty.as_of = t;
      out.push_back(std::move(empty));
    }
  }
  return out;
}

absl::Status ValidateAsOf(absl::string_view field, absl::Time as_of,
                          absl::Time now) {
  const std::string problem = AsOfProblem(as_of, now);
  if (problem.empty()) return absl::OkStatus();
  return InvalidArgumentWithViolations(absl::StrCat(field, " ", problem),
                                       {{std::string(field), problem}});
}

absl::Time MonthEnd(absl::Time t) {
  const absl::CivilMonth month = absl::ToCivilMonth(t, absl::UTCTimeZone());
  return absl::FromCivil(month + 1, absl::UTCTimeZone()) - absl::Seconds(1);
}

absl::StatusOr<std::vector<absl::Time>> StepTimes(absl::Time from,
                                                  absl::Time to,
                                                  absl::Duration step,
                                                  absl::Time now) {
  std::vector<FieldViolation> violations;
  if (std::string p = AsOfProblem(from, now); !p.empty()) {
    violations.push_back({"from", p});
  }
  if (std::string p = AsOfProblem(to, now); !p.empty()) {
    violations.push_back({"to", p});
  }
  if (step < absl::Seconds(1)) {
    violations.push_back({"step", "must be at least one second"});
  }
  if (violations.empty() && to < from) {
    violations.push_back({"to", absl::StrCat("must not be before from (",
                                             FormatUtc(from), ")")});
  }
  if (violations.empty() && (to - from) / step >= kMaxStepPoints) {
    violations.push_back(
        {"step", absl::StrCat("gives more than ", kMaxStepPoints,
                              " points from from to to; ask for a part")});
  }
  if (!violations.empty()) return Refusal(violations);
  std::vector<absl::Time> times;
  for (absl::Time t = from; t <= to; t += step) times.push_back(t);
  return times;
}

absl::Time DefaultTrendFrom(absl::Time to) {
  if (to == absl::InfiniteFuture() || to == absl::InfinitePast()) return to;
  const absl::CivilMonth month = absl::ToCivilMonth(to, absl::UTCTimeZone());
  return absl::FromCivil(month - 11, absl::UTCTimeZone());
}

absl::StatusOr<std::vector<absl::Time>> TrendTimes(absl::Time from,
                                                   absl::Time to,
                                                   absl::Time now) {
  std::vector<FieldViolation> violations;
  if (std::string p = AsOfProblem(from, now); !p.empty()) {
    violations.push_back({"from", p});
  }
  if (std::string p = AsOfProblem(to, now); !p.empty()) {
    violations.push_back({"to", p});
  }
  if (violations.empty() && to <= from) {
    violations.push_back(
        {"to", absl::StrCat("must be after from (", FormatUtc(from), ")")});
  }
  if (!violations.empty()) return Refusal(violations);
  std::vector<absl::Time> times;
  for (absl::Time end = MonthEnd(from); end < to;
       end = MonthEnd(end + absl::Seconds(1))) {
    if (end > from) times.push_back(end);
    if (static_cast<int>(times.size()) > kMaxTrendPoints) break;
  }
  times.push_back(to);
  if (static_cast<int>(times.size()) > kMaxTrendPoints) {
    const std::string problem =
        absl::StrCat("gives more than ", kMaxTrendPoints,
                     " monthly points; ask for a shorter span");
    return InvalidArgumentWithViolations(absl::StrCat("from ", problem),
                                         {{"from", problem}});
  }
  return times;
}

}  // namespace orgpulse::ingest
