#include "common/storage/pg_health_probe.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/storage/pg_connection.h"

namespace orgpulse {

PgHealthProbe::PgHealthProbe(std::string conninfo, absl::Duration interval)
    : conninfo_(std::move(conninfo)), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

PgHealthProbe::~PgHealthProbe() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool PgHealthProbe::writable() const {
  absl::MutexLock lock(&state_mu_);
  return writable_;
}

void PgHealthProbe::SetWritableObserver(std::function<void(bool)> observer) {
  absl::MutexLock lock(&state_mu_);
  observer_ = std::move(observer);
  if (observer_) observer_(writable_);
}

int64_t PgHealthProbe::outages() const {
  absl::MutexLock lock(&state_mu_);
  return outages_;
}

absl::Status PgHealthProbe::CheckWritable(absl::string_view what) const {
  absl::MutexLock lock(&state_mu_);
  if (writable_) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      what, " (PostgreSQL) is unreachable, retrying: ", last_error_.message()));
}

void PgHealthProbe::Set(bool writable, const absl::Status& why) {
  absl::MutexLock lock(&state_mu_);
  last_error_ = why;
  if (writable_ == writable) return;
  writable_ = writable;
  if (!writable) ++outages_;
  if (observer_) observer_(writable_);
}

void PgHealthProbe::Loop() {
  std::unique_ptr<PgConnection> probe;
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stop_mu_) {
        return stopping_;
      };
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stop), interval_)) {
        return;
      }
    }
    // The probe's own connection, kept between rounds; the store's
    // connection is reset by its next write after UNAVAILABLE.
    if (probe == nullptr) {
      absl::StatusOr<std::unique_ptr<PgConnection>> pg =
          PgConnection::Connect(conninfo_, interval_);
      if (!pg.ok()) {
        Set(false, pg.status());
        continue;
      }
      probe = *std::move(pg);
    } else if (!probe->connected()) {
      if (absl::Status s = probe->Reset(); !s.ok()) {
        Set(false, s);
        continue;
      }
    }
    absl::StatusOr<PgResult> recovery =
        probe->Exec("SELECT pg_is_in_recovery()");
    if (!recovery.ok()) {
      Set(false, recovery.status());
    } else if (recovery->Get(0, 0) != "f") {
      Set(false, absl::UnavailableError(absl::StrCat(
                     probe->server(), " is a standby (read-only)")));
      probe.reset();  // reconnect: target_session_attrs may find the primary
    } else {
      Set(true, absl::OkStatus());
    }
  }
}

}  // namespace orgpulse
