#include "services/ingest/metrics/ingest_collector.h"

#include <string>
#include <vector>

namespace orgpulse::ingest {
namespace {

void AddTeam(MetricSink& out, const std::string& team, const TeamExecution& f,
             const TeamSummary& summary) {
  const MetricLabel t[] = {{"team", team}};
  out.Gauge("orgpulse_team_events", "Stored events of the team.", t,
            static_cast<double>(summary.events));
  out.Gauge("orgpulse_team_last_event_timestamp_seconds",
            "occurred_at of the team's latest event, Unix seconds.", t,
            absl::ToDoubleSeconds(summary.last_event_at - absl::UnixEpoch()));

  const TaskFigures& k = f.tasks;
  out.Gauge("orgpulse_tasks_open",
            "Tasks created and neither completed nor cancelled.", t,
            static_cast<double>(k.open));
  out.Gauge("orgpulse_tasks_overdue", "Open tasks past their due date.", t,
            static_cast<double>(k.overdue));
  out.Gauge("orgpulse_tasks_cancelled", "Cancelled tasks.", t,
            static_cast<double>(k.cancelled));
  out.Gauge("orgpulse_tasks_completed",
            "Completed tasks with a due date, by timeliness.",
            {{"team", team}, {"timeliness", "on_time"}},
            static_cast<double>(k.completed_on_time));
  out.Gauge("orgpulse_tasks_completed",
            "Completed tasks with a due date, by timeliness.",
            {{"team", team}, {"timeliness", "late"}},
            static_cast<double>(k.completed_late));
  if (k.on_time_ratio) {
    out.Gauge("orgpulse_tasks_on_time_ratio",
              "Share of completed tasks finished by their due date.", t,
              *k.on_time_ratio);
  }
  out.Gauge("orgpulse_tasks_weekly_throughput",
            "Tasks completed per week over the last 28 days.", t,
            k.weekly_throughput);
  out.Summary(
      "orgpulse_task_cycle_time_seconds",
      "Task cycle time from start (or creation) to completion.", t,
      static_cast<uint64_t>(k.completed), k.cycle_time_sum_seconds,
      {{0.5, k.cycle_time_p50_seconds}, {0.9, k.cycle_time_p90_seconds}});

  for (const ProjectBudget& p : f.projects) {
    const MetricLabel l[] = {{"team", team}, {"project", p.project}};
    const EarnedValue& ev = p.figures;
    out.Gauge("orgpulse_project_actual_cost",
              "Actual cost (AC) of the project so far, in its currency.", l,
              ev.actual_cost);
    out.Gauge("orgpulse_project_completion_ratio",
              "Share of the project's scope done (percent complete / 100).", l,
              p.percent_complete / 100);
    if (!p.has_plan) continue;
    out.Gauge("orgpulse_project_budget_at_completion",
              "Budget at completion (BAC), in the project's currency.", l,
              ev.budget_at_completion);
    out.Gauge("orgpulse_project_planned_value",
              "Planned value (PV) as of now, in the project's currency.", l,
              ev.planned_value);
    out.Gauge("orgpulse_project_earned_value",
              "Earned value (EV), in the project's currency.", l,
              ev.earned_value);
    if (ev.cost_performance_index) {
      out.Gauge("orgpulse_project_cost_performance_index",
                "Cost performance index CPI = EV / AC.", l,
                *ev.cost_performance_index);
    }
    if (ev.schedule_performance_index) {
      out.Gauge("orgpulse_project_schedule_performance_index",
                "Schedule performance index SPI = EV / PV.", l,
                *ev.schedule_performance_index);
    }
    if (ev.estimate_at_completion) {
      out.Gauge("orgpulse_project_estimate_at_completion",
                "Estimate at completion EAC = BAC / CPI.", l,
                *ev.estimate_at_completion);
      out.Gauge("orgpulse_project_variance_at_completion",
                "Variance at completion VAC = BAC - EAC.", l,
                *ev.variance_at_completion);
    }
  }

  const MilestoneFigures& m = f.milestones;
  for (const auto& [state, n] : {std::pair<const char*, int64_t>{"met", m.met},
                                 {"missed", m.missed},
                                 {"pending", m.pending}}) {
    out.Gauge("orgpulse_milestones", "Milestones by state.",
              {{"team", team}, {"state", state}}, static_cast<double>(n));
  }
  out.Gauge("orgpulse_milestone_slip_seconds",
            "Total lateness of missed milestones.", t, m.slip_days * 86400);
  out.Gauge("orgpulse_milestone_max_slip_seconds",
            "Lateness of the latest missed milestone.", t,
            m.max_slip_days * 86400);

  for (const ProcedureCompliance& p : f.procedures) {
    const MetricLabel l[] = {{"team", team}, {"procedure", p.procedure}};
    out.Gauge("orgpulse_procedure_checks", "Procedure checks recorded.", l,
              static_cast<double>(p.checks));
    out.Gauge("orgpulse_procedure_compliance_ratio",
              "Share of procedure checks that passed.", l, p.compliance_ratio);
  }

  for (const KpiFigures& kpi : f.kpis) {
    const MetricLabel l[] = {{"team", team}, {"kpi", kpi.kpi}};
    out.Gauge("orgpulse_kpi_actual", "The KPI's figure this month so far.", l,
              kpi.actual);
    out.Gauge("orgpulse_kpi_forecast", "The KPI's projected month-end figure.",
              l, kpi.forecast);
    if (!kpi.has_target) continue;
    out.Gauge("orgpulse_kpi_target", "The KPI's target for this month.", l,
              kpi.target);
    out.Gauge("orgpulse_kpi_attainment_ratio",
              "The KPI's figure so far divided by this month's target.", l,
              kpi.attainment_ratio);
    out.Gauge("orgpulse_kpi_forecast_attainment_ratio",
              "The projected month-end figure divided by the target.", l,
              kpi.forecast_attainment_ratio);
  }
}

}  // namespace

void IngestCollector::CollectInto(MetricSink& out) const {
  const LedgerStats stats = ledger_.stats();
  out.Counter("orgpulse_ingest_events_total",
              "Events pushed and stored or recognised, by result.",
              {{"result", "accepted"}}, static_cast<double>(stats.accepted));
  out.Counter("orgpulse_ingest_events_total",
              "Events pushed and stored or recognised, by result.",
              {{"result", "duplicate"}}, static_cast<double>(stats.duplicates));
  for (const auto& [reason, n] :
       {std::pair<const char*, int64_t>{"invalid", stats.rejected_invalid},
        {"team_limit", stats.rejected_team_limit},
        {"source_limit", stats.rejected_source_limit},
        {"storage", stats.rejected_storage}}) {
    out.Counter("orgpulse_ingest_events_rejected_total",
                "Events in refused batches, by reason.", {{"reason", reason}},
                static_cast<double>(n));
  }
  out.Counter("orgpulse_store_commits_total",
              "Group commits to the event store.", {},
              static_cast<double>(stats.commits));
  out.Gauge("orgpulse_store_events", "Events in the event store.", {},
            static_cast<double>(stats.stored_events));
  out.Gauge("orgpulse_teams", "Teams known to the service.", {},
            static_cast<double>(stats.teams));
  // On PostgreSQL, replicas compare: one that stays below the others while
  // they move is not following the log (alert OrgpulseReplicaBehind).
  out.Gauge("orgpulse_log_folded_position",
            "The event log position this process's figures cover.", {},
            static_cast<double>(ledger_.folded_position()));
  for (const auto& [reason, n] :
       {std::pair<const char*, int64_t>{"request", stats.removed_by_request},
        {"retention", stats.removed_by_retention}}) {
    out.Counter("orgpulse_ingest_events_removed_total",
                "Events removed from the store: by RemoveEvents (request) or "
                "as older than --retain_events_for (retention).",
                {{"reason", reason}}, static_cast<double>(n));
  }
  out.Counter("orgpulse_ingest_retention_failures_total",
              "Retention sweeps that failed (tried again at the next one).", {},
              static_cast<double>(stats.retention_failures));

  const std::vector<SourceSummary> sources = ledger_.ListSources();
  out.Gauge("orgpulse_sources", "Sources of the stored events.", {},
            static_cast<double>(sources.size()));
  for (const SourceSummary& s : sources) {
    const MetricLabel l[] = {{"source", s.source}};
    out.Gauge("orgpulse_source_events", "Stored events of the source.", l,
              static_cast<double>(s.events));
    // By occurred_at, not arrival: the store keeps no arrival time, and a
    // source that pushes as things happen stops advancing it when it stops.
    out.Gauge("orgpulse_source_last_event_timestamp_seconds",
              "occurred_at of the source's latest stored event, Unix seconds.",
              l, absl::ToDoubleSeconds(s.last_event_at - absl::UnixEpoch()));
  }

  ledger_.ForEachTeamOwnFigures(
      [&](const TeamSummary& summary, const TeamExecution& figures) {
        AddTeam(out, summary.team, figures, summary);
      });
}

}  // namespace orgpulse::ingest
