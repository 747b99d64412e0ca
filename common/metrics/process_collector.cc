#include "common/metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace orgpulse {
namespace {

double BootTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  while (stat >> key) {
    if (key == "btime") {
      double btime = 0;
      stat >> btime;
      return btime;
    }
  }
  return 0;
}

int OpenFds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
    count -= 3;  // ".", ".." and the directory's own descriptor
  }
  return count;
}

}  // namespace

void ProcessCollector::CollectInto(MetricSink& out) const {
  std::ifstream file("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(file)),
                      std::istreambuf_iterator<char>());
  // The command name may hold spaces: fields start after the last ')'.
  const size_t paren = content.rfind(')');
  if (paren == std::string::npos) return;
  std::istringstream fields(content.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  // f[0] is field 3 (state); field N is f[N - 3].
  if (f.size() < 22) return;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double cpu = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
  const double start = BootTimeSeconds() + std::stod(f[22 - 3]) / ticks;
  const double vsize = std::stod(f[23 - 3]);
  const double rss = std::stod(f[24 - 3]) * page;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);

  out.Counter("process_cpu_seconds_total",
              "Total user and system CPU time spent in seconds.", {}, cpu);
  out.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            {}, rss);
  out.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
            vsize);
  out.Gauge("process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.", {},
            start);
  out.Gauge("process_open_fds", "Number of open file descriptors.", {},
            OpenFds());
  out.Gauge("process_max_fds", "Maximum number of open file descriptors.", {},
            static_cast<double>(limit.rlim_cur));
}

}  // namespace orgpulse
