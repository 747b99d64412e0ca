// Helpers shared by the ingest unit tests: civil UTC times, event builders,
// and exact, readable renderings of events and figures for comparisons
// (doubles in hex, so equal strings mean bit-identical values).
#ifndef ORGPULSE_TESTS_UNIT_SERVICES_INGEST_EVENT_TESTING_H_
#define ORGPULSE_TESTS_UNIT_SERVICES_INGEST_EVENT_TESTING_H_

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/ingest/domain/event.h"
#include "services/ingest/domain/execution_figures.h"

namespace orgpulse::ingest::testing {

inline absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss),
                         absl::UTCTimeZone());
}

inline Event MakeEvent(std::string event_id, std::string team, absl::Time at,
                       Payload payload, std::string source = "jira") {
  return Event{std::move(event_id), std::move(source), std::move(team), at,
               std::move(payload)};
}

// The exact bits of a double, e.g. "0x1.8p+1".
inline std::string Hex(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", d);
  return buf;
}
inline std::string Hex(const std::optional<double>& d) {
  return d ? Hex(*d) : "absent";
}
inline std::string Us(absl::Time t) {
  return absl::StrCat(absl::ToUnixMicros(t));
}

struct PayloadPrinter {
  std::string operator()(const std::monostate&) const { return "none"; }
  std::string operator()(const TaskCreated& e) const {
    return absl::StrCat("TaskCreated{", e.task_id, ",", Us(e.due_at), ",",
                        Hex(e.estimate_hours), "}");
  }
  std::string operator()(const TaskStarted& e) const {
    return absl::StrCat("TaskStarted{", e.task_id, "}");
  }
  std::string operator()(const TaskCompleted& e) const {
    return absl::StrCat("TaskCompleted{", e.task_id, "}");
  }
  std::string operator()(const TaskCancelled& e) const {
    return absl::StrCat("TaskCancelled{", e.task_id, "}");
  }
  std::string operator()(const TaskDueDateChanged& e) const {
    return absl::StrCat("TaskDueDateChanged{", e.task_id, ",", Us(e.due_at),
                        "}");
  }
  std::string operator()(const ProjectBudgetPlan& e) const {
    return absl::StrCat("ProjectBudgetPlan{", e.project, ",",
                        Hex(e.budget_at_completion), ",", Us(e.planned_start),
                        ",", Us(e.planned_end), "}");
  }
  std::string operator()(const CostActual& e) const {
    return absl::StrCat("CostActual{", e.project, ",", Hex(e.amount), "}");
  }
  std::string operator()(const ProjectProgress& e) const {
    return absl::StrCat("ProjectProgress{", e.project, ",",
                        Hex(e.percent_complete), "}");
  }
  std::string operator()(const MilestoneDue& e) const {
    return absl::StrCat("MilestoneDue{", e.project, ",", e.milestone, ",",
                        Us(e.due_at), "}");
  }
  std::string operator()(const MilestoneReached& e) const {
    return absl::StrCat("MilestoneReached{", e.project, ",", e.milestone, "}");
  }
  std::string operator()(const ProcedureCheck& e) const {
    return absl::StrCat("ProcedureCheck{", e.procedure, ",",
                        e.passed ? "passed" : "failed", "}");
  }
  std::string operator()(const KpiMonthlyTarget& e) const {
    return absl::StrCat("KpiMonthlyTarget{", e.kpi, ",", e.year, ",", e.month,
                        ",", Hex(e.target), ",",
                        static_cast<int>(e.aggregation), "}");
  }
  std::string operator()(const KpiActual& e) const {
    return absl::StrCat("KpiActual{", e.kpi, ",", Hex(e.value), "}");
  }
};

// Every field of `e`.
inline std::string DebugString(const Event& e) {
  return absl::StrCat("Event{", e.event_id, ",", e.source, ",", e.team, ",",
                      Us(e.occurred_at), ",",
                      std::visit(PayloadPrinter{}, e.payload), "}");
}

inline std::string DebugString(const EarnedValue& v) {
  return absl::StrCat("bac=", Hex(v.budget_at_completion),
                      " pv=", Hex(v.planned_value), " ev=", Hex(v.earned_value),
                      " ac=", Hex(v.actual_cost),
                      " cpi=", Hex(v.cost_performance_index),
                      " spi=", Hex(v.schedule_performance_index),
                      " eac=", Hex(v.estimate_at_completion),
                      " vac=", Hex(v.variance_at_completion));
}

// Every field of `f`, one line per part.
inline std::string DebugString(const TeamExecution& f) {
  std::string out = absl::StrCat("team=", f.team, " as_of=", Us(f.as_of),
                                 " events=", f.events, "\nteams=");
  for (const std::string& t : f.teams) absl::StrAppend(&out, t, ";");
  const TaskFigures& t = f.tasks;
  absl::StrAppend(&out, "\ntasks open=", t.open, " overdue=", t.overdue,
                  " on_time=", t.completed_on_time, " late=", t.completed_late,
                  " cancelled=", t.cancelled, " ratio=", Hex(t.on_time_ratio),
                  " p50=", Hex(t.cycle_time_p50_seconds),
                  " p90=", Hex(t.cycle_time_p90_seconds),
                  " completed=", t.completed,
                  " cycle_sum=", Hex(t.cycle_time_sum_seconds),
                  " weekly=", Hex(t.weekly_throughput));
  absl::StrAppend(&out, "\nbudget ", DebugString(f.budget));
  for (const ProjectBudget& p : f.projects) {
    absl::StrAppend(&out, "\nproject ", p.team, "/", p.project,
                    " has_plan=", p.has_plan ? "yes" : "no",
                    " pct=", Hex(p.percent_complete), " ",
                    DebugString(p.figures));
  }
  const MilestoneFigures& m = f.milestones;
  absl::StrAppend(&out, "\nmilestones met=", m.met, " missed=", m.missed,
                  " pending=", m.pending, " slip=", Hex(m.slip_days),
                  " max_slip=", Hex(m.max_slip_days));
  for (const ProcedureCompliance& p : f.procedures) {
    absl::StrAppend(&out, "\nprocedure ", p.procedure, " checks=", p.checks,
                    " passed=", p.passed, " ratio=", Hex(p.compliance_ratio));
  }
  for (const KpiFigures& k : f.kpis) {
    absl::StrAppend(
        &out, "\nkpi ", k.team, "/", k.kpi, " ", k.year, "-", k.month,
        " has_target=", k.has_target ? "yes" : "no", " target=", Hex(k.target),
        " agg=", static_cast<int>(k.aggregation), " actual=", Hex(k.actual),
        " attainment=", Hex(k.attainment_ratio), " forecast=", Hex(k.forecast),
        " forecast_attainment=", Hex(k.forecast_attainment_ratio));
  }
  return out;
}

}  // namespace orgpulse::ingest::testing

#endif  // ORGPULSE_TESTS_UNIT_SERVICES_INGEST_EVENT_TESTING_H_
