#include "services/insights/metrics/insights_collector.h"

#include <optional>
#include <string>

namespace orgpulse::insights {
namespace {

const char* QuadrantLabel(Quadrant q) {
  switch (q) {
    case Quadrant::kThriving:
      return "thriving";
    case Quadrant::kBurnoutRisk:
      return "burnout_risk";
    case Quadrant::kExecutionGap:
      return "execution_gap";
    case Quadrant::kAtRisk:
      return "at_risk";
    case Quadrant::kInsufficientData:
      break;
  }
  return "insufficient_data";
}

void AddTeam(MetricSink& out, const TeamInsights& t) {
  const MetricLabel team[] = {{"team", t.team}};
  for (Quadrant q :
       {Quadrant::kThriving, Quadrant::kBurnoutRisk, Quadrant::kExecutionGap,
        Quadrant::kAtRisk, Quadrant::kInsufficientData}) {
    out.Gauge("orgpulse_team_quadrant",
              "1 for the team's current quadrant, 0 for the others.",
              {{"team", t.team}, {"quadrant", QuadrantLabel(q)}},
              t.assessment.quadrant == q ? 1 : 0);
  }
  const Assessment& a = t.assessment;
  if (a.execution_score) {
    out.Gauge("orgpulse_execution_score", "Execution score, 0 to 100.", team,
              *a.execution_score);
  }
  if (t.execution.snapshot) {
    out.Gauge("orgpulse_execution_figures_age_seconds",
              "Age of the execution figures read from ingest.", team,
              t.execution.age_seconds);
  }
  // Everything below derives from survey answers: released groups only.
  if (!t.morale.figures) return;
  const GroupMorale& m = *t.morale.figures;
  for (int i = 0; i < kDimensionCount; ++i) {
    out.Gauge("orgpulse_morale_score",
              "Survey score of a dimension in the latest round, 0 to 100.",
              {{"team", t.team}, {"dimension", DimensionName(DimensionAt(i))}},
              m.dimensions[i]);
  }
  out.Gauge("orgpulse_enps", "Employee NPS in the latest round, -100 to 100.",
            team, m.enps);
  out.Gauge("orgpulse_intent_to_stay_score",
            "Intent to stay in the latest round, 0 to 100.", team,
            m.intent_to_stay);
  out.Gauge("orgpulse_survey_respondents",
            "Respondents in the latest round (released groups only).", team,
            static_cast<double>(m.respondents));
  if (a.people_score) {
    out.Gauge("orgpulse_people_score", "People score, 0 to 100.", team,
              *a.people_score);
  }
  if (a.burnout_risk) {
    out.Gauge("orgpulse_burnout_risk_ratio", "Burnout risk, 0 to 1.", team,
              *a.burnout_risk);
  }
  if (a.turnover_risk) {
    out.Gauge("orgpulse_turnover_risk_ratio", "Turnover risk, 0 to 1.", team,
              *a.turnover_risk);
  }
}

}  // namespace

void InsightsCollector::CollectInto(MetricSink& out) const {
  const InsightsStats stats = engine_.stats();
  out.Counter("orgpulse_survey_responses_total",
              "Survey responses submitted, by result.",
              {{"result", "accepted"}}, static_cast<double>(stats.accepted));
  out.Counter("orgpulse_survey_responses_total",
              "Survey responses submitted, by result.",
              {{"result", "duplicate"}}, static_cast<double>(stats.duplicates));
  for (const auto& [reason, n] :
       {std::pair<const char*, int64_t>{"invalid", stats.rejected_invalid},
        {"team_limit", stats.rejected_team_limit},
        {"storage", stats.rejected_storage}}) {
    out.Counter("orgpulse_survey_responses_rejected_total",
                "Survey responses in refused batches, by reason.",
                {{"reason", reason}}, static_cast<double>(n));
  }
  out.Gauge("orgpulse_survey_responses_stored", "Survey responses stored.", {},
            static_cast<double>(stats.stored));
  // Totals only: no team label, so they single nobody out.
  out.Counter("orgpulse_survey_responses_erased_total",
              "Survey responses erased on request (EraseRespondent) by this "
              "process.",
              {}, static_cast<double>(stats.erased));
  out.Counter("orgpulse_survey_rounds_dropped_total",
              "Survey rounds dropped by retention (--retain_rounds) by this "
              "process.",
              {}, static_cast<double>(stats.dropped_rounds));
  if (const std::optional<SurveySnapshotReport> snapshot =
          engine_.last_snapshot()) {
    out.Gauge("orgpulse_survey_snapshot_position",
              "Log position of the last survey snapshot this process wrote.",
              {}, static_cast<double>(snapshot->cursor.position));
    out.Gauge("orgpulse_survey_snapshot_bytes",
              "Size of the last survey snapshot this process wrote.", {},
              static_cast<double>(snapshot->bytes));
    out.Gauge("orgpulse_survey_snapshot_timestamp_seconds",
              "When this process last wrote a survey snapshot, Unix seconds.",
              {},
              absl::ToDoubleSeconds(snapshot->written_at - absl::UnixEpoch()));
    out.Gauge("orgpulse_survey_snapshot_encode_seconds",
              "How long the last survey snapshot held submissions back "
              "while the state was encoded.",
              {}, absl::ToDoubleSeconds(snapshot->encode_time));
  }

  const SourceHealth health = source_.Health();
  out.Gauge("orgpulse_ingest_up",
            "1 if the latest read of ingest's figures succeeded, else 0.", {},
            health.reachable ? 1 : 0);
  out.Counter("orgpulse_ingest_partial_reads_total",
              "Reads of ingest's figures that failed part way; the pages "
              "read were kept.",
              {}, static_cast<double>(health.partial_reads));
  if (health.last_success != absl::InfinitePast()) {
    out.Gauge("orgpulse_ingest_last_success_timestamp_seconds",
              "When ingest's figures were last read, Unix seconds.", {},
              absl::ToDoubleSeconds(health.last_success - absl::UnixEpoch()));
  }
  for (const TeamInsights& t :
       engine_.ListTeamInsights("", InsightsOrder::kTeam)) {
    AddTeam(out, t);
  }
}

}  // namespace orgpulse::insights
