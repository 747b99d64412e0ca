// orgpulse-demo: pushes the sample organisation to a running ingest service
// (twice, to show idempotency) and prints each team's manager view and the
// department rollups. It talks to the services through the client library
// (clients/), like the orgpulse command line.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "clients/ingest_client.h"
#include "clients/insights_client.h"
#include "tools/sample_org/sample_org.h"
#include "tools/sample_org/sample_surveys.h"

ABSL_FLAG(std::string, ingest, "127.0.0.1:50051", "ingest service address");
ABSL_FLAG(std::string, insights, "",
          "insights service address; empty: show the manager view only");
ABSL_FLAG(int, batch, 1000, "events per PushStream request");
ABSL_FLAG(int, history_days, orgpulse::sample::kDefaultHistoryDays,
          "days of the sample organisation's history to push (30 or more)");
ABSL_FLAG(std::string, token_file, "",
          "file holding the bearer token for both services (scopes "
          "ingest:push, ingest:read, survey:submit, insights:read)");

namespace {

using namespace orgpulse::ingest;  // a tool's main file, not a header

// Pushes `events` in batches over one stream; false (after saying why) if
// the push failed.
bool PushAll(orgpulse::IngestClient& client,
             const std::vector<v1::Event>& events,
             orgpulse::PushStats& totals) {
  orgpulse::VectorBatchSource batches(
      events, static_cast<size_t>(absl::GetFlag(FLAGS_batch)));
  const orgpulse::PushOutcome pushed = client.PushStream(batches);
  totals = pushed.acknowledged;
  if (!pushed.status.ok()) {
    std::cerr << "push failed: " << pushed.status << "\n";
    return false;
  }
  return true;
}

std::string Money(double v) { return absl::StrFormat("%.0fk", v / 1000); }

void PrintTeam(const v1::TeamExecution& t, const std::string& story) {
  std::cout << "\n" << t.team() << (story.empty() ? "" : " — " + story) << "\n";
  const v1::TaskFigures& k = t.tasks();
  std::cout << absl::StrFormat(
      "  tasks       %d open, %d overdue; on time %s (%d of %d); cycle p50 "
      "%.1f d, p90 %.1f d; %.1f done/week\n",
      k.open(), k.overdue(),
      k.has_on_time_ratio() ? absl::StrFormat("%.0f%%", 100 * k.on_time_ratio())
                            : "n/a",
      k.completed_on_time(), k.completed_on_time() + k.completed_late(),
      k.cycle_time_p50_seconds() / 86400, k.cycle_time_p90_seconds() / 86400,
      k.weekly_throughput());
  for (const v1::ProjectBudget& p : t.projects()) {
    const v1::EarnedValue& ev = p.figures();
    std::cout << absl::StrFormat(
        "  budget      %s: %.0f%% done, spent %s of %s; CPI %s, SPI %s, EAC "
        "%s (VAC %s)%s\n",
        p.project(), p.percent_complete(), Money(ev.actual_cost()),
        Money(ev.budget_at_completion()),
        ev.has_cpi() ? absl::StrFormat("%.2f", ev.cost_performance_index())
                     : "n/a",
        ev.has_spi() ? absl::StrFormat("%.2f", ev.schedule_performance_index())
                     : "n/a",
        Money(ev.estimate_at_completion()), Money(ev.variance_at_completion()),
        ev.has_cpi() && ev.cost_performance_index() < 0.9 ? "  << over budget"
                                                          : "");
  }
  const v1::MilestoneFigures& m = t.milestones();
  std::cout << absl::StrFormat(
      "  milestones  %d met, %d missed, %d pending; %.1f days slipped%s\n",
      m.met(), m.missed(), m.pending(), m.slip_days(),
      m.missed() > 0 ? "  << late" : "");
  std::vector<std::string> procedures;
  for (const auto& p : t.procedures()) {
    procedures.push_back(absl::StrFormat("%s %.0f%% of %d", p.procedure(),
                                         100 * p.compliance_ratio(),
                                         p.checks()));
  }
  std::cout << "  procedures  " << absl::StrJoin(procedures, ", ") << "\n";
  for (const auto& kpi : t.kpis()) {
    if (!kpi.has_target()) continue;
    std::cout << absl::StrFormat(
        "  KPI         %s%s %d-%02d: %.0f of %.0f (%.0f%%), month-end "
        "forecast %.0f (%.0f%%)\n",
        kpi.team() == t.team() ? "" : kpi.team() + " ", kpi.kpi(), kpi.year(),
        kpi.month(), kpi.actual(), kpi.target(), 100 * kpi.attainment_ratio(),
        kpi.forecast(), 100 * kpi.forecast_attainment_ratio());
  }
}

namespace in = orgpulse::insights::v1;

const char* QuadrantName(in::Quadrant q) {
  switch (q) {
    case in::QUADRANT_THRIVING:
      return "THRIVING";
    case in::QUADRANT_BURNOUT_RISK:
      return "BURNOUT_RISK";
    case in::QUADRANT_EXECUTION_GAP:
      return "EXECUTION_GAP";
    case in::QUADRANT_AT_RISK:
      return "AT_RISK";
    default:
      return "INSUFFICIENT_DATA";
  }
}

void PrintInsights(const in::TeamInsights& t) {
  std::cout << absl::StrFormat("\n%-13s %s", t.team(),
                               QuadrantName(t.quadrant()));
  if (t.has_execution_score()) {
    std::cout << absl::StrFormat("   execution %.0f", t.execution_score());
  }
  if (t.has_people_score()) {
    std::cout << absl::StrFormat("   people %.0f", t.people_score());
  }
  if (t.has_risks()) {
    std::cout << absl::StrFormat("   burnout risk %.2f   turnover risk %.2f",
                                 t.burnout_risk(), t.turnover_risk());
  }
  std::cout << "\n";
  const in::MoraleFigures& m = t.morale();
  if (m.suppressed()) {
    std::cout << "  survey " << m.round()
              << ": suppressed (too few respondents, or recoverable from "
                 "other figures)\n";
  } else if (!m.round().empty()) {
    std::cout << absl::StrFormat("  survey %s: %d respondents, eNPS %+.0f",
                                 m.round(), m.respondents(), m.enps());
    if (!m.previous_round().empty()) {
      std::cout << absl::StrFormat(" (%+.0f since %s)", m.enps_change(),
                                   m.previous_round());
    }
    std::cout << "\n";
  }
  if (t.execution().stale()) {
    std::cout << "  execution figures stale: " << t.execution().stale_reason()
              << "\n";
  }
  for (int i = 0; i < t.drivers_size() && i < 3; ++i) {
    const in::Driver& d = t.drivers(i);
    const in::Recommendation& r = t.recommendations(i);
    std::cout << absl::StrFormat("  driver %-28s %7.2f (below %.2f) -> %s\n",
                                 d.name(), d.value(), d.threshold(),
                                 r.practice());
  }
}

// Late responses for eng/search in the latest round, from people who had
// not answered: its figures stay those of its last release step until k = 5
// responses it has not published are in, so no difference of two of its
// figures is one person's answers (docs/decisions/0003-release-model.md).
int ShowReleaseStep(orgpulse::InsightsClient& client,
                    const std::vector<in::SurveyResponse>& sample,
                    absl::Time now) {
  const in::SurveyResponse* model = nullptr;
  for (const auto& r : sample) {
    if (r.team() == "eng/search") model = &r;  // the latest round's last
  }
  if (model == nullptr) return 0;
  auto respondents = [&](int late) -> int64_t {
    const absl::StatusOr<in::TeamInsights> t =
        client.GetTeamInsights("eng/search", model->round());
    if (!t.ok()) {
      std::cerr << t.status() << "\n";
      return -1;
    }
    std::cout << absl::StrFormat(
        "  after %d late response(s): %d respondents, eNPS %+.0f\n", late,
        t->morale().respondents(), t->morale().enps());
    return t->morale().respondents();
  };
  std::cout << "\n=== A release step: eng/search in " << model->round()
            << " moves only with 5 responses it has not published ===\n";
  const int64_t before = respondents(0);
  if (before < 0) return 1;
  for (int late = 1; late <= 5; ++late) {
    in::SurveyResponse r = *model;
    r.set_response_id(absl::StrCat("late-", late));
    r.set_respondent_id(absl::StrCat("late-", late, "@example.com"));
    r.mutable_submitted_at()->set_seconds(
        absl::ToUnixSeconds(now - absl::Hours(1)));
    const orgpulse::SubmitOutcome sent = client.Submit({r}, 1);
    if (!sent.status.ok()) {
      std::cerr << "submit failed: " << sent.status << "\n";
      return 1;
    }
    const int64_t after = respondents(late);
    if (after < 0) return 1;
    if (after != before) break;
  }
  return 0;
}

int RunInsights(const orgpulse::ClientOptions& options, absl::Time now) {
  absl::StatusOr<std::unique_ptr<orgpulse::InsightsClient>> client =
      orgpulse::InsightsClient::Connect(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  const auto responses = orgpulse::sample::SampleSurveyResponses(now);
  const orgpulse::SubmitOutcome first = (*client)->Submit(responses, 500);
  const orgpulse::SubmitOutcome second = (*client)->Submit(responses, 500);
  for (const auto* sent : {&first, &second}) {
    if (!sent->status.ok()) {
      std::cerr << "submit failed: " << sent->status << "\n";
      return 1;
    }
  }
  std::cout << absl::StrFormat(
      "\nSubmitted two survey rounds: %d responses (%d accepted); again: %d "
      "duplicates.\n",
      responses.size(), first.acknowledged.accepted,
      second.acknowledged.duplicates);

  // insights reads ingest's figures in the background; wait until it has
  // them for every team (bounded).
  absl::StatusOr<in::ListTeamInsightsResponse> org;
  for (int attempt = 0; attempt < 100; ++attempt) {
    org = (*client)->ListTeamInsights("");
    if (!org.ok()) {
      std::cerr << org.status() << "\n";
      return 1;
    }
    bool all = true;
    for (const auto& t : org->teams()) all = all && t.execution().available();
    if (all) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::cout
      << "\n=== Where the two views meet: the org, highest risk first ===\n";
  for (const auto& t : org->teams()) PrintInsights(t);
  return ShowReleaseStep(**client, responses, now);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  orgpulse::ClientOptions options;
  options.address = absl::GetFlag(FLAGS_ingest);
  if (const std::string path = absl::GetFlag(FLAGS_token_file); !path.empty()) {
    absl::StatusOr<std::string> token = orgpulse::ReadTokenFile(path);
    if (!token.ok()) {
      std::cerr << token.status().message() << "\n";
      return 1;
    }
    options.token = *std::move(token);
  }
  absl::StatusOr<std::unique_ptr<orgpulse::IngestClient>> client =
      orgpulse::IngestClient::Connect(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  orgpulse::IngestClient& ingest = **client;

  const absl::Time now = absl::Now();
  const int history_days = absl::GetFlag(FLAGS_history_days);
  if (history_days < 30) {
    std::cerr << "--history_days must be 30 or more\n";
    return 1;
  }
  const std::vector<v1::Event> events =
      orgpulse::sample::SampleOrganisation(now, 1, history_days);
  orgpulse::PushStats first, second;
  const absl::Time start = absl::Now();
  if (!PushAll(ingest, events, first)) return 1;
  const absl::Duration took = absl::Now() - start;
  if (!PushAll(ingest, events, second)) return 1;
  std::cout << absl::StrFormat(
      "Pushed the sample organisation: %d events (%d accepted, %d duplicates) "
      "in %s.\nPushed it again: %d accepted, %d duplicates — retries change "
      "nothing.\n",
      events.size(), first.accepted, first.duplicates,
      absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))),
      second.accepted, second.duplicates);

  std::cout << "\n=== Manager view per team ===\n";
  std::map<std::string, bool> departments;
  for (const auto& profile : orgpulse::sample::SampleTeams()) {
    const absl::StatusOr<v1::TeamExecution> figures =
        ingest.GetTeamExecution(profile.team);
    if (!figures.ok()) {
      std::cerr << profile.team << ": " << figures.status() << "\n";
      return 1;
    }
    PrintTeam(*figures, profile.story);
    departments[profile.team.substr(0, profile.team.find('/'))] = true;
  }

  std::cout << "\n=== Department rollups ===\n";
  for (const auto& [department, unused] : departments) {
    const absl::StatusOr<v1::TeamExecution> rollup =
        ingest.GetTeamExecution(department);
    if (!rollup.ok()) {
      std::cerr << department << ": " << rollup.status() << "\n";
      return 1;
    }
    const v1::TeamExecution& figures = *rollup;
    const v1::EarnedValue& ev = figures.budget();
    std::cout << absl::StrFormat(
        "%-6s %d teams: %d open tasks (%d overdue), on time %.0f%%, CPI %.2f, "
        "SPI %.2f, milestones %d met / %d missed\n",
        department, figures.teams_size(), figures.tasks().open(),
        figures.tasks().overdue(), 100 * figures.tasks().on_time_ratio(),
        ev.cost_performance_index(), ev.schedule_performance_index(),
        figures.milestones().met(), figures.milestones().missed());
  }
  if (absl::GetFlag(FLAGS_insights).empty()) return 0;
  options.address = absl::GetFlag(FLAGS_insights);
  return RunInsights(options, now);
}
