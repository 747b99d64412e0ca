#include "services/ingest/domain/ledger.h"

#include <algorithm>
#include <future>
#include <iterator>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/org/team_id.h"
#include "common/status/field_violations.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/ledger_snapshot.h"
#include "services/ingest/domain/new_name_caps.h"
#include "services/ingest/domain/validation.h"

namespace orgpulse::ingest {

Ledger::Ledger(EventStore& store, const Clock& clock, LedgerOptions options,
               EventLogFollower* follower)
    : store_(store),
      clock_(clock),
      options_(options),
      follower_(follower),
      commits_open_(follower == nullptr) {}

Ledger::~Ledger() { Stop(); }

namespace {

// Groups of replayed events handed from the replaying thread to the one that
// folds them into the figures. Bounded, so replay never runs far ahead.
struct ReplayChunk {
  EventBatch events;
  std::vector<absl::uint128> keys;  // keys[i] is events[i]'s; 0 to skip it
};

class ChunkQueue {
 public:
  void Push(ReplayChunk chunk) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ChunkQueue* q) { return q->chunks_.size() < kCapacity; }, this));
    chunks_.push_back(std::move(chunk));
  }
  // False once closed and drained.
  bool Pop(ReplayChunk& out) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ChunkQueue* q) { return q->closed_ || !q->chunks_.empty(); },
        this));
    if (chunks_.empty()) return false;
    out = std::move(chunks_.front());
    chunks_.pop_front();
    return true;
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  static constexpr size_t kCapacity = 4;
  absl::Mutex mu_;
  std::deque<ReplayChunk> chunks_;
  bool closed_ = false;
};

}  // namespace

LogCursor Ledger::LoadSnapshotLocked() {
  if (!snapshots_on()) return {};
  const absl::Time start = absl::Now();
  absl::StatusOr<StoredSnapshot> stored = store_.LoadSnapshot();
  absl::StatusOr<LedgerSnapshot> snapshot =
      stored.ok() ? DecodeLedgerSnapshot(stored->bytes) : stored.status();
  const bool wants_keys = !store_.decides_duplicates();
  if (snapshot.ok() && (snapshot->position != stored->position ||
                        snapshot->keys.has_value() != wants_keys)) {
    snapshot = absl::FailedPreconditionError(
        absl::StrCat("the snapshot does not fit the store (position ",
                     snapshot->position, " vs ", stored->position, ", keys ",
                     snapshot->keys.has_value(), " vs ", wants_keys, ")"));
  }
  if (!snapshot.ok()) {
    if (!absl::IsNotFound(snapshot.status())) {
      recovery_.snapshot_refused = snapshot.status();
    }
    return {};
  }
  state_ = std::move(snapshot->state);
  if (wants_keys) stored_keys_ = *std::move(snapshot->keys);
  stats_.stored_events = snapshot->stored_events;
  recovery_.from_snapshot = true;
  recovery_.snapshot_position = snapshot->position;
  recovery_.snapshot_events = snapshot->stored_events;
  recovery_.snapshot_load_time = absl::Now() - start;
  recovery_.snapshot_refused = stored->passed_over;
  return {snapshot->position, std::move(stored->check)};
}

absl::Status Ledger::Recover() {
  if (absl::Status s = DropExpiredFromStore(); !s.ok()) return s;
  if (follower_ != nullptr) return RecoverFromLog();
  int64_t replayed = 0;  // events read from the log
  int64_t folded = 0;    // of which new (not repeats of stored keys)
  {
    absl::MutexLock lock(&state_mu_);
    // The log position the state covers so far.
    const int64_t after = LoadSnapshotLocked().position;
    stored_keys_.reserve(static_cast<size_t>(store_.EventCountHint()));
    // Recovery time is time not serving: while this thread decodes and
    // deduplicates, a second one folds the events into the figures.
    // REQUIRES (for the second thread): state_mu_ stays held until it joins.
    ChunkQueue queue;
    std::thread folder([this, &queue] {
      ReplayChunk chunk;
      while (queue.Pop(chunk)) {
        for (size_t i = 0; i < chunk.events.size(); ++i) {
          if (chunk.keys[i] != 0) state_.Apply(chunk.events[i], chunk.keys[i]);
        }
      }
    });
    absl::Status s = store_.ReplayGroupsAfter(after, [&](EventBatch&& group) {
      ReplayChunk chunk{std::move(group), {}};
      chunk.keys.reserve(chunk.events.size());
      for (const Event& event : chunk.events) {
        absl::uint128 key = EventFingerprint(event.source, event.event_id);
        // The store holds each key once; a repeat would mean a corrupt
        // store, and skipping it keeps the figures right.
        if (stored_keys_.insert(key)) {
          ++folded;
        } else {
          key = 0;
        }
        chunk.keys.push_back(key);
      }
      replayed += static_cast<int64_t>(chunk.events.size());
      queue.Push(std::move(chunk));
    });
    queue.Close();
    folder.join();
    if (!s.ok()) return s;
    stats_.stored_events += folded;
    stats_.teams = state_.team_count();
    recovery_.replayed_events = replayed;
    unsnapshotted_at_start_ = folded;
    last_snapshot_at_ = absl::Now();
  }
  {
    // A push of only duplicates answers this position until the next commit.
    absl::MutexLock lock(&position_mu_);
    folded_position_ = store_.Mark().position;
  }
  committer_ = std::thread([this] { CommitLoop(); });
  StartMaintenance();
  if (on_caught_up_) on_caught_up_();
  return absl::OkStatus();
}

RecoveryReport Ledger::recovery() const {
  absl::ReaderMutexLock lock(&state_mu_);
  return recovery_;
}

absl::StatusOr<SnapshotReport> Ledger::WriteSnapshot() {
  if (!snapshots_on()) {
    return absl::FailedPreconditionError("snapshots are off");
  }
  SnapshotReport report;
  LogMark mark;
  const FingerprintSet* keys =
      store_.decides_duplicates() ? nullptr : &stored_keys_;
  // Without a follower the committer changes the state, and holding
  // write_mu_ keeps it, the keys and the store's mark together. With one,
  // only Fold changes the state (under state_mu_, with its cursor), and
  // write_mu_ would wait for a commit's round trip to the database.
  absl::Mutex* const commits = follower_ == nullptr ? &write_mu_ : nullptr;
  // The buffer is sized and its pages touched before commits are held: at
  // 10M events it is ~350 MB, whose page faults cost as much as the copy.
  std::string bytes;
  size_t size_hint = 0;
  {
    absl::MutexLockMaybe write_lock(commits);  // a moment: reads sizes only
    absl::ReaderMutexLock lock(&state_mu_);
    size_hint = LedgerSnapshotSizeHint(state_, keys);
  }
  // The state grows by a few groups before the encode below; the margin
  // covers that (a shortfall only costs a reallocation).
  bytes.resize(size_hint * 21 / 20 + (1 << 20));
  bytes.clear();
  {
    // No commit, fold or removal runs while the state is encoded: the
    // state, the keys and the mark agree.
    absl::MutexLockMaybe write_lock(commits);
    absl::MutexLock lock(&state_mu_);
    const absl::Time start = absl::Now();
    if (follower_ == nullptr) {
      mark = store_.Mark();
    } else if (folded_cursor_.has_value()) {
      mark = {.position = folded_cursor_->position,
              .check = folded_cursor_->check};
    } else {
      return absl::UnavailableError(
          "the figures are being folded again from the log; no snapshot now");
    }
    EncodeUnsealedLedgerSnapshot(mark.position, stats_.stored_events, state_,
                                 keys, bytes);
    report.encode_time = absl::Now() - start;
    report.position = mark.position;
    report.events = stats_.stored_events;
    // Counted from here even if the write fails: the next try waits for
    // another interval instead of stalling commits again at once.
    accepted_at_snapshot_ = stats_.accepted;
    unsnapshotted_at_start_ = 0;
    folded_since_snapshot_ = 0;
    snapshot_forced_ = false;
    last_snapshot_at_ = absl::Now();
  }
  SealLedgerSnapshot(bytes);
  report.bytes = bytes.size();
  const absl::Time start = absl::Now();
  absl::Status saved = store_.SaveSnapshot(mark, bytes);
  report.write_time = absl::Now() - start;
  if (!saved.ok()) {
    if (absl::IsUnimplemented(saved)) {
      absl::MutexLock lock(&state_mu_);
      snapshots_unsupported_ = true;
    }
    return saved;
  }
  return report;
}

bool Ledger::SnapshotDue(absl::Time now, bool any_change) {
  if (!snapshots_on()) return false;
  if (follower_ != nullptr) {
    // A replica that is still catching up has nothing worth keeping yet.
    absl::MutexLock lock(&position_mu_);
    if (!caught_up_) return false;
  }
  absl::ReaderMutexLock lock(&state_mu_);
  if (snapshots_unsupported_) return false;
  if (follower_ != nullptr && !folded_cursor_.has_value()) return false;
  const int64_t since =
      follower_ != nullptr
          ? folded_since_snapshot_
          : stats_.accepted - accepted_at_snapshot_ + unsnapshotted_at_start_;
  if (snapshot_forced_ || since >= options_.snapshot_every_events ||
      (any_change && since > 0)) {
    return true;
  }
  return since > 0 && options_.snapshot_interval > absl::ZeroDuration() &&
         now - last_snapshot_at_ >= options_.snapshot_interval;
}

void Ledger::set_snapshot_observer(SnapshotObserver observer) {
  snapshot_observer_ = std::move(observer);
}

void Ledger::Submit(EventBatch batch, Callback done) {
  std::vector<FieldViolation> violations = ValidateBatch(batch, clock_.Now());
  AddRetentionViolations(batch, violations);
  if (!violations.empty()) {
    {
      absl::MutexLock lock(&state_mu_);
      stats_.rejected_invalid += static_cast<int64_t>(batch.size());
    }
    done(InvalidArgumentWithViolations(
        absl::StrCat(violations.size(), " invalid field(s) in a batch of ",
                     batch.size(), " events; nothing was stored"),
        violations));
    return;
  }
  {
    absl::MutexLock lock(&queue_mu_);
    if (!stopping_ && committer_.joinable()) {
      queue_.push_back({std::move(batch), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the ingest service is shutting down"));
}

absl::StatusOr<PushResult> Ledger::Push(EventBatch batch) {
  std::promise<absl::StatusOr<PushResult>> promise;
  std::future<absl::StatusOr<PushResult>> future = promise.get_future();
  Submit(std::move(batch), [&promise](absl::StatusOr<PushResult> result) {
    promise.set_value(std::move(result));
  });
  return future.get();
}

void Ledger::Stop() {
  StopMaintenance();
  bool was_running = false;
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  if (committer_.joinable()) {
    committer_.join();
    was_running = true;
  }
  // A clean stop leaves a snapshot of everything, so the next start
  // replays nothing.
  if (was_running && SnapshotDue(absl::Now(), /*any_change=*/true)) {
    absl::StatusOr<SnapshotReport> written = WriteSnapshot();
    if (snapshot_observer_) snapshot_observer_(written);
  }
  // The last commits' acknowledgements wait for their fold (bounded).
  StopAcks();
  if (follower_ != nullptr) follower_->Stop();
}

void Ledger::CommitLoop() {
  while (true) {
    std::vector<Pending> group;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return stopping_ || (commits_open_ && !queue_.empty());
      };
      queue_mu_.Await(absl::Condition(&ready));
      // Stopping, and drained (or never caught up: what is queued fails).
      if (queue_.empty() || !commits_open_) break;
      size_t events = 0;
      while (!queue_.empty() &&
             (group.empty() || events + queue_.front().batch.size() <=
                                   options_.max_events_per_commit)) {
        events += queue_.front().batch.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    absl::MutexLock write_lock(&write_mu_);
    if (follower_ != nullptr) {
      CommitGroupToLog(group);
    } else {
      CommitGroup(group);
    }
  }
  std::deque<Pending> left;
  {
    absl::MutexLock lock(&queue_mu_);
    left.swap(queue_);
  }
  for (Pending& p : left) {
    p.done(absl::UnavailableError(
        "the ingest service stopped before it caught up with the event log"));
  }
}

void Ledger::CommitGroup(std::vector<Pending>& group) {
  struct Accepted {
    const Event* event;
    absl::uint128 key;
  };
  std::vector<Accepted> accepted;
  std::vector<absl::StatusOr<PushResult>> results(group.size());
  // Whether batch i's result depends on this group's Append: it has events
  // to store, or repeats one that an earlier batch of the group will store.
  std::vector<bool> needs_store(group.size(), false);
  // Each key is probed once in stored_keys_: a new key goes in at once (and
  // out again if its batch or the group's Append fails). The keys this
  // group put in are also in group_keys (small, so cache-resident), which
  // is looked at only for duplicates, to tell a repeat within the group.
  size_t group_events = 0;
  for (const Pending& p : group) group_events += p.batch.size();
  absl::flat_hash_set<absl::uint128> group_keys;
  group_keys.reserve(group_events);
  accepted.reserve(group_events);
  int64_t rejected_team_limit = 0;
  int64_t rejected_source_limit = 0;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    NewNameCaps caps(state_, options_.max_teams, options_.max_sources);
    for (size_t i = 0; i < group.size(); ++i) {
      PushResult result;
      std::vector<Accepted> candidates;
      std::vector<const Event*> candidate_events;
      bool repeats_group_event = false;
      for (const Event& event : group[i].batch) {
        const absl::uint128 key =
            EventFingerprint(event.source, event.event_id);
        if (!stored_keys_.insert(key)) {
          ++result.duplicates;
          if (group_keys.contains(key)) repeats_group_event = true;
          continue;
        }
        group_keys.insert(key);
        candidates.push_back({&event, key});
        candidate_events.push_back(&event);
      }
      if (std::optional<CapRefusal> refused = caps.Admit(candidate_events)) {
        // All or nothing: a refused batch's keys are forgotten.
        for (const Accepted& c : candidates) {
          stored_keys_.erase(c.key);
          group_keys.erase(c.key);
        }
        (refused->cap == CapRefusal::Cap::kTeams ? rejected_team_limit
                                                 : rejected_source_limit) +=
            static_cast<int64_t>(group[i].batch.size());
        results[i] = std::move(refused->status);
        continue;
      }
      result.accepted = static_cast<int64_t>(candidates.size());
      needs_store[i] = !candidates.empty() || repeats_group_event;
      accepted.insert(accepted.end(), candidates.begin(), candidates.end());
      results[i] = result;
    }
  }

  absl::Status stored = absl::OkStatus();
  int64_t head = folded_position();
  if (!accepted.empty()) {
    std::vector<const Event*> events;
    events.reserve(accepted.size());
    for (const Accepted& a : accepted) events.push_back(a.event);
    const absl::Time start = absl::Now();
    absl::StatusOr<AppendResult> appended = store_.Append(events);
    if (commit_observer_) commit_observer_(absl::Now() - start, events.size());
    stored = appended.status();
    if (appended.ok()) head = appended->head;
  }

  {
    absl::MutexLock lock(&state_mu_);
    stats_.rejected_team_limit += rejected_team_limit;
    stats_.rejected_source_limit += rejected_source_limit;
    if (stored.ok()) {
      for (const Accepted& a : accepted) state_.Apply(*a.event, a.key);
      if (!accepted.empty()) ++stats_.commits;
      stats_.stored_events += static_cast<int64_t>(accepted.size());
      stats_.teams = state_.team_count();
    } else {
      for (const Accepted& a : accepted) stored_keys_.erase(a.key);
      for (size_t i = 0; i < group.size(); ++i) {
        if (!needs_store[i]) continue;
        stats_.rejected_storage += static_cast<int64_t>(group[i].batch.size());
        results[i] = stored;
      }
    }
    for (auto& r : results) {
      if (!r.ok()) continue;
      r->log_position = head;
      stats_.accepted += r->accepted;
      stats_.duplicates += r->duplicates;
    }
  }
  if (stored.ok()) {
    absl::MutexLock lock(&position_mu_);
    folded_position_ = head;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done(std::move(results[i]));
  }
}

absl::StatusOr<TeamExecution> Ledger::GetTeamExecution(
    absl::string_view prefix) const {
  const absl::Time now = clock_.Now();
  absl::ReaderMutexLock lock(&state_mu_);
  return state_.Figures(prefix, now);
}

std::vector<TeamSummary> Ledger::ListTeams(absl::string_view prefix) const {
  absl::ReaderMutexLock lock(&state_mu_);
  return state_.Teams(prefix);
}

TeamExecutionPage Ledger::ListTeamExecutions(size_t page_size,
                                             absl::string_view after) const {
  const absl::Time now = clock_.Now();
  std::vector<std::string> teams;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    for (TeamSummary& t : state_.Teams("")) teams.push_back(std::move(t.team));
  }
  const std::vector<std::string> nodes = TeamsAndPrefixes(teams);
  TeamExecutionPage page;
  auto it = std::upper_bound(nodes.begin(), nodes.end(), after);
  for (; it != nodes.end() && page.executions.size() < page_size; ++it) {
    absl::StatusOr<TeamExecution> figures;
    {
      absl::ReaderMutexLock lock(&state_mu_);
      figures = state_.Figures(*it, now);
    }
    if (figures.ok()) page.executions.push_back(*std::move(figures));
  }
  if (it != nodes.end()) page.next_after = *std::prev(it);
  return page;
}

void Ledger::ForEachTeamOwnFigures(
    absl::FunctionRef<void(const TeamSummary&, const TeamExecution&)> fn)
    const {
  const absl::Time now = clock_.Now();
  std::vector<TeamSummary> teams;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    teams = state_.Teams("");
  }
  for (const TeamSummary& summary : teams) {
    absl::StatusOr<TeamExecution> figures;
    {
      absl::ReaderMutexLock lock(&state_mu_);
      figures = state_.OwnFigures(summary.team, now);
    }
    if (figures.ok()) fn(summary, *figures);
  }
}

std::vector<SourceSummary> Ledger::ListSources() const {
  absl::ReaderMutexLock lock(&state_mu_);
  return state_.Sources();
}

LedgerStats Ledger::stats() const {
  absl::ReaderMutexLock lock(&state_mu_);
  return stats_;
}

void Ledger::set_commit_observer(CommitObserver observer) {
  commit_observer_ = std::move(observer);
}

}  // namespace orgpulse::ingest
