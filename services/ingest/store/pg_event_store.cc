#include "services/ingest/store/pg_event_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/storage/pg_connection.h"

namespace orgpulse::ingest {

absl::StatusOr<std::unique_ptr<PgEventStore>> PgEventStore::Open(
    const std::string& conninfo, const PgEventStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> log = PgEventLog::Open(conninfo);
  if (!log.ok()) return log.status();
  return std::unique_ptr<PgEventStore>(
      new PgEventStore(conninfo, *std::move(log), options));
}

PgEventStore::PgEventStore(std::string conninfo,
                           std::unique_ptr<PgEventLog> log,
                           const PgEventStoreOptions& options)
    : conninfo_(std::move(conninfo)), options_(options), log_(std::move(log)) {
  probe_ = std::thread([this] { ProbeLoop(); });
}

PgEventStore::~PgEventStore() {
  {
    absl::MutexLock lock(&probe_mu_);
    stopping_ = true;
  }
  probe_.join();
}

absl::StatusOr<AppendResult> PgEventStore::Append(
    absl::Span<const Event* const> events) {
  {
    absl::MutexLock lock(&state_mu_);
    if (!writable_) {
      return absl::UnavailableError(absl::StrCat(
          "the event store (PostgreSQL) is unreachable, retrying: ",
          last_error_.message()));
    }
  }
  absl::StatusOr<PgCommit> commit = log_->Commit(events);
  if (commit.ok()) {
    AppendResult result{.head = commit->head};
    result.duplicate.reserve(commit->stored.size());
    for (bool stored : commit->stored) result.duplicate.push_back(!stored);
    return result;
  }
  if (absl::IsUnavailable(commit.status())) {
    SetWritable(false, commit.status());
  }
  return commit.status();
}

absl::Status PgEventStore::Replay(absl::FunctionRef<void(const Event&)> fn) {
  int64_t position = 0;
  while (true) {
    absl::StatusOr<int64_t> last = log_->ReadAfter(
        position, 8192, [&](int64_t, const Event& event) { fn(event); });
    if (!last.ok()) return last.status();
    if (*last == position) return absl::OkStatus();
    position = *last;
  }
}

absl::StatusOr<int64_t> PgEventStore::Remove(const EventFilter& filter) {
  absl::StatusOr<int64_t> removed =
      log_->Remove(filter.source, absl::ToUnixMicros(filter.from),
                   absl::ToUnixMicros(filter.to));
  if (!removed.ok() && absl::IsUnavailable(removed.status())) {
    SetWritable(false, removed.status());
  }
  return removed;
}

int64_t PgEventStore::EventCountHint() {
  absl::StatusOr<int64_t> head = log_->Head();
  return head.ok() ? *head : 0;
}

bool PgEventStore::writable() const {
  absl::MutexLock lock(&state_mu_);
  return writable_;
}

void PgEventStore::SetWritableObserver(std::function<void(bool)> observer) {
  absl::MutexLock lock(&state_mu_);
  observer_ = std::move(observer);
  if (observer_) observer_(writable_);
}

void PgEventStore::SetWritable(bool writable, const absl::Status& why) {
  absl::MutexLock lock(&state_mu_);
  last_error_ = why;
  if (writable_ == writable) return;
  writable_ = writable;
  if (observer_) observer_(writable_);
}

void PgEventStore::ProbeLoop() {
  std::unique_ptr<PgConnection> probe;
  while (true) {
    {
      absl::MutexLock lock(&probe_mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(probe_mu_) {
        return stopping_;
      };
      if (probe_mu_.AwaitWithTimeout(absl::Condition(&stop),
                                     options_.probe_interval)) {
        return;
      }
    }
    // A connection of the probe's own, kept between rounds; the appending
    // thread's connection is reset by its next append after UNAVAILABLE.
    if (probe == nullptr) {
      absl::StatusOr<std::unique_ptr<PgConnection>> pg =
          PgConnection::Connect(conninfo_, options_.probe_interval);
      if (!pg.ok()) {
        SetWritable(false, pg.status());
        continue;
      }
      probe = *std::move(pg);
    } else if (!probe->connected()) {
      if (absl::Status s = probe->Reset(); !s.ok()) {
        SetWritable(false, s);
        continue;
      }
    }
    absl::StatusOr<PgResult> recovery =
        probe->Exec("SELECT pg_is_in_recovery()");
    if (!recovery.ok()) {
      SetWritable(false, recovery.status());
    } else if (recovery->Get(0, 0) != "f") {
      SetWritable(false, absl::UnavailableError(absl::StrCat(
                             probe->server(), " is a standby (read-only)")));
      probe.reset();  // reconnect: target_session_attrs may find the primary
    } else {
      SetWritable(true, absl::OkStatus());
    }
  }
}

}  // namespace orgpulse::ingest
