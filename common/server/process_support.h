// What a service's main needs besides its server: waiting for SIGTERM /
// SIGINT without a signal handler (the signals are blocked in every thread,
// so call BlockTerminationSignals first thing in main, and the main thread
// takes them with sigwait, so shutdown runs as ordinary code), the clock
// from the --now flag, and the --port_file.
#ifndef ORGPULSE_COMMON_SERVER_PROCESS_SUPPORT_H_
#define ORGPULSE_COMMON_SERVER_PROCESS_SUPPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock/clock.h"

namespace orgpulse {

void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns its name.
std::string WaitForTerminationSignal();

// Writes `contents` to `path` atomically (temp file + rename), so a reader
// polling for the file never sees it half-written. Used for --port_file.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

// A SystemClock for an empty `fixed_time`, else a FixedClock at that RFC 3339
// time (INVALID_ARGUMENT if it does not parse).
absl::StatusOr<std::unique_ptr<Clock>> ClockFromFlag(
    const std::string& fixed_time);

// Writes "grpc=PORT metrics=PORT" to `path` (nothing if `path` is empty).
absl::Status WritePortFile(const std::string& path, int grpc_port,
                           int metrics_port);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_PROCESS_SUPPORT_H_
