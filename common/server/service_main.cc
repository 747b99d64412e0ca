#include "common/server/service_main.h"

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/server/process_support.h"
#include "common/server/server_flags.h"

namespace orgpulse {

int ServiceMain(int argc, char** argv, const ServiceDescription& service) {
  BlockTerminationSignals();  // before any thread starts
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [main_file =
                                   service.main_file](absl::string_view file) {
    return absl::StrContains(file, main_file) ||
           absl::StrContains(file, kServerFlagsFile);
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(service.usage);
  SetServerFlagDefaults(service.defaults);
  absl::ParseCommandLine(argc, argv);

  const ProcessFlags process = ProcessFlagsFromFlags();
  auto fail = [&](absl::string_view what) {
    Log(LogLevel::kError, service.component,
        absl::StrCat("cannot start: ", what));
    return 1;
  };
  absl::StatusOr<std::unique_ptr<Clock>> clock = ClockFromFlag(process.now);
  if (!clock.ok()) return fail(clock.status().message());
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      service.start(ServerOptionsFromFlags(), **clock);
  if (!server.ok()) return fail(server.status().ToString());
  if (absl::Status s = WritePortFile(process.port_file, (*server)->grpc_port(),
                                     (*server)->metrics_port());
      !s.ok()) {
    (*server)->Shutdown(absl::ZeroDuration());
    return fail(s.message());
  }

  const std::string signal = WaitForTerminationSignal([&] {
    if (absl::Status s = (*server)->Reload(); s.ok()) {
      Log(LogLevel::kInfo, service.component, "SIGHUP: tokens reloaded");
    } else {
      Log(LogLevel::kError, service.component,
          absl::StrCat("SIGHUP: tokens not reloaded, the old ones stay: ",
                       s.message()));
    }
  });
  Log(LogLevel::kInfo, service.component, absl::StrCat(signal, ": draining"));
  (*server)->Shutdown(process.shutdown_grace);
  return 0;
}

}  // namespace orgpulse
