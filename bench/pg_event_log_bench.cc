// Commit throughput of ingest's PostgreSQL event log (PgEventLog): N
// committers, each with its own connection, committing groups of distinct
// events as fast as they can, plus one pass of duplicates. Prints one line
// per run. Run through bench/run_pg_bench.sh, which starts a PostgreSQL of
// its own.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/ingest/store/pg_event_log.h"

ABSL_FLAG(std::string, conninfo, "", "libpq connection string");
ABSL_FLAG(int, committers, 1, "concurrent committers (connections)");
ABSL_FLAG(int, group_size, 1000, "events per commit");
ABSL_FLAG(int, events, 200000, "events per committer");
ABSL_FLAG(std::string, ids, "random",
          "event ids: random (scattered over the unique index) or sequential "
          "(prefix-N, as the load generator numbers them)");

namespace orgpulse::ingest {
namespace {

Event MakeEvent(int committer, int64_t i, bool sequential) {
  Event e;
  e.source = "bench";
  // Random-looking ids, as real keys hit the unique index; or numbered ones,
  // which an index on the id itself keeps together.
  e.event_id = sequential
                   ? absl::StrCat("c", committer, "-", i)
                   : absl::StrCat(committer, "-",
                                  (i * 2654435761u) % 1000000007, "-", i);
  e.team = absl::StrCat("org/team-", i % 1000);
  e.occurred_at = absl::FromUnixSeconds(1780000000 + i);
  e.payload =
      TaskCreated{absl::StrCat("T-", i), absl::FromUnixSeconds(1790000000), 8};
  return e;
}

int Run() {
  const std::string conninfo = absl::GetFlag(FLAGS_conninfo);
  const int committers = absl::GetFlag(FLAGS_committers);
  const int group_size = absl::GetFlag(FLAGS_group_size);
  const int64_t per_committer = absl::GetFlag(FLAGS_events);
  const bool sequential = absl::GetFlag(FLAGS_ids) == "sequential";
  if (!sequential && absl::GetFlag(FLAGS_ids) != "random") {
    std::fprintf(stderr, "--ids: random or sequential, not %s\n",
                 absl::GetFlag(FLAGS_ids).c_str());
    return 2;
  }
  std::vector<std::unique_ptr<PgEventLog>> logs;
  for (int c = 0; c < committers; ++c) {
    absl::StatusOr<std::unique_ptr<PgEventLog>> log =
        PgEventLog::Open(conninfo);
    if (!log.ok()) {
      std::fprintf(stderr, "%s\n", log.status().ToString().c_str());
      return 1;
    }
    logs.push_back(std::move(*log));
  }
  auto pass = [&](bool duplicates) {
    std::atomic<int64_t> stored{0};
    std::atomic<bool> failed{false};
    const absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int c = 0; c < committers; ++c) {
      threads.emplace_back([&, c] {
        std::vector<Event> group;
        std::vector<const Event*> pointers;
        for (int64_t i = 0; i < per_committer; i += group_size) {
          group.clear();
          pointers.clear();
          for (int64_t j = i; j < std::min(per_committer, i + group_size);
               ++j) {
            group.push_back(MakeEvent(c, j, sequential));
          }
          for (const Event& e : group) pointers.push_back(&e);
          absl::StatusOr<PgCommit> commit = logs[c]->Commit(pointers);
          if (!commit.ok()) {
            std::fprintf(stderr, "%s\n", commit.status().ToString().c_str());
            failed = true;
            return;
          }
          stored += commit->stored_count;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "pg_event_log %s ids=%s committers=%d group=%d events=%lld "
        "stored=%lld seconds=%.2f events_per_s=%.0f\n",
        duplicates ? "duplicates" : "new", sequential ? "sequential" : "random",
        committers, group_size,
        static_cast<long long>(per_committer * committers),
        static_cast<long long>(stored.load()), seconds,
        per_committer * committers / seconds);
    return !failed;
  };
  if (!pass(false) || !pass(true)) return 1;
  return 0;
}

}  // namespace
}  // namespace orgpulse::ingest

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return orgpulse::ingest::Run();
}
