// Measures insights query latency with a large organisation: starts from
// running ingest and insights services (addresses by flag), loads --teams
// teams (execution events into ingest, two survey rounds into insights),
// waits until insights has ingest's figures, then times --queries
// GetTeamInsights calls (one at a time, random teams and prefixes) and a few
// ListTeamInsights calls, and prints percentiles. Not a test: see
// bench/run_insights_bench.sh and docs/benchmarks.md.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"

ABSL_FLAG(std::string, ingest, "127.0.0.1:50051", "ingest address");
ABSL_FLAG(std::string, insights, "127.0.0.1:50052", "insights address");
ABSL_FLAG(int, teams, 1000, "teams in the organisation");
ABSL_FLAG(int, people, 8, "respondents per team and round");
ABSL_FLAG(int, queries, 20000, "GetTeamInsights calls to time");

namespace {

namespace ingest = orgpulse::ingest::v1;
namespace insights = orgpulse::insights::v1;

std::string Team(int i) {
  return absl::StrCat("dept-", i / 50, "/team-", i % 50);
}

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int teams = absl::GetFlag(FLAGS_teams);
  auto ingest_stub = ingest::IngestService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_ingest), grpc::InsecureChannelCredentials()));
  auto stub = insights::InsightsService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_insights), grpc::InsecureChannelCredentials()));
  std::mt19937 rng(42);
  const absl::Time now = absl::Now();

  // Execution: a plan, progress, costs and a few tasks per team.
  ingest::PushRequest push;
  int serial = 0;
  for (int t = 0; t < teams; ++t) {
    for (int k = 0; k < 6; ++k) {
      ingest::Event& e = *push.add_events();
      e.set_event_id(absl::StrCat("bench-", ++serial));
      e.set_source("bench");
      e.set_team(Team(t));
      SetTime(now - absl::Hours(24 * (k + 1)), e.mutable_occurred_at());
      if (k == 0) {
        auto* p = e.mutable_project_budget_plan();
        p->set_project("roadmap");
        p->set_budget_at_completion(100000);
        SetTime(now - absl::Hours(24 * 30), p->mutable_planned_start());
        SetTime(now + absl::Hours(24 * 30), p->mutable_planned_end());
      } else if (k == 1) {
        e.mutable_cost_actual()->set_project("roadmap");
        e.mutable_cost_actual()->set_amount(40000 + rng() % 30000);
      } else if (k == 2) {
        e.mutable_project_progress()->set_project("roadmap");
        e.mutable_project_progress()->set_percent_complete(30 + rng() % 40);
      } else {
        auto* c = e.mutable_task_created();
        c->set_task_id(absl::StrCat("T", k));
        SetTime(now + absl::Hours(24 * (static_cast<int>(rng() % 10) - 5)),
                c->mutable_due_at());
      }
    }
    if (push.events_size() >= 5000 || t == teams - 1) {
      grpc::ClientContext context;
      ingest::PushResponse response;
      const grpc::Status s = ingest_stub->Push(&context, push, &response);
      if (!s.ok()) {
        std::cerr << "ingest push: " << s.error_message() << "\n";
        return 1;
      }
      push.Clear();
    }
  }

  // Surveys: two rounds, every team with --people respondents.
  insights::SubmitSurveyResponsesRequest submit;
  const char* rounds[] = {"2026-q3", "2026-q4"};
  for (const char* round : rounds) {
    for (int t = 0; t < teams; ++t) {
      for (int p = 0; p < absl::GetFlag(FLAGS_people); ++p) {
        insights::SurveyResponse& r = *submit.add_responses();
        r.set_response_id(absl::StrCat(round, "-", t, "-", p));
        r.set_team(Team(t));
        r.set_round(round);
        r.set_respondent_id(absl::StrCat("person-", t, "-", p));
        SetTime(now - absl::Hours(1), r.mutable_submitted_at());
        for (int d = 1; d <= 9; ++d) {
          auto* a = r.add_answers();
          a->set_dimension(static_cast<insights::Dimension>(d));
          a->set_value(1 + rng() % 5);
        }
        r.set_enps(rng() % 11);
        r.set_intent_to_stay(1 + rng() % 5);
        if (submit.responses_size() == 1000) {
          grpc::ClientContext context;
          insights::SubmitSurveyResponsesResponse response;
          const grpc::Status s =
              stub->SubmitSurveyResponses(&context, submit, &response);
          if (!s.ok()) {
            std::cerr << "submit: " << s.error_message() << "\n";
            return 1;
          }
          submit.Clear();
        }
      }
    }
  }
  if (submit.responses_size() > 0) {
    grpc::ClientContext context;
    insights::SubmitSurveyResponsesResponse response;
    if (!stub->SubmitSurveyResponses(&context, submit, &response).ok())
      return 1;
  }

  // Wait (bounded) until insights has ingest's figures for the last team.
  for (int i = 0; i < 600; ++i) {
    grpc::ClientContext context;
    insights::GetTeamInsightsRequest request;
    request.set_team(Team(teams - 1));
    insights::TeamInsights out;
    if (stub->GetTeamInsights(&context, request, &out).ok() &&
        out.execution().available()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }

  std::vector<double> latencies_ms;
  const int queries = absl::GetFlag(FLAGS_queries);
  latencies_ms.reserve(queries);
  int prefixes = 0;
  for (int q = 0; q < queries; ++q) {
    insights::GetTeamInsightsRequest request;
    const int t = static_cast<int>(rng() % teams);
    if (q % 10 == 0) {  // one query in ten asks for a department rollup
      request.set_team(absl::StrCat("dept-", t / 50));
      ++prefixes;
    } else {
      request.set_team(Team(t));
    }
    grpc::ClientContext context;
    insights::TeamInsights out;
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status s = stub->GetTeamInsights(&context, request, &out);
    const std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - start;
    if (!s.ok()) {
      std::cerr << "query: " << s.error_message() << "\n";
      return 1;
    }
    latencies_ms.push_back(took.count());
  }
  std::vector<double> list_ms;
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    insights::ListTeamInsightsRequest request;
    insights::ListTeamInsightsResponse out;
    const auto start = std::chrono::steady_clock::now();
    if (!stub->ListTeamInsights(&context, request, &out).ok()) return 1;
    const std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - start;
    list_ms.push_back(took.count());
  }
  std::cout << absl::StrFormat(
      "teams=%d respondents=%d queries=%d (rollups %d) GetTeamInsights ms: "
      "p50=%.3f p90=%.3f p99=%.3f max=%.3f | ListTeamInsights(all) ms: "
      "p50=%.1f "
      "max=%.1f\n",
      teams, teams * absl::GetFlag(FLAGS_people) * 2, queries, prefixes,
      Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.9),
      Percentile(latencies_ms, 0.99), Percentile(latencies_ms, 1.0),
      Percentile(list_ms, 0.5), Percentile(list_ms, 1.0));
  return 0;
}
