#include "cli/app/progress_reporter.h"

#include <utility>

namespace orgpulse::cli {
namespace {

constexpr int kBarWidth = 100;

}  // namespace

void ProgressReporter::Start(std::string file, std::string phase,
                             std::string unit, int64_t total) {
  absl::MutexLock lock(&mu_);
  ClearBar();
  state_ = ProgressState{.file = std::move(file),
                         .phase = std::move(phase),
                         .unit = std::move(unit),
                         .done = 0,
                         .total = total};
  started_ = clock_.Now();
  last_draw_ = started_;
}

void ProgressReporter::Update(int64_t done, int64_t rows) {
  if (!enabled_) return;
  absl::MutexLock lock(&mu_);
  state_.done = done;
  state_.rows = rows;
  const absl::Time now = clock_.Now();
  const absl::Duration since = now - last_draw_;
  if (terminal_) {
    if (now - started_ < absl::Milliseconds(200) ||
        since < absl::Milliseconds(100)) {
      return;
    }
    state_.elapsed = now - started_;
    const std::string bar = FormatProgressBar(state_, kBarWidth);
    err_ << "\r" << bar << "\033[K" << std::flush;
    bar_shown_ = true;
  } else {
    if (since < absl::Seconds(5)) return;
    state_.elapsed = now - started_;
    err_ << FormatProgressLine(state_) << "\n" << std::flush;
  }
  last_draw_ = now;
}

void ProgressReporter::Message(const std::string& line) {
  absl::MutexLock lock(&mu_);
  ClearBar();
  err_ << line << "\n" << std::flush;
}

void ProgressReporter::Finish() {
  absl::MutexLock lock(&mu_);
  ClearBar();
}

void ProgressReporter::ClearBar() {
  if (!bar_shown_) return;
  err_ << "\r\033[K" << std::flush;
  bar_shown_ = false;
}

}  // namespace orgpulse::cli
