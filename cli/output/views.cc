#include "cli/output/views.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "cli/output/table.h"
#include "common/proto/time_conversion.h"
#include "google/protobuf/util/json_util.h"

namespace orgpulse::cli {
namespace {

namespace iv1 = ingest::v1;
namespace sv1 = insights::v1;

std::string Time(const google::protobuf::Timestamp& t) {
  return FormatTimestamp(FromProtoTime(true, t));
}

std::string Money(double v) { return WithThousands(std::llround(v)); }

std::string Ratio(bool has, double v) {
  return has ? absl::StrFormat("%.2f", v) : "n/a";
}

std::string Percent(double ratio) {
  return absl::StrFormat("%.0f%%", 100 * ratio);
}

std::string Days(double seconds) {
  return absl::StrFormat("%.1f d", seconds / 86400);
}

std::string Quadrant(sv1::Quadrant q) {
  return std::string(absl::StripPrefix(sv1::Quadrant_Name(q), "QUADRANT_"));
}

}  // namespace

std::string FormatTeams(const iv1::ListTeamsResponse& teams) {
  if (teams.teams().empty()) return "no teams\n";
  std::vector<std::vector<std::string>> rows;
  for (const iv1::TeamSummary& t : teams.teams()) {
    rows.push_back(
        {t.team(), WithThousands(t.events()), Time(t.last_event_at())});
  }
  return RenderTable({{"TEAM"}, {"EVENTS", Align::kRight}, {"LAST EVENT"}},
                     rows);
}

std::string FormatExecution(const iv1::TeamExecution& f) {
  std::string out = absl::StrCat(f.team(), ": ", WithThousands(f.events()),
                                 " events, as of ", Time(f.as_of()), "\n");
  if (f.teams_size() > 1 || (f.teams_size() == 1 && f.teams(0) != f.team())) {
    absl::StrAppend(&out, "rolls up ", f.teams_size(),
                    " teams: ", absl::StrJoin(f.teams(), ", "), "\n");
  }
  const iv1::TaskFigures& k = f.tasks();
  absl::StrAppend(
      &out, "\n",
      absl::StrFormat(
          "tasks       %s open, %s overdue, %s cancelled; on time "
          "%s (%d of %d); cycle time p50 %s, p90 %s; %.1f done/week\n",
          WithThousands(k.open()), WithThousands(k.overdue()),
          WithThousands(k.cancelled()),
          k.has_on_time_ratio() ? Percent(k.on_time_ratio()) : "n/a",
          k.completed_on_time(), k.completed_on_time() + k.completed_late(),
          Days(k.cycle_time_p50_seconds()), Days(k.cycle_time_p90_seconds()),
          k.weekly_throughput()));
  const iv1::EarnedValue& b = f.budget();
  absl::StrAppend(
      &out, absl::StrFormat(
                "budget      BAC %s, PV %s, EV %s, AC %s; CPI %s, SPI %s; "
                "EAC %s, VAC %s\n",
                Money(b.budget_at_completion()), Money(b.planned_value()),
                Money(b.earned_value()), Money(b.actual_cost()),
                Ratio(b.has_cpi(), b.cost_performance_index()),
                Ratio(b.has_spi(), b.schedule_performance_index()),
                b.has_cpi() ? Money(b.estimate_at_completion()) : "n/a",
                b.has_cpi() ? Money(b.variance_at_completion()) : "n/a"));
  const iv1::MilestoneFigures& m = f.milestones();
  absl::StrAppend(
      &out, absl::StrFormat("milestones  %d met, %d missed, %d pending; %.1f "
                            "days slipped (at most %.1f)\n",
                            m.met(), m.missed(), m.pending(), m.slip_days(),
                            m.max_slip_days()));
  if (!f.projects().empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const iv1::ProjectBudget& p : f.projects()) {
      const iv1::EarnedValue& e = p.figures();
      rows.push_back({p.project(), p.team(), p.has_plan() ? "yes" : "no",
                      absl::StrFormat("%.0f%%", p.percent_complete()),
                      Money(e.budget_at_completion()), Money(e.actual_cost()),
                      Ratio(e.has_cpi(), e.cost_performance_index()),
                      Ratio(e.has_spi(), e.schedule_performance_index())});
    }
    absl::StrAppend(&out, "\n",
                    RenderTable({{"PROJECT"},
                                 {"TEAM"},
                                 {"PLAN"},
                                 {"DONE", Align::kRight},
                                 {"BAC", Align::kRight},
                                 {"AC", Align::kRight},
                                 {"CPI", Align::kRight},
                                 {"SPI", Align::kRight}},
                                rows));
  }
  if (!f.procedures().empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const iv1::ProcedureCompliance& p : f.procedures()) {
      rows.push_back({p.procedure(), WithThousands(p.checks()),
                      WithThousands(p.passed()),
                      Percent(p.compliance_ratio())});
    }
    absl::StrAppend(&out, "\n",
                    RenderTable({{"PROCEDURE"},
                                 {"CHECKS", Align::kRight},
                                 {"PASSED", Align::kRight},
                                 {"COMPLIANCE", Align::kRight}},
                                rows));
  }
  if (!f.kpis().empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const iv1::KpiFigures& k : f.kpis()) {
      rows.push_back(
          {k.kpi(), k.team(), absl::StrFormat("%04d-%02d", k.year(), k.month()),
           absl::StrFormat("%.2f", k.actual()),
           k.has_target() ? absl::StrFormat("%.2f", k.target()) : "-",
           k.has_target() ? Percent(k.attainment_ratio()) : "-",
           absl::StrFormat("%.2f", k.forecast()),
           k.has_target() ? Percent(k.forecast_attainment_ratio()) : "-"});
    }
    absl::StrAppend(&out, "\n",
                    RenderTable({{"KPI"},
                                 {"TEAM"},
                                 {"MONTH"},
                                 {"ACTUAL", Align::kRight},
                                 {"TARGET", Align::kRight},
                                 {"ATTAINED", Align::kRight},
                                 {"FORECAST", Align::kRight},
                                 {"FORECAST ATTAINED", Align::kRight}},
                                rows));
  }
  return out;
}

namespace {

// One row of a trend: a figure's value at each point (absent where it has
// none) and how to print one.
struct TrendRow {
  std::string name;
  std::string (*format)(double);
  std::vector<std::optional<double>> values;
};

std::string FormatCount(double v) { return WithThousands(std::llround(v)); }
std::string FormatRatio(double v) { return absl::StrFormat("%.2f", v); }
std::string FormatDays(double seconds) { return Days(seconds); }
std::string FormatPerWeek(double v) { return absl::StrFormat("%.1f", v); }

std::vector<TrendRow> TrendRows(const iv1::TeamTrend& trend) {
  using Get = std::optional<double> (*)(const iv1::TeamExecution&);
  struct Figure {
    const char* name;
    std::string (*format)(double);
    Get get;
  };
  static const Figure kFigures[] = {
      {"on-time ratio", &Percent,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         if (!f.tasks().has_on_time_ratio()) return std::nullopt;
         return f.tasks().on_time_ratio();
       }},
      {"open tasks", &FormatCount,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         return f.tasks().open();
       }},
      {"overdue tasks", &FormatCount,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         return f.tasks().overdue();
       }},
      {"cycle time p50", &FormatDays,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         return f.tasks().cycle_time_p50_seconds();
       }},
      {"done per week", &FormatPerWeek,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         return f.tasks().weekly_throughput();
       }},
      {"CPI", &FormatRatio,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         if (!f.budget().has_cpi()) return std::nullopt;
         return f.budget().cost_performance_index();
       }},
      {"SPI", &FormatRatio,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         if (!f.budget().has_spi()) return std::nullopt;
         return f.budget().schedule_performance_index();
       }},
      {"milestones met", &FormatCount,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         return f.milestones().met();
       }},
      {"milestones missed", &FormatCount,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         return f.milestones().missed();
       }},
      {"compliance", &Percent,
       [](const iv1::TeamExecution& f) -> std::optional<double> {
         int64_t checks = 0, passed = 0;
         for (const iv1::ProcedureCompliance& p : f.procedures()) {
           checks += p.checks();
           passed += p.passed();
         }
         if (checks == 0) return std::nullopt;
         return static_cast<double>(passed) / checks;
       }},
  };
  std::vector<TrendRow> rows;
  for (const Figure& figure : kFigures) {
    TrendRow row{figure.name, figure.format, {}};
    for (const iv1::TeamExecution& p : trend.points()) {
      // Before the team's first event there is nothing to show.
      row.values.push_back(p.teams().empty() ? std::nullopt : figure.get(p));
    }
    rows.push_back(std::move(row));
  }
  // Each KPI's attainment of its month's target, in order of team and KPI.
  std::map<std::pair<std::string, std::string>, TrendRow> kpis;
  for (int i = 0; i < trend.points_size(); ++i) {
    for (const iv1::KpiFigures& k : trend.points(i).kpis()) {
      TrendRow& row = kpis[{k.team(), k.kpi()}];
      if (row.values.empty()) {
        row.name = absl::StrCat("KPI ", k.kpi(), " (", k.team(), ")");
        row.format = &Percent;
        row.values.resize(trend.points_size());
      }
      if (k.has_target()) row.values[i] = k.attainment_ratio();
    }
  }
  for (auto& [key, row] : kpis) rows.push_back(std::move(row));
  return rows;
}

// One line per row: its first, last, smallest and largest value and a
// sparkline of all.
std::string RenderTrendRows(const std::vector<TrendRow>& trend_rows) {
  std::vector<std::vector<std::string>> rows;
  for (const TrendRow& row : trend_rows) {
    std::optional<double> first, last, lo, hi;
    for (const std::optional<double>& v : row.values) {
      if (!v) continue;
      if (!first) first = v;
      last = v;
      lo = lo ? std::min(*lo, *v) : *v;
      hi = hi ? std::max(*hi, *v) : *v;
    }
    auto text = [&](const std::optional<double>& v) {
      return v ? row.format(*v) : std::string("-");
    };
    rows.push_back({row.name, text(first), text(last), text(lo), text(hi),
                    Sparkline(row.values)});
  }
  return RenderTable({{"FIGURE"},
                      {"FIRST", Align::kRight},
                      {"LAST", Align::kRight},
                      {"MIN", Align::kRight},
                      {"MAX", Align::kRight},
                      {"CHART"}},
                     rows);
}

std::string FormatScore(double v) { return absl::StrFormat("%.0f", v); }
std::string FormatSigned(double v) { return absl::StrFormat("%+.0f", v); }

}  // namespace

std::string FormatTrend(const iv1::TeamTrend& trend) {
  if (trend.points().empty())
    return absl::StrCat(trend.team(), ": no points\n");
  return absl::StrCat(trend.team(), ": ", trend.points_size(),
                      " points (month ends) from ",
                      Time(trend.points(0).as_of()), " to ",
                      Time(trend.points(trend.points_size() - 1).as_of()),
                      "\n\n", RenderTrendRows(TrendRows(trend)));
}

std::string FormatSurveyRounds(const std::vector<sv1::TeamInsights>& rounds) {
  if (rounds.empty()) return "\nno survey rounds\n";
  std::vector<std::string> names;
  for (const sv1::TeamInsights& r : rounds) {
    names.push_back(r.morale().suppressed()
                        ? absl::StrCat(r.morale().round(), " (suppressed)")
                        : r.morale().round());
  }
  // A figure of each round; absent where the round is suppressed.
  auto row = [&](std::string name, std::string (*format)(double), auto get) {
    TrendRow out{std::move(name), format, {}};
    for (const sv1::TeamInsights& r : rounds) {
      out.values.push_back(r.morale().suppressed()
                               ? std::nullopt
                               : std::optional<double>(get(r.morale())));
    }
    return out;
  };
  std::vector<TrendRow> rows = {
      row("respondents", &FormatCount,
          [](const sv1::MoraleFigures& m) {
            return static_cast<double>(m.respondents());
          }),
      row("eNPS", &FormatSigned,
          [](const sv1::MoraleFigures& m) { return m.enps(); }),
      row("intent to stay", &FormatScore,
          [](const sv1::MoraleFigures& m) { return m.intent_to_stay(); })};
  for (int d = sv1::DIMENSION_PSYCHOLOGICAL_SAFETY;
       d <= sv1::DIMENSION_COLLABORATION; ++d) {
    std::string name = absl::AsciiStrToLower(absl::StripPrefix(
        sv1::Dimension_Name(static_cast<sv1::Dimension>(d)), "DIMENSION_"));
    absl::StrReplaceAll({{"_", " "}}, &name);
    TrendRow r{name, &FormatScore, {}};
    bool any = false;
    for (const sv1::TeamInsights& round : rounds) {
      std::optional<double> v;
      for (const sv1::DimensionScore& s : round.morale().dimensions()) {
        if (s.dimension() == d) v = s.score();
      }
      any = any || v.has_value();
      r.values.push_back(v);
    }
    if (any) rows.push_back(std::move(r));
  }
  std::vector<std::string> quadrants;
  for (const sv1::TeamInsights& r : rounds) {
    quadrants.push_back(
        absl::StrCat(r.morale().round(), " ", Quadrant(r.quadrant())));
  }
  return absl::StrCat("\nsurvey rounds (released figures only): ",
                      absl::StrJoin(names, ", "), "\n\n", RenderTrendRows(rows),
                      "quadrant (execution as of each round's end): ",
                      absl::StrJoin(quadrants, ", "), "\n");
}

std::string FormatInsights(const sv1::ListTeamInsightsResponse& org) {
  if (org.teams().empty()) return "no teams\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
  for (const sv1::TeamInsights& t : org.teams()) {
    const sv1::MoraleFigures& m = t.morale();
    std::string survey = "-";
    if (m.suppressed()) {
      survey = absl::StrCat(m.round(), ": suppressed");
    } else if (!m.round().empty()) {
      survey = absl::StrFormat("%s: %d respondents, eNPS %+.0f", m.round(),
                               m.respondents(), m.enps());
    }
    std::string driver = "-";
    if (t.drivers_size() > 0) {
      const sv1::Driver& d = t.drivers(0);
      driver = absl::StrFormat("%s %.2f (below %.2f)", d.name(), d.value(),
                               d.threshold());
      if (t.recommendations_size() > 0) {
        absl::StrAppend(&driver, " -> ", t.recommendations(0).practice());
      }
    }
    std::string execution = t.has_execution_score()
                                ? absl::StrFormat("%.0f", t.execution_score())
                                : "-";
    if (t.execution().stale()) {
      absl::StrAppend(&execution, "*");
      notes.push_back(absl::StrCat("* ", t.team(),
                                   ": execution figures stale (",
                                   t.execution().stale_reason(), ")"));
    }
    rows.push_back(
        {t.team(), Quadrant(t.quadrant()), execution,
         t.has_people_score() ? absl::StrFormat("%.0f", t.people_score()) : "-",
         t.has_risks() ? absl::StrFormat("%.2f", t.burnout_risk()) : "-",
         t.has_risks() ? absl::StrFormat("%.2f", t.turnover_risk()) : "-",
         survey, driver});
  }
  std::string out = RenderTable({{"TEAM"},
                                 {"QUADRANT"},
                                 {"EXECUTION", Align::kRight},
                                 {"PEOPLE", Align::kRight},
                                 {"BURNOUT", Align::kRight},
                                 {"TURNOVER", Align::kRight},
                                 {"SURVEY"},
                                 {"TOP DRIVER"}},
                                rows);
  for (const std::string& note : notes) absl::StrAppend(&out, note, "\n");
  return out;
}

std::string FormatRemoval(absl::string_view source,
                          const iv1::RemoveEventsResponse& r) {
  const std::string events = absl::StrCat(
      WithThousands(r.removed()), r.removed() == 1 ? " event" : " events");
  std::string out =
      r.dry_run()
          ? absl::StrCat("dry run: would remove ", events, " of source ",
                         source, ", leaving ", WithThousands(r.remaining()),
                         "; nothing was changed\n")
          : absl::StrCat("removed ", events, " of source ", source, "; ",
                         WithThousands(r.remaining()), " remain\n");
  if (r.teams().empty()) return out;
  auto change = [](const iv1::TeamRemoval& t, auto figure) {
    const std::string before = figure(t.before());
    if (!t.has_after()) return absl::StrCat(before, " -> gone");
    const std::string after = figure(t.after());
    return before == after ? before : absl::StrCat(before, " -> ", after);
  };
  std::vector<std::vector<std::string>> rows;
  for (const iv1::TeamRemoval& t : r.teams()) {
    rows.push_back({t.team(), WithThousands(t.removed()),
                    change(t,
                           [](const iv1::TeamExecution& f) {
                             return WithThousands(f.events());
                           }),
                    change(t,
                           [](const iv1::TeamExecution& f) {
                             return WithThousands(f.tasks().open());
                           }),
                    change(t,
                           [](const iv1::TeamExecution& f) {
                             return WithThousands(
                                 f.tasks().completed_on_time() +
                                 f.tasks().completed_late());
                           }),
                    change(t,
                           [](const iv1::TeamExecution& f) {
                             return Money(f.budget().actual_cost());
                           }),
                    change(t, [](const iv1::TeamExecution& f) {
                      return WithThousands(f.milestones().missed());
                    })});
  }
  absl::StrAppend(&out, "\n",
                  RenderTable({{"TEAM"},
                               {"REMOVED", Align::kRight},
                               {"EVENTS"},
                               {"OPEN TASKS"},
                               {"DONE TASKS"},
                               {"ACTUAL COST"},
                               {"MISSED MILESTONES"}},
                              rows));
  return out;
}

std::string FormatErase(const sv1::EraseRespondentResponse& erased) {
  if (erased.erased() == 0) {
    return "erased nothing: no response of this respondent is stored "
           "(erased before, or never imported)\n";
  }
  return absl::StrCat(
      "erased ", erased.erased(),
      " response(s) of this respondent, in round(s) ",
      absl::StrJoin(erased.rounds(), ", "),
      ".\nThe figures of the groups they were in are withheld in those rounds "
      "until k new responses arrive.\n");
}

std::string ToJson(const google::protobuf::Message& message,
                   bool with_defaults) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = with_defaults;
  // Fields at their defaults are left out, as proto3 JSON does: a suppressed
  // group then shows no respondent count at all, not a misleading 0.
  std::string out;
  // Printing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out + "\n";
}

}  // namespace orgpulse::cli
