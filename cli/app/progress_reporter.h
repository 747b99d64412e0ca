// Shows the progress of a long import on stderr: a bar redrawn in place on a
// terminal (at most every 100 ms, from 200 ms into a phase), or a plain line
// every 5 s otherwise. Messages (bad rows) go out between redraws without
// garbling the bar. Thread-safe: the push acknowledgements update it from
// the client's reading thread.
#ifndef ORGPULSE_CLI_APP_PROGRESS_REPORTER_H_
#define ORGPULSE_CLI_APP_PROGRESS_REPORTER_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cli/output/progress.h"
#include "common/clock/clock.h"

namespace orgpulse::cli {

class ProgressReporter {
 public:
  // `clock` must outlive this object. With `enabled` false only messages
  // are shown.
  ProgressReporter(std::ostream& err, bool terminal, bool enabled,
                   const Clock& clock)
      : err_(err), terminal_(terminal), enabled_(enabled), clock_(clock) {}

  // A new phase of work on `file`; `total` units (0: unknown).
  void Start(std::string file, std::string phase, std::string unit,
             int64_t total);
  // `rows`: rows read so far, if known (-1: not shown).
  void Update(int64_t done, int64_t rows = -1);
  // A line of its own (with the newline added).
  void Message(const std::string& line);
  // Ends the phase, clearing the bar.
  void Finish();

 private:
  void ClearBar() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::ostream& err_;
  const bool terminal_;
  const bool enabled_;
  const Clock& clock_;
  absl::Mutex mu_;
  ProgressState state_ ABSL_GUARDED_BY(mu_);
  absl::Time started_ ABSL_GUARDED_BY(mu_);
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_);
  bool bar_shown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_PROGRESS_REPORTER_H_
