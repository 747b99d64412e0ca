// A started server, as ServiceMain (common/server/service_main.h) drives it:
// its ports for the --port_file, SIGHUP as Reload, SIGTERM as Shutdown.
#ifndef ORGPULSE_COMMON_SERVER_RUNNING_SERVER_H_
#define ORGPULSE_COMMON_SERVER_RUNNING_SERVER_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace orgpulse {

class RunningServer {
 public:
  virtual ~RunningServer() = default;
  virtual int grpc_port() const = 0;
  virtual int metrics_port() const = 0;
  // SIGHUP: re-reads what may change while running (tokens); on error the
  // old stays and the error says what was not reloaded.
  virtual absl::Status Reload() = 0;
  // Health NOT_SERVING, new calls refused, in-flight calls get up to `grace`,
  // then everything is flushed and closed. Idempotent.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_RUNNING_SERVER_H_
