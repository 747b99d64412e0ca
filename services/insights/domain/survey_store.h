// Where the insights service keeps survey responses (scored, respondent
// pseudonymised). As small a contract as the ingest EventStore: append a
// batch durably and atomically, replay everything on start, and say whether
// it takes writes (StoreHealth); and, for people's rights, remove a person's
// responses (erasure) or whole rounds (retention) so that nothing of them is
// left in the store's files.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/storage/store_health.h"
#include "services/insights/domain/survey.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {

// How far a reader has read a shared store's log (see SurveyStore::shared):
// the last position, and how many rewrites (erasures, retention drops) the
// log had gone through by then.
struct SurveyLogCursor {
  int64_t position = 0;
  int64_t rewrites = 0;
  bool operator==(const SurveyLogCursor&) const = default;
};

struct SurveyLogRead {
  SurveyLogCursor cursor;  // where the read ended
  // True if the changes given start from the beginning of the log (asked
  // for, or the log was rewritten since the cursor read from): the reader
  // folds them into a fresh state.
  bool from_start = false;
};

// A snapshot of the folded state (SurveyState::Encode) and where in the log
// it stands: the cursor (SQLite: the last row's sequence and the log's
// epoch; PostgreSQL: the folded cursor) and what else the store needs to
// know that its log still holds what was folded up to it (opaque).
struct SurveySnapshot {
  SurveyLogCursor cursor;
  std::string log_check;
  std::string state;
};

class SurveyStore : public StoreHealth {
 public:
  virtual ~SurveyStore() = default;
  // Atomic and durable on OK; nothing stored on error (RESOURCE_EXHAUSTED
  // when the disk is full, and while !writable()). One caller at a time, for
  // this and the other changes below.
  [[nodiscard]] virtual absl::Status Append(
      absl::Span<const ScoredResponse> responses) = 0;
  // Every stored response and round reset, in the order they were stored.
  [[nodiscard]] virtual absl::Status Replay(
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) = 0;

  // Removes every response of `respondent` (keyed hash, not empty) and every
  // earlier reset of the rounds in `resets`, and stores `resets` after
  // everything else; returns how many responses were removed (0 if none).
  // Atomic and durable on OK, nothing changed on error; the removed bytes
  // are in none of the store's files once it returns OK.
  [[nodiscard]] virtual absl::StatusOr<int64_t> Erase(
      absl::string_view respondent, absl::Span<const RoundReset> resets) = 0;

  // Removes every response and reset of `rounds`, as Erase does; returns how
  // many responses were removed.
  [[nodiscard]] virtual absl::StatusOr<int64_t> DropRounds(
      const std::set<std::string>& rounds) = 0;

  // A store that several replicas share (PostgreSQL) says so. Its log then
  // is the only order that counts: the engine folds what ReadAfter gives, in
  // position order, never its own appends directly, so every replica takes
  // the same release steps; and it erases with EraseAt.
  virtual bool shared() const { return false; }

  // The responses and resets after `from`, in log order, every record
  // decoded before the first call (on error none is called). Everything
  // from the start when `from` is {0, 0} or the log was rewritten since
  // `from` (then from_start is true). A store of one process that keeps
  // snapshots implements it too: the log after a snapshot's cursor.
  [[nodiscard]] virtual absl::StatusOr<SurveyLogRead> ReadAfter(
      const SurveyLogCursor& from,
      absl::FunctionRef<void(const ScoredResponse&)> on_response,
      absl::FunctionRef<void(const RoundReset&)> on_reset) {
    return absl::UnimplementedError("not a shared store");
  }

  // Erase, only if the log is still at `at`: `resets` were computed from the
  // state folded up to `at`. ABORTED, nothing changed, if another replica
  // changed the log since (catch up, compute the resets again, retry).
  [[nodiscard]] virtual absl::StatusOr<int64_t> EraseAt(
      const SurveyLogCursor& at, absl::string_view respondent,
      absl::Span<const RoundReset> resets) {
    return absl::UnimplementedError("not a shared store");
  }

  // Snapshots (UNIMPLEMENTED in a store without them). They hold what the
  // log holds, so Erase, EraseAt and DropRounds delete every snapshot with
  // what they remove: none is left in the store's files that holds it.
  //
  // Where the state stands in the log now, without `state` (the caller adds
  // it). REQUIRES: the state folds exactly what was appended (a store of one
  // process) or, shared, what ReadAfter handed out up to `folded`; one
  // caller at a time, as Append.
  [[nodiscard]] virtual absl::StatusOr<SurveySnapshot> SnapshotMark(
      const SurveyLogCursor& folded) {
    return absl::UnimplementedError("this store keeps no snapshots");
  }
  // Stores `snapshot` in place of older ones. ABORTED, nothing stored, if a
  // removal happened since its SnapshotMark (it may hold removed data).
  // May run beside every other call.
  [[nodiscard]] virtual absl::Status SaveSnapshot(
      const SurveySnapshot& snapshot) {
    return absl::UnimplementedError("this store keeps no snapshots");
  }
  // The newest snapshot that matches the log as it is: ReadAfter its cursor
  // then folds the rest. NOT_FOUND if there is none; another error, saying
  // why, for one that cannot be used (damaged, of a log since rewritten,
  // beyond the log's end): the caller replays the whole log.
  // REQUIRES: one caller at a time, as Append.
  [[nodiscard]] virtual absl::StatusOr<SurveySnapshot> LoadSnapshot() {
    return absl::UnimplementedError("this store keeps no snapshots");
  }
};

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_STORE_H_
