#include "services/ingest/store/pg_log_follower.h"

#include <algorithm>
#include <utility>

namespace orgpulse::ingest {

absl::StatusOr<std::unique_ptr<PgLogFollower>> PgLogFollower::Open(
    const std::string& conninfo, const PgLogFollowerOptions& options) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> log = PgEventLog::Open(conninfo);
  if (!log.ok()) return log.status();
  return std::unique_ptr<PgLogFollower>(
      new PgLogFollower(*std::move(log), options));
}

PgLogFollower::~PgLogFollower() { Stop(); }

absl::StatusOr<int64_t> PgLogFollower::Head() { return log_->Head(); }

void PgLogFollower::Start(const LogCursor& from, Sink& sink) {
  {
    absl::MutexLock lock(&mu_);
    position_ = from.position;
  }
  // Events folded from a snapshot predate any removal after it.
  if (from.position > 0) view_ = from.position;
  if (from.position == 0) {
    anchor_ = PgLogAnchor{};  // from the start, nothing handed over yet
  } else if (absl::StatusOr<PgLogCursor> cursor = DecodePgLogCursor(from.check);
             cursor.ok()) {
    anchor_ = std::move(cursor->anchor);
    last_removal_ = cursor->last_removal;
  }
  thread_ = std::thread([this, &sink] { Loop(sink); });
}

LogCursor PgLogFollower::Cursor(int64_t position) const {
  if (!anchor_) return {position, ""};  // unknown: no snapshot can use it
  return {position, EncodePgLogCursor({*anchor_, last_removal_})};
}

void PgLogFollower::NoteRemovals(const PgLogRead& read) {
  if (read.removal != 0) {
    last_removal_ = read.removal;  // the read ended at it
  } else if (read.removals_seen <= read.position) {
    last_removal_ = std::max(last_removal_, read.removals_seen);
  }
  // Else the read stopped at its limit, before the first record after its
  // start (it reads no further than that): none was passed.
}

void PgLogFollower::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int64_t PgLogFollower::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

bool PgLogFollower::WaitFor(int64_t position, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, position]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return position_ >= position || stopping_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout) &&
         position_ >= position;
}

bool PgLogFollower::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void PgLogFollower::Advance(int64_t position) {
  absl::MutexLock lock(&mu_);
  position_ = position;
}

void PgLogFollower::Loop(Sink& sink) {
  int64_t position = this->position();
  while (!stopping()) {
    // Read until caught up, then wait for a commit (or the poll interval).
    // Listening before the read: a commit after it is announced, not missed.
    absl::Status listening = log_->Listen();
    EventBatch chunk;
    absl::StatusOr<PgLogRead> read = log_->ReadLog(
        position, 0, options_.read_batch, anchor_ ? &*anchor_ : nullptr,
        [&](int64_t, const Event& event) { chunk.push_back(event); });
    if (read.ok() && read->diverged) {
      // Not the log handed over: everything again, from this server's.
      StartOver(read->head, sink);
      std::optional<int64_t> ended = RefoldUpTo(read->head, sink);
      if (!ended) return;
      position = *ended;
      Advance(position);
      continue;
    }
    if (!read.ok() || read->position == position) {
      if (!Idle(read.ok() && listening.ok())) return;
      continue;
    }
    if (!chunk.empty() && !view_) view_ = read->removals_seen;
    if (read->removal != 0 && view_ && *view_ < read->removal) {
      // Events the sink holds may be gone: everything again, up to it.
      sink.StartRefold(read->removal);
      std::optional<int64_t> ended = RefoldUpTo(read->removal, sink);
      if (!ended) return;
      position = *ended;
    } else {
      if (read->last.position != 0) anchor_ = std::move(read->last);
      NoteRemovals(*read);
      sink.Fold(Cursor(read->position), std::move(chunk));
      position = read->position;
    }
    Advance(position);
  }
}

std::optional<int64_t> PgLogFollower::RefoldUpTo(int64_t until, Sink& sink) {
  view_.reset();
  anchor_ = PgLogAnchor{};
  last_removal_ = 0;
  int64_t position = 0;
  while (!stopping()) {
    if (position >= until) {  // an empty log (until 0): nothing to read
      sink.Fold(Cursor(until), {});
      return until;
    }
    EventBatch chunk;
    absl::StatusOr<PgLogRead> read = log_->ReadLog(
        position, until, options_.read_batch, &*anchor_,
        [&](int64_t, const Event& event) { chunk.push_back(event); });
    if (!read.ok()) {
      if (!Idle(false)) return std::nullopt;
      continue;
    }
    if (read->diverged) {  // the server changed again meanwhile
      StartOver(read->head, sink);
      until = read->head;
      view_.reset();
      anchor_ = PgLogAnchor{};
      last_removal_ = 0;
      position = 0;
      continue;
    }
    if (!view_) view_ = read->removals_seen;
    if (read->last.position != 0) anchor_ = std::move(read->last);
    NoteRemovals(*read);
    sink.Fold(Cursor(read->position), std::move(chunk));
    position = read->position;
    if (position >= until) return position;
  }
  return std::nullopt;
}

void PgLogFollower::StartOver(int64_t head, Sink& sink) {
  {
    absl::MutexLock lock(&mu_);
    position_ = 0;  // nothing handed over counts any more
  }
  sink.StartOver(head);
}

bool PgLogFollower::Idle(bool connected) {
  // In short slices, so that stopping is prompt.
  const absl::Time until = absl::Now() + options_.poll_interval;
  while (absl::Now() < until) {
    if (stopping()) return false;
    if (!connected) {
      absl::SleepFor(std::min(absl::Milliseconds(100), options_.poll_interval));
      continue;
    }
    if (log_->WaitForCommit(absl::Milliseconds(100))) break;
  }
  return !stopping();
}

}  // namespace orgpulse::ingest
