// "Does the PostgreSQL server take writes now": the StoreHealth of a store on
// PostgreSQL (ingest's PgEventStore, insights' PgSurveyStore). A thread asks
// the server every `interval`, on a connection of its own (after a failure,
// every host of the connection string in order), `pg_is_in_recovery()`. An
// unreachable server or a read-only standby, seen by the probe or reported by
// the store after a failed write (Lost), makes it unwritable; the next probe
// that reaches a primary makes it writable again.
//
// Thread-safe.
//
// Example:
//   PgHealthProbe health(conninfo, absl::Seconds(1));
//   if (absl::Status s = health.CheckWritable("the survey store"); !s.ok())
//     return s;
//   absl::Status s = Write();
//   if (absl::IsUnavailable(s)) health.Lost(s);
#ifndef ORGPULSE_COMMON_STORAGE_PG_HEALTH_PROBE_H_
#define ORGPULSE_COMMON_STORAGE_PG_HEALTH_PROBE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage/store_health.h"

namespace orgpulse {

class PgHealthProbe final : public StoreHealth {
 public:
  // Starts probing at once (the first probe after `interval`); writable until
  // a probe or Lost says otherwise (the store has just connected).
  PgHealthProbe(std::string conninfo, absl::Duration interval);
  ~PgHealthProbe() override;  // stops the thread

  bool writable() const override;
  void SetWritableObserver(std::function<void(bool)> observer) override;

  // OK while writable; else UNAVAILABLE naming `what` and the last error.
  absl::Status CheckWritable(absl::string_view what) const;
  // A write failed as UNAVAILABLE: unwritable until a probe reaches a
  // primary.
  void Lost(const absl::Status& why) { Set(false, why); }
  // How many times the store turned unwritable so far. A store whose
  // connection predates the latest outage resets it before using it: libpq
  // may still call a connection the server dropped healthy, and the first
  // statement on it would fail.
  int64_t outages() const;

 private:
  void Set(bool writable, const absl::Status& why)
      ABSL_LOCKS_EXCLUDED(state_mu_);
  void Loop();

  const std::string conninfo_;
  const absl::Duration interval_;

  mutable absl::Mutex state_mu_;
  bool writable_ ABSL_GUARDED_BY(state_mu_) = true;
  int64_t outages_ ABSL_GUARDED_BY(state_mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(state_mu_);
  std::function<void(bool)> observer_ ABSL_GUARDED_BY(state_mu_);

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_PG_HEALTH_PROBE_H_
