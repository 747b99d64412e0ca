#include "services/ingest/store/pg_log_follower.h"

#include <utility>

namespace orgpulse::ingest {

absl::StatusOr<std::unique_ptr<PgLogFollower>> PgLogFollower::Start(
    const std::string& conninfo, int64_t from, Apply apply,
    const PgLogFollowerOptions& options) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> log = PgEventLog::Open(conninfo);
  if (!log.ok()) return log.status();
  return std::unique_ptr<PgLogFollower>(
      new PgLogFollower(*std::move(log), from, std::move(apply), options));
}

PgLogFollower::PgLogFollower(std::unique_ptr<PgEventLog> log, int64_t from,
                             Apply apply, const PgLogFollowerOptions& options)
    : log_(std::move(log)),
      apply_(std::move(apply)),
      options_(options),
      position_(from) {
  thread_ = std::thread([this] { Loop(); });
}

PgLogFollower::~PgLogFollower() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
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

void PgLogFollower::Loop() {
  int64_t position = this->position();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    // Read until caught up, then wait for a commit (or the poll interval).
    // Listening before the read: a commit after it is announced, not missed.
    absl::Status listening = log_->Listen();
    EventBatch chunk;
    absl::StatusOr<int64_t> last = log_->ReadAfter(
        position, options_.read_batch,
        [&](int64_t, const Event& event) { chunk.push_back(event); });
    if (last.ok() && *last != position) {
      apply_(*last, std::move(chunk));
      position = *last;
      absl::MutexLock lock(&mu_);
      position_ = position;
      continue;
    }
    // Caught up (or the database is away): wait in short slices, so that
    // stopping is prompt.
    const absl::Time until = absl::Now() + options_.poll_interval;
    while (absl::Now() < until) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
      }
      if (!last.ok() || !listening.ok()) {
        absl::SleepFor(
            std::min(absl::Milliseconds(100), options_.poll_interval));
        continue;
      }
      if (log_->WaitForCommit(absl::Milliseconds(100))) break;
    }
  }
}

}  // namespace orgpulse::ingest
