// orgpulse-ingest-loadgen: a load generator for the ingest service's
// performance benchmark (bench/run_ingest_bench.sh). Not part of the tests.
//
// Both load modes go through orgpulse::IngestClient (clients/), as the CLI
// does, with one client and connection per worker:
//   --mode=stream  N concurrent PushStream calls (--concurrency), each with up
//                  to K requests written but not yet acknowledged (--inflight),
//                  --batch events per request (default 1000). Latency is the
//                  time from writing a request to reading its acknowledgement
//                  (BatchAck::latency).
//   --mode=push    N concurrent clients (--concurrency), each on its own
//                  connection, doing unary Push of --batch events (default
//                  100).
//   --mode=probe   waits for --port_file, then for a health check and a
//                  ListTeams call to succeed; prints the time taken and the
//                  stored events the server reports (restart timing).
//
// --rate=EVENTS_PER_S paces requests open-loop: request i is due at
// start + i * batch / rate, and its latency is measured from when it was due,
// so a server that falls behind is charged for the queueing (no coordinated
// omission). Without --rate every worker sends as fast as it is acknowledged.
//
// The event mix is organisation-shaped: about 60% task lifecycle events
// (created / started / completed / cancelled / due date changed) across
// --teams teams named dept-N/team-M, 10% cost actuals and progress, 10%
// procedure checks, 10% KPI actuals, and milestones, plans and KPI targets.
// Every event has a unique (source, event_id) and occurred_at within the last
// 90 days. Requests are generated cheaply: each worker builds a few template
// requests once, and per request only patches the event ids, task ids and
// timestamps (the patching CPU is reported as gen_cpu_s). Stream mode lends
// the templates to the client (orgpulse::LentBatchSource), so no request is
// copied; --templates is raised to --inflight + 2 if lower.
//
// Output: one line starting with RESULT, of key=value pairs, e.g.
//   RESULT mode=stream events=10000000 ... seconds=40.1 events_per_s=249376
//   p50_ms=... p90_ms=... p99_ms=... client_cpu_s=... gen_cpu_s=...
// Exit status 0 only if every event was acknowledged as accepted (or, with
// --allow_duplicates, accepted or duplicate) and no call failed.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/ingest_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"

ABSL_FLAG(std::string, mode, "stream", "stream | push | probe");
ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "ingest service host:port (ignored when --port_file is given)");
ABSL_FLAG(std::string, port_file, "",
          "read the gRPC port from this file ('grpc=PORT metrics=PORT'); "
          "waits for it to appear");
ABSL_FLAG(int64_t, events, 1'000'000, "total events to push");
ABSL_FLAG(int, batch, 0,
          "events per request (0: 1000 for stream, 100 for push)");
ABSL_FLAG(int, concurrency, 0,
          "concurrent PushStream calls or Push clients (0: 4 for stream, 16 "
          "for push); each has its own connection");
ABSL_FLAG(int, inflight, 4,
          "stream: requests written but not yet acknowledged, per stream");
ABSL_FLAG(double, rate, 0,
          "target events/s, paced open-loop (0: as fast as possible)");
ABSL_FLAG(int, teams, 1000,
          "number of teams (dept-N/team-M, 50 teams per dept)");
ABSL_FLAG(int, task_percent, 60,
          "share of task lifecycle events (the rest keeps its proportions); "
          "a diagnostic knob, e.g. 0 to see memory without per-task state");
ABSL_FLAG(int, templates, 16, "template requests per worker");
ABSL_FLAG(std::string, id_prefix, "",
          "event id prefix (default: random, so that runs never collide)");
ABSL_FLAG(bool, allow_duplicates, false,
          "do not fail when the server reports duplicates");
ABSL_FLAG(int64_t, server_pid, 0,
          "if set, read the server's VmRSS at --rss_checkpoints and its CPU "
          "time over the run from /proc");
ABSL_FLAG(std::string, rss_checkpoints, "",
          "comma-separated acknowledged-event counts at which to read the "
          "server's VmRSS (needs --server_pid), e.g. 1000000,10000000");
ABSL_FLAG(int64_t, offset_events, 0,
          "events the server already stored before this run; added to the "
          "acknowledged count when matching --rss_checkpoints");
ABSL_FLAG(int64_t, interval_events, 1'000'000,
          "also report events/s over each interval of this many acknowledged "
          "events (interval_events_per_s=a,b,...; 0: off)");
ABSL_FLAG(int, timeout_s, 120,
          "per-call deadline (push), longest wait for a batch's "
          "acknowledgement (stream), probe timeout; seconds");
ABSL_FLAG(int64_t, start_unix_ns, 0,
          "probe: also report the time since this wall-clock instant (ns since "
          "the epoch), e.g. when the server was started");

namespace {

namespace v1 = orgpulse::ingest::v1;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// ---- /proc readers (server RSS and CPU) --------------------------------

int64_t ProcStatusKb(int64_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, key + ":")) {
      int64_t kb = 0;
      std::istringstream fields(line.substr(key.size() + 1));
      fields >> kb;
      return kb;
    }
  }
  return -1;
}

// CPU-seconds all CPUs spent busy (not idle or iowait) since boot.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t v[8] = {};
  in >> cpu;
  for (int64_t& x : v) in >> x;
  // user nice system idle iowait irq softirq steal
  const int64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ProcCpuSeconds(int64_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string all((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  const size_t paren = all.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<std::string> f =
      absl::StrSplit(all.substr(paren + 2), ' ', absl::SkipEmpty());
  // After "pid (comm) ": state is field 0, utime 11, stime 12.
  if (f.size() < 13) return -1;
  int64_t ut = 0, st = 0;
  if (!absl::SimpleAtoi(f[11], &ut) || !absl::SimpleAtoi(f[12], &st)) return -1;
  return static_cast<double>(ut + st) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

// ---- target ----------------------------------------------------------------

// Waits for the port file and returns 127.0.0.1:PORT, or "" on timeout.
std::string TargetFromPortFile(const std::string& path,
                               Clock::time_point until) {
  while (Clock::now() < until) {
    std::ifstream in(path);
    std::string content((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
    for (absl::string_view field :
         absl::StrSplit(content, absl::ByAnyChar(" \n"))) {
      int port = 0;
      if (absl::ConsumePrefix(&field, "grpc=") &&
          absl::SimpleAtoi(field, &port) && port > 0) {
        return absl::StrCat("127.0.0.1:", port);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return "";
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  // Each worker gets its own TCP connection, like independent clients.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxSendMessageSize(64 << 20);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

// ---- event generation
// --------------------------------------------------------

constexpr int kTeamsPerDept = 50;
const char* const kProcedures[] = {"code-review", "change-approval",
                                   "security-sign-off", "definition-of-done",
                                   "incident-postmortem"};
struct KpiSpec {
  const char* name;
  v1::KpiAggregation aggregation;
  double lo, hi;
};
const KpiSpec kKpis[] = {
    {"revenue", v1::KPI_AGGREGATION_SUM, 100, 20'000},
    {"tickets-closed", v1::KPI_AGGREGATION_SUM, 1, 20},
    {"uptime-ratio", v1::KPI_AGGREGATION_LAST, 0.95, 1.0},
};
constexpr int kProjectsPerTeam = 4;
constexpr int kMilestonesPerProject = 6;
constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;
// Each use of a template moves all its times forward by up to this much, so
// requests differ; generated times leave room for it below "now".
constexpr int64_t kMaxShift = 5 * kDay;

// A request built once; Patch() rewrites what must differ per use.
struct Template {
  v1::PushRequest request;
  std::vector<v1::Event*> events;
  struct TimeField {
    google::protobuf::Timestamp* ts;
    int64_t base;
  };
  std::vector<TimeField> times;
  struct TaskField {
    std::string* field;
    std::string base;
  };
  std::vector<TaskField> tasks;
};

class TemplateBuilder {
 public:
  TemplateBuilder(uint64_t seed, int teams, int task_percent, int64_t now_s)
      : rng_(seed), teams_(teams), task_percent_(task_percent), now_(now_s) {}

  Template Build(int batch, const std::string& task_prefix) {
    Template t;
    std::deque<std::function<void(v1::Event&)>> pending_task_events;
    int task_no = 0;
    for (int i = 0; i < batch; ++i) {
      v1::Event& e = *t.request.add_events();
      t.events.push_back(&e);
      e.set_event_id("x");
      int r = Uniform(0, 99);
      if (r < task_percent_) {
        if (pending_task_events.empty()) {
          NewTask(t, absl::StrCat(task_prefix, "-", task_no++),
                  pending_task_events);
        }
        pending_task_events.front()(e);
        pending_task_events.pop_front();
        continue;
      }
      // The other kinds keep their shares of the remaining events.
      r = 60 + (r - task_percent_) * 40 / (100 - task_percent_);
      const std::string team = Team();
      e.set_team(team);
      const std::string project =
          absl::StrCat("proj-", Uniform(0, kProjectsPerTeam - 1));
      Time(t, e.mutable_occurred_at(),
           Between(now_ - 85 * kDay, now_ - 6 * kDay));
      if (r < 67) {
        e.set_source("finance-erp");
        auto& p = *e.mutable_cost_actual();
        p.set_project(project);
        p.set_amount(std::round(UniformReal(100, 5000) * 100) / 100);
      } else if (r < 70) {
        e.set_source("finance-erp");
        auto& p = *e.mutable_project_progress();
        p.set_project(project);
        p.set_percent_complete(std::round(UniformReal(0, 100)));
      } else if (r < 80) {
        e.set_source("ci");
        auto& p = *e.mutable_procedure_check();
        p.set_procedure(kProcedures[Uniform(0, std::size(kProcedures) - 1)]);
        p.set_passed(Uniform(0, 99) < 88);
      } else if (r < 90) {
        e.set_source("kpi-sheet");
        const KpiSpec& k = kKpis[Uniform(0, std::size(kKpis) - 1)];
        auto& p = *e.mutable_kpi_actual();
        p.set_kpi(k.name);
        p.set_value(UniformReal(k.lo, k.hi));
      } else if (r < 94) {
        e.set_source("jira");
        auto& p = *e.mutable_milestone_due();
        p.set_project(project);
        p.set_milestone(
            absl::StrCat("m-", Uniform(0, kMilestonesPerProject - 1)));
        Time(t, p.mutable_due_at(),
             Between(now_ - 60 * kDay, now_ + 60 * kDay));
      } else if (r < 97) {
        e.set_source("jira");
        auto& p = *e.mutable_milestone_reached();
        p.set_project(project);
        p.set_milestone(
            absl::StrCat("m-", Uniform(0, kMilestonesPerProject - 1)));
      } else if (r < 99) {
        e.set_source("finance-erp");
        auto& p = *e.mutable_project_budget_plan();
        p.set_project(project);
        p.set_budget_at_completion(Uniform(100, 1000) * 1000.0);
        Time(t, p.mutable_planned_start(), now_ - Uniform(90, 180) * kDay);
        Time(t, p.mutable_planned_end(), now_ + Uniform(30, 300) * kDay);
      } else {
        e.set_source("kpi-sheet");
        const KpiSpec& k = kKpis[Uniform(0, std::size(kKpis) - 1)];
        const absl::CivilMonth month =
            absl::ToCivilMonth(absl::FromUnixSeconds(e.occurred_at().seconds()),
                               absl::UTCTimeZone());
        auto& p = *e.mutable_kpi_monthly_target();
        p.set_kpi(k.name);
        p.set_year(static_cast<int>(month.year()));
        p.set_month(month.month());
        p.set_target(k.aggregation == v1::KPI_AGGREGATION_SUM ? k.hi * 20
                                                              : 0.99);
        p.set_aggregation(k.aggregation);
      }
    }
    return t;
  }

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  double UniformReal(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }
  int64_t Between(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  std::string Team() {
    const int team = Uniform(0, teams_ - 1);
    return absl::StrCat("dept-", team / kTeamsPerDept, "/team-",
                        team % kTeamsPerDept);
  }
  void Time(Template& t, google::protobuf::Timestamp* ts, int64_t seconds) {
    ts->set_seconds(seconds);
    t.times.push_back({ts, seconds});
  }

  // Queues one task's lifecycle, in order: created, then usually started,
  // then usually completed (sometimes cancelled, or its due date moved).
  void NewTask(Template& t, const std::string& task_id,
               std::deque<std::function<void(v1::Event&)>>& out) {
    const std::string team = Team();
    const int64_t created = Between(now_ - 85 * kDay, now_ - 20 * kDay);
    const int64_t due = created + Between(2 * kDay, 20 * kDay);
    const int64_t started = created + Between(kHour, 3 * kDay);
    const int64_t finished = started + Between(kHour, 10 * kDay);
    const int shape = Uniform(0, 99);
    auto common = [this, &t, team](v1::Event& e, int64_t at) {
      e.set_source("jira");
      e.set_team(team);
      Time(t, e.mutable_occurred_at(), at);
    };
    auto task = [&t](std::string* field, const std::string& id) {
      *field = id;
      t.tasks.push_back({field, id});
    };
    out.push_back([=, &t](v1::Event& e) {
      common(e, created);
      auto& p = *e.mutable_task_created();
      task(p.mutable_task_id(), task_id);
      Time(t, p.mutable_due_at(), due);
      p.set_estimate_hours((1 + (created % 16)) * 2);
    });
    if (shape < 5) return;  // stays open
    if (shape < 12) {
      out.push_back([=, &t](v1::Event& e) {
        common(e, created + kDay);
        auto& p = *e.mutable_task_due_date_changed();
        task(p.mutable_task_id(), task_id);
        Time(t, p.mutable_due_at(), due + 5 * kDay);
      });
    }
    out.push_back([=](v1::Event& e) {
      common(e, started);
      task(e.mutable_task_started()->mutable_task_id(), task_id);
    });
    if (shape < 20) return;  // in progress
    if (shape < 27) {
      out.push_back([=](v1::Event& e) {
        common(e, finished);
        task(e.mutable_task_cancelled()->mutable_task_id(), task_id);
      });
    } else {
      out.push_back([=](v1::Event& e) {
        common(e, finished);
        task(e.mutable_task_completed()->mutable_task_id(), task_id);
      });
    }
  }

  std::mt19937_64 rng_;
  const int teams_;
  const int task_percent_;
  const int64_t now_;
};

// Makes template `t` request number `index`: unique event ids
// (prefix-SEQ, SEQ = index * batch + position), task ids unique to this
// request, and all times shifted by the same per-request amount.
void Patch(Template& t, uint64_t index, const std::string& id_prefix) {
  const uint64_t first = index * t.events.size();
  for (size_t i = 0; i < t.events.size(); ++i) {
    std::string* id = t.events[i]->mutable_event_id();
    id->assign(id_prefix);
    absl::StrAppend(id, first + i);
  }
  const std::string suffix = absl::StrCat(".", index);
  for (Template::TaskField& f : t.tasks) {
    f.field->assign(f.base);
    f.field->append(suffix);
  }
  const int64_t shift =
      static_cast<int64_t>((index * 0x9e3779b97f4a7c15ULL) >> 40) % kMaxShift;
  for (Template::TimeField& f : t.times) f.ts->set_seconds(f.base + shift);
}

// ---- run bookkeeping
// ---------------------------------------------------------

struct Shared {
  int64_t total_requests = 0;
  int batch = 0;
  int64_t total_events = 0;
  double rate = 0;
  std::string id_prefix;
  Clock::time_point start;
  std::atomic<int64_t> next_request{0};
  std::atomic<int64_t> acked_events{0};
  std::atomic<int64_t> accepted{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string first_error;
  std::vector<double> latencies_ms;  // merged at the end of each worker
  // Acknowledged events (this run) when each latency sample completed, in
  // the same order: shows where in the run the slowest requests fell.
  std::vector<int64_t> latency_at;
  double gen_cpu_s = 0;

  int64_t EventsIn(int64_t request) const {
    return std::min<int64_t>(batch, total_events - request * batch);
  }
  // Open-loop schedule: when request `i` is due.
  Clock::time_point DueAt(int64_t i) const {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(i * batch / rate));
  }
  void Error(const absl::Status& s) {
    errors.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.empty()) {
      first_error = absl::StrCat(static_cast<int>(s.code()), ": ", s.message());
    }
  }
  void Merge(std::vector<double>& lat, std::vector<int64_t>& at,
             double gen_cpu) {
    std::lock_guard<std::mutex> lock(mu);
    latencies_ms.insert(latencies_ms.end(), lat.begin(), lat.end());
    latency_at.insert(latency_at.end(), at.begin(), at.end());
    gen_cpu_s += gen_cpu;
  }
};

// Trims the last request of the run to the events left.
v1::PushRequest* Shape(Template& t, Shared& s, int64_t index,
                       v1::PushRequest& scratch) {
  Patch(t, static_cast<uint64_t>(index), s.id_prefix);
  const int64_t n = s.EventsIn(index);
  if (n == static_cast<int64_t>(t.events.size())) return &t.request;
  scratch.Clear();
  for (int64_t i = 0; i < n; ++i) *scratch.add_events() = t.request.events(i);
  return &scratch;
}

orgpulse::ClientOptions ClientOptionsFor(const std::string& target,
                                         int timeout_s) {
  orgpulse::ClientOptions options;
  options.address = target;
  options.timeout = absl::Seconds(timeout_s);
  return options;
}

// ---- stream mode
// -------------------------------------------------------------

// A worker's requests for IngestClient::PushStream: the next request numbers
// of the run, paced when --rate is given. The templates themselves are lent
// to the client (no copy), so one is patched again only once it is given
// back; there are more templates than requests in flight (see main).
class TemplateSource final : public orgpulse::LentBatchSource {
 public:
  TemplateSource(Shared& s, std::vector<Template>& templates)
      : s_(s), templates_(templates), on_loan_(templates.size(), false) {}

  const v1::PushRequest* Lend() override {
    if (s_.stop.load(std::memory_order_relaxed)) return nullptr;
    const int64_t index = s_.next_request.fetch_add(1);
    if (index >= s_.total_requests) return nullptr;
    if (s_.rate > 0) std::this_thread::sleep_until(s_.DueAt(index));
    const double c0 = ThreadCpuSeconds();
    size_t i = next_template_;
    while (on_loan_[i]) i = (i + 1) % templates_.size();
    next_template_ = (i + 1) % templates_.size();
    // Shape patches the template, or fills scratch_ for the run's last,
    // shorter request (lent once).
    const v1::PushRequest* request = Shape(templates_[i], s_, index, scratch_);
    on_loan_[i] = request == &templates_[i].request;
    gen_cpu_s_ += ThreadCpuSeconds() - c0;
    if (s_.rate > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(index);
    }
    return request;
  }
  void GiveBack(const v1::PushRequest* batch) override {
    for (size_t i = 0; i < templates_.size(); ++i) {
      if (&templates_[i].request == batch) on_loan_[i] = false;
    }
  }

  // The run's request number of this source's batch `batch` (with --rate).
  int64_t Request(int64_t batch) {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_[batch];
  }
  double gen_cpu_s() const { return gen_cpu_s_; }

 private:
  Shared& s_;
  std::vector<Template>& templates_;
  std::vector<bool> on_loan_;
  size_t next_template_ = 0;
  v1::PushRequest scratch_;
  double gen_cpu_s_ = 0;
  std::mutex mu_;  // Lend runs on the stream's thread, Request in on_batch
  std::vector<int64_t> requests_;
};

void StreamWorker(Shared& s, orgpulse::IngestClient& client,
                  std::vector<Template>& templates, int inflight) {
  TemplateSource source(s, templates);
  std::vector<double> lat;
  std::vector<int64_t> at;
  lat.reserve(s.total_requests / 2 + 16);
  orgpulse::PushStreamOptions options;
  options.max_in_flight = inflight;
  // One stream: called one acknowledgement at a time, and done when
  // PushStream returns.
  options.on_batch = [&](const orgpulse::BatchAck& ack) {
    lat.push_back(s.rate > 0
                      ? std::chrono::duration<double, std::milli>(
                            Clock::now() - s.DueAt(source.Request(ack.index)))
                            .count()
                      : absl::ToDoubleMilliseconds(ack.latency));
    at.push_back(s.acked_events.load(std::memory_order_relaxed));
    s.accepted.fetch_add(ack.accepted, std::memory_order_relaxed);
    s.duplicates.fetch_add(ack.duplicates, std::memory_order_relaxed);
    s.acked_events.fetch_add(ack.events, std::memory_order_relaxed);
  };
  const orgpulse::PushOutcome pushed = client.PushStream(source, options);
  if (!pushed.status.ok()) {
    s.Error(pushed.status);
    s.stop = true;
  }
  s.Merge(lat, at, source.gen_cpu_s());
}

// ---- push mode
// ---------------------------------------------------------------

void PushWorker(Shared& s, orgpulse::IngestClient& client,
                std::vector<Template>& templates) {
  std::vector<double> lat;
  std::vector<int64_t> at;
  lat.reserve(s.total_requests / 4 + 16);
  double gen_cpu = 0;
  v1::PushRequest scratch;
  size_t next_template = 0;
  while (!s.stop.load(std::memory_order_relaxed)) {
    const int64_t index = s.next_request.fetch_add(1);
    if (index >= s.total_requests) break;
    Clock::time_point due{};
    if (s.rate > 0) {
      due = s.DueAt(index);
      std::this_thread::sleep_until(due);
    }
    const double c0 = ThreadCpuSeconds();
    Template& t = templates[next_template++ % templates.size()];
    const v1::PushRequest* request = Shape(t, s, index, scratch);
    gen_cpu += ThreadCpuSeconds() - c0;
    const Clock::time_point start = s.rate > 0 ? due : Clock::now();
    const absl::StatusOr<v1::PushResponse> response = client.Push(*request);
    const Clock::time_point end = Clock::now();
    if (!response.ok()) {
      s.Error(response.status());
      continue;
    }
    lat.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
    at.push_back(s.acked_events.load(std::memory_order_relaxed));
    s.accepted.fetch_add(response->accepted(), std::memory_order_relaxed);
    s.duplicates.fetch_add(response->duplicates(), std::memory_order_relaxed);
    s.acked_events.fetch_add(s.EventsIn(index), std::memory_order_relaxed);
  }
  s.Merge(lat, at, gen_cpu);
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  size_t rank = static_cast<size_t>(std::ceil(p / 100 * sorted.size()));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::string ResolveTarget(Clock::time_point until) {
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (port_file.empty()) return absl::GetFlag(FLAGS_target);
  return TargetFromPortFile(port_file, until);
}

// ---- probe mode
// ----------------------------------------------------------------

int Probe() {
  const Clock::time_point start = Clock::now();
  const Clock::time_point until =
      start + std::chrono::seconds(absl::GetFlag(FLAGS_timeout_s));
  const std::string target = ResolveTarget(until);
  if (target.empty()) {
    std::cerr << "probe: no port file within the timeout\n";
    return 1;
  }
  const double port_file_s = Seconds(Clock::now() - start);
  auto channel = NewChannel(target);
  auto health = grpc::health::v1::Health::NewStub(channel);
  // No retries with backoff: this loop polls every 2 ms.
  orgpulse::ClientOptions options = ClientOptionsFor(target, 10);
  options.retry.max_attempts = 1;
  orgpulse::IngestClient ingest(channel, options);
  double health_s = -1;
  while (Clock::now() < until) {
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      health_s = Seconds(Clock::now() - start);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (health_s < 0) {
    std::cerr << "probe: health check never SERVING\n";
    return 1;
  }
  while (Clock::now() < until) {
    const absl::StatusOr<v1::ListTeamsResponse> response = ingest.ListTeams("");
    if (response.ok()) {
      const double ready_s = Seconds(Clock::now() - start);
      int64_t stored = 0;
      for (const auto& team : response->teams()) stored += team.events();
      std::string since;
      if (const int64_t t0 = absl::GetFlag(FLAGS_start_unix_ns); t0 > 0) {
        since = absl::StrFormat(
            " since_start_s=%.3f",
            absl::ToDoubleSeconds(absl::Now() - absl::FromUnixNanos(t0)));
      }
      std::cout << absl::StrFormat(
                       "RESULT mode=probe target=%s port_file_s=%.3f "
                       "health_s=%.3f ready_s=%.3f%s teams=%d stored_events=%d",
                       target, port_file_s, health_s, ready_s, since,
                       response->teams_size(), stored)
                << std::endl;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::cerr << "probe: ListTeams never succeeded\n";
  return 1;
}

// ---- main
// ------------------------------------------------------------------------

std::string RandomPrefix() {
  std::random_device rd;
  return absl::StrFormat("lg%08x-", rd());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "load generator for the orgpulse ingest service benchmark "
      "(see bench/run_ingest_bench.sh)");
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "probe") return Probe();
  if (mode != "stream" && mode != "push") {
    std::cerr << "--mode must be stream, push or probe\n";
    return 2;
  }
  const bool streaming = mode == "stream";

  Shared s;
  s.batch = absl::GetFlag(FLAGS_batch);
  if (s.batch <= 0) s.batch = streaming ? 1000 : 100;
  int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (concurrency <= 0) concurrency = streaming ? 4 : 16;
  const int inflight = std::max(1, absl::GetFlag(FLAGS_inflight));
  s.total_events = absl::GetFlag(FLAGS_events);
  s.total_requests = (s.total_events + s.batch - 1) / s.batch;
  s.rate = absl::GetFlag(FLAGS_rate);
  s.id_prefix = absl::GetFlag(FLAGS_id_prefix);
  if (s.id_prefix.empty()) s.id_prefix = RandomPrefix();
  const int timeout_s = absl::GetFlag(FLAGS_timeout_s);
  const int64_t server_pid = absl::GetFlag(FLAGS_server_pid);
  std::vector<int64_t> checkpoints;
  for (absl::string_view c : absl::StrSplit(
           absl::GetFlag(FLAGS_rss_checkpoints), ',', absl::SkipEmpty())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(c, &v)) {
      std::cerr << "bad --rss_checkpoints\n";
      return 2;
    }
    checkpoints.push_back(v);
  }
  std::sort(checkpoints.begin(), checkpoints.end());

  const std::string target =
      ResolveTarget(Clock::now() + std::chrono::seconds(timeout_s));
  if (target.empty()) {
    std::cerr << "no port file within the timeout\n";
    return 1;
  }

  // Templates first (not measured), then connections, then the clock starts.
  const double build_c0 = CpuSeconds(RUSAGE_SELF);
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  int n_templates = std::max(1, absl::GetFlag(FLAGS_templates));
  // Stream mode lends templates to the client: the requests in flight, one
  // acknowledged and not yet given back, and one to patch.
  if (streaming) n_templates = std::max(n_templates, inflight + 2);
  std::vector<std::vector<Template>> templates(concurrency);
  for (int w = 0; w < concurrency; ++w) {
    TemplateBuilder builder(
        0x5eed0000 + w, absl::GetFlag(FLAGS_teams),
        std::clamp(absl::GetFlag(FLAGS_task_percent), 0, 99), now_s);
    for (int i = 0; i < n_templates; ++i) {
      templates[w].push_back(
          builder.Build(s.batch, absl::StrCat("T", w, "-", i)));
    }
  }
  const double build_cpu_s = CpuSeconds(RUSAGE_SELF) - build_c0;
  std::vector<std::unique_ptr<orgpulse::IngestClient>> clients;
  for (int w = 0; w < concurrency; ++w) {
    std::shared_ptr<grpc::Channel> channel = NewChannel(target);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(timeout_s))) {
      std::cerr << "cannot connect to " << target << "\n";
      return 1;
    }
    clients.push_back(std::make_unique<orgpulse::IngestClient>(
        std::move(channel), ClientOptionsFor(target, timeout_s)));
  }
  const size_t request_bytes = templates[0][0].request.ByteSizeLong();

  const double cpu0 = CpuSeconds(RUSAGE_SELF);
  const double machine0 = MachineBusySeconds();
  const double server_cpu0 = server_pid > 0 ? ProcCpuSeconds(server_pid) : 0;
  s.start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < concurrency; ++w) {
    workers.emplace_back([&, w] {
      if (streaming) {
        StreamWorker(s, *clients[w], templates[w], inflight);
      } else {
        PushWorker(s, *clients[w], templates[w]);
      }
    });
  }
  // Server RSS at the checkpoints, read as the acknowledged count crosses them.
  // Also events/s per interval of --interval_events, to show the trend as
  // the store grows.
  std::string rss_report;
  std::vector<double> interval_rates;
  std::atomic<bool> done{false};
  std::thread monitor([&] {
    const int64_t offset = absl::GetFlag(FLAGS_offset_events);
    const int64_t interval = absl::GetFlag(FLAGS_interval_events);
    size_t next = 0;
    int64_t next_interval = interval;
    Clock::time_point interval_start = s.start;
    while (!done.load()) {
      const int64_t done_events =
          s.acked_events.load(std::memory_order_relaxed);
      const int64_t acked = offset + done_events;
      while (next < checkpoints.size() && acked >= checkpoints[next]) {
        if (server_pid > 0) {
          absl::StrAppend(&rss_report, " rss_kb_at_", checkpoints[next], "=",
                          ProcStatusKb(server_pid, "VmRSS"));
        }
        ++next;
      }
      if (interval > 0 && done_events >= next_interval) {
        const Clock::time_point now = Clock::now();
        interval_rates.push_back(interval / Seconds(now - interval_start));
        interval_start = now;
        next_interval += interval;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  for (std::thread& t : workers) t.join();
  const Clock::time_point end = Clock::now();
  const double cpu = CpuSeconds(RUSAGE_SELF) - cpu0;
  const double machine = MachineBusySeconds() - machine0;
  const double server_cpu =
      server_pid > 0 ? ProcCpuSeconds(server_pid) - server_cpu0 : 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  done = true;
  monitor.join();

  const double seconds = Seconds(end - s.start);
  // The slowest requests, one per stall: latency@acknowledged events then.
  std::string slowest;
  {
    std::vector<size_t> order(s.latencies_ms.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return s.latencies_ms[a] > s.latencies_ms[b];
    });
    std::vector<int64_t> picked;
    const int64_t apart = std::max<int64_t>(s.total_events / 50, 1);
    for (size_t i : order) {
      if (picked.size() == 5) break;
      const int64_t at = s.latency_at[i];
      bool near = false;
      for (int64_t p : picked) near = near || std::llabs(p - at) < apart;
      if (near) continue;
      picked.push_back(at);
      absl::StrAppend(&slowest, slowest.empty() ? "" : ",",
                      absl::StrFormat("%.0f@%d", s.latencies_ms[i], at));
    }
  }
  std::sort(s.latencies_ms.begin(), s.latencies_ms.end());
  const int64_t acked = s.acked_events.load();
  std::string line = absl::StrFormat(
      "RESULT mode=%s events=%d acked=%d accepted=%d duplicates=%d errors=%d "
      "requests=%d batch=%d concurrency=%d",
      mode, s.total_events, acked, s.accepted.load(), s.duplicates.load(),
      s.errors.load(), s.latencies_ms.size(), s.batch, concurrency);
  if (streaming) absl::StrAppend(&line, " inflight=", inflight);
  absl::StrAppend(
      &line,
      absl::StrFormat(
          " rate=%.0f request_bytes=%d seconds=%.3f events_per_s=%.0f "
          "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f client_cpu_s=%.2f "
          "client_cpu_cores=%.2f gen_cpu_s=%.3f template_build_cpu_s=%.3f",
          s.rate, request_bytes, seconds, acked / seconds,
          Percentile(s.latencies_ms, 50), Percentile(s.latencies_ms, 90),
          Percentile(s.latencies_ms, 99),
          s.latencies_ms.empty() ? 0 : s.latencies_ms.back(), cpu,
          cpu / seconds, s.gen_cpu_s, build_cpu_s));
  absl::StrAppend(
      &line, absl::StrFormat(" machine_cpu_cores=%.2f", machine / seconds));
  if (server_pid > 0) {
    // What other processes (other engineers' builds and tests) used meanwhile.
    absl::StrAppend(
        &line,
        absl::StrFormat(" server_cpu_s=%.2f server_cpu_cores=%.2f "
                        "events_per_server_cpu_s=%.0f other_cpu_cores=%.2f",
                        server_cpu, server_cpu / seconds,
                        server_cpu > 0 ? acked / server_cpu : 0,
                        std::max(0.0, (machine - server_cpu - cpu) / seconds)),
        rss_report, " server_rss_kb_end=", ProcStatusKb(server_pid, "VmRSS"),
        " server_hwm_kb_end=", ProcStatusKb(server_pid, "VmHWM"));
  }
  if (!slowest.empty())
    absl::StrAppend(&line, " slowest_ms_at_events=", slowest);
  if (!interval_rates.empty()) {
    absl::StrAppend(&line, " interval_events_per_s=");
    for (size_t i = 0; i < interval_rates.size(); ++i) {
      absl::StrAppend(&line, i ? "," : "",
                      static_cast<int64_t>(interval_rates[i]));
    }
  }
  if (!s.first_error.empty()) {
    absl::StrAppend(&line, " first_error=\"", s.first_error, "\"");
  }
  std::cout << line << std::endl;
  const bool all_stored =
      absl::GetFlag(FLAGS_allow_duplicates)
          ? s.accepted.load() + s.duplicates.load() == s.total_events
          : s.accepted.load() == s.total_events;
  return s.errors.load() == 0 && all_stored ? 0 : 1;
}
