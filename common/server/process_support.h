// What a service's main needs besides its server: waiting for SIGTERM /
// SIGINT (and taking SIGHUP as "reload") without a signal handler (the
// signals are blocked in every thread, so call BlockTerminationSignals first
// thing in main, and the main thread takes them with sigwait, so shutdown
// and reload run as ordinary code), the clock from the --now flag, and the
// --port_file.
#ifndef ORGPULSE_COMMON_SERVER_PROCESS_SUPPORT_H_
#define ORGPULSE_COMMON_SERVER_PROCESS_SUPPORT_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock/clock.h"

namespace orgpulse {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread
// it starts later.
void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns its name. Each SIGHUP
// meanwhile runs `on_reload` on this thread.
std::string WaitForTerminationSignal(absl::FunctionRef<void()> on_reload = [] {
});

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
