// Ledger's removals: undoing an import (Remove) and retention (DropExpired
// and the sweeps). Apart from ledger.cc, which holds the push path.
//
// A removal holds write_mu_, so no commit runs meanwhile, and:
//   1. replays the store, folding every event the filter does not match into
//      a new ExecutionState and key set (the figures' state cannot subtract
//      an event: "latest by occurred_at" registers forget what they replaced);
//   2. removes the matching events from the store in one transaction;
//   3. swaps the new state and keys in under state_mu_; with a follower,
//      the store's removal record makes the follower refold instead (on
//      every replica), and the removal waits for it here.
// A failure in 1 or 2 changes nothing; readers see the old figures until 3.
#include <algorithm>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/domain/validation.h"

namespace orgpulse::ingest {

struct Ledger::Refold {
  ExecutionState state;
  decltype(Ledger::stored_keys_) keys;
  int64_t kept = 0;
  int64_t removed = 0;
  absl::btree_map<std::string, int64_t> removed_by_team;
};

absl::StatusOr<Ledger::Refold> Ledger::RefoldWithout(
    const EventFilter& filter) {
  Refold out;
  out.keys.reserve(static_cast<size_t>(store_.EventCountHint()));
  absl::Status s = store_.ReplayGroups([&](EventBatch&& group) {
    for (const Event& event : group) {
      if (filter.Matches(event)) {
        ++out.removed;
        ++out.removed_by_team[event.team];
        continue;
      }
      const absl::uint128 key = EventFingerprint(event.source, event.event_id);
      // As in Recover: a repeated key would mean a corrupt store.
      if (!out.keys.insert(key)) continue;
      out.state.Apply(event, key);
      ++out.kept;
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RemovalReport> Ledger::RemoveNow(const RemovalRequest& request) {
  if (std::vector<FieldViolation> v = ValidateRemoval(request.filter);
      !v.empty()) {
    return InvalidArgumentWithViolations(
        absl::StrCat(v.size(), " invalid field(s) in a removal; nothing was ",
                     "removed"),
        v);
  }
  absl::MutexLock write_lock(&write_mu_);
  AwaitFolds();
  return RemoveLocked(request, /*retention=*/false);
}

absl::StatusOr<RemovalReport> Ledger::RemoveLocked(
    const RemovalRequest& request, bool retention) {
  absl::StatusOr<Refold> next = RefoldWithout(request.filter);
  if (!next.ok()) return next.status();
  RemovalReport report;
  report.dry_run = request.dry_run;
  report.removed = next->removed;
  report.remaining = next->kept;
  if (next->removed == 0) return report;  // already gone: nothing to do
  const absl::Time now = clock_.Now();
  for (const auto& [team, removed] : next->removed_by_team) {
    TeamRemoval t{.team = team, .removed = removed};
    absl::StatusOr<TeamExecution> after = next->state.OwnFigures(team, now);
    if (after.ok()) t.after = *std::move(after);
    report.teams.push_back(std::move(t));
  }
  {
    absl::ReaderMutexLock lock(&state_mu_);
    for (TeamRemoval& t : report.teams) {
      absl::StatusOr<TeamExecution> before = state_.OwnFigures(t.team, now);
      if (before.ok()) t.before = *std::move(before);
    }
  }
  if (request.dry_run) return report;
  int64_t refolds_before = 0;
  if (follower_ != nullptr) {
    absl::MutexLock lock(&position_mu_);
    refolds_before = refolds_;
  }
  absl::StatusOr<int64_t> removed = store_.Remove(request.filter);
  if (!removed.ok()) return removed.status();
  report.removed = *removed;
  if (follower_ != nullptr) {
    // The store wrote a removal record: every replica's follower, this
    // one's too, refolds its figures from the log. Answer once this one has
    // (it is durable either way).
    absl::MutexLock lock(&position_mu_);
    auto refolded = [this, refolds_before]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                        position_mu_) { return refolds_ > refolds_before; };
    if (*removed > 0) {
      position_mu_.AwaitWithTimeout(absl::Condition(&refolded),
                                    absl::Minutes(1));
    }
  }
  absl::MutexLock lock(&state_mu_);
  if (follower_ == nullptr) {
    state_ = std::move(next->state);
    stored_keys_ = std::move(next->keys);
    stats_.stored_events = next->kept;
    stats_.teams = state_.team_count();
    // The removal retired the last snapshot (a new log epoch).
    snapshot_forced_ = true;
  }
  (retention ? stats_.removed_by_retention : stats_.removed_by_request) +=
      report.removed;
  return report;
}

void Ledger::Remove(RemovalRequest request, RemovalCallback done) {
  {
    absl::MutexLock lock(&maintenance_mu_);
    if (!maintenance_stopping_ && maintenance_.joinable()) {
      removals_.push_back({std::move(request), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the ingest service is shutting down"));
}

EventFilter Ledger::ExpiredFilter() const {
  return EventFilter{.to = clock_.Now() - options_.retain_events_for};
}

absl::StatusOr<int64_t> Ledger::DropExpired() {
  if (options_.retain_events_for <= absl::ZeroDuration()) return 0;
  absl::MutexLock write_lock(&write_mu_);
  AwaitFolds();
  {
    // Nothing has expired yet: no refold of the whole store (pushes would
    // wait for it at every sweep).
    absl::ReaderMutexLock lock(&state_mu_);
    if (state_.oldest_event() >= ExpiredFilter().to) return 0;
  }
  absl::StatusOr<RemovalReport> report =
      RemoveLocked({.filter = ExpiredFilter()}, /*retention=*/true);
  if (!report.ok()) {
    absl::MutexLock lock(&state_mu_);
    ++stats_.retention_failures;
    return report.status();
  }
  return report->removed;
}

absl::Status Ledger::DropExpiredFromStore() {
  if (options_.retain_events_for <= absl::ZeroDuration()) {
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> dropped = store_.Remove(ExpiredFilter());
  if (!dropped.ok()) {
    return absl::Status(
        dropped.status().code(),
        absl::StrCat("dropping events older than the retention period: ",
                     dropped.status().message()));
  }
  absl::MutexLock lock(&state_mu_);
  stats_.removed_by_retention += *dropped;
  return absl::OkStatus();
}

void Ledger::AddRetentionViolations(const EventBatch& batch,
                                    std::vector<FieldViolation>& out) const {
  if (options_.retain_events_for <= absl::ZeroDuration()) return;
  const EventFilter expired = ExpiredFilter();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!expired.Matches(batch[i])) continue;
    out.push_back(
        {absl::StrCat("events[", i, "].occurred_at"),
         absl::StrCat("is older than the retention period (",
                      absl::FormatDuration(options_.retain_events_for),
                      "): before ",
                      absl::FormatTime(absl::RFC3339_sec, expired.to,
                                       absl::UTCTimeZone()))});
  }
}

void Ledger::StartMaintenance() {
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
}

void Ledger::StopMaintenance() {
  {
    absl::MutexLock lock(&maintenance_mu_);
    maintenance_stopping_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
}

void Ledger::MaintenanceLoop() {
  const bool retention = options_.retain_events_for > absl::ZeroDuration();
  absl::Time next_sweep = absl::Now() + options_.retention_sweep_interval;
  // Snapshots are due by count: looked at this often.
  constexpr absl::Duration kSnapshotCheck = absl::Milliseconds(250);
  while (true) {
    RemovalJob job;
    bool have_job = false;
    {
      absl::MutexLock lock(&maintenance_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
        return maintenance_stopping_ || !removals_.empty();
      };
      absl::Time deadline = absl::InfiniteFuture();
      if (retention) deadline = next_sweep;
      if (snapshots_on()) {
        deadline = std::min(deadline, absl::Now() + kSnapshotCheck);
      }
      maintenance_mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
      if (maintenance_stopping_) break;
      if (!removals_.empty()) {
        job = std::move(removals_.front());
        removals_.pop_front();
        have_job = true;
      }
    }
    if (have_job) {
      job.done(RemoveNow(job.request));
      continue;
    }
    if (retention && absl::Now() >= next_sweep) {
      // A failure is counted (retention_failures) and tried again next time.
      DropExpired().IgnoreError();
      next_sweep = absl::Now() + options_.retention_sweep_interval;
    }
    if (SnapshotDue(absl::Now())) {
      absl::StatusOr<SnapshotReport> written = WriteSnapshot();
      if (snapshot_observer_) snapshot_observer_(written);
    }
  }
  std::deque<RemovalJob> left;
  {
    absl::MutexLock lock(&maintenance_mu_);
    left.swap(removals_);
  }
  for (RemovalJob& j : left) {
    j.done(absl::UnavailableError("the ingest service is shutting down"));
  }
}

}  // namespace orgpulse::ingest
