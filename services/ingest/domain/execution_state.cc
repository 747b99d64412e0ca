#include "services/ingest/domain/execution_state.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"
#include "services/ingest/domain/compact_hash_map.h"
#include "services/ingest/domain/event_key.h"

namespace orgpulse::ingest {
namespace {

// Times are kept as Unix microseconds: half the size of absl::Time, and
// kUnset orders before every real time.
using Micros = int64_t;
constexpr Micros kUnset = std::numeric_limits<Micros>::min();
constexpr double kMicrosPerSecond = 1e6;
constexpr double kSecondsPerDay = 86400;

Micros ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(Micros m) { return absl::FromUnixMicros(m); }

// Money and KPI values are summed in integer micro-units: exact, so the sum
// does not depend on the order events arrive in (a double sum would).
absl::int128 ToFixed(double v) { return std::llround(v * 1e6); }
double FromFixed(absl::int128 v) { return static_cast<double>(v) / 1e6; }

// The version of a "latest by occurred_at" register.
struct Version {
  Micros at = kUnset;
  uint64_t tiebreak = 0;

  // Takes (at, tiebreak) if it is newer; returns whether it did.
  bool Advance(Micros event_at, uint64_t event_tiebreak) {
    if (event_at < at || (event_at == at && event_tiebreak <= tiebreak)) {
      return false;
    }
    at = event_at;
    tiebreak = event_tiebreak;
    return true;
  }
  bool set() const { return at != kUnset; }
};

// 48 bytes: there are millions. The estimate is validated but not kept (no
// figure uses it), so the creation is a plain "latest" time.
struct TaskState {
  Micros created_at = kUnset;  // latest creation
  Version due;
  Micros due_at = kUnset;
  Micros started_at = kUnset;  // earliest start
  // The latest completion or cancellation, one field for both: 2 * time + 1
  // for a completion, 2 * time for a cancellation. The larger decides, and
  // a completion wins a tie, as "the later of the two" did with a field
  // each (times are from 2000 on, far from overflowing when doubled).
  int64_t closed = kUnset;

  void Complete(Micros at) { closed = std::max(closed, 2 * at + 1); }
  void Cancel(Micros at) { closed = std::max(closed, 2 * at); }
  bool completed() const { return closed != kUnset && (closed & 1) != 0; }
  bool cancelled() const { return closed != kUnset && (closed & 1) == 0; }
  // REQUIRES: completed().
  Micros completed_at() const { return closed >> 1; }
  bool open() const { return created_at != kUnset && closed == kUnset; }
};

static_assert(sizeof(TaskState) == 48);

struct ProjectState {
  Version plan;
  double budget_at_completion = 0;
  Micros planned_start = kUnset;
  Micros planned_end = kUnset;
  absl::int128 cost = 0;  // micro-units
  Version progress;
  double percent_complete = 0;
};

struct MilestoneState {
  Version due;
  Micros due_at = kUnset;
  Micros reached_at = kUnset;  // earliest report
};

struct ProcedureState {
  int64_t checks = 0;
  int64_t passed = 0;
};

struct KpiTarget {
  Version version;
  double target = 0;
  KpiAggregation aggregation = KpiAggregation::kUnspecified;
};

struct KpiMonth {
  absl::int128 sum = 0;  // micro-units
  Version last;
  double last_value = 0;
};

struct KpiState {
  absl::btree_map<int, KpiTarget> targets;  // by MonthIndex
  absl::btree_map<int, KpiMonth> months;
};

int MonthIndex(int year, int month) { return year * 12 + (month - 1); }

int MonthIndexOf(absl::Time t) {
  const absl::CivilMonth m = absl::ToCivilMonth(t, absl::UTCTimeZone());
  return MonthIndex(static_cast<int>(m.year()), m.month());
}

}  // namespace

struct ExecutionState::Team {
  int64_t events = 0;
  Micros last_event_at = kUnset;
  // Keyed by a hash of the task id: 8 bytes instead of a string per task.
  CompactHashMap<TaskState> tasks;
  absl::btree_map<std::string, ProjectState> projects;
  absl::btree_map<std::pair<std::string, std::string>, MilestoneState>
      milestones;
  absl::btree_map<std::string, ProcedureState> procedures;
  absl::btree_map<std::string, KpiState> kpis;
};

namespace {

struct Applier {
  ExecutionState::Team& team;
  Micros at;
  uint64_t tiebreak;

  TaskState& Task(const std::string& id) {
    return team.tasks[StableHash64(id)];
  }

  void operator()(const std::monostate&) {}
  void operator()(const TaskCreated& e) {
    TaskState& t = Task(e.task_id);
    t.created_at = std::max(t.created_at, at);
    // The creation's due date competes with later due-date changes.
    if (t.due.Advance(at, tiebreak)) t.due_at = ToMicros(e.due_at);
  }
  void operator()(const TaskStarted& e) {
    TaskState& t = Task(e.task_id);
    if (t.started_at == kUnset || at < t.started_at) t.started_at = at;
  }
  void operator()(const TaskCompleted& e) { Task(e.task_id).Complete(at); }
  void operator()(const TaskCancelled& e) { Task(e.task_id).Cancel(at); }
  void operator()(const TaskDueDateChanged& e) {
    TaskState& t = Task(e.task_id);
    if (t.due.Advance(at, tiebreak)) t.due_at = ToMicros(e.due_at);
  }
  void operator()(const ProjectBudgetPlan& e) {
    ProjectState& p = team.projects[e.project];
    if (p.plan.Advance(at, tiebreak)) {
      p.budget_at_completion = e.budget_at_completion;
      p.planned_start = ToMicros(e.planned_start);
      p.planned_end = ToMicros(e.planned_end);
    }
  }
  void operator()(const CostActual& e) {
    team.projects[e.project].cost += ToFixed(e.amount);
  }
  void operator()(const ProjectProgress& e) {
    ProjectState& p = team.projects[e.project];
    if (p.progress.Advance(at, tiebreak))
      p.percent_complete = e.percent_complete;
  }
  void operator()(const MilestoneDue& e) {
    MilestoneState& m = team.milestones[{e.project, e.milestone}];
    if (m.due.Advance(at, tiebreak)) m.due_at = ToMicros(e.due_at);
  }
  void operator()(const MilestoneReached& e) {
    MilestoneState& m = team.milestones[{e.project, e.milestone}];
    if (m.reached_at == kUnset || at < m.reached_at) m.reached_at = at;
  }
  void operator()(const ProcedureCheck& e) {
    ProcedureState& p = team.procedures[e.procedure];
    ++p.checks;
    if (e.passed) ++p.passed;
  }
  void operator()(const KpiMonthlyTarget& e) {
    KpiTarget& t = team.kpis[e.kpi].targets[MonthIndex(e.year, e.month)];
    if (t.version.Advance(at, tiebreak)) {
      t.target = e.target;
      t.aggregation = e.aggregation;
    }
  }
  void operator()(const KpiActual& e) {
    KpiMonth& m = team.kpis[e.kpi].months[MonthIndexOf(FromMicros(at))];
    m.sum += ToFixed(e.value);
    if (m.last.Advance(at, tiebreak)) m.last_value = e.value;
  }
};

// Accumulates the figures of several teams (a rollup) as of `now`.
class FiguresBuilder {
 public:
  explicit FiguresBuilder(absl::Time now) : now_(now), now_us_(ToMicros(now)) {}

  void Add(const std::string& name, const ExecutionState::Team& team) {
    out_.teams.push_back(name);
    out_.events += team.events;
    AddTasks(team);
    AddProjects(name, team);
    AddMilestones(team);
    for (const auto& [procedure, p] : team.procedures) {
      ProcedureState& sum = procedures_[procedure];
      sum.checks += p.checks;
      sum.passed += p.passed;
    }
    AddKpis(name, team);
  }

  TeamExecution Finish(absl::string_view prefix) && {
    out_.team = std::string(prefix);
    out_.as_of = now_;
    TaskFigures& t = out_.tasks;
    const int64_t judged = t.completed_on_time + t.completed_late;
    if (judged > 0) {
      t.on_time_ratio = static_cast<double>(t.completed_on_time) / judged;
    }
    t.cycle_time_p50_seconds = NearestRankPercentile(cycle_times_, 0.5);
    t.cycle_time_p90_seconds = NearestRankPercentile(cycle_times_, 0.9);
    t.cycle_time_sum_seconds = cycle_time_sum_us_ / kMicrosPerSecond;
    t.weekly_throughput = static_cast<double>(completed_last_28_days_) / 4;
    out_.budget = EarnedValueFromSums(bac_, pv_, ev_, ac_);
    for (const auto& [procedure, p] : procedures_) {
      out_.procedures.push_back(
          {procedure, p.checks, p.passed,
           p.checks > 0 ? static_cast<double>(p.passed) / p.checks : 0});
    }
    return std::move(out_);
  }

 private:
  void AddTasks(const ExecutionState::Team& team) {
    TaskFigures& f = out_.tasks;
    const Micros window_start = now_us_ - 28 * 86400 * int64_t{1'000'000};
    team.tasks.ForEach([&](uint64_t, const TaskState& t) {
      if (t.open()) {
        ++f.open;
        if (t.due_at != kUnset && t.due_at < now_us_) ++f.overdue;
        return;
      }
      if (t.cancelled()) {
        ++f.cancelled;
        return;
      }
      if (!t.completed()) return;
      const Micros completed_at = t.completed_at();
      if (t.due_at != kUnset) {
        ++(completed_at <= t.due_at ? f.completed_on_time : f.completed_late);
      }
      if (completed_at > window_start && completed_at <= now_us_) {
        ++completed_last_28_days_;
      }
      const Micros start = t.started_at != kUnset ? t.started_at : t.created_at;
      if (start != kUnset && completed_at >= start) {
        cycle_times_.push_back((completed_at - start) / kMicrosPerSecond);
        ++f.completed;
        cycle_time_sum_us_ += completed_at - start;
      }
    });
  }

  void AddProjects(const std::string& name, const ExecutionState::Team& team) {
    for (const auto& [project, p] : team.projects) {
      ProjectBudget b;
      b.team = name;
      b.project = project;
      b.has_plan = p.plan.set();
      b.percent_complete = p.percent_complete;
      double bac = 0, pv = 0, ev = 0;
      if (b.has_plan) {
        bac = p.budget_at_completion;
        pv = bac * PlannedFraction(FromMicros(p.planned_start),
                                   FromMicros(p.planned_end), now_);
        ev = bac * p.percent_complete / 100;
      }
      const double ac = FromFixed(p.cost);
      b.figures = EarnedValueFromSums(bac, pv, ev, ac);
      bac_ += bac;
      pv_ += pv;
      ev_ += ev;
      ac_ += ac;
      out_.projects.push_back(std::move(b));
    }
  }

  void AddMilestones(const ExecutionState::Team& team) {
    MilestoneFigures& f = out_.milestones;
    for (const auto& [key, m] : team.milestones) {
      if (m.due_at == kUnset) continue;  // cannot be judged without a due date
      Micros late_by = 0;
      if (m.reached_at != kUnset) {
        if (m.reached_at <= m.due_at) {
          ++f.met;
          continue;
        }
        late_by = m.reached_at - m.due_at;
      } else if (now_us_ > m.due_at) {
        late_by = now_us_ - m.due_at;
      } else {
        ++f.pending;
        continue;
      }
      ++f.missed;
      const double days = late_by / kMicrosPerSecond / kSecondsPerDay;
      f.slip_days += days;
      f.max_slip_days = std::max(f.max_slip_days, days);
    }
  }

  void AddKpis(const std::string& name, const ExecutionState::Team& team) {
    const int month = MonthIndexOf(now_);
    const absl::CivilMonth civil =
        absl::ToCivilMonth(now_, absl::UTCTimeZone());
    const absl::Time month_start = absl::FromCivil(civil, absl::UTCTimeZone());
    const absl::Time month_end =
        absl::FromCivil(civil + 1, absl::UTCTimeZone());
    for (const auto& [kpi, k] : team.kpis) {
      KpiFigures f;
      f.team = name;
      f.kpi = kpi;
      f.year = static_cast<int>(civil.year());
      f.month = civil.month();
      auto target = k.targets.find(month);
      auto actuals = k.months.find(month);
      if (target != k.targets.end()) {
        f.has_target = true;
        f.target = target->second.target;
        f.aggregation = target->second.aggregation;
      }
      if (actuals != k.months.end()) {
        f.actual = f.aggregation == KpiAggregation::kLast
                       ? actuals->second.last_value
                       : FromFixed(actuals->second.sum);
      }
      f.forecast = KpiMonthEndForecast(
          f.has_target ? f.aggregation : KpiAggregation::kSum, f.actual,
          month_start, month_end, now_);
      if (f.has_target) {
        f.attainment_ratio = f.actual / f.target;
        f.forecast_attainment_ratio = f.forecast / f.target;
      }
      out_.kpis.push_back(std::move(f));
    }
  }

  absl::Time now_;
  Micros now_us_;
  TeamExecution out_;
  std::vector<double> cycle_times_;
  // Summed in integer microseconds: tasks are visited in hash-map order,
  // and a double sum would depend on it (so on the events' arrival order).
  Micros cycle_time_sum_us_ = 0;
  int64_t completed_last_28_days_ = 0;
  double bac_ = 0, pv_ = 0, ev_ = 0, ac_ = 0;
  absl::btree_map<std::string, ProcedureState> procedures_;
};

}  // namespace

ExecutionState::ExecutionState() = default;
ExecutionState::~ExecutionState() = default;
ExecutionState::ExecutionState(ExecutionState&&) noexcept = default;
ExecutionState& ExecutionState::operator=(ExecutionState&&) noexcept = default;

void ExecutionState::Apply(const Event& event, absl::uint128 fingerprint) {
  Team*& indexed = team_index_[event.team];
  if (indexed == nullptr) {
    std::unique_ptr<Team>& slot = teams_[event.team];
    if (!slot) slot = std::make_unique<Team>();
    indexed = slot.get();
  }
  Team& team = *indexed;
  const Micros at = ToMicros(event.occurred_at);
  ++team.events;
  team.last_event_at = std::max(team.last_event_at, at);
  auto [source, added] = sources_.try_emplace(event.source);
  ++source->second.events;
  source->second.last_event_at_us =
      added ? at : std::max(source->second.last_event_at_us, at);
  source->second.first_event_at_us =
      added ? at : std::min(source->second.first_event_at_us, at);
  std::visit(Applier{team, at, absl::Uint128Low64(fingerprint)}, event.payload);
}

absl::StatusOr<TeamExecution> ExecutionState::Figures(absl::string_view prefix,
                                                      absl::Time now) const {
  FiguresBuilder builder(now);
  bool found = false;
  for (auto it = teams_.lower_bound(prefix);
       it != teams_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (!IsInTeamTree(it->first, prefix)) continue;
    builder.Add(it->first, *it->second);
    found = true;
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no team matches '", prefix, "'"));
  }
  return std::move(builder).Finish(prefix);
}

absl::StatusOr<TeamExecution> ExecutionState::OwnFigures(absl::string_view team,
                                                         absl::Time now) const {
  auto it = teams_.find(team);
  if (it == teams_.end()) {
    return absl::NotFoundError(absl::StrCat("no team '", team, "'"));
  }
  FiguresBuilder builder(now);
  builder.Add(it->first, *it->second);
  return std::move(builder).Finish(team);
}

std::vector<TeamSummary> ExecutionState::Teams(absl::string_view prefix) const {
  std::vector<TeamSummary> out;
  for (auto it = teams_.lower_bound(prefix);
       it != teams_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (!IsInTeamTree(it->first, prefix)) continue;
    out.push_back(
        {it->first, it->second->events, FromMicros(it->second->last_event_at)});
  }
  return out;
}

bool ExecutionState::HasTeam(absl::string_view team) const {
  return team_index_.contains(team);
}

size_t ExecutionState::team_count() const { return teams_.size(); }

// --- snapshots --------------------------------------------------------------

namespace {

void Put(BinaryWriter& w, const Version& v) {
  w.Int(v.at);
  w.Varint(v.tiebreak);
}
void Get(BinaryReader& r, Version& v) {
  v.at = r.Int();
  v.tiebreak = r.Varint();
}
void Put(BinaryWriter& w, absl::int128 v) {
  w.Int(static_cast<int64_t>(absl::Int128High64(v)));
  w.Varint(absl::Int128Low64(v));
}
void Get(BinaryReader& r, absl::int128& v) {
  const int64_t high = r.Int();
  v = absl::MakeInt128(high, r.Varint());
}

// A sorted map as its size and entries; `put` writes one entry's key and
// value.
template <typename Map, typename PutEntry>
void PutMap(BinaryWriter& w, const Map& map, PutEntry put) {
  w.Varint(map.size());
  for (const auto& [key, value] : map) put(key, value);
}

// Reads PutMap's entries into an empty `map`; `get` reads one entry's key
// and value. False if the keys are not strictly ascending (a repeat would
// be lost) or the bytes end.
template <typename Map, typename GetEntry>
bool GetMap(BinaryReader& r, Map& map, GetEntry get) {
  const uint64_t n = r.Varint();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    typename Map::key_type key{};
    typename Map::mapped_type value{};
    get(key, value);
    if (!map.empty() && !(std::prev(map.end())->first < key)) return false;
    map.emplace_hint(map.end(), std::move(key), std::move(value));
  }
  return r.ok();
}

}  // namespace

size_t ExecutionState::EncodedSizeHint() const {
  size_t bytes = 16;
  for (const auto& [name, team] : teams_) {
    bytes += name.size() + team->tasks.MemoryBytes() + 64 +
             team->projects.size() * 96 + team->milestones.size() * 64 +
             team->procedures.size() * 32 + team->kpis.size() * 256;
  }
  return bytes;
}

void ExecutionState::Encode(BinaryWriter& w) const {
  w.Varint(teams_.size());
  for (const auto& [name, team] : teams_) {
    w.String(name);
    w.Int(team->events);
    w.Int(team->last_event_at);
    w.String(team->tasks.RawSlots());
    PutMap(w, team->projects, [&](const std::string& k, const ProjectState& p) {
      w.String(k);
      Put(w, p.plan);
      w.Double(p.budget_at_completion);
      w.Int(p.planned_start);
      w.Int(p.planned_end);
      Put(w, p.cost);
      Put(w, p.progress);
      w.Double(p.percent_complete);
    });
    PutMap(w, team->milestones, [&](const auto& k, const MilestoneState& m) {
      w.String(k.first);
      w.String(k.second);
      Put(w, m.due);
      w.Int(m.due_at);
      w.Int(m.reached_at);
    });
    PutMap(w, team->procedures,
           [&](const std::string& k, const ProcedureState& p) {
             w.String(k);
             w.Int(p.checks);
             w.Int(p.passed);
           });
    PutMap(w, team->kpis, [&](const std::string& k, const KpiState& kpi) {
      w.String(k);
      PutMap(w, kpi.targets, [&](int month, const KpiTarget& t) {
        w.Int(month);
        Put(w, t.version);
        w.Double(t.target);
        w.Varint(static_cast<uint64_t>(t.aggregation));
      });
      PutMap(w, kpi.months, [&](int month, const KpiMonth& m) {
        w.Int(month);
        Put(w, m.sum);
        Put(w, m.last);
        w.Double(m.last_value);
      });
    });
  }
  // Sources by name: the same state encodes to the same bytes.
  const std::vector<SourceSummary> sources = Sources();
  w.Varint(sources.size());
  for (const SourceSummary& source : sources) {
    const Source& s = sources_.at(source.source);
    w.String(source.source);
    w.Int(s.events);
    w.Int(s.first_event_at_us);
    w.Int(s.last_event_at_us);
  }
}

absl::StatusOr<ExecutionState> ExecutionState::Decode(BinaryReader& r) {
  ExecutionState state;
  const uint64_t teams = r.Varint();
  for (uint64_t i = 0; i < teams && r.ok(); ++i) {
    std::string name;
    r.String(name);
    auto team = std::make_unique<Team>();
    team->events = r.Int();
    team->last_event_at = r.Int();
    const absl::string_view tasks = r.Raw(r.Varint());
    if (r.ok() && !team->tasks.AssignRawSlots(tasks)) {
      return absl::DataLossError(
          absl::StrCat("execution state: the task table of team '", name,
                       "' cannot be one (", tasks.size(), " bytes)"));
    }
    bool ordered =
        GetMap(r, team->projects, [&](std::string& k, ProjectState& p) {
          r.String(k);
          Get(r, p.plan);
          r.Double(p.budget_at_completion);
          p.planned_start = r.Int();
          p.planned_end = r.Int();
          Get(r, p.cost);
          Get(r, p.progress);
          r.Double(p.percent_complete);
        });
    ordered =
        ordered && GetMap(r, team->milestones, [&](auto& k, MilestoneState& m) {
          r.String(k.first);
          r.String(k.second);
          Get(r, m.due);
          m.due_at = r.Int();
          m.reached_at = r.Int();
        });
    ordered = ordered && GetMap(r, team->procedures,
                                [&](std::string& k, ProcedureState& p) {
                                  r.String(k);
                                  p.checks = r.Int();
                                  p.passed = r.Int();
                                });
    ordered =
        ordered && GetMap(r, team->kpis, [&](std::string& k, KpiState& kpi) {
          r.String(k);
          bool ok = GetMap(r, kpi.targets, [&](int& month, KpiTarget& t) {
            month = static_cast<int>(r.Int());
            Get(r, t.version);
            r.Double(t.target);
            const uint64_t aggregation = r.Varint();
            if (aggregation > static_cast<uint64_t>(KpiAggregation::kLast)) {
              r.Fail();
            }
            t.aggregation = static_cast<KpiAggregation>(aggregation);
          });
          ok = ok && GetMap(r, kpi.months, [&](int& month, KpiMonth& m) {
                 month = static_cast<int>(r.Int());
                 Get(r, m.sum);
                 Get(r, m.last);
                 r.Double(m.last_value);
               });
          if (!ok) r.Fail();
        });
    if (!r.ok()) break;
    if (!ordered || (!state.teams_.empty() &&
                     !(std::prev(state.teams_.end())->first < name))) {
      return absl::DataLossError(absl::StrCat(
          "execution state: entries out of order at team '", name, "'"));
    }
    state.team_index_.emplace(name, team.get());
    state.teams_.emplace_hint(state.teams_.end(), std::move(name),
                              std::move(team));
  }
  if (!r.ok()) {
    return absl::DataLossError(
        absl::StrCat("execution state: cut short or damaged after ",
                     state.teams_.size(), " of ", teams, " teams"));
  }
  const uint64_t sources = r.Varint();
  for (uint64_t i = 0; i < sources && r.ok(); ++i) {
    std::string name;
    r.String(name);
    Source source;
    source.events = r.Int();
    source.first_event_at_us = r.Int();
    source.last_event_at_us = r.Int();
    if (r.ok() && !state.sources_.emplace(std::move(name), source).second) {
      return absl::DataLossError("execution state: a source twice");
    }
  }
  if (!r.ok()) {
    return absl::DataLossError(
        absl::StrCat("execution state: cut short or damaged after ",
                     state.sources_.size(), " of ", sources, " sources"));
  }
  return state;
}
std::vector<SourceSummary> ExecutionState::Sources() const {
  std::vector<SourceSummary> out;
  out.reserve(sources_.size());
  for (const auto& [name, s] : sources_) {
    out.push_back({name, s.events, FromMicros(s.last_event_at_us)});
  }
  std::sort(out.begin(), out.end(),
            [](const SourceSummary& a, const SourceSummary& b) {
              return a.source < b.source;
            });
  return out;
}

bool ExecutionState::HasSource(absl::string_view source) const {
  return sources_.contains(source);
}

size_t ExecutionState::source_count() const { return sources_.size(); }

absl::Time ExecutionState::oldest_event() const {
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& [name, s] : sources_) {
    oldest = std::min(oldest, absl::FromUnixMicros(s.first_event_at_us));
  }
  return oldest;
}

}  // namespace orgpulse::ingest
