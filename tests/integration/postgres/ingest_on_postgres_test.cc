// orgpulse-ingest, the real binary, with --postgres on a real PostgreSQL 15:
// pushes stored once and served; a restart replays the figures from the
// database; PostgreSQL stopped under load turns the service NOT_SERVING and
// UNAVAILABLE, it resumes by itself, and nothing acknowledged is lost or
// counted twice.
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/grpc/conversion.h"
#include "services/ingest/store/pg_event_log.h"
#include "tests/support/health_check.h"
#include "tests/support/ingest_calls.h"
#include "tests/support/pg_stored_events.h"
#include "tests/support/postgres_server.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::KeysStoredOnce;
using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::Push;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::WaitForHealth;

v1::PushRequest Request(const std::string& prefix, int from, int count) {
  v1::PushRequest request;
  for (int n = from; n < from + count; ++n) {
    Event e;
    e.source = "jira";
    e.event_id = absl::StrCat(prefix, "-", n);
    e.team = absl::StrCat("eng/team-", n % 5);
    e.occurred_at = absl::FromUnixSeconds(1780000000);  // 2026-05-28
    e.payload =
        TaskCreated{absl::StrCat(prefix, "-T", n),
                    absl::FromUnixSeconds(1780000000 + 86400 * (n % 60)), 3};
    *request.add_events() = ToProto(e);
  }
  return request;
}

std::string Figures(v1::IngestService::Stub& stub, const std::string& team) {
  grpc::ClientContext context;
  v1::GetTeamExecutionRequest request;
  request.set_team(team);
  v1::TeamExecution figures;
  grpc::Status s = stub.GetTeamExecution(&context, request, &figures);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return figures.SerializeAsString();
}

class IngestOnPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = pg_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  PostgresServer pg_;
};

TEST_F(IngestOnPostgresTest, StoresServesAndRecoversFromTheDatabase) {
  // A fixed clock, so that figures before and after the restart compare.
  const std::vector<std::string> flags = {"--postgres=" + pg_.conninfo(),
                                          "--now=2026-07-01T00:00:00Z"};
  std::vector<std::string> before;
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, flags);
    ASSERT_TRUE(server.Start().ok()) << server.Log();
    auto stub = v1::IngestService::NewStub(server.Channel());
    v1::PushResponse response;
    ASSERT_TRUE(Push(*stub, Request("a", 0, 300), &response).ok());
    EXPECT_EQ(response.accepted(), 300);
    ASSERT_TRUE(Push(*stub, Request("a", 200, 200), &response).ok());
    EXPECT_EQ(response.accepted(), 100);
    EXPECT_EQ(response.duplicates(), 100);
    for (const char* team : {"eng", "eng/team-1", "eng/team-4"}) {
      before.push_back(Figures(*stub, team));
    }
    EXPECT_EQ(server.Terminate(), 0);
  }
  EXPECT_EQ(static_cast<int64_t>(KeysStoredOnce(pg_.conninfo()).size()), 400);

  // A new process (and a fresh data directory): everything comes from the
  // database.
  ServerProcess restarted(ORGPULSE_INGEST_BINARY, flags);
  ASSERT_TRUE(restarted.Start().ok()) << restarted.Log();
  EXPECT_THAT(restarted.Log(), ::testing::HasSubstr("recovered 400 events"));
  auto stub = v1::IngestService::NewStub(restarted.Channel());
  std::vector<std::string> after;
  for (const char* team : {"eng", "eng/team-1", "eng/team-4"}) {
    after.push_back(Figures(*stub, team));
  }
  EXPECT_EQ(after, before);
  v1::PushResponse response;
  ASSERT_TRUE(Push(*stub, Request("a", 0, 400), &response).ok());
  EXPECT_EQ(response.duplicates(), 400);
  EXPECT_EQ(restarted.Terminate(), 0);
}

TEST_F(IngestOnPostgresTest, UndoingAnImportRemovesItFromTheDatabase) {
  const std::vector<std::string> flags = {"--postgres=" + pg_.conninfo(),
                                          "--now=2026-07-01T00:00:00Z"};
  ServerProcess server(ORGPULSE_INGEST_BINARY, flags);
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  auto stub = v1::IngestService::NewStub(server.Channel());
  v1::PushResponse pushed;
  ASSERT_TRUE(Push(*stub, Request("good", 0, 100), &pushed).ok());
  const std::string only_good = Figures(*stub, "eng");
  v1::PushRequest wrong = Request("bad", 0, 50);
  for (v1::Event& e : *wrong.mutable_events()) e.set_source("wrong-file");
  ASSERT_TRUE(Push(*stub, wrong, &pushed).ok());
  ASSERT_NE(Figures(*stub, "eng"), only_good);

  grpc::ClientContext context;
  v1::RemoveEventsRequest request;
  request.set_source("wrong-file");
  v1::RemoveEventsResponse removed;
  grpc::Status s = stub->RemoveEvents(&context, request, &removed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(removed.removed(), 50);
  EXPECT_EQ(Figures(*stub, "eng"), only_good);
  EXPECT_EQ(static_cast<int64_t>(KeysStoredOnce(pg_.conninfo()).size()), 100);
  EXPECT_EQ(server.Terminate(), 0);

  // From the database alone, after a restart: the same.
  ServerProcess restarted(ORGPULSE_INGEST_BINARY, flags);
  ASSERT_TRUE(restarted.Start().ok()) << restarted.Log();
  EXPECT_EQ(Figures(*v1::IngestService::NewStub(restarted.Channel()), "eng"),
            only_good);
  EXPECT_EQ(restarted.Terminate(), 0);
}

TEST_F(IngestOnPostgresTest, ADatabaseRestartUnderLoadLosesNothing) {
  ServerProcess server(ORGPULSE_INGEST_BINARY,
                       {"--postgres=" + pg_.conninfo()});
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  std::shared_ptr<grpc::Channel> channel = server.Channel();

  // Two clients push distinct batches until told to stop, and retry a
  // refused batch (as real clients do) until it is acknowledged.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> refused_unavailable{0};
  std::atomic<int64_t> other_errors{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::IngestService::NewStub(server.NewChannel());
      for (int batch = 0; batch < 100000 && !stop; ++batch) {
        const v1::PushRequest request =
            Request(absl::StrCat("c", c), batch * 50, 50);
        for (int attempt = 0; attempt < 2000; ++attempt) {
          v1::PushResponse response;
          grpc::Status s = Push(*stub, request, &response);
          if (s.ok()) {
            acknowledged += 50;
            break;
          }
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            ++refused_unavailable;
          } else {
            ++other_errors;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  while (acknowledged < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(pg_.Kill().ok());
  EXPECT_TRUE(WaitForHealth(*channel,
                            grpc::health::v1::HealthCheckResponse::NOT_SERVING))
      << "the service did not notice PostgreSQL going away";
  ASSERT_TRUE(pg_.Start().ok());
  EXPECT_TRUE(
      WaitForHealth(*channel, grpc::health::v1::HealthCheckResponse::SERVING))
      << "the service did not resume by itself";
  const int64_t at_restart = acknowledged;
  while (acknowledged < at_restart + 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_GT(refused_unavailable.load(), 0);
  EXPECT_EQ(other_errors.load(), 0);

  // Every acknowledged event is in the database once, and the service counts
  // exactly those.
  EXPECT_EQ(static_cast<int64_t>(KeysStoredOnce(pg_.conninfo()).size()),
            acknowledged.load());
  auto stub = v1::IngestService::NewStub(channel);
  grpc::ClientContext context;
  v1::GetTeamExecutionRequest request;
  request.set_team("eng");
  v1::TeamExecution figures;
  ASSERT_TRUE(stub->GetTeamExecution(&context, request, &figures).ok());
  EXPECT_EQ(server.Terminate(), 0);
  std::cout << "acknowledged " << acknowledged.load() << " events; "
            << refused_unavailable.load()
            << " pushes refused UNAVAILABLE while PostgreSQL was down\n";
}

}  // namespace
}  // namespace orgpulse::ingest
