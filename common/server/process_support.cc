#include "common/server/process_support.h"

#include <signal.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace orgpulse {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string WaitForTerminationSignal(absl::FunctionRef<void()> on_reload) {
  sigset_t set = TerminationSignals();
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (signal == SIGHUP) {
      on_reload();
      continue;
    }
    return signal == SIGTERM ? "SIGTERM" : "SIGINT";
  }
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents) {
  const std::string temp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << contents;
    out.close();
    if (!out)
      return absl::UnavailableError(absl::StrCat("cannot write ", temp));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Clock>> ClockFromFlag(
    const std::string& fixed_time) {
  if (fixed_time.empty()) return std::make_unique<SystemClock>();
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, fixed_time, &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("--now: ", error));
  }
  return std::make_unique<FixedClock>(t);
}

absl::Status WritePortFile(const std::string& path, int grpc_port,
                           int metrics_port) {
  if (path.empty()) return absl::OkStatus();
  return WriteFileAtomically(
      path, absl::StrCat("grpc=", grpc_port, " metrics=", metrics_port, "\n"));
}

}  // namespace orgpulse
