// Random valid events over every kind of state, and an exact rendering of
// every figure a state gives: two states with equal renderings give the same
// answers (order independence, snapshots).
#ifndef ORGPULSE_TESTS_UNIT_SERVICES_INGEST_RANDOM_STATE_H_
#define ORGPULSE_TESTS_UNIT_SERVICES_INGEST_RANDOM_STATE_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/execution_state.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest::testing {

// The random events fall before it; figures are rendered as of it and of a
// month earlier.
inline const absl::Time kRandomNow = Utc(2026, 3, 11);

inline absl::Time RandomTime(std::mt19937& rng, absl::Time from,
                             absl::Time to) {
  std::uniform_int_distribution<int64_t> us(
      0, absl::ToInt64Microseconds(to - from));
  return from + absl::Microseconds(us(rng));
}

// `n` valid events over several teams, tasks, projects, milestones,
// procedures and KPIs, with fractional money and times to the microsecond,
// and some occurred_at ties (decided by the fingerprint).
inline std::vector<Event> RandomEvents(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  auto pick = [&rng](int k) {
    return std::uniform_int_distribution<int>(0, k - 1)(rng);
  };
  auto real = [&rng](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  const char* teams[] = {"eng", "eng/a", "eng/b", "ops"};
  const char* procedures[] = {"review", "checklist", "signoff"};
  const char* kpis[] = {"revenue", "headcount"};
  const absl::Time first = Utc(2026, 1, 1);
  std::vector<Event> out;
  std::vector<absl::Time> times;
  for (int i = 0; i < n; ++i) {
    absl::Time at = RandomTime(rng, first, kRandomNow);
    if (!times.empty() && pick(8) == 0) at = times[pick(times.size())];
    times.push_back(at);
    const std::string task = absl::StrCat("t", pick(30));
    const std::string project = absl::StrCat("p", pick(4));
    const std::string milestone = absl::StrCat("m", pick(5));
    const absl::Time due = RandomTime(rng, first, Utc(2026, 4, 30));
    Payload payload;
    switch (pick(13)) {
      case 0:
      case 1:  // more creations, so more tasks have a due date
        payload = TaskCreated{task, due, real(0, 40)};
        break;
      case 2:
        payload = TaskStarted{task};
        break;
      case 3:
        payload = TaskCompleted{task};
        break;
      case 4:
        payload = TaskCancelled{task};
        break;
      case 5:
        payload = TaskDueDateChanged{task, due};
        break;
      case 6: {
        const absl::Time start = RandomTime(rng, Utc(2025, 12, 1), kRandomNow);
        payload = ProjectBudgetPlan{
            project, real(100, 1e6), start,
            start + absl::Microseconds(1) + absl::Seconds(pick(120 * 86400))};
        break;
      }
      case 7:
        payload = CostActual{project, real(0, 5000)};
        break;
      case 8:
        payload = ProjectProgress{project, real(0, 100)};
        break;
      case 9:
        payload = MilestoneDue{project, milestone, due};
        break;
      case 10:
        payload = MilestoneReached{project, milestone};
        break;
      case 11:
        payload =
            pick(2) == 0
                ? Payload(ProcedureCheck{procedures[pick(3)], pick(3) != 0})
                : Payload(KpiMonthlyTarget{
                      kpis[pick(2)], 2026, 1 + pick(4), real(1, 1000),
                      pick(2) == 0 ? KpiAggregation::kSum
                                   : KpiAggregation::kLast});
        break;
      default:
        payload = KpiActual{kpis[pick(2)], real(-100, 100)};
        break;
    }
    out.push_back(MakeEvent(absl::StrCat("r", seed, "-", i), teams[pick(4)], at,
                            std::move(payload), pick(2) == 0 ? "jira" : "erp"));
  }
  return out;
}

// Every figure the state can give, rendered exactly.
inline std::string RenderFigures(const ExecutionState& state) {
  std::string out;
  for (absl::Time now : {kRandomNow, Utc(2026, 2, 15, 13, 30)}) {
    for (absl::string_view prefix : {"", "eng", "eng/a", "ops"}) {
      absl::StrAppend(&out, "\n== Figures ", prefix, "\n",
                      DebugString(*state.Figures(prefix, now)));
    }
    for (const TeamSummary& t : state.Teams("")) {
      absl::StrAppend(&out, "\n== OwnFigures ", t.team, " events=", t.events,
                      " last=", absl::ToUnixMicros(t.last_event_at), "\n",
                      DebugString(*state.OwnFigures(t.team, now)));
    }
  }
  return out;
}

// "" if `a` and `b` are equal; otherwise their first differing lines.
inline std::string FirstDifference(const std::string& a, const std::string& b) {
  const std::vector<std::string> la = absl::StrSplit(a, '\n');
  const std::vector<std::string> lb = absl::StrSplit(b, '\n');
  for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    const std::string x = i < la.size() ? la[i] : "<none>";
    const std::string y = i < lb.size() ? lb[i] : "<none>";
    if (x != y) {
      return absl::StrCat("line ", i, ":\n  ", x, "\nvs\n  ", y);
    }
  }
  return "";
}

inline ExecutionState FoldInOrder(const std::vector<Event>& events) {
  ExecutionState state;
  for (const Event& e : events) {
    state.Apply(e, EventFingerprint(e.source, e.event_id));
  }
  return state;
}

}  // namespace orgpulse::ingest::testing

#endif  // ORGPULSE_TESTS_UNIT_SERVICES_INGEST_RANDOM_STATE_H_
