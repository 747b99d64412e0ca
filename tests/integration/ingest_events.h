// Events and calls the ingest integration tests share: a deterministic mix
// of events of one source over three teams, pushing them, every figure a
// reader sees as one string, and RemoveEvents.
#ifndef ORGPULSE_TESTS_INTEGRATION_INGEST_EVENTS_H_
#define ORGPULSE_TESTS_INTEGRATION_INGEST_EVENTS_H_

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest::testing {

using ::orgpulse::testing::ServerProcess;

inline constexpr char kNow[] = "2026-03-15T12:00:00Z";
inline const absl::Time kNowTime =
    absl::FromCivil(absl::CivilSecond(2026, 3, 15, 12), absl::UTCTimeZone());
inline constexpr int kBatch = 10'000;

inline void SetTime(absl::Time t, google::protobuf::Timestamp& out) {
  out.set_seconds(absl::ToUnixSeconds(t));
}

// `n` events of `source`, over three teams and every kind of state they
// share with the other source (tasks, a project's registers and sums, KPIs),
// `days_back` spread so that retention cuts through them.
inline std::vector<v1::Event> Events(const std::string& source, int n,
                                     int days_back = 60) {
  std::vector<v1::Event> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    v1::Event e;
    e.set_event_id(absl::StrCat(source, "-", i));
    e.set_source(source);
    static const char* kTeams[] = {"eng/a", "eng/b", "ops"};
    e.set_team(kTeams[i % 3]);
    const absl::Time at =
        kNowTime - absl::Hours(24) * days_back +
        absl::Seconds((static_cast<int64_t>(i) * 86400 * days_back) / n);
    SetTime(at, *e.mutable_occurred_at());
    const std::string task = absl::StrCat("T-", i % 500);
    switch (i % 5) {
      case 0:
        e.mutable_task_created()->set_task_id(task);
        SetTime(at + absl::Hours(24 * 7),
                *e.mutable_task_created()->mutable_due_at());
        break;
      case 1:
        e.mutable_task_completed()->set_task_id(task);
        break;
      case 2:
        e.mutable_cost_actual()->set_project("apollo");
        e.mutable_cost_actual()->set_amount(10.25);
        break;
      case 3:
        e.mutable_project_progress()->set_project("apollo");
        e.mutable_project_progress()->set_percent_complete(i % 100);
        break;
      default:
        e.mutable_kpi_actual()->set_kpi("nps");
        e.mutable_kpi_actual()->set_value(i % 7);
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

inline void PushAll(ServerProcess& server,
                    const std::vector<v1::Event>& events) {
  auto stub = v1::IngestService::NewStub(server.Channel());
  for (size_t i = 0; i < events.size(); i += kBatch) {
    v1::PushRequest request;
    for (size_t j = i; j < std::min(events.size(), i + kBatch); ++j) {
      *request.add_events() = events[j];
    }
    grpc::ClientContext context;
    v1::PushResponse response;
    const grpc::Status s = stub->Push(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
}

// Every figure a reader sees: the teams and each team's and rollup's figures.
inline std::string AllFigures(ServerProcess& server) {
  auto stub = v1::IngestService::NewStub(server.Channel());
  std::string out;
  grpc::ClientContext context;
  v1::ListTeamsResponse teams;
  EXPECT_TRUE(stub->ListTeams(&context, {}, &teams).ok());
  absl::StrAppend(&out, teams.DebugString());
  for (const char* team : {"eng", "eng/a", "eng/b", "ops", "eng/only-b"}) {
    grpc::ClientContext c;
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    v1::TeamExecution figures;
    const grpc::Status s = stub->GetTeamExecution(&c, request, &figures);
    absl::StrAppend(&out, team, ": ",
                    s.ok() ? figures.DebugString() : s.error_message(), "\n");
  }
  return out;
}

inline absl::StatusOr<v1::RemoveEventsResponse> Remove(
    ServerProcess& server, const std::string& source, bool dry_run = false) {
  auto stub = v1::IngestService::NewStub(server.Channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::minutes(5));
  v1::RemoveEventsRequest request;
  request.set_source(source);
  request.set_dry_run(dry_run);
  v1::RemoveEventsResponse response;
  const grpc::Status s = stub->RemoveEvents(&context, request, &response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        s.error_message());
  }
  return response;
}

}  // namespace orgpulse::ingest::testing

#endif  // ORGPULSE_TESTS_INTEGRATION_INGEST_EVENTS_H_
