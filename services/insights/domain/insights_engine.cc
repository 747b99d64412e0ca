#include "services/insights/domain/insights_engine.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"
#include "common/status/field_violations.h"
#include "services/insights/domain/validation.h"

namespace orgpulse::insights {
namespace {

// An erasure on a shared store competing with other replicas' changes.
constexpr int kEraseAttempts = 8;

// The scores of released morale (none when suppressed or absent) with
// `execution`, the one place both views meet.
Assessment AssessViews(const MoraleView& morale,
                       const std::optional<ExecutionSnapshot>& execution) {
  std::optional<PeopleInputs> people;
  if (morale.figures) {
    const GroupMorale& m = *morale.figures;
    people = PeopleInputs{m.dimensions, m.enps, m.intent_to_stay};
  }
  std::optional<ExecutionInputs> inputs;
  if (execution) inputs = execution->inputs;
  return Assess(people, inputs);
}

}  // namespace

InsightsEngine::InsightsEngine(SurveyStore& store,
                               const ExecutionSource& source,
                               const Clock& clock, InsightsOptions options,
                               const ExecutionHistory* history)
    : store_(store),
      source_(source),
      clock_(clock),
      options_(options),
      history_(history),
      state_(options.min_group_size) {}

InsightsEngine::~InsightsEngine() {
  {
    absl::MutexLock lock(&snapshot_mu_);
    stopping_ = true;
  }
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
}

absl::Status InsightsEngine::Recover() {
  {
    absl::MutexLock lock(&mu_);
    if (!snapshots_on() || !RecoverFromSnapshotLocked()) {
      if (absl::Status s = Rebuild(); !s.ok()) return s;
      recovery_.replayed_records = stats_.stored;
    }
    if (absl::Status s = DropOldRounds(); !s.ok()) return s;
  }
  if (snapshots_on()) {
    // A whole replay counts toward the next snapshot (CatchUpLocked counted
    // the tail after a snapshot).
    if (const SurveyRecovery r = recovery(); !r.from_snapshot) {
      NoteChanges(r.replayed_records);
    }
    snapshot_thread_ = std::thread([this] { SnapshotLoop(); });
  }
  return absl::OkStatus();
}

bool InsightsEngine::RecoverFromSnapshotLocked() {
  const absl::Time start = absl::Now();
  absl::StatusOr<SurveySnapshot> snapshot = store_.LoadSnapshot();
  if (!snapshot.ok()) {
    if (!absl::IsNotFound(snapshot.status()) &&
        !absl::IsUnimplemented(snapshot.status())) {
      recovery_.snapshot_refused = snapshot.status();
    }
    return false;
  }
  absl::StatusOr<SurveyState> state =
      SurveyState::Decode(snapshot->state, options_.min_group_size);
  if (!state.ok()) {
    recovery_.snapshot_refused = state.status();
    return false;
  }
  recovery_.snapshot_load_time = absl::Now() - start;
  state_ = *std::move(state);
  folded_ = snapshot->cursor;
  stats_.stored = state_.response_count();
  recovery_.from_snapshot = true;
  recovery_.snapshot_cursor = snapshot->cursor;
  recovery_.snapshot_responses = stats_.stored;
  // The log after the snapshot (all of it, into a fresh state, if the log
  // was rewritten since LoadSnapshot looked).
  absl::StatusOr<int64_t> folded = CatchUpLocked();
  if (!store_.shared()) folded_ = {};
  if (!folded.ok()) {
    recovery_ = SurveyRecovery{};
    recovery_.snapshot_refused =
        absl::Status(folded.status().code(),
                     absl::StrCat("reading the log after the snapshot: ",
                                  folded.status().message()));
    state_ = SurveyState(options_.min_group_size);
    return false;
  }
  recovery_.replayed_records = *folded;
  return true;
}

SurveyRecovery InsightsEngine::recovery() const {
  absl::ReaderMutexLock lock(&mu_);
  return recovery_;
}

void InsightsEngine::set_snapshot_observer(SnapshotObserver observer) {
  snapshot_observer_ = std::move(observer);
}

std::optional<SurveySnapshotReport> InsightsEngine::last_snapshot() const {
  absl::MutexLock lock(&snapshot_mu_);
  return last_snapshot_;
}

void InsightsEngine::NoteChanges(int64_t changes, bool force) {
  if (!snapshots_on()) return;
  absl::MutexLock lock(&snapshot_mu_);
  unsnapshotted_ += changes;
  snapshot_forced_ = snapshot_forced_ || force;
  if (snapshot_forced_ || unsnapshotted_ >= options_.snapshot_every_responses) {
    snapshot_due_ = true;
  }
}

void InsightsEngine::SnapshotLoop() {
  while (true) {
    {
      absl::MutexLock lock(&snapshot_mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(snapshot_mu_) {
        return snapshot_due_ || stopping_;
      };
      snapshot_mu_.Await(absl::Condition(&wake));
      if (stopping_) return;
      snapshot_due_ = false;
    }
    absl::StatusOr<SurveySnapshotReport> written = WriteSnapshot();
    if (snapshot_observer_) snapshot_observer_(written);
  }
}

absl::StatusOr<SurveySnapshotReport> InsightsEngine::WriteSnapshot() {
  if (!snapshots_on()) {
    return absl::FailedPreconditionError(
        "snapshots are off (--snapshot_every_responses=0)");
  }
  absl::MutexLock write_lock(&snapshot_write_mu_);
  SurveySnapshotReport report;
  absl::StatusOr<SurveySnapshot> snapshot;
  {
    // Reads go on while the state is encoded; changes wait.
    absl::ReaderMutexLock lock(&mu_);
    const absl::Time start = absl::Now();
    if (!state_matches_store_) {
      return absl::FailedPreconditionError(
          "the figures could not be rebuilt after a removal; no snapshot "
          "until they are (restart the service)");
    }
    snapshot = store_.SnapshotMark(folded_);
    if (!snapshot.ok()) return snapshot.status();
    state_.Encode(snapshot->state);
    report.cursor = snapshot->cursor;
    report.responses = state_.response_count();
    {
      // What was noted before the encode is in it: not due again for it.
      absl::MutexLock counters(&snapshot_mu_);
      unsnapshotted_ = 0;
      snapshot_forced_ = false;
      snapshot_due_ = false;
    }
    report.encode_time = absl::Now() - start;
  }
  report.bytes = snapshot->state.size();
  const absl::Time start = absl::Now();
  if (absl::Status s = store_.SaveSnapshot(*snapshot); !s.ok()) {
    if (absl::IsAborted(s)) NoteChanges(0, /*force=*/true);  // the removal's
    return s;
  }
  report.write_time = absl::Now() - start;
  report.written_at = clock_.Now();
  absl::MutexLock lock(&snapshot_mu_);
  last_snapshot_ = report;
  return report;
}

void InsightsEngine::Stop() {
  {
    absl::MutexLock lock(&snapshot_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (!snapshots_on()) return;
  bool changed;
  {
    absl::MutexLock lock(&snapshot_mu_);
    changed = unsnapshotted_ > 0 || snapshot_forced_;
  }
  if (!changed) return;
  absl::StatusOr<SurveySnapshotReport> written = WriteSnapshot();
  if (snapshot_observer_) snapshot_observer_(written);
}

absl::Status InsightsEngine::Rebuild() {
  SurveyState state(options_.min_group_size);
  int64_t stored = 0;
  auto on_response = [&](const ScoredResponse& r) {
    if (state.Apply(r)) ++stored;
  };
  auto on_reset = [&](const RoundReset& reset) { state.ApplyReset(reset); };
  if (store_.shared()) {
    absl::StatusOr<SurveyLogRead> read =
        store_.ReadAfter({}, on_response, on_reset);
    if (!read.ok()) return read.status();
    folded_ = read->cursor;
  } else if (absl::Status s = store_.Replay(on_response, on_reset); !s.ok()) {
    return s;
  }
  state_ = std::move(state);
  stats_.stored = stored;
  state_matches_store_ = true;
  return absl::OkStatus();
}

absl::Status InsightsEngine::CatchUp() {
  if (!store_.shared() || !store_.writable()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return CatchUpLocked().status();
}

absl::StatusOr<int64_t> InsightsEngine::CatchUpLocked() {
  // Taken whole before any is applied: a rewrite since folded_ means a new
  // state from the log's beginning.
  std::vector<std::variant<ScoredResponse, RoundReset>> records;
  absl::StatusOr<SurveyLogRead> read = store_.ReadAfter(
      folded_, [&](const ScoredResponse& r) { records.emplace_back(r); },
      [&](const RoundReset& reset) { records.emplace_back(reset); });
  if (!read.ok()) return read.status();
  if (read->from_start) {
    state_ = SurveyState(options_.min_group_size);
    stats_.stored = 0;
  }
  for (auto& record : records) {
    if (auto* r = std::get_if<ScoredResponse>(&record)) {
      if (state_.Apply(std::move(*r))) ++stats_.stored;
    } else {
      state_.ApplyReset(std::get<RoundReset>(record));
    }
  }
  // A new state after a rewrite of the log (not the first read of it): its
  // snapshots went with the rewrite, one of this state is due.
  const bool rewritten = read->from_start && folded_ != SurveyLogCursor{};
  folded_ = read->cursor;
  if (read->from_start) state_matches_store_ = true;
  const int64_t folded = static_cast<int64_t>(records.size());
  NoteChanges(folded, /*force=*/rewritten && folded > 0);
  return folded;
}

SurveyLogCursor InsightsEngine::log_cursor() const {
  absl::ReaderMutexLock lock(&mu_);
  return folded_;
}

absl::Status InsightsEngine::DropOldRounds() {
  const size_t keep = static_cast<size_t>(options_.retain_rounds);
  const std::vector<std::string> rounds = state_.rounds();
  if (keep == 0 || rounds.size() <= keep) return absl::OkStatus();
  const std::set<std::string> old(rounds.begin(), rounds.end() - keep);
  absl::StatusOr<int64_t> dropped = store_.DropRounds(old);
  // As for an erasure: not snapshotted until rebuilt from the store, which
  // deleted its snapshots with the rounds.
  state_matches_store_ = false;
  if (!dropped.ok()) return dropped.status();
  stats_.dropped_rounds += static_cast<int64_t>(old.size());
  NoteChanges(0, /*force=*/true);
  return Rebuild();
}

std::optional<std::string> InsightsEngine::OldestKeptRound() const {
  const std::vector<std::string> rounds = state_.rounds();
  if (options_.retain_rounds == 0 || rounds.empty()) return std::nullopt;
  return rounds.front();
}

absl::StatusOr<SubmitResult> InsightsEngine::Submit(
    std::vector<SurveyResponse> batch) {
  std::vector<FieldViolation> violations =
      ValidateResponses(batch, clock_.Now());
  absl::MutexLock lock(&mu_);
  if (!violations.empty()) {
    stats_.rejected_invalid += static_cast<int64_t>(batch.size());
    return InvalidArgumentWithViolations(
        absl::StrCat(violations.size(), " invalid field(s) in a batch of ",
                     batch.size(), " responses; nothing was stored"),
        violations);
  }
  SubmitResult result;
  std::vector<ScoredResponse> accepted;
  std::set<std::string> batch_ids;
  std::set<std::string> new_teams;
  std::set<std::string> rounds;  // kept ones and the batch's
  for (const std::string& r : state_.rounds()) rounds.insert(r);
  for (const SurveyResponse& r : batch) {
    if (state_.HasResponseId(r.response_id) ||
        !batch_ids.insert(r.response_id).second) {
      ++result.duplicates;
      continue;
    }
    if (!state_.teams().contains(r.team)) new_teams.insert(r.team);
    rounds.insert(r.round);
    accepted.push_back(Score(r));
  }
  if (state_.teams().size() + new_teams.size() > options_.max_teams) {
    stats_.rejected_team_limit += static_cast<int64_t>(batch.size());
    return absl::ResourceExhaustedError(absl::StrCat(
        "team limit reached: this batch would add ", new_teams.size(),
        " new team(s) to ", state_.teams().size(), " known, over the limit of ",
        options_.max_teams, " (--max_teams); nothing of the batch was stored"));
  }
  const size_t keep = static_cast<size_t>(options_.retain_rounds);
  if (keep > 0 && rounds.size() > keep) {
    // A response to a round retention would drop at once is refused, not
    // stored and dropped.
    const std::string& oldest_kept = *std::next(
        rounds.begin(), static_cast<ptrdiff_t>(rounds.size() - keep));
    for (const ScoredResponse& r : accepted) {
      if (r.round >= oldest_kept) continue;
      stats_.rejected_invalid += static_cast<int64_t>(batch.size());
      return absl::OutOfRangeError(
          absl::StrCat("response ", r.response_id, " is for round ", r.round,
                       ", older than the ", keep,
                       " round(s) kept (--retain_rounds); the "
                       "oldest kept is ",
                       oldest_kept, "; nothing of the batch was stored"));
    }
  }
  if (!accepted.empty()) {
    if (absl::Status s = store_.Append(accepted); !s.ok()) {
      stats_.rejected_storage += static_cast<int64_t>(batch.size());
      return s;
    }
  }
  result.accepted = static_cast<int64_t>(accepted.size());
  stats_.accepted += result.accepted;
  stats_.duplicates += result.duplicates;
  if (store_.shared()) {
    // Folded from the log, after whatever other replicas stored before it:
    // every replica takes the same release steps. Stored either way; if the
    // read fails, the watcher folds it later.
    (void)CatchUpLocked();
  } else {
    // In the order they were stored: release steps follow the log order.
    for (ScoredResponse& r : accepted) state_.Apply(std::move(r));
    stats_.stored += result.accepted;
    NoteChanges(result.accepted);
  }
  if (absl::Status s = DropOldRounds(); !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("the batch is stored, but dropping the rounds "
                               "beyond --retain_rounds failed (tried again "
                               "with the next batch and at start-up): ",
                               s.message()));
  }
  return result;
}

absl::StatusOr<EraseResult> InsightsEngine::Erase(
    absl::string_view respondent) {
  if (respondent.empty()) {
    // Responses without a respondent id share the empty key: not a person.
    return absl::InvalidArgumentError("no respondent to erase");
  }
  absl::MutexLock lock(&mu_);
  std::vector<RoundReset> resets;
  absl::StatusOr<int64_t> erased;
  if (store_.shared()) {
    // The resets must withdraw what any replica may have served: computed
    // from the whole log, and stored only if nobody changed it meanwhile.
    for (int attempt = 0; attempt < kEraseAttempts; ++attempt) {
      if (absl::Status s = CatchUpLocked().status(); !s.ok()) return s;
      resets = state_.ErasureResets(respondent);
      erased = store_.EraseAt(folded_, respondent, resets);
      if (!absl::IsAborted(erased.status())) break;
    }
  } else {
    resets = state_.ErasureResets(respondent);
    erased = store_.Erase(respondent, resets);
  }
  // Until rebuilt from the store, the state may hold what the store removed
  // (an error may come after the commit, e.g. its scrub failing): never
  // snapshotted meanwhile. ABORTED: the log moved, nothing was erased.
  if (!absl::IsAborted(erased.status())) state_matches_store_ = false;
  if (!erased.ok()) return erased.status();
  // The store deleted its snapshots with the person: one of the state
  // rebuilt below is due.
  NoteChanges(0, /*force=*/true);
  EraseResult result;
  result.erased = *erased;
  for (const RoundReset& r : resets) result.rounds.push_back(r.round);
  stats_.erased += result.erased;
  if (absl::Status s = Rebuild(); !s.ok()) {
    return absl::Status(
        s.code(),
        absl::StrCat("the responses are erased from the store, but the "
                     "figures could not be rebuilt (restart the service): ",
                     s.message()));
  }
  return result;
}

std::vector<std::string> InsightsEngine::TeamsUnder(
    absl::string_view prefix) const {
  std::set<std::string> teams;
  for (const std::string& t : state_.teams()) {
    if (IsInTeamTree(t, prefix)) teams.insert(t);
  }
  for (const std::string& t : source_.Teams()) {
    if (IsInTeamTree(t, prefix)) teams.insert(t);
  }
  return {teams.begin(), teams.end()};
}

TeamInsights InsightsEngine::Build(absl::string_view node,
                                   absl::string_view round,
                                   std::vector<std::string> teams) const {
  TeamInsights out;
  out.team = std::string(node);
  out.teams = std::move(teams);
  out.morale = state_.Morale(node, round);

  const absl::Time now = clock_.Now();
  ExecutionView& ev = out.execution;
  ev.snapshot = source_.Get(node);
  const SourceHealth health = source_.Health();
  if (ev.snapshot) {
    ev.age_seconds = absl::ToDoubleSeconds(now - ev.snapshot->fetched_at);
    if (!health.reachable) {
      ev.stale = true;
      ev.stale_reason = absl::StrCat("ingest unreachable: ", health.last_error);
    } else if (now - ev.snapshot->fetched_at > options_.stale_after) {
      ev.stale = true;
      ev.stale_reason = "figures older than the refresh interval allows";
    }
  } else if (!health.reachable) {
    ev.stale = true;
    ev.stale_reason = absl::StrCat("ingest unreachable: ", health.last_error);
  }

  out.assessment = AssessViews(out.morale, ev.snapshot);
  return out;
}

absl::StatusOr<TeamInsights> InsightsEngine::GetTeamInsights(
    absl::string_view node, absl::string_view round) const {
  absl::ReaderMutexLock lock(&mu_);
  if (const std::optional<std::string> oldest = OldestKeptRound();
      oldest && !round.empty() && round < *oldest) {
    return absl::OutOfRangeError(
        absl::StrCat("round ", round, " is not kept: insights keeps the last ",
                     options_.retain_rounds,
                     " round(s) (--retain_rounds), the oldest kept "
                     "is ",
                     *oldest));
  }
  std::vector<std::string> teams = TeamsUnder(node);
  if (teams.empty()) {
    return absl::NotFoundError(
        absl::StrCat("nothing is known of team '", node, "'"));
  }
  return Build(node, round, std::move(teams));
}

absl::StatusOr<TeamInsights> InsightsEngine::GetRoundInsights(
    absl::string_view node, absl::string_view round) const {
  if (history_ == nullptr) {
    return absl::FailedPreconditionError(
        "insights has no reader of ingest's past figures");
  }
  absl::StatusOr<TeamInsights> out = GetTeamInsights(node, round);
  if (!out.ok()) return out;
  // Today's figures are replaced, not kept beside the round's: the answer
  // pairs the round with its own time only.
  out->execution = ExecutionView{};
  if (out->morale.figures) {
    // A response may be stamped up to a day ahead of the server's time;
    // ingest answers for no time after its own.
    const absl::Time end = std::min(out->morale.figures->as_of, clock_.Now());
    absl::StatusOr<std::optional<ExecutionSnapshot>> then =
        history_->GetAsOf(node, end);
    if (!then.ok()) {
      // Ingest's code is not the caller's: its PERMISSION_DENIED is
      // insights' token, not theirs.
      return absl::UnavailableError(absl::StrCat(
          "ingest's figures of ", node, " as of ",
          absl::FormatTime(absl::RFC3339_sec, end, absl::UTCTimeZone()), ": ",
          absl::StatusCodeToString(then.status().code()), ": ",
          then.status().message()));
    }
    out->execution.snapshot = *std::move(then);
    if (out->execution.snapshot) {
      out->execution.age_seconds = absl::ToDoubleSeconds(
          clock_.Now() - out->execution.snapshot->fetched_at);
    }
  }
  out->assessment = AssessViews(out->morale, out->execution.snapshot);
  return out;
}

std::vector<TeamInsights> InsightsEngine::ListTeamInsights(
    absl::string_view prefix, InsightsOrder order) const {
  std::vector<TeamInsights> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const std::string& team : TeamsUnder(prefix)) {
      out.push_back(Build(team, "", TeamsUnder(team)));
    }
  }
  if (order == InsightsOrder::kRisk) {
    std::stable_sort(out.begin(), out.end(),
                     [](const TeamInsights& a, const TeamInsights& b) {
                       const auto ra = CombinedRisk(a), rb = CombinedRisk(b);
                       if (ra.has_value() != rb.has_value())
                         return ra.has_value();
                       return ra && *ra > *rb;
                     });
  }
  return out;
}

InsightsStats InsightsEngine::stats() const {
  absl::ReaderMutexLock lock(&mu_);
  return stats_;
}

std::optional<double> CombinedRisk(const TeamInsights& t) {
  const Assessment& a = t.assessment;
  if (!a.burnout_risk || !a.turnover_risk) return std::nullopt;
  return std::max(*a.burnout_risk, *a.turnover_risk);
}

}  // namespace orgpulse::insights
