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
        chunk.keys.push_back(EventFingerprint(event.source, event.event_id));
      }
      // As in DecideGroup: the probes prefetched a few keys ahead.
      constexpr size_t kPrefetchAhead = 8;
      for (size_t i = 0; i < std::min(kPrefetchAhead, chunk.keys.size()); ++i) {
        stored_keys_.Prefetch(chunk.keys[i]);
      }
      for (size_t i = 0; i < chunk.keys.size(); ++i) {
        if (i + kPrefetchAhead < chunk.keys.size()) {
          stored_keys_.Prefetch(chunk.keys[i + kPrefetchAhead]);
        }
        // The store holds each key once; a repeat would mean a corrupt
        // store, and skipping it keeps the figures right.
        if (stored_keys_.insert(chunk.keys[i])) {
          ++folded;
        } else {
          chunk.keys[i] = 0;
        }
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
    appended_head_ = folded_position_;
  }
  folder_ = std::thread([this] { FoldLoop(); });
  appender_ = std::thread([this] { AppendLoop(); });
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
    // state, the keys and the mark agree. (The folding thread runs only
    // without a follower: the groups it has yet to fold are appended.)
    absl::MutexLockMaybe write_lock(commits);
    if (commits != nullptr) AwaitFolds();
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
      ++queued_batches_;
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
  StopPipeline();
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
      DecideGroup(group);
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

void Ledger::DecideGroup(std::vector<Pending>& group) {
  bool append_failed;
  {
    absl::MutexLock lock(&pipeline_mu_);
    append_failed = append_failed_.has_value();
  }
  // The keys that a failed Append (and the groups decided after it) put
  // into stored_keys_ come out before another group is decided.
  if (append_failed) AwaitFolds();
  Committed c;
  c.id = ++committed_groups_;
  c.results.resize(group.size());
  size_t group_events = 0;
  for (const Pending& p : group) group_events += p.batch.size();
  // Every key first, then one probe each in stored_keys_, prefetched a few
  // keys ahead: the probes are cache misses into a table of hundreds of
  // MiB, and this way several are in flight at once.
  std::vector<absl::uint128>& keys = c.all_keys;
  keys.reserve(group_events);
  for (const Pending& p : group) {
    for (const Event& event : p.batch) {
      keys.push_back(EventFingerprint(event.source, event.event_id));
    }
  }
  constexpr size_t kPrefetchAhead = 8;
  for (size_t k = 0; k < std::min(kPrefetchAhead, keys.size()); ++k) {
    stored_keys_.Prefetch(keys[k]);
  }
  // A new key goes into stored_keys_ at once (and out again if its batch
  // is refused, or by AwaitFolds if the group's Append fails).
  c.events.reserve(group_events);
  c.keys.reserve(group_events);
  {
    absl::ReaderMutexLock lock(&state_mu_);
    // Groups folded since the last commit have their names in state_ now.
    while (!unfolded_names_.empty() &&
           unfolded_names_.front().id <= folded_groups_) {
      unfolded_names_.pop_front();
    }
    NewNameCaps caps(state_, options_.max_teams, options_.max_sources);
    for (const UnfoldedNames& names : unfolded_names_) {
      for (const std::string& team : names.teams) caps.AddUnfoldedTeam(team);
      for (const std::string& source : names.sources) {
        caps.AddUnfoldedSource(source);
      }
    }
    size_t k = 0;  // index into keys
    for (size_t i = 0; i < group.size(); ++i) {
      PushResult result;
      const size_t first_candidate = c.events.size();
      for (const Event& event : group[i].batch) {
        if (k + kPrefetchAhead < keys.size()) {
          stored_keys_.Prefetch(keys[k + kPrefetchAhead]);
        }
        const absl::uint128 key = keys[k++];
        if (!stored_keys_.insert(key)) {
          ++result.duplicates;
          continue;
        }
        c.events.push_back(&event);
        c.keys.push_back(key);
      }
      const absl::Span<const Event* const> candidates =
          absl::MakeConstSpan(c.events).subspan(first_candidate);
      if (std::optional<CapRefusal> refused = caps.Admit(candidates)) {
        // All or nothing: a refused batch's keys are forgotten.
        for (size_t j = first_candidate; j < c.keys.size(); ++j) {
          stored_keys_.erase(c.keys[j]);
        }
        c.events.resize(first_candidate);
        c.keys.resize(first_candidate);
        (refused->cap == CapRefusal::Cap::kTeams ? c.rejected_team_limit
                                                 : c.rejected_source_limit) +=
            static_cast<int64_t>(group[i].batch.size());
        c.results[i] = std::move(refused->status);
        continue;
      }
      result.accepted = static_cast<int64_t>(c.events.size() - first_candidate);
      c.results[i] = result;
    }
    if (!caps.new_teams().empty() || !caps.new_sources().empty()) {
      UnfoldedNames names{c.id, {}, {}};
      for (absl::string_view t : caps.new_teams()) names.teams.emplace_back(t);
      for (absl::string_view s : caps.new_sources()) {
        names.sources.emplace_back(s);
      }
      unfolded_names_.push_back(std::move(names));
    }
  }

  c.group = std::move(group);
  absl::MutexLock lock(&pipeline_mu_);
  decided_batches_ += c.group.size();
  // Batches decided while a group is appended join the group the appending
  // thread takes next (group commit: one fsync for all of them).
  if (!to_append_.empty() &&
      to_append_.back().all_keys.size() + c.all_keys.size() <=
          options_.max_events_per_commit) {
    AddToGroup(to_append_.back(), std::move(c));
    return;
  }
  pipeline_mu_.Await(absl::Condition(
      +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->pipeline_mu_) {
        return l->in_flight_ < kMaxInFlight;
      },
      this));
  to_append_.push_back(std::move(c));
  ++in_flight_;
}

void Ledger::AddToGroup(Committed& group, Committed&& later) {
  // Moving a batch keeps its events where they are: `events` stay valid.
  auto move_all = [](auto& to, auto& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()),
              std::make_move_iterator(from.end()));
  };
  group.id = later.id;
  move_all(group.group, later.group);
  move_all(group.results, later.results);
  move_all(group.all_keys, later.all_keys);
  move_all(group.events, later.events);
  move_all(group.keys, later.keys);
  group.rejected_team_limit += later.rejected_team_limit;
  group.rejected_source_limit += later.rejected_source_limit;
}

void Ledger::AppendLoop() {
  // The batches queued by the time the last Append returned belong to the
  // next group (group commit): it is taken once they are decided, or once
  // it is full, or when AwaitFolds waits (holding write_mu_: no batch is
  // decided meanwhile).
  uint64_t wait_for = 0;
  auto next_ready = [this,
                     &wait_for]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pipeline_mu_) {
    if (to_append_.empty()) return appends_stopping_;
    return decided_batches_ >= wait_for || to_append_.size() > 1 ||
           awaiting_folds_ || appends_stopping_;
  };
  while (true) {
    Committed c;
    {
      absl::MutexLock lock(&pipeline_mu_);
      pipeline_mu_.Await(absl::Condition(&next_ready));
      if (to_append_.empty()) return;  // stopping, and drained
      c = std::move(to_append_.front());
      to_append_.pop_front();
    }
    AppendDecided(c);
    {
      absl::MutexLock lock(&queue_mu_);
      wait_for = queued_batches_;
    }
    absl::MutexLock lock(&pipeline_mu_);
    to_fold_.push_back(std::move(c));
  }
}

void Ledger::AppendDecided(Committed& c) {
  {
    absl::MutexLock lock(&pipeline_mu_);
    if (append_failed_.has_value()) {
      FailDependents(c, *append_failed_);
      c.head = appended_head_;
      return;
    }
  }
  if (!c.events.empty()) {
    const absl::Time start = absl::Now();
    absl::StatusOr<AppendResult> appended = store_.Append(c.events);
    if (commit_observer_) {
      commit_observer_(absl::Now() - start, c.events.size());
    }
    if (appended.ok()) {
      appended_head_ = appended->head;
      c.appended = true;
    } else {
      absl::MutexLock lock(&pipeline_mu_);
      append_failed_ = appended.status();
      FailDependents(c, appended.status());
    }
  }
  // A group of duplicates only answers the position of the last append: by
  // the time it is acknowledged (in order), that one is folded.
  c.head = appended_head_;
}

// Rare (a full disk, an I/O error), so simple over exact: each batch that
// the failure may have decided wrongly fails with the store's error, and
// the client's retry is decided afresh. That is every batch with an event
// not stored: new in a failed group, or repeating one that was (in this
// group or an earlier failed one); and every refusal by a cap, which may
// have counted the names of a failed group. A batch of nothing but
// duplicates of stored events is acknowledged.
void Ledger::FailDependents(Committed& c, const absl::Status& error) {
  unstored_keys_.insert(c.keys.begin(), c.keys.end());
  c.events.clear();
  c.keys.clear();
  c.rejected_team_limit = 0;
  c.rejected_source_limit = 0;
  size_t k = 0;  // into c.all_keys
  for (size_t i = 0; i < c.group.size(); ++i) {
    const size_t n = c.group[i].batch.size();
    bool fails = !c.results[i].ok();
    for (size_t j = k; j < k + n && !fails; ++j) {
      fails = unstored_keys_.contains(c.all_keys[j]);
    }
    k += n;
    if (!fails) continue;
    c.rejected_storage += static_cast<int64_t>(n);
    c.results[i] = error;
  }
}

void Ledger::FoldLoop() {
  while (true) {
    Committed c;
    {
      absl::MutexLock lock(&pipeline_mu_);
      pipeline_mu_.Await(absl::Condition(
          +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->pipeline_mu_) {
            return l->folds_stopping_ || !l->to_fold_.empty();
          },
          this));
      if (to_fold_.empty()) return;  // stopping, and drained
      c = std::move(to_fold_.front());
      to_fold_.pop_front();
    }
    FoldCommitted(c);
    // The batches are freed here too, off the committer.
    c = Committed();
    absl::MutexLock lock(&pipeline_mu_);
    --in_flight_;
  }
}

void Ledger::FoldCommitted(Committed& c) {
  {
    absl::MutexLock lock(&state_mu_);
    stats_.rejected_team_limit += c.rejected_team_limit;
    stats_.rejected_source_limit += c.rejected_source_limit;
    stats_.rejected_storage += c.rejected_storage;
    for (size_t i = 0; i < c.events.size(); ++i) {
      state_.Apply(*c.events[i], c.keys[i]);
    }
    if (c.appended) ++stats_.commits;
    stats_.stored_events += static_cast<int64_t>(c.events.size());
    stats_.teams = state_.team_count();
    folded_groups_ = c.id;
    for (auto& r : c.results) {
      if (!r.ok()) continue;
      r->log_position = c.head;
      stats_.accepted += r->accepted;
      stats_.duplicates += r->duplicates;
    }
  }
  if (c.appended) {
    absl::MutexLock lock(&position_mu_);
    folded_position_ = c.head;
  }
  for (size_t i = 0; i < c.group.size(); ++i) {
    c.group[i].done(std::move(c.results[i]));
  }
}

void Ledger::AwaitFolds() {
  absl::MutexLock lock(&pipeline_mu_);
  awaiting_folds_ = true;
  pipeline_mu_.Await(absl::Condition(
      +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->pipeline_mu_) {
        return l->in_flight_ == 0;
      },
      this));
  awaiting_folds_ = false;
  if (!append_failed_.has_value()) return;
  // Every group decided since the failure has failed too (and is folded:
  // unfolded_names_ lets go of their names at the next decision).
  for (absl::uint128 key : unstored_keys_) stored_keys_.erase(key);
  unstored_keys_ = {};
  append_failed_.reset();
}

void Ledger::StopPipeline() {
  {
    absl::MutexLock lock(&pipeline_mu_);
    appends_stopping_ = true;
  }
  if (appender_.joinable()) appender_.join();
  {
    absl::MutexLock lock(&pipeline_mu_);
    folds_stopping_ = true;
  }
  if (folder_.joinable()) folder_.join();
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

size_t Ledger::groups_in_flight() const {
  absl::MutexLock lock(&pipeline_mu_);
  return in_flight_;
}

}  // namespace orgpulse::ingest
