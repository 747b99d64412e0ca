// Runs a shell command for integration tests (curl, promtool, openssl) and
// returns its exit code and standard output; add " 2>&1" to the command for
// standard error too.
//
// Example:
//   CommandResult r = RunCommand("promtool check metrics < scrape.txt 2>&1");
//   EXPECT_EQ(r.exit_code, 0) << r.output;
#ifndef ORGPULSE_TESTS_SUPPORT_RUN_COMMAND_H_
#define ORGPULSE_TESTS_SUPPORT_RUN_COMMAND_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace orgpulse::testing {

struct CommandResult {
  int exit_code = -1;  // -1 if it could not run or was killed by a signal
  std::string output;
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_RUN_COMMAND_H_
