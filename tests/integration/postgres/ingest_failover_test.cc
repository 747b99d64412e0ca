// orgpulse-ingest, the real binary, on a PostgreSQL 15 primary with a
// synchronous streaming standby, given both hosts in one multi-host
// connection string (target_session_attrs=read-write). Under load the
// primary is SIGKILLed and the standby promoted: the service answers
// UNAVAILABLE and reports NOT_SERVING meanwhile, follows the connection
// string to the new primary by itself, and every acknowledged event is
// there exactly once, counted as stored.
//
// Before the kill, the primary shows a commit its standby never gets (the
// standby stopped, the waiting session terminated), and the replica folds
// it: the promoted standby hands those log positions to other commits, and
// the replica must notice and fold the new primary's log from its start,
// or its figures miss those commits for good (the bug this test found).
#include <atomic>
#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

using ::grpc::health::v1::HealthCheckResponse;
using ::orgpulse::testing::AllFigures;
using ::orgpulse::testing::HealthOf;
using ::orgpulse::testing::KeysStoredOnce;
using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::StartWithSynchronousStandby;
using ::orgpulse::testing::WaitForHealth;

constexpr int kTeams = 5;
constexpr int kBatch = 50;

std::string Key(int client, int n) { return absl::StrCat("c", client, "-", n); }

v1::PushRequest Request(int client, int from) {
  v1::PushRequest request;
  for (int n = from; n < from + kBatch; ++n) {
    Event e;
    e.source = "jira";
    e.event_id = Key(client, n);
    e.team = absl::StrCat("eng/team-", n % kTeams);
    e.occurred_at = absl::FromUnixSeconds(1780000000);  // 2026-05-28
    e.payload =
        TaskCreated{absl::StrCat(e.event_id, "-T"),
                    absl::FromUnixSeconds(1780000000 + 86400 * (n % 60)), 3};
    *request.add_events() = ToProto(e);
  }
  return request;
}

TEST(IngestFailoverTest, FollowsThePromotedSynchronousStandbyLosingNothing) {
  // The primary acknowledges a commit only once the standby has it.
  PostgresServer primary;
  PostgresServer standby;
  absl::Status started = StartWithSynchronousStandby(primary, standby);
  ASSERT_TRUE(started.ok()) << started;

  const std::string conninfo =
      absl::StrCat("host=", primary.socket_dir(), ",", standby.socket_dir(),
                   " port=5432,5432 user=postgres dbname=postgres "
                   "target_session_attrs=read-write connect_timeout=2");
  // A fixed clock, so that the figures of two processes compare.
  const std::vector<std::string> flags = {"--postgres=" + conninfo,
                                          "--now=2026-07-01T00:00:00Z"};
  ServerProcess server(ORGPULSE_INGEST_BINARY, flags);
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  std::shared_ptr<grpc::Channel> channel = server.Channel();

  // Two clients push distinct batches until told to stop, and retry a
  // refused batch (as real clients do) until it is acknowledged.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> refused_unavailable{0};
  std::atomic<int64_t> other_errors{0};
  std::atomic<int64_t> last_position{0};
  std::vector<std::vector<std::string>> acked_keys(2);
  std::vector<int> next_batch(2, 0);  // each client's, across its runs
  std::vector<std::thread> clients;
  auto start_clients = [&] {
    stop = false;
    for (int c = 0; c < 2; ++c) {
      clients.emplace_back([&, c] {
        auto stub = v1::IngestService::NewStub(server.NewChannel());
        for (int& batch = next_batch[c]; !stop; ++batch) {
          const v1::PushRequest request = Request(c, batch * kBatch);
          for (int attempt = 0; attempt < 3000; ++attempt) {
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10));
            v1::PushResponse response;
            grpc::Status s = stub->Push(&context, request, &response);
            if (s.ok()) {
              acknowledged += kBatch;
              for (int n = 0; n < kBatch; ++n) {
                acked_keys[c].push_back(Key(c, batch * kBatch + n));
              }
              int64_t seen = last_position;
              while (response.log_position() > seen &&
                     !last_position.compare_exchange_weak(
                         seen, response.log_position())) {
              }
              break;
            }
            if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
              ++refused_unavailable;
            } else {
              ++other_errors;
              ADD_FAILURE() << s.error_code() << ": " << s.error_message();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
    }
  };
  auto stop_clients = [&] {
    stop = true;
    for (std::thread& t : clients) t.join();
    clients.clear();
  };
  start_clients();
  while (acknowledged < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop_clients();

  // A commit the primary shows but the standby never gets: with the standby
  // stopped, a push's commit waits for it; its session is terminated, so
  // the push fails (UNAVAILABLE, not acknowledged) while the commit stays on
  // the primary, visible, and the replica's follower folds it. The new
  // primary will hand its log positions to other commits.
  auto stub = v1::IngestService::NewStub(channel);
  const std::vector<std::string> before_lost = AllFigures(*stub, last_position);
  ASSERT_TRUE(standby.Stop().ok());
  grpc::Status lost_push;
  std::thread lost_client([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::PushResponse response;
    lost_push = stub->Push(&context, Request(2, 0), &response);
  });
  absl::Status terminated = primary.TerminateSyncRepWaiters();
  lost_client.join();
  ASSERT_TRUE(terminated.ok()) << terminated;
  EXPECT_EQ(lost_push.error_code(), grpc::StatusCode::UNAVAILABLE)
      << lost_push.error_message();
  absl::StatusOr<std::string> lost_head =
      primary.Query("SELECT position FROM ingest_log_head");
  ASSERT_TRUE(lost_head.ok()) << lost_head.status();
  ASSERT_NE(AllFigures(*stub, std::stoll(*lost_head)), before_lost)
      << "the replica did not fold the commit the standby lacks";

  // Pushes again (their commits wait for the stopped standby), and the
  // primary dies under them.
  start_clients();
  absl::Status waiting = primary.AwaitSyncRepWaiter();
  ASSERT_TRUE(waiting.ok()) << waiting;
  // The primary dies mid-load.
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(primary.KillPostmaster().ok());
  EXPECT_TRUE(WaitForHealth(*channel, HealthCheckResponse::NOT_SERVING))
      << "the service did not notice the primary going away";
  const auto not_serving_at = std::chrono::steady_clock::now();
  // Meanwhile (no primary) pushes are refused.
  const int64_t refused_before = refused_unavailable;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (refused_unavailable <= refused_before + 2 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(refused_unavailable.load(), refused_before + 2);
  const auto refusing_at = std::chrono::steady_clock::now();
  EXPECT_EQ(HealthOf(*channel), HealthCheckResponse::NOT_SERVING);
  const int64_t acknowledged_in_outage = acknowledged;

  // The standby is started again (it cannot reach the dead primary) and
  // promoted: the service finds it through the connection string.
  ASSERT_TRUE(standby.Start().ok());
  ASSERT_TRUE(standby.Promote().ok());
  const auto promoted_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForHealth(*channel, HealthCheckResponse::SERVING))
      << "the service did not follow to the promoted standby\n"
      << server.Log();
  const auto serving_at = std::chrono::steady_clock::now();
  const int64_t at_promotion = acknowledged;
  while (acknowledged < at_promotion + 2000 &&
         std::chrono::steady_clock::now() <
             serving_at + std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop_clients();
  EXPECT_GE(acknowledged.load(), at_promotion + 2000)
      << "pushes did not resume on the new primary";
  EXPECT_EQ(other_errors.load(), 0);

  // Every acknowledged event is on the new primary once, and nothing else.
  const std::set<std::string> stored = KeysStoredOnce(standby.conninfo());
  int64_t lost = 0;
  for (const std::vector<std::string>& keys : acked_keys) {
    for (const std::string& key : keys) {
      if (!stored.count("jira/" + key)) ++lost;
    }
  }
  EXPECT_EQ(lost, 0) << "acknowledged, then lost in the failover";
  EXPECT_EQ(static_cast<int64_t>(stored.size()), acknowledged.load());

  // The service's figures are those of the stored events: equal to what a
  // process started now folds from the new primary alone (the lost commit
  // folded before the failover included nowhere).
  const std::vector<std::string> served = AllFigures(*stub, last_position);
  ServerProcess fresh(ORGPULSE_INGEST_BINARY, flags);
  ASSERT_TRUE(fresh.Start().ok()) << fresh.Log();
  EXPECT_EQ(AllFigures(*v1::IngestService::NewStub(fresh.Channel()), 0),
            served);
  EXPECT_EQ(fresh.Terminate(), 0);
  EXPECT_EQ(server.Terminate(), 0);

  using ms = std::chrono::milliseconds;
  std::cout
      << "acknowledged " << acknowledged.load() << " events ("
      << acknowledged_in_outage << " before the promotion), " << stored.size()
      << " stored; " << refused_unavailable.load()
      << " pushes refused UNAVAILABLE; NOT_SERVING "
      << std::chrono::duration_cast<ms>(not_serving_at - killed_at).count()
      << " ms after the kill, pushes refused "
      << std::chrono::duration_cast<ms>(refusing_at - killed_at).count()
      << " ms after it; SERVING "
      << std::chrono::duration_cast<ms>(serving_at - promoted_at).count()
      << " ms after the promotion returned\n";
}

}  // namespace
}  // namespace orgpulse::ingest
