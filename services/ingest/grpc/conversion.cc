#include "services/ingest/grpc/conversion.h"

#include "common/proto/time_conversion.h"

namespace orgpulse::ingest {
namespace {

// The proto oneof's cases, in the order of the domain's Payload variant.
Payload PayloadFromProto(const v1::Event& p) {
  using v1::Event;
  switch (p.payload_case()) {
    case Event::kTaskCreated: {
      const auto& m = p.task_created();
      return TaskCreated{m.task_id(), FromProtoTime(m.has_due_at(), m.due_at()),
                         m.estimate_hours()};
    }
    case Event::kTaskStarted:
      return TaskStarted{p.task_started().task_id()};
    case Event::kTaskCompleted:
      return TaskCompleted{p.task_completed().task_id()};
    case Event::kTaskCancelled:
      return TaskCancelled{p.task_cancelled().task_id()};
    case Event::kTaskDueDateChanged: {
      const auto& m = p.task_due_date_changed();
      return TaskDueDateChanged{m.task_id(),
                                FromProtoTime(m.has_due_at(), m.due_at())};
    }
    case Event::kProjectBudgetPlan: {
      const auto& m = p.project_budget_plan();
      return ProjectBudgetPlan{
          m.project(), m.budget_at_completion(),
          FromProtoTime(m.has_planned_start(), m.planned_start()),
          FromProtoTime(m.has_planned_end(), m.planned_end())};
    }
    case Event::kCostActual:
      return CostActual{p.cost_actual().project(), p.cost_actual().amount()};
    case Event::kProjectProgress:
      return ProjectProgress{p.project_progress().project(),
                             p.project_progress().percent_complete()};
    case Event::kMilestoneDue: {
      const auto& m = p.milestone_due();
      return MilestoneDue{m.project(), m.milestone(),
                          FromProtoTime(m.has_due_at(), m.due_at())};
    }
    case Event::kMilestoneReached:
      return MilestoneReached{p.milestone_reached().project(),
                              p.milestone_reached().milestone()};
    case Event::kProcedureCheck:
      return ProcedureCheck{p.procedure_check().procedure(),
                            p.procedure_check().passed()};
    case Event::kKpiMonthlyTarget: {
      const auto& m = p.kpi_monthly_target();
      return KpiMonthlyTarget{m.kpi(), m.year(), m.month(), m.target(),
                              static_cast<KpiAggregation>(m.aggregation())};
    }
    case Event::kKpiActual:
      return KpiActual{p.kpi_actual().kpi(), p.kpi_actual().value()};
    case Event::PAYLOAD_NOT_SET:
      break;
  }
  return std::monostate{};
}

struct PayloadToProto {
  v1::Event& out;

  void operator()(const std::monostate&) {}
  void operator()(const TaskCreated& e) {
    auto* m = out.mutable_task_created();
    m->set_task_id(e.task_id);
    ToProtoTime(e.due_at, *m->mutable_due_at());
    m->set_estimate_hours(e.estimate_hours);
  }
  void operator()(const TaskStarted& e) {
    out.mutable_task_started()->set_task_id(e.task_id);
  }
  void operator()(const TaskCompleted& e) {
    out.mutable_task_completed()->set_task_id(e.task_id);
  }
  void operator()(const TaskCancelled& e) {
    out.mutable_task_cancelled()->set_task_id(e.task_id);
  }
  void operator()(const TaskDueDateChanged& e) {
    auto* m = out.mutable_task_due_date_changed();
    m->set_task_id(e.task_id);
    ToProtoTime(e.due_at, *m->mutable_due_at());
  }
  void operator()(const ProjectBudgetPlan& e) {
    auto* m = out.mutable_project_budget_plan();
    m->set_project(e.project);
    m->set_budget_at_completion(e.budget_at_completion);
    ToProtoTime(e.planned_start, *m->mutable_planned_start());
    ToProtoTime(e.planned_end, *m->mutable_planned_end());
  }
  void operator()(const CostActual& e) {
    auto* m = out.mutable_cost_actual();
    m->set_project(e.project);
    m->set_amount(e.amount);
  }
  void operator()(const ProjectProgress& e) {
    auto* m = out.mutable_project_progress();
    m->set_project(e.project);
    m->set_percent_complete(e.percent_complete);
  }
  void operator()(const MilestoneDue& e) {
    auto* m = out.mutable_milestone_due();
    m->set_project(e.project);
    m->set_milestone(e.milestone);
    ToProtoTime(e.due_at, *m->mutable_due_at());
  }
  void operator()(const MilestoneReached& e) {
    auto* m = out.mutable_milestone_reached();
    m->set_project(e.project);
    m->set_milestone(e.milestone);
  }
  void operator()(const ProcedureCheck& e) {
    auto* m = out.mutable_procedure_check();
    m->set_procedure(e.procedure);
    m->set_passed(e.passed);
  }
  void operator()(const KpiMonthlyTarget& e) {
    auto* m = out.mutable_kpi_monthly_target();
    m->set_kpi(e.kpi);
    m->set_year(e.year);
    m->set_month(e.month);
    m->set_target(e.target);
    m->set_aggregation(static_cast<v1::KpiAggregation>(e.aggregation));
  }
  void operator()(const KpiActual& e) {
    auto* m = out.mutable_kpi_actual();
    m->set_kpi(e.kpi);
    m->set_value(e.value);
  }
};

void ToProto(const EarnedValue& ev, v1::EarnedValue& out) {
  out.set_budget_at_completion(ev.budget_at_completion);
  out.set_planned_value(ev.planned_value);
  out.set_earned_value(ev.earned_value);
  out.set_actual_cost(ev.actual_cost);
  out.set_has_cpi(ev.cost_performance_index.has_value());
  out.set_cost_performance_index(ev.cost_performance_index.value_or(0));
  out.set_has_spi(ev.schedule_performance_index.has_value());
  out.set_schedule_performance_index(ev.schedule_performance_index.value_or(0));
  out.set_estimate_at_completion(ev.estimate_at_completion.value_or(0));
  out.set_variance_at_completion(ev.variance_at_completion.value_or(0));
}

}  // namespace

Event FromProto(const v1::Event& proto) {
  return Event{proto.event_id(), proto.source(), proto.team(),
               FromProtoTime(proto.has_occurred_at(), proto.occurred_at()),
               PayloadFromProto(proto)};
}

EventBatch FromProto(const v1::PushRequest& proto) {
  EventBatch batch;
  batch.reserve(proto.events_size());
  for (const v1::Event& e : proto.events()) batch.push_back(FromProto(e));
  return batch;
}

v1::Event ToProto(const Event& event) {
  v1::Event out;
  out.set_event_id(event.event_id);
  out.set_source(event.source);
  out.set_team(event.team);
  ToProtoTime(event.occurred_at, *out.mutable_occurred_at());
  std::visit(PayloadToProto{out}, event.payload);
  return out;
}

void ToProto(const TeamExecution& f, v1::TeamExecution& out) {
  out.set_team(f.team);
  for (const std::string& t : f.teams) out.add_teams(t);
  ToProtoTime(f.as_of, *out.mutable_as_of());
  out.set_events(f.events);

  v1::TaskFigures& t = *out.mutable_tasks();
  t.set_open(f.tasks.open);
  t.set_overdue(f.tasks.overdue);
  t.set_completed_on_time(f.tasks.completed_on_time);
  t.set_completed_late(f.tasks.completed_late);
  t.set_has_on_time_ratio(f.tasks.on_time_ratio.has_value());
  t.set_on_time_ratio(f.tasks.on_time_ratio.value_or(0));
  t.set_cycle_time_p50_seconds(f.tasks.cycle_time_p50_seconds);
  t.set_cycle_time_p90_seconds(f.tasks.cycle_time_p90_seconds);
  t.set_weekly_throughput(f.tasks.weekly_throughput);
  t.set_cancelled(f.tasks.cancelled);
  t.set_completed(f.tasks.completed);
  t.set_cycle_time_sum_seconds(f.tasks.cycle_time_sum_seconds);

  ToProto(f.budget, *out.mutable_budget());
  for (const ProjectBudget& p : f.projects) {
    v1::ProjectBudget& b = *out.add_projects();
    b.set_team(p.team);
    b.set_project(p.project);
    b.set_has_plan(p.has_plan);
    b.set_percent_complete(p.percent_complete);
    ToProto(p.figures, *b.mutable_figures());
  }

  v1::MilestoneFigures& m = *out.mutable_milestones();
  m.set_met(f.milestones.met);
  m.set_missed(f.milestones.missed);
  m.set_pending(f.milestones.pending);
  m.set_slip_days(f.milestones.slip_days);
  m.set_max_slip_days(f.milestones.max_slip_days);

  for (const ProcedureCompliance& p : f.procedures) {
    v1::ProcedureCompliance& c = *out.add_procedures();
    c.set_procedure(p.procedure);
    c.set_checks(p.checks);
    c.set_passed(p.passed);
    c.set_compliance_ratio(p.compliance_ratio);
  }
  for (const KpiFigures& k : f.kpis) {
    v1::KpiFigures& o = *out.add_kpis();
    o.set_team(k.team);
    o.set_kpi(k.kpi);
    o.set_year(k.year);
    o.set_month(k.month);
    o.set_has_target(k.has_target);
    o.set_target(k.target);
    o.set_aggregation(static_cast<v1::KpiAggregation>(k.aggregation));
    o.set_actual(k.actual);
    o.set_attainment_ratio(k.attainment_ratio);
    o.set_forecast(k.forecast);
    o.set_forecast_attainment_ratio(k.forecast_attainment_ratio);
  }
}

void ToProto(const TeamSummary& summary, v1::TeamSummary& out) {
  out.set_team(summary.team);
  out.set_events(summary.events);
  ToProtoTime(summary.last_event_at, *out.mutable_last_event_at());
}

void ToProto(absl::string_view team, const std::vector<TeamExecution>& points,
             v1::TeamTrend& out) {
  out.set_team(std::string(team));
  for (const TeamExecution& p : points) ToProto(p, *out.add_points());
}

TrendRequest FromProto(const v1::GetTeamTrendRequest& proto) {
  TrendRequest out;
  out.from = OptionalFromProtoTime(proto.has_from(), proto.from());
  out.to = OptionalFromProtoTime(proto.has_to(), proto.to());
  if (proto.has_step()) {
    const google::protobuf::Duration& d = proto.step();
    const bool valid = d.nanos() > -1'000'000'000 && d.nanos() < 1'000'000'000;
    out.step = valid ? absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos())
                     : absl::ZeroDuration();
  }
  out.own = proto.own();
  return out;
}

RemovalRequest FromProto(const v1::RemoveEventsRequest& proto) {
  RemovalRequest out;
  out.filter.source = proto.source();
  if (proto.has_from()) out.filter.from = FromProtoTime(true, proto.from());
  if (proto.has_to()) {
    out.filter.to = FromProtoTime(true, proto.to());
    // A malformed bound must not read as "no bound" (see ValidateRemoval).
    if (out.filter.to == absl::InfiniteFuture()) {
      out.filter.to = absl::InfinitePast();
    }
  }
  out.dry_run = proto.dry_run();
  return out;
}

void ToProto(const RemovalReport& report, v1::RemoveEventsResponse& out) {
  out.set_dry_run(report.dry_run);
  out.set_removed(report.removed);
  out.set_remaining(report.remaining);
  for (const TeamRemoval& t : report.teams) {
    v1::TeamRemoval& o = *out.add_teams();
    o.set_team(t.team);
    o.set_removed(t.removed);
    ToProto(t.before, *o.mutable_before());
    if (t.after) ToProto(*t.after, *o.mutable_after());
  }
}

}  // namespace orgpulse::ingest
