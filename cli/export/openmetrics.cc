#include "cli/export/openmetrics.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace orgpulse::cli {
namespace {

namespace iv1 = ingest::v1;

std::string Escaped(absl::string_view value) {
  return absl::StrReplaceAll(value,
                             {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return absl::StrFormat("%.17g", v);
}

}  // namespace

OpenMetricsHistory::OpenMetricsHistory(
    std::vector<std::pair<std::string, std::string>> extra_labels) {
  for (const auto& [key, value] : extra_labels) {
    absl::StrAppend(&extra_labels_, ",", key, "=\"", Escaped(value), "\"");
  }
}

std::string OpenMetricsHistory::Labels(
    std::initializer_list<std::pair<const char*, std::string>> labels) const {
  std::string out = "{";
  for (const auto& [key, value] : labels) {
    if (out.size() > 1) out += ',';
    absl::StrAppend(&out, key, "=\"", Escaped(value), "\"");
  }
  return absl::StrCat(out, extra_labels_, "}");
}

void OpenMetricsHistory::Gauge(const std::string& name, const std::string& help,
                               const std::string& labels, int64_t at,
                               double value) {
  Family& family = families_[name];
  family.help = help;
  family.type = "gauge";
  std::vector<Point>& points = family.series[labels];
  if (points.empty() || points.back().at != at) points.push_back({at, {}});
  points.back().samples.emplace_back(name + labels, value);
  ++samples_;
}

void OpenMetricsHistory::Add(const iv1::TeamExecution& own) {
  if (own.teams().empty()) return;
  const int64_t at = own.as_of().seconds();
  const std::string& team = own.team();
  const std::string t = Labels({{"team", team}});
  Gauge("orgpulse_team_events", "Stored events of the team.", t, at,
        static_cast<double>(own.events()));

  const iv1::TaskFigures& k = own.tasks();
  Gauge("orgpulse_tasks_open",
        "Tasks created and neither completed nor cancelled.", t, at,
        static_cast<double>(k.open()));
  Gauge("orgpulse_tasks_overdue", "Open tasks past their due date.", t, at,
        static_cast<double>(k.overdue()));
  Gauge("orgpulse_tasks_cancelled", "Cancelled tasks.", t, at,
        static_cast<double>(k.cancelled()));
  Gauge("orgpulse_tasks_completed",
        "Completed tasks with a due date, by timeliness.",
        Labels({{"team", team}, {"timeliness", "on_time"}}), at,
        static_cast<double>(k.completed_on_time()));
  Gauge("orgpulse_tasks_completed",
        "Completed tasks with a due date, by timeliness.",
        Labels({{"team", team}, {"timeliness", "late"}}), at,
        static_cast<double>(k.completed_late()));
  if (k.has_on_time_ratio()) {
    Gauge("orgpulse_tasks_on_time_ratio",
          "Share of completed tasks finished by their due date.", t, at,
          k.on_time_ratio());
  }
  Gauge("orgpulse_tasks_weekly_throughput",
        "Tasks completed per week over the last 28 days.", t, at,
        k.weekly_throughput());
  {
    const std::string name = "orgpulse_task_cycle_time_seconds";
    Family& family = families_[name];
    family.help = "Task cycle time from start (or creation) to completion.";
    family.type = "summary";
    std::vector<Point>& points = family.series[t];
    Point& p = points.emplace_back();
    p.at = at;
    p.samples = {{name + Labels({{"team", team}, {"quantile", "0.5"}}),
                  k.cycle_time_p50_seconds()},
                 {name + Labels({{"team", team}, {"quantile", "0.9"}}),
                  k.cycle_time_p90_seconds()},
                 {name + "_sum" + t, k.cycle_time_sum_seconds()},
                 {name + "_count" + t, static_cast<double>(k.completed())}};
    samples_ += 4;
  }

  for (const iv1::ProjectBudget& p : own.projects()) {
    const std::string l = Labels({{"team", team}, {"project", p.project()}});
    const iv1::EarnedValue& ev = p.figures();
    Gauge("orgpulse_project_actual_cost",
          "Actual cost (AC) of the project so far, in its currency.", l, at,
          ev.actual_cost());
    Gauge("orgpulse_project_completion_ratio",
          "Share of the project's scope done (percent complete / 100).", l, at,
          p.percent_complete() / 100);
    if (!p.has_plan()) continue;
    Gauge("orgpulse_project_budget_at_completion",
          "Budget at completion (BAC), in the project's currency.", l, at,
          ev.budget_at_completion());
    Gauge("orgpulse_project_planned_value",
          "Planned value (PV) as of now, in the project's currency.", l, at,
          ev.planned_value());
    Gauge("orgpulse_project_earned_value",
          "Earned value (EV), in the project's currency.", l, at,
          ev.earned_value());
    if (ev.has_cpi()) {
      Gauge("orgpulse_project_cost_performance_index",
            "Cost performance index CPI = EV / AC.", l, at,
            ev.cost_performance_index());
      Gauge("orgpulse_project_estimate_at_completion",
            "Estimate at completion EAC = BAC / CPI.", l, at,
            ev.estimate_at_completion());
      Gauge("orgpulse_project_variance_at_completion",
            "Variance at completion VAC = BAC - EAC.", l, at,
            ev.variance_at_completion());
    }
    if (ev.has_spi()) {
      Gauge("orgpulse_project_schedule_performance_index",
            "Schedule performance index SPI = EV / PV.", l, at,
            ev.schedule_performance_index());
    }
  }

  const iv1::MilestoneFigures& m = own.milestones();
  for (const auto& [state, n] :
       {std::pair<const char*, int64_t>{"met", m.met()},
        {"missed", m.missed()},
        {"pending", m.pending()}}) {
    Gauge("orgpulse_milestones", "Milestones by state.",
          Labels({{"team", team}, {"state", state}}), at,
          static_cast<double>(n));
  }
  Gauge("orgpulse_milestone_slip_seconds",
        "Total lateness of missed milestones.", t, at, m.slip_days() * 86400);
  Gauge("orgpulse_milestone_max_slip_seconds",
        "Lateness of the latest missed milestone.", t, at,
        m.max_slip_days() * 86400);

  for (const iv1::ProcedureCompliance& p : own.procedures()) {
    const std::string l =
        Labels({{"team", team}, {"procedure", p.procedure()}});
    Gauge("orgpulse_procedure_checks", "Procedure checks recorded.", l, at,
          static_cast<double>(p.checks()));
    Gauge("orgpulse_procedure_compliance_ratio",
          "Share of procedure checks that passed.", l, at,
          p.compliance_ratio());
  }

  for (const iv1::KpiFigures& kpi : own.kpis()) {
    const std::string l = Labels({{"team", team}, {"kpi", kpi.kpi()}});
    Gauge("orgpulse_kpi_actual", "The KPI's figure this month so far.", l, at,
          kpi.actual());
    Gauge("orgpulse_kpi_forecast", "The KPI's projected month-end figure.", l,
          at, kpi.forecast());
    if (!kpi.has_target()) continue;
    Gauge("orgpulse_kpi_target", "The KPI's target for this month.", l, at,
          kpi.target());
    Gauge("orgpulse_kpi_attainment_ratio",
          "The KPI's figure so far divided by this month's target.", l, at,
          kpi.attainment_ratio());
    Gauge("orgpulse_kpi_forecast_attainment_ratio",
          "The projected month-end figure divided by the target.", l, at,
          kpi.forecast_attainment_ratio());
  }
}

void OpenMetricsHistory::Write(std::ostream& out) const {
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << ' ' << family.help << '\n'
        << "# TYPE " << name << ' ' << family.type << '\n';
    for (const auto& [labels, points] : family.series) {
      for (const Point& p : points) {
        for (const auto& [sample, value] : p.samples) {
          out << sample << ' ' << Number(value) << ' ' << p.at << '\n';
        }
      }
    }
  }
  out << "# EOF\n";
}

}  // namespace orgpulse::cli
