// orgpulse: the command line of the orgpulse services (cli/app/cli.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/app/cli.h"
#include "common/clock/clock.h"

int main(int argc, char** argv) {
  const orgpulse::SystemClock clock;
  const orgpulse::cli::CliContext context{
      .env = [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      .out = &std::cout,
      .err = &std::cerr,
      .err_is_terminal = isatty(STDERR_FILENO) == 1,
      .clock = &clock};
  return orgpulse::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc),
                               context);
}
