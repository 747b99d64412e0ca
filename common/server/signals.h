// Waiting for SIGTERM / SIGINT without a signal handler: the signals are
// blocked in every thread (call BlockTerminationSignals first thing in main,
// before any thread starts) and the main thread takes them with sigwait, so
// shutdown runs as ordinary code.
#ifndef ORGPULSE_COMMON_SERVER_SIGNALS_H_
#define ORGPULSE_COMMON_SERVER_SIGNALS_H_

#include <string>

#include "absl/status/status.h"

namespace orgpulse {

void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns its name.
std::string WaitForTerminationSignal();

// Writes `contents` to `path` atomically (temp file + rename), so a reader
// polling for the file never sees it half-written. Used for --port_file.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_SIGNALS_H_
