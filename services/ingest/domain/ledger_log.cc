// Ledger over a shared log (decision 0004): the store decides duplicates in
// the commit, the figures come only from the follower, in log order, and a
// push is acknowledged once this replica has folded its commit. Apart from
// ledger.cc, which holds the embedded store's path (the committer decides
// duplicates in memory and folds what it commits).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/domain/new_name_caps.h"

namespace orgpulse::ingest {

absl::Status Ledger::RecoverFromLog() {
  LogCursor from;
  {
    // The store checked that the log still holds what the snapshot covers;
    // the follower checks it again at its first read (a failover since).
    absl::MutexLock lock(&state_mu_);
    from = LoadSnapshotLocked();
    if (from.position > 0) folded_cursor_ = from;
    stats_.teams = state_.team_count();
    last_snapshot_at_ = absl::Now();
  }
  absl::StatusOr<int64_t> head = follower_->Head();
  if (!head.ok()) {
    return absl::Status(head.status().code(),
                        absl::StrCat("reading the event log's head: ",
                                     head.status().message()));
  }
  bool caught_up = false;
  {
    absl::MutexLock lock(&position_mu_);
    folded_position_ = from.position;
    catch_up_target_ = *head;
    caught_up = caught_up_ = *head <= from.position;
  }
  first_caught_up_ = caught_up;
  if (caught_up) {
    absl::MutexLock lock(&queue_mu_);
    commits_open_ = true;
  }
  acker_ = std::thread([this] { AckLoop(); });
  follower_->Start(from, *this);
  committer_ = std::thread([this] { CommitLoop(); });
  StartMaintenance();
  if (caught_up && on_caught_up_) on_caught_up_();
  return absl::OkStatus();
}

void Ledger::OnCaughtUp(std::function<void()> fn) {
  on_caught_up_ = std::move(fn);
}

void Ledger::OnStartOver(std::function<void()> fn) {
  on_start_over_ = std::move(fn);
}

int64_t Ledger::folded_position() const {
  absl::MutexLock lock(&position_mu_);
  return folded_position_;
}

void Ledger::CommitGroupToLog(std::vector<Pending>& group) {
  std::vector<absl::StatusOr<PushResult>> results(group.size());
  // The events of batch i are events[begin[i], begin[i + 1]).
  std::vector<const Event*> events;
  std::vector<size_t> begin(group.size() + 1, 0);
  int64_t rejected_team_limit = 0;
  int64_t rejected_source_limit = 0;
  {
    // The caps against what this replica has folded: teams and sources that
    // other replicas' commits are adding right now are not counted yet.
    absl::ReaderMutexLock lock(&state_mu_);
    NewNameCaps caps(state_, options_.max_teams, options_.max_sources);
    std::vector<const Event*> batch_events;
    for (size_t i = 0; i < group.size(); ++i) {
      begin[i] = events.size();
      batch_events.clear();
      for (const Event& event : group[i].batch) batch_events.push_back(&event);
      if (std::optional<CapRefusal> refused = caps.Admit(batch_events)) {
        (refused->cap == CapRefusal::Cap::kTeams ? rejected_team_limit
                                                 : rejected_source_limit) +=
            static_cast<int64_t>(group[i].batch.size());
        results[i] = std::move(refused->status);
        continue;
      }
      events.insert(events.end(), batch_events.begin(), batch_events.end());
      results[i] = PushResult{};
    }
    begin[group.size()] = events.size();
  }

  absl::StatusOr<AppendResult> appended = AppendResult{};
  if (!events.empty()) {
    const absl::Time start = absl::Now();
    appended = store_.Append(events);
    if (commit_observer_) commit_observer_(absl::Now() - start, events.size());
  } else {
    appended->head = folded_position();
  }
  {
    absl::MutexLock lock(&state_mu_);
    stats_.rejected_team_limit += rejected_team_limit;
    stats_.rejected_source_limit += rejected_source_limit;
    if (appended.ok() && !events.empty()) ++stats_.commits;
    for (size_t i = 0; i < group.size(); ++i) {
      if (!results[i].ok()) continue;
      if (!appended.ok()) {
        if (begin[i] == begin[i + 1]) continue;  // nothing to store
        stats_.rejected_storage += static_cast<int64_t>(group[i].batch.size());
        results[i] = appended.status();
        continue;
      }
      PushResult& r = *results[i];
      for (size_t e = begin[i]; e < begin[i + 1]; ++e) {
        const bool duplicate =
            e < appended->duplicate.size() && appended->duplicate[e];
        ++(duplicate ? r.duplicates : r.accepted);
      }
      r.log_position = appended->head;
      stats_.accepted += r.accepted;
      stats_.duplicates += r.duplicates;
    }
  }
  // Acknowledged once folded here: a read on this replica then sees it.
  auto acks = std::make_shared<std::vector<
      std::pair<EventLedger::Callback, absl::StatusOr<PushResult>>>>();
  acks->reserve(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    acks->emplace_back(std::move(group[i].done), std::move(results[i]));
  }
  auto run = [acks](bool) {
    for (auto& [done, result] : *acks) done(std::move(result));
  };
  if (!appended.ok() || events.empty()) {
    run(true);
    return;
  }
  WhenFolded(appended->head, absl::Now() + options_.fold_wait, std::move(run));
}

void Ledger::Fold(const LogCursor& cursor, EventBatch&& events) {
  const int64_t position = cursor.position;
  const auto count = static_cast<int64_t>(events.size());
  bool refolded = false;
  if (refolding_ != nullptr) {
    for (const Event& event : events) {
      refolding_->Apply(event, EventFingerprint(event.source, event.event_id));
    }
    refold_events_ += count;
    if (!first_caught_up_) {
      absl::MutexLock lock(&state_mu_);
      recovery_.replayed_events += count;
    }
    if (position < refold_until_) return;  // readers keep the old figures
    absl::MutexLock lock(&state_mu_);
    state_ = std::move(*refolding_);
    stats_.stored_events = refold_events_;
    stats_.teams = state_.team_count();
    folded_cursor_ = cursor;
    // Older snapshots hold what a removal took away, or another log's.
    snapshot_forced_ = true;
    refolding_.reset();
    refolded = true;
  } else {
    // State and cursor change together: a snapshot takes both under
    // state_mu_.
    absl::MutexLock lock(&state_mu_);
    for (const Event& event : events) {
      state_.Apply(event, EventFingerprint(event.source, event.event_id));
    }
    stats_.stored_events += count;
    stats_.teams = state_.team_count();
    folded_cursor_ = cursor;
    folded_since_snapshot_ += count;
    if (!first_caught_up_) recovery_.replayed_events += count;
  }
  bool caught_up_now = false;
  {
    absl::MutexLock lock(&position_mu_);
    if (refolded) ++refolds_;
    folded_position_ = position;
    if (!caught_up_ && position >= catch_up_target_) {
      caught_up_ = caught_up_now = true;
    }
  }
  if (!caught_up_now) return;
  first_caught_up_ = true;
  {
    absl::MutexLock lock(&queue_mu_);
    commits_open_ = true;
  }
  if (on_caught_up_) on_caught_up_();
}

void Ledger::StartRefold(int64_t position) {
  {
    absl::MutexLock lock(&state_mu_);
    folded_cursor_.reset();  // no snapshot until the refold is swapped in
  }
  refolding_ = std::make_unique<ExecutionState>();
  refold_events_ = 0;
  refold_until_ = position;
}

void Ledger::StartOver(int64_t position) {
  StartRefold(position);
  {
    // What was folded is not this log's: no position of it counts, and the
    // replica is behind until the refold ends (Fold sets both back).
    // Commits stay open: their acknowledgements wait for the refold.
    absl::MutexLock lock(&position_mu_);
    folded_position_ = 0;
    catch_up_target_ = position;
    caught_up_ = false;
  }
  if (on_start_over_) on_start_over_();
}

void Ledger::AfterLogPosition(int64_t position, absl::Duration timeout,
                              std::function<void(absl::Status)> then) {
  if (follower_ == nullptr || folded_position() >= position) {
    then(absl::OkStatus());
    return;
  }
  WhenFolded(position, absl::Now() + std::min(timeout, options_.fold_wait),
             [this, position, then = std::move(then)](bool reached) {
               if (reached) {
                 then(absl::OkStatus());
                 return;
               }
               then(absl::UnavailableError(absl::StrCat(
                   "this replica has folded the event log up to position ",
                   folded_position(), ", not yet ", position,
                   " (min_log_position); retry, or read elsewhere")));
             });
}

void Ledger::WhenFolded(int64_t position, absl::Time deadline,
                        std::function<void(bool)> fn) {
  {
    absl::MutexLock lock(&position_mu_);
    if (folded_position_ < position && !acks_stopping_) {
      waiters_.push_back({position, deadline, std::move(fn)});
      waiters_added_ = true;  // the acknowledging thread's deadline may move
      return;
    }
  }
  fn(folded_position() >= position);
}

void Ledger::AckLoop() {
  while (true) {
    std::vector<std::pair<std::function<void(bool)>, bool>> due;
    {
      absl::MutexLock lock(&position_mu_);
      absl::Time first_deadline = absl::InfiniteFuture();
      for (const Waiter& w : waiters_) {
        first_deadline = std::min(first_deadline, w.deadline);
      }
      waiters_added_ = false;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(position_mu_) {
        if (waiters_added_ || (acks_stopping_ && waiters_.empty())) {
          return true;
        }
        for (const Waiter& w : waiters_) {
          if (w.position <= folded_position_) return true;
        }
        return false;
      };
      position_mu_.AwaitWithDeadline(absl::Condition(&ready), first_deadline);
      if (acks_stopping_ && waiters_.empty()) return;
      const absl::Time now = absl::Now();
      // In the order they were added: a commit's acknowledgements follow
      // those of the commits before it.
      std::vector<Waiter> waiting;
      for (Waiter& w : waiters_) {
        const bool reached = w.position <= folded_position_;
        if (reached || now >= w.deadline) {
          due.emplace_back(std::move(w.fn), reached);
        } else {
          waiting.push_back(std::move(w));
        }
      }
      waiters_.swap(waiting);
    }
    for (auto& [fn, reached] : due) fn(reached);
  }
}

void Ledger::StopAcks() {
  {
    absl::MutexLock lock(&position_mu_);
    acks_stopping_ = true;
  }
  if (acker_.joinable()) acker_.join();
}

}  // namespace orgpulse::ingest
