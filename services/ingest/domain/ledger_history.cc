// Figures of the past (EventLedger::GetTeamExecutionAsOf, GetTeamTrend):
// the ledger keeps only the folded state of now, so the past is refolded
// from the store's events by history.h.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"
#include "services/ingest/domain/history.h"
#include "services/ingest/domain/ledger.h"

namespace orgpulse::ingest {

absl::StatusOr<std::vector<Event>> Ledger::SubtreeEvents(
    absl::string_view prefix, absl::Time until) {
  std::vector<Event> events;
  auto keep = [&](const Event& e) {
    if (e.occurred_at <= until && IsInTeamTree(e.team, prefix)) {
      events.push_back(e);
    }
  };
  // Beside commits if the store can (pushes would otherwise wait for the
  // whole read: seconds per million events).
  absl::Status s = store_.ReplayBesideCommits(keep);
  if (absl::IsUnimplemented(s)) {
    events.clear();
    absl::MutexLock write_lock(&write_mu_);
    AwaitFolds();  // no Append runs meanwhile
    s = store_.Replay(keep);
  }
  if (!s.ok()) return s;
  return events;
}

absl::StatusOr<TeamExecution> Ledger::GetTeamExecutionAsOf(
    absl::string_view prefix, absl::Time as_of) {
  if (absl::Status s = ValidateAsOf("as_of", as_of, clock_.Now()); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<Event>> events = SubtreeEvents(prefix, as_of);
  if (!events.ok()) return events.status();
  std::vector<TeamExecution> figures =
      FiguresAt(*std::move(events), prefix, {as_of});
  if (figures.front().teams.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no team matches '", prefix, "' as of ",
        absl::FormatTime(absl::RFC3339_full, as_of, absl::UTCTimeZone())));
  }
  return std::move(figures.front());
}

absl::StatusOr<std::vector<TeamExecution>> Ledger::GetTeamTrend(
    absl::string_view prefix, const TrendRequest& request) {
  const absl::Time now = clock_.Now();
  const absl::Time end = request.to.value_or(now);
  const absl::Time start = request.from.value_or(DefaultTrendFrom(end));
  absl::StatusOr<std::vector<absl::Time>> times =
      request.step ? StepTimes(start, end, *request.step, now)
                   : TrendTimes(start, end, now);
  if (!times.ok()) return times.status();
  {
    absl::ReaderMutexLock lock(&state_mu_);
    if (request.own ? !state_.HasTeam(prefix) : state_.Teams(prefix).empty()) {
      return absl::NotFoundError(
          absl::StrCat("no team matches '", prefix, "'"));
    }
  }
  absl::StatusOr<std::vector<Event>> events = SubtreeEvents(prefix, end);
  if (!events.ok()) return events.status();
  return FiguresAt(*std::move(events), prefix, *times, request.own);
}

}  // namespace orgpulse::ingest
