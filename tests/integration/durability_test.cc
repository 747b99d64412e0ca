// Acknowledged means stored: the server is killed with SIGKILL at random
// moments under load from several clients (Push and PushStream), restarted
// on the same data directory, and at the end every acknowledged event must
// be present (re-pushing it reports a duplicate) and the served figures must
// equal a recomputation from the stored events alone.
#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/domain/event_key.h"
#include "services/ingest/domain/execution_state.h"
#include "services/ingest/grpc/conversion.h"
#include "services/ingest/store/sqlite_event_store.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;

constexpr char kNow[] = "2026-03-15T12:00:00Z";
constexpr int kRounds = 6;
constexpr int kBatch = 40;

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

const std::vector<std::string>& Teams() {
  static const auto* teams = new std::vector<std::string>{
      "eng", "eng/payments", "eng/search", "ops/sre", "sales/emea"};
  return *teams;
}

// A random valid event; ids are unique per (client, counter).
Event RandomEvent(std::mt19937& rng, const std::string& id) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const absl::Time now = Now();
  const absl::Time at = now - absl::Minutes(pick(60 * 24 * 60));
  Event e;
  e.event_id = id;
  e.source = pick(2) ? "jira" : "erp";
  e.team = Teams()[pick(Teams().size())];
  e.occurred_at = at;
  const std::string task = absl::StrCat("T-", pick(200));
  const std::string project = absl::StrCat("p", pick(3));
  switch (pick(9)) {
    case 0:
      e.payload = TaskCreated{task, at + absl::Hours(pick(24 * 20)), 4};
      break;
    case 1:
      e.payload = TaskStarted{task};
      break;
    case 2:
      e.payload = TaskCompleted{task};
      break;
    case 3:
      e.payload = TaskDueDateChanged{task, at + absl::Hours(pick(24 * 20))};
      break;
    case 4:
      e.payload = ProjectBudgetPlan{project, 1000.0 * (1 + pick(100)),
                                    now - absl::Hours(24 * 60),
                                    now + absl::Hours(24 * pick(90) + 1)};
      break;
    case 5:
      e.payload = CostActual{project, 0.01 * pick(1'000'000)};
      break;
    case 6:
      e.payload = ProjectProgress{project, static_cast<double>(pick(101))};
      break;
    case 7:
      e.payload = ProcedureCheck{pick(2) ? "code-review" : "change-approval",
                                 pick(4) != 0};
      break;
    default:
      e.payload = KpiActual{"revenue", 0.5 * pick(10'000)};
      break;
  }
  return e;
}

class Acknowledged {
 public:
  void Add(const v1::PushRequest& request) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : request.events()) events_.push_back(e);
  }
  std::vector<v1::Event> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(events_);
  }

 private:
  std::mutex mu_;
  std::vector<v1::Event> events_;
};

v1::PushRequest NextRequest(std::mt19937& rng, const std::string& client,
                            int& counter) {
  v1::PushRequest request;
  for (int i = 0; i < kBatch; ++i) {
    *request.add_events() =
        ToProto(RandomEvent(rng, absl::StrCat(client, "-", counter++)));
  }
  return request;
}

// Pushes with unary calls until a call fails (the server was killed).
void UnaryClient(std::shared_ptr<grpc::Channel> channel, std::string name,
                 int seed, Acknowledged& acked) {
  auto stub = v1::IngestService::NewStub(channel);
  std::mt19937 rng(seed);
  int counter = 0;
  for (int calls = 0; calls < 100'000; ++calls) {
    const v1::PushRequest request = NextRequest(rng, name, counter);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::PushResponse response;
    if (!stub->Push(&context, request, &response).ok()) return;
    acked.Add(request);
  }
}

// Pushes on one stream, recording each request once its response arrives.
void StreamClient(std::shared_ptr<grpc::Channel> channel, std::string name,
                  int seed, Acknowledged& acked) {
  auto stub = v1::IngestService::NewStub(channel);
  std::mt19937 rng(seed);
  int counter = 0;
  grpc::ClientContext context;
  auto stream = stub->PushStream(&context);
  std::deque<v1::PushRequest> unacked;
  for (int calls = 0; calls < 100'000; ++calls) {
    // Keep up to 4 requests in flight.
    while (unacked.size() < 4) {
      unacked.push_back(NextRequest(rng, name, counter));
      if (!stream->Write(unacked.back())) return;
    }
    v1::PushResponse response;
    if (!stream->Read(&response)) return;
    acked.Add(unacked.front());
    unacked.pop_front();
  }
}

TEST(DurabilityTest, SigkillUnderLoadLosesNoAcknowledgedEvent) {
  TempDir data;
  const std::string dir = data.path() + "/ingest";
  const std::vector<std::string> flags = {absl::StrCat("--now=", kNow)};
  Acknowledged acked;
  std::vector<v1::Event> all_acked;
  std::mt19937 rng(20261127);

  for (int round = 0; round < kRounds; ++round) {
    ServerProcess server(ORGPULSE_INGEST_BINARY, flags, dir);
    ASSERT_TRUE(server.Start().ok()) << "round " << round;
    std::vector<std::thread> clients;
    clients.emplace_back(UnaryClient, server.NewChannel(),
                         absl::StrCat("u1r", round), round * 10 + 1,
                         std::ref(acked));
    clients.emplace_back(UnaryClient, server.NewChannel(),
                         absl::StrCat("u2r", round), round * 10 + 2,
                         std::ref(acked));
    clients.emplace_back(StreamClient, server.NewChannel(),
                         absl::StrCat("s1r", round), round * 10 + 3,
                         std::ref(acked));
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
    EXPECT_EQ(server.Kill(), -SIGKILL);
    for (auto& c : clients) c.join();
    for (auto& e : acked.Take()) all_acked.push_back(std::move(e));
  }
  ASSERT_GT(all_acked.size(), 1000u) << "the load was too light to test much";

  // Every acknowledged event is present: pushing it again is a duplicate.
  ServerProcess server(ORGPULSE_INGEST_BINARY, flags, dir);
  ASSERT_TRUE(server.Start().ok());
  auto stub = v1::IngestService::NewStub(server.Channel());
  int64_t duplicates = 0, accepted = 0;
  for (size_t i = 0; i < all_acked.size(); i += 5000) {
    v1::PushRequest request;
    for (size_t j = i; j < std::min(all_acked.size(), i + 5000); ++j) {
      *request.add_events() = all_acked[j];
    }
    grpc::ClientContext context;
    v1::PushResponse response;
    ASSERT_TRUE(stub->Push(&context, request, &response).ok());
    duplicates += response.duplicates();
    accepted += response.accepted();
  }
  EXPECT_EQ(accepted, 0) << "acknowledged events were lost";
  EXPECT_EQ(duplicates, static_cast<int64_t>(all_acked.size()));

  // The served figures, for every team and rollup.
  std::vector<std::string> queries = Teams();
  queries.insert(queries.end(), {"ops", "sales"});
  std::vector<std::string> served;
  for (const std::string& team : queries) {
    grpc::ClientContext context;
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    v1::TeamExecution figures;
    ASSERT_TRUE(stub->GetTeamExecution(&context, request, &figures).ok())
        << team;
    served.push_back(figures.SerializeAsString());
  }
  EXPECT_EQ(server.Terminate(), 0);

  // Recompute from the stored events alone, with the same clock.
  auto store = SqliteEventStore::Open(dir, {});
  ASSERT_TRUE(store.ok()) << store.status();
  ExecutionState state;
  int64_t stored = 0;
  ASSERT_TRUE((*store)
                  ->Replay([&](const Event& e) {
                    state.Apply(e, EventFingerprint(e.source, e.event_id));
                    ++stored;
                  })
                  .ok());
  EXPECT_GE(stored, static_cast<int64_t>(all_acked.size()));
  for (size_t i = 0; i < queries.size(); ++i) {
    absl::StatusOr<TeamExecution> figures = state.Figures(queries[i], Now());
    ASSERT_TRUE(figures.ok()) << queries[i];
    v1::TeamExecution proto;
    ToProto(*figures, proto);
    EXPECT_EQ(proto.SerializeAsString(), served[i])
        << "figures of " << queries[i] << " differ from the recomputation";
  }
  std::cout << "acknowledged " << all_acked.size() << " events over " << kRounds
            << " SIGKILLs; " << stored << " stored\n";
}

}  // namespace
}  // namespace orgpulse::ingest
