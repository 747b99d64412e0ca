#include <sstream>
#include <string>

#include "cli/export/openmetrics.h"
#include "cli/output/progress.h"
#include "cli/output/table.h"
#include "cli/output/views.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::cli {
namespace {

namespace iv1 = ::orgpulse::ingest::v1;
namespace sv1 = ::orgpulse::insights::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(TableTest, AlignsColumnsWithoutTrailingBlanks) {
  EXPECT_EQ(RenderTable({{"TEAM"}, {"EVENTS", Align::kRight}, {"NOTE"}},
                        {{"eng/payments", "1,204", ""}, {"ops", "17", "x"}}),
            "TEAM          EVENTS  NOTE\n"
            "eng/payments   1,204\n"
            "ops               17  x\n");
}

TEST(TableTest, NumbersAndDurations) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1000), "1,000");
  EXPECT_EQ(WithThousands(-1234567), "-1,234,567");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(850)), "850ms");
  EXPECT_EQ(HumanDuration(absl::Seconds(42)), "42s");
  EXPECT_EQ(HumanDuration(absl::Seconds(185)), "3m05s");
  EXPECT_EQ(HumanDuration(absl::Minutes(130)), "2h10m");
  EXPECT_EQ(FormatTimestamp(absl::UnixEpoch()), "-");
  EXPECT_EQ(FormatTimestamp(absl::FromUnixSeconds(1795000000)),
            "2026-11-18T11:06:40Z");
}

TEST(ViewsTest, TeamsTable) {
  iv1::ListTeamsResponse teams;
  auto* t = teams.add_teams();
  t->set_team("eng/payments");
  t->set_events(12345);
  t->mutable_last_event_at()->set_seconds(1795000000);
  EXPECT_EQ(FormatTeams(teams),
            "TEAM          EVENTS  LAST EVENT\n"
            "eng/payments  12,345  2026-11-18T11:06:40Z\n");
  EXPECT_EQ(FormatTeams({}), "no teams\n");
}

TEST(ViewsTest, ExecutionShowsEveryFigureAndMissingRatiosAsNa) {
  iv1::TeamExecution f;
  f.set_team("eng");
  f.add_teams("eng/payments");
  f.add_teams("eng/search");
  f.set_events(1500);
  f.mutable_tasks()->set_open(12);
  f.mutable_tasks()->set_completed_on_time(3);
  f.mutable_tasks()->set_completed_late(1);
  f.mutable_tasks()->set_has_on_time_ratio(true);
  f.mutable_tasks()->set_on_time_ratio(0.75);
  f.mutable_tasks()->set_cycle_time_p50_seconds(2 * 86400);
  auto* p = f.add_projects();
  p->set_project("checkout");
  p->set_team("eng/payments");
  p->set_has_plan(true);
  p->set_percent_complete(40);
  p->mutable_figures()->set_budget_at_completion(500000);
  p->mutable_figures()->set_has_cpi(true);
  p->mutable_figures()->set_cost_performance_index(0.9);
  auto* c = f.add_procedures();
  c->set_procedure("code-review");
  c->set_checks(10);
  c->set_passed(9);
  c->set_compliance_ratio(0.9);
  const std::string text = FormatExecution(f);
  EXPECT_THAT(
      text,
      AllOf(HasSubstr("eng: 1,500 events"),
            HasSubstr("rolls up 2 teams: eng/payments, eng/search"),
            HasSubstr("12 open"), HasSubstr("on time 75% (3 of 4)"),
            HasSubstr("p50 2.0 d"), HasSubstr("CPI n/a, SPI n/a"),
            HasSubstr(
                "checkout  eng/payments  yes    40%  500,000   0  0.90  n/a"),
            HasSubstr("code-review      10       9         90%")));
}

TEST(ViewsTest, InsightsShowSuppressedGroupsAsSuppressed) {
  sv1::ListTeamInsightsResponse org;
  sv1::TeamInsights* pay = org.add_teams();
  pay->set_team("eng/payments");
  pay->set_quadrant(sv1::QUADRANT_BURNOUT_RISK);
  pay->set_has_execution_score(true);
  pay->set_execution_score(98);
  pay->set_has_people_score(true);
  pay->set_people_score(33);
  pay->set_has_risks(true);
  pay->set_burnout_risk(0.69);
  pay->set_turnover_risk(0.7);
  pay->mutable_morale()->set_round("2026-q4");
  pay->mutable_morale()->set_respondents(9);
  pay->mutable_morale()->set_enps(-88.9);
  auto* d = pay->add_drivers();
  d->set_name("wellbeing");
  d->set_value(15.28);
  d->set_threshold(60);
  pay->add_recommendations()->set_practice("protect workload");
  sv1::TeamInsights* support = org.add_teams();
  support->set_team("ops/support");
  support->set_quadrant(sv1::QUADRANT_INSUFFICIENT_DATA);
  support->mutable_morale()->set_round("2026-q4");
  support->mutable_morale()->set_suppressed(true);
  support->mutable_execution()->set_stale(true);
  support->mutable_execution()->set_stale_reason("ingest unreachable");
  const std::string text = FormatInsights(org);
  EXPECT_THAT(
      text,
      AllOf(HasSubstr("eng/payments  BURNOUT_RISK"),
            HasSubstr("98      33     0.69      0.70  2026-q4: 9 "
                      "respondents, eNPS -89"),
            HasSubstr("wellbeing 15.28 (below 60.00) -> protect workload"),
            HasSubstr("2026-q4: suppressed"),
            HasSubstr("* ops/support: execution figures stale (ingest "
                      "unreachable)")));
  // The suppressed team's line carries no survey number.
  const std::string support_line = text.substr(
      text.find("ops/support  "),
      text.find('\n', text.find("ops/support  ")) - text.find("ops/support  "));
  EXPECT_THAT(support_line, Not(HasSubstr("respondents")));
  EXPECT_THAT(support_line, HasSubstr("INSUFFICIENT_DATA"));
  // Payments comes first: the order is the server's (by risk).
  EXPECT_LT(text.find("eng/payments"), text.find("ops/support"));
}

TEST(ViewsTest, JsonUsesProtoNamesAndLeavesDefaultsOut) {
  iv1::ListTeamsResponse teams;
  teams.add_teams()->set_team("eng");
  teams.add_teams()->set_events(3);
  teams.mutable_teams(1)->mutable_last_event_at()->set_seconds(1795000000);
  EXPECT_EQ(
      ToJson(teams),
      "{\"teams\":[{\"team\":\"eng\"},{\"events\":\"3\",\"last_event_at\":"
      "\"2026-11-18T11:06:40Z\"}]}\n");
}

TEST(ViewsTest, AnErasureSaysWhatItErasedAlsoWhenNothing) {
  sv1::EraseRespondentResponse erased;
  EXPECT_EQ(FormatErase(erased),
            "erased nothing: no response of this respondent is stored "
            "(erased before, or never imported)\n");
  EXPECT_EQ(ToJson(erased, /*with_defaults=*/true),
            "{\"erased\":\"0\",\"rounds\":[]}\n");
  erased.set_erased(2);
  erased.add_rounds("2026-q3");
  erased.add_rounds("2026-q4");
  EXPECT_EQ(FormatErase(erased),
            "erased 2 response(s) of this respondent, in round(s) 2026-q3, "
            "2026-q4.\nThe figures of the groups they were in are withheld in "
            "those rounds until k new responses arrive.\n");
  EXPECT_EQ(ToJson(erased, true),
            "{\"erased\":\"2\",\"rounds\":[\"2026-q3\",\"2026-q4\"]}\n");
}

TEST(ProgressTest, BarAndLine) {
  ProgressState s{.file = "jira.csv",
                  .phase = "pushing",
                  .unit = "events",
                  .done = 500'000,
                  .total = 1'000'000,
                  .elapsed = absl::Seconds(4)};
  const std::string bar = FormatProgressBar(s, 100);
  EXPECT_THAT(bar,
              AllOf(HasSubstr("jira.csv pushing ["), HasSubstr("#####....."),
                    HasSubstr(" 50%"), HasSubstr("500,000/1,000,000 events"),
                    HasSubstr("125,000 events/s"), HasSubstr("ETA 4s")));
  EXPECT_LE(bar.size(), 100u);
  EXPECT_LE(FormatProgressBar(s, 30).size(), 30u);
  EXPECT_EQ(FormatProgressLine(s),
            "jira.csv: pushing 500,000/1,000,000 events (50%), 125,000 "
            "events/s  ETA 4s");
  s.total = 0;
  EXPECT_EQ(FormatProgressLine(s),
            "jira.csv: pushing 500,000 events, 125,000 events/s");
  s.rows = 1234;
  EXPECT_EQ(FormatProgressLine(s),
            "jira.csv: pushing 500,000 events (1,234 rows), 125,000 events/s");
}

TEST(TableTest, SparklineScalesFromTheSmallestToTheLargest) {
  EXPECT_EQ(Sparkline({}), "");
  EXPECT_EQ(Sparkline({std::nullopt, 1.0, 2.0, 3.0, std::nullopt}), " ▁▅█ ");
  EXPECT_EQ(Sparkline({0.5, 0.5}), "▄▄");
  EXPECT_EQ(Sparkline({8.0, 0.0, 4.0}), "█▁▅");
}

iv1::TeamExecution TrendPoint(int64_t at, int64_t open, bool on_time,
                              double ratio) {
  iv1::TeamExecution p;
  p.set_team("eng/search");
  p.add_teams("eng/search");
  p.mutable_as_of()->set_seconds(at);
  p.set_events(10);
  p.mutable_tasks()->set_open(open);
  p.mutable_tasks()->set_has_on_time_ratio(on_time);
  p.mutable_tasks()->set_on_time_ratio(ratio);
  return p;
}

TEST(ViewsTest, TrendHasARowPerFigureWithItsChart) {
  iv1::TeamTrend trend;
  trend.set_team("eng/search");
  iv1::TeamExecution& before = *trend.add_points();  // before the first event
  before.set_team("eng/search");
  before.mutable_as_of()->set_seconds(1793491199);  // 2026-10-31T23:59:59Z
  *trend.add_points() = TrendPoint(1796083199, 4, false, 0);
  *trend.add_points() = TrendPoint(1796400000, 9, true, 0.5);
  const std::string out = FormatTrend(trend);
  EXPECT_EQ(out,
            "eng/search: 3 points (month ends) from 2026-10-31T23:59:59Z to "
            "2026-12-04T16:00:00Z\n"
            "\n"
            "FIGURE             FIRST   LAST    MIN    MAX  CHART\n"
            "on-time ratio        50%    50%    50%    50%    ▄\n"
            "open tasks             4      9      4      9   ▁█\n"
            "overdue tasks          0      0      0      0   ▄▄\n"
            "cycle time p50     0.0 d  0.0 d  0.0 d  0.0 d   ▄▄\n"
            "done per week        0.0    0.0    0.0    0.0   ▄▄\n"
            "CPI                    -      -      -      -\n"
            "SPI                    -      -      -      -\n"
            "milestones met         0      0      0      0   ▄▄\n"
            "milestones missed      0      0      0      0   ▄▄\n"
            "compliance             -      -      -      -\n");
}

TEST(ViewsTest, SurveyRoundsShowReleasedFiguresAndBlanksForSuppressed) {
  std::vector<sv1::TeamInsights> rounds(3);
  rounds[0].mutable_morale()->set_round("2026-q2");
  rounds[0].mutable_morale()->set_respondents(6);
  rounds[0].mutable_morale()->set_enps(-20);
  sv1::DimensionScore& d = *rounds[0].mutable_morale()->add_dimensions();
  d.set_dimension(sv1::DIMENSION_WELLBEING);
  d.set_score(40);
  rounds[1].mutable_morale()->set_round("2026-q3");
  rounds[1].mutable_morale()->set_suppressed(true);
  rounds[2].mutable_morale()->set_round("2026-q4");
  rounds[2].mutable_morale()->set_respondents(7);
  rounds[2].mutable_morale()->set_enps(30);
  *rounds[2].mutable_morale()->add_dimensions() = d;
  rounds[2].mutable_morale()->mutable_dimensions(0)->set_score(65);
  rounds[0].set_quadrant(sv1::QUADRANT_AT_RISK);
  rounds[1].set_quadrant(sv1::QUADRANT_INSUFFICIENT_DATA);
  rounds[2].set_quadrant(sv1::QUADRANT_THRIVING);
  EXPECT_EQ(FormatSurveyRounds(rounds),
            "\n"
            "survey rounds (released figures only): 2026-q2, 2026-q3 "
            "(suppressed), 2026-q4\n"
            "\n"
            "FIGURE          FIRST  LAST  MIN  MAX  CHART\n"
            "respondents         6     7    6    7  ▁ █\n"
            "eNPS              -20   +30  -20  +30  ▁ █\n"
            "intent to stay      0     0    0    0  ▄ ▄\n"
            "wellbeing          40    65   40   65  ▁ █\n"
            "quadrant (execution as of each round's end): 2026-q2 "
            "AT_RISK, 2026-q3 INSUFFICIENT_DATA, 2026-q4 THRIVING\n");
  EXPECT_EQ(FormatSurveyRounds({}), "\nno survey rounds\n");
}

TEST(OpenMetricsTest, WritesEachFamilyOnceWithItsSeriesInTimeOrder) {
  OpenMetricsHistory history(std::vector<std::pair<std::string, std::string>>{
      {"job", "orgpulse-ingest"}});
  iv1::TeamExecution none;  // before the team's first event: nothing
  none.set_team("eng/a\"b");
  none.mutable_as_of()->set_seconds(100);
  history.Add(none);
  for (int64_t at : {200, 300}) {
    iv1::TeamExecution p;
    p.set_team("eng/a\"b");
    p.add_teams("eng/a\"b");
    p.mutable_as_of()->set_seconds(at);
    p.set_events(at / 100);
    p.mutable_tasks()->set_completed(2);
    p.mutable_tasks()->set_cycle_time_sum_seconds(30);
    p.mutable_tasks()->set_cycle_time_p50_seconds(10);
    p.mutable_tasks()->set_cycle_time_p90_seconds(20);
    iv1::KpiFigures& k = *p.add_kpis();
    k.set_kpi("sales");
    k.set_actual(at);
    history.Add(p);
  }
  std::ostringstream out;
  history.Write(out);
  const std::string text = out.str();
  EXPECT_THAT(
      text,
      AllOf(HasSubstr("# HELP orgpulse_team_events Stored events of the team.\n"
                      "# TYPE orgpulse_team_events gauge\n"
                      "orgpulse_team_events{team=\"eng/a\\\"b\",job=\"orgpulse-"
                      "ingest\"} 2 200\n"
                      "orgpulse_team_events{team=\"eng/a\\\"b\",job=\"orgpulse-"
                      "ingest\"} 3 300\n#"),
            HasSubstr(
                "# TYPE orgpulse_task_cycle_time_seconds summary\n"
                "orgpulse_task_cycle_time_seconds{team=\"eng/a\\\"b\","
                "quantile=\"0.5\",job=\"orgpulse-ingest\"} 10 200\n"
                "orgpulse_task_cycle_time_seconds{team=\"eng/a\\\"b\","
                "quantile=\"0.9\",job=\"orgpulse-ingest\"} 20 200\n"
                "orgpulse_task_cycle_time_seconds_sum{team=\"eng/a\\\"b\","
                "job=\"orgpulse-ingest\"} 30 200\n"
                "orgpulse_task_cycle_time_seconds_count{team=\"eng/a\\\"b\","
                "job=\"orgpulse-ingest\"} 2 200\n"
                "orgpulse_task_cycle_time_seconds{team=\"eng/a\\\"b\","
                "quantile=\"0.5\",job=\"orgpulse-ingest\"} 10 300\n"),
            HasSubstr("orgpulse_kpi_actual{team=\"eng/a\\\"b\",kpi=\"sales\","
                      "job=\"orgpulse-ingest\"} 300 300\n"),
            Not(HasSubstr("kpi_target")), Not(HasSubstr(" 100\n"))));
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
  // Each family is written once.
  size_t types = 0;
  for (size_t at = 0; (at = text.find("# TYPE orgpulse_team_events ", at)) !=
                      std::string::npos;
       ++at) {
    ++types;
  }
  EXPECT_EQ(types, 1u);
}

}  // namespace
}  // namespace orgpulse::cli
