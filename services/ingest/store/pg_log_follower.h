// Follows ingest's event log in PostgreSQL from a position, on a thread of
// its own, and hands every committed event to `apply` in position order:
// what each replica folds, whatever replica committed it (decision 0004).
// Woken by the commits' NOTIFY, and polls every poll_interval besides (a
// lost notification costs at most that much delay). While the database is
// unreachable it keeps trying; position() stays where it was.
//
// Example:
//   auto follower = PgLogFollower::Start(conninfo, snapshot_position,
//       [&](int64_t position, EventBatch&& events) { ledger.Fold(...); });
//   (*follower)->WaitFor(push_response.position(), absl::Seconds(5));
#ifndef ORGPULSE_SERVICES_INGEST_STORE_PG_LOG_FOLLOWER_H_
#define ORGPULSE_SERVICES_INGEST_STORE_PG_LOG_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/store/pg_event_log.h"

namespace orgpulse::ingest {

struct PgLogFollowerOptions {
  absl::Duration poll_interval = absl::Seconds(1);
  int64_t read_batch = 8192;  // events per read
};

class PgLogFollower {
 public:
  // `apply` gets the events after `from`, in order, in chunks, each with the
  // position of its last event; it runs on the follower's thread.
  using Apply = std::function<void(int64_t last_position, EventBatch&& events)>;

  static absl::StatusOr<std::unique_ptr<PgLogFollower>> Start(
      const std::string& conninfo, int64_t from, Apply apply,
      const PgLogFollowerOptions& options = {});
  ~PgLogFollower();  // stops the thread; `apply` is not called afterwards

  // The position up to which every event has been applied.
  int64_t position() const;
  // Waits until position() >= `position`; false after `timeout`.
  bool WaitFor(int64_t position, absl::Duration timeout) const;

 private:
  PgLogFollower(std::unique_ptr<PgEventLog> log, int64_t from, Apply apply,
                const PgLogFollowerOptions& options);
  void Loop();

  std::unique_ptr<PgEventLog> log_;  // the follower thread's
  const Apply apply_;
  const PgLogFollowerOptions options_;

  mutable absl::Mutex mu_;
  int64_t position_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_PG_LOG_FOLLOWER_H_
