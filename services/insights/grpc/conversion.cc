#include "services/insights/grpc/conversion.h"

#include "common/proto/time_conversion.h"

namespace orgpulse::insights {
namespace {

v1::Quadrant ToProto(Quadrant q) { return static_cast<v1::Quadrant>(q); }

void ToProto(const GroupMorale& m, const std::optional<GroupMorale>& previous,
             v1::MoraleFigures& out) {
  out.set_respondents(m.respondents);
  for (int i = 0; i < kDimensionCount; ++i) {
    v1::DimensionScore& d = *out.add_dimensions();
    d.set_dimension(static_cast<v1::Dimension>(i + 1));
    d.set_score(m.dimensions[i]);
    if (previous) d.set_change(m.dimensions[i] - previous->dimensions[i]);
  }
  out.set_enps(m.enps);
  out.set_intent_to_stay(m.intent_to_stay);
  if (previous) out.set_enps_change(m.enps - previous->enps);
  ToProtoTime(m.as_of, *out.mutable_as_of());
}

}  // namespace

std::vector<SurveyResponse> FromProto(
    const v1::SubmitSurveyResponsesRequest& request,
    const KeyedHasher& hasher) {
  std::vector<SurveyResponse> out;
  out.reserve(request.responses_size());
  for (const v1::SurveyResponse& p : request.responses()) {
    SurveyResponse r;
    r.response_id = p.response_id();
    r.team = p.team();
    r.round = p.round();
    r.respondent_id_length = p.respondent_id().size();
    if (!p.respondent_id().empty())
      r.respondent = hasher.Hash(p.respondent_id());
    r.submitted_at = FromProtoTime(p.has_submitted_at(), p.submitted_at());
    for (const v1::Answer& a : p.answers()) {
      r.answers.push_back({static_cast<Dimension>(a.dimension()), a.value(),
                           a.reverse_scored(), a.item().size()});
    }
    r.enps = p.enps();
    r.intent_to_stay = p.intent_to_stay();
    out.push_back(std::move(r));
  }
  return out;
}

void ToProto(const TeamInsights& t, v1::TeamInsights& out) {
  out.set_team(t.team);
  for (const std::string& team : t.teams) out.add_teams(team);

  v1::MoraleFigures& morale = *out.mutable_morale();
  morale.set_round(t.morale.round);
  morale.set_suppressed(t.morale.suppressed);
  if (t.morale.figures) {
    ToProto(*t.morale.figures, t.morale.previous, morale);
    morale.set_previous_round(t.morale.previous_round);
  }

  v1::ExecutionFigures& e = *out.mutable_execution();
  const ExecutionView& ev = t.execution;
  e.set_available(ev.snapshot.has_value());
  e.set_stale(ev.stale);
  e.set_stale_reason(ev.stale_reason);
  if (ev.snapshot) {
    const ExecutionInputs& in = ev.snapshot->inputs;
    ToProtoTime(ev.snapshot->as_of, *e.mutable_as_of());
    e.set_age_seconds(ev.age_seconds);
    auto set = [](const std::optional<double>& v, auto has, auto value) {
      has(v.has_value());
      value(v.value_or(0));
    };
    set(
        in.on_time_ratio, [&](bool b) { e.set_has_on_time_ratio(b); },
        [&](double v) { e.set_on_time_ratio(v); });
    set(
        in.cost_performance_index,
        [&](bool b) { e.set_has_cost_performance_index(b); },
        [&](double v) { e.set_cost_performance_index(v); });
    set(
        in.schedule_performance_index,
        [&](bool b) { e.set_has_schedule_performance_index(b); },
        [&](double v) { e.set_schedule_performance_index(v); });
    set(
        in.milestone_hit_ratio,
        [&](bool b) { e.set_has_milestone_hit_ratio(b); },
        [&](double v) { e.set_milestone_hit_ratio(v); });
    set(
        in.procedure_compliance_ratio,
        [&](bool b) { e.set_has_procedure_compliance_ratio(b); },
        [&](double v) { e.set_procedure_compliance_ratio(v); });
    set(
        in.kpi_forecast_attainment_ratio,
        [&](bool b) { e.set_has_kpi_forecast_attainment_ratio(b); },
        [&](double v) { e.set_kpi_forecast_attainment_ratio(v); });
    e.set_open_tasks(in.open_tasks);
    e.set_overdue_tasks(in.overdue_tasks);
  }

  const Assessment& a = t.assessment;
  out.set_has_execution_score(a.execution_score.has_value());
  out.set_execution_score(a.execution_score.value_or(0));
  out.set_has_people_score(a.people_score.has_value());
  out.set_people_score(a.people_score.value_or(0));
  out.set_quadrant(ToProto(a.quadrant));
  out.set_has_risks(a.burnout_risk.has_value());
  out.set_burnout_risk(a.burnout_risk.value_or(0));
  out.set_turnover_risk(a.turnover_risk.value_or(0));
  for (const Driver& d : a.drivers) {
    v1::Driver& o = *out.add_drivers();
    o.set_score(static_cast<v1::Driver::Score>(d.score));
    o.set_name(d.name);
    o.set_value(d.value);
    o.set_threshold(d.threshold);
  }
  for (const Recommendation& r : a.recommendations) {
    v1::Recommendation& o = *out.add_recommendations();
    o.set_driver(r.driver);
    o.set_practice(r.practice);
    o.set_detail(r.detail);
  }
}

}  // namespace orgpulse::insights
