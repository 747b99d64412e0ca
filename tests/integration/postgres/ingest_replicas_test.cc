// Several orgpulse-ingest replicas, the real binary, over one real
// PostgreSQL 15 (issue 12, decision 0004): the same events pushed at once
// through two replicas are stored once and counted once on each; every
// replica serves the same figures once caught up (a new one too, as soon as
// it reports SERVING); a push on one is visible on another to a read that
// passes its log position; a removal reaches every replica; SIGKILL of a
// replica under load loses nothing acknowledged, counts nothing twice, and
// the other keeps serving.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/grpc/conversion.h"
#include "services/ingest/store/pg_event_log.h"
#include "tests/support/ingest_calls.h"
#include "tests/support/pg_stored_events.h"
#include "tests/support/postgres_server.h"
#include "tests/support/server_process.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::AllFigures;
using ::orgpulse::testing::KeysStoredOnce;
using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::Push;
using ::orgpulse::testing::ServerProcess;
using ::testing::HasSubstr;

constexpr int kTeams = 7;

v1::PushRequest Request(const std::string& prefix, int from, int count) {
  v1::PushRequest request;
  for (int n = from; n < from + count; ++n) {
    Event e;
    e.source = "jira";
    e.event_id = absl::StrCat(prefix, "-", n);
    e.team = absl::StrCat("eng/team-", n % kTeams);
    e.occurred_at = absl::FromUnixSeconds(1780000000 + n);
    e.payload =
        TaskCreated{absl::StrCat(prefix, "-T", n),
                    absl::FromUnixSeconds(1780000000 + 86400 * (n % 60)), 3};
    *request.add_events() = ToProto(e);
  }
  return request;
}

// Stored events of every team, as the replica counts them; -1 on error.
int64_t CountedEvents(v1::IngestService::Stub& stub, int64_t position,
                      grpc::Status* status = nullptr) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::ListTeamsRequest request;
  request.set_min_log_position(position);
  v1::ListTeamsResponse teams;
  grpc::Status s = stub.ListTeams(&context, request, &teams);
  if (status != nullptr) *status = s;
  if (!s.ok()) return -1;
  int64_t events = 0;
  for (const v1::TeamSummary& t : teams.teams()) events += t.events();
  return events;
}

class IngestReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = pg_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  // A fixed clock, so that replicas' figures compare.
  std::vector<std::string> Flags() const {
    return {"--postgres=" + pg_.conninfo(), "--now=2026-07-01T00:00:00Z"};
  }
  PostgresServer pg_;
};

TEST_F(IngestReplicasTest, TheSameEventsPushedThroughTwoReplicasCountOnce) {
  ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
  ServerProcess b(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(a.Start().ok()) << a.Log();
  ASSERT_TRUE(b.Start().ok()) << b.Log();

  // Both replicas are pushed the same batches at the same moment; each
  // batch overlaps the one before by half.
  constexpr int kBatches = 60;
  constexpr int kPerBatch = 40;
  std::atomic<int64_t> accepted{0}, duplicates{0}, last_position{0};
  std::vector<std::thread> clients;
  for (ServerProcess* replica : {&a, &b}) {
    clients.emplace_back([&, replica] {
      auto stub = v1::IngestService::NewStub(replica->NewChannel());
      for (int i = 0; i < kBatches; ++i) {
        v1::PushResponse response;
        grpc::Status s =
            Push(*stub, Request("e", i * kPerBatch / 2, kPerBatch), &response);
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(response.accepted() + response.duplicates(), kPerBatch);
        EXPECT_GT(response.log_position(), 0);
        accepted += response.accepted();
        duplicates += response.duplicates();
        int64_t seen = last_position;
        while (response.log_position() > seen &&
               !last_position.compare_exchange_weak(seen,
                                                    response.log_position())) {
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  constexpr int64_t kDistinct = (kBatches + 1) * kPerBatch / 2;
  EXPECT_EQ(accepted.load(), kDistinct);
  EXPECT_EQ(accepted + duplicates, 2 * kBatches * kPerBatch);
  EXPECT_EQ(KeysStoredOnce(pg_.conninfo()).size(), size_t{kDistinct});

  // Both count each event once and serve the same figures.
  auto stub_a = v1::IngestService::NewStub(a.Channel());
  auto stub_b = v1::IngestService::NewStub(b.Channel());
  const int64_t position = last_position;
  EXPECT_EQ(CountedEvents(*stub_a, position), kDistinct);
  EXPECT_EQ(CountedEvents(*stub_b, position), kDistinct);
  const std::vector<std::string> figures = AllFigures(*stub_a, position);
  EXPECT_EQ(figures.size(), size_t{kTeams + 1});  // eng and its teams
  EXPECT_EQ(AllFigures(*stub_b, position), figures);

  // A replica that joins later: SERVING means caught up, so its figures are
  // those at once, without a position.
  ServerProcess c(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(c.Start().ok()) << c.Log();
  auto stub_c = v1::IngestService::NewStub(c.Channel());
  EXPECT_EQ(CountedEvents(*stub_c, 0), kDistinct);
  EXPECT_EQ(AllFigures(*stub_c, 0), figures);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
  EXPECT_EQ(c.Terminate(), 0);
}

TEST_F(IngestReplicasTest, APushIsVisibleOnAnotherReplicaAtItsLogPosition) {
  ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
  ServerProcess b(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(a.Start().ok()) << a.Log();
  ASSERT_TRUE(b.Start().ok()) << b.Log();
  auto stub_a = v1::IngestService::NewStub(a.Channel());
  auto stub_b = v1::IngestService::NewStub(b.Channel());

  // With the position: visible at once, every time.
  for (int i = 0; i < 30; ++i) {
    v1::PushResponse response;
    ASSERT_TRUE(Push(*stub_a, Request("p", i * 10, 10), &response).ok());
    EXPECT_EQ(CountedEvents(*stub_b, response.log_position()), (i + 1) * 10)
        << "push " << i;
  }

  // Without it: how long until a read on the other replica sees a push.
  std::vector<absl::Duration> visible_after;
  int64_t expected = 300;
  for (int i = 0; i < 50; ++i) {
    v1::PushResponse response;
    ASSERT_TRUE(Push(*stub_a, Request("q", i, 1), &response).ok());
    const absl::Time acknowledged = absl::Now();
    ++expected;
    while (CountedEvents(*stub_b, 0) < expected) {
      ASSERT_LT(absl::Now() - acknowledged, absl::Seconds(10))
          << "push " << i << " not visible on the other replica in 10 s";
    }
    visible_after.push_back(absl::Now() - acknowledged);
  }
  std::sort(visible_after.begin(), visible_after.end());
  std::cout << "a push acknowledged by one replica, visible to reads on "
               "another without a position: median "
            << visible_after[visible_after.size() / 2] << ", max "
            << visible_after.back() << " (" << visible_after.size()
            << " pushes)\n";

  // A position this replica has not reached: UNAVAILABLE naming both, after
  // the bounded wait.
  v1::PushResponse last;
  ASSERT_TRUE(Push(*stub_a, Request("r", 0, 1), &last).ok());
  grpc::Status refused;
  EXPECT_EQ(CountedEvents(*stub_b, last.log_position() + 1000, &refused), -1);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(
      refused.error_message(),
      HasSubstr(absl::StrCat("up to position ", last.log_position(),
                             ", not yet ", last.log_position() + 1000)));
  // A negative one is a bad argument.
  EXPECT_EQ(CountedEvents(*stub_b, -1, &refused), -1);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

TEST_F(IngestReplicasTest, ARemovalOnOneReplicaReachesTheOther) {
  ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
  ServerProcess b(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(a.Start().ok()) << a.Log();
  ASSERT_TRUE(b.Start().ok()) << b.Log();
  auto stub_a = v1::IngestService::NewStub(a.Channel());
  auto stub_b = v1::IngestService::NewStub(b.Channel());
  v1::PushResponse pushed;
  ASSERT_TRUE(Push(*stub_a, Request("good", 0, 100), &pushed).ok());
  const std::vector<std::string> only_good =
      AllFigures(*stub_b, pushed.log_position());
  v1::PushRequest wrong = Request("bad", 0, 50);
  for (v1::Event& e : *wrong.mutable_events()) e.set_source("wrong-file");
  ASSERT_TRUE(Push(*stub_b, wrong, &pushed).ok());
  ASSERT_NE(AllFigures(*stub_a, pushed.log_position()), only_good);

  grpc::ClientContext context;
  v1::RemoveEventsRequest request;
  request.set_source("wrong-file");
  v1::RemoveEventsResponse removed;
  grpc::Status s = stub_a->RemoveEvents(&context, request, &removed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(removed.removed(), 50);
  // A push after the removal has a later position: a read that passes it
  // sees the removal on either replica.
  ASSERT_TRUE(Push(*stub_a, Request("good", 0, 1), &pushed).ok());
  EXPECT_EQ(AllFigures(*stub_a, pushed.log_position()), only_good);
  EXPECT_EQ(AllFigures(*stub_b, pushed.log_position()), only_good);
  EXPECT_EQ(CountedEvents(*stub_b, pushed.log_position()), 100);
  // The removed events may be pushed again, through either replica.
  ASSERT_TRUE(Push(*stub_b, wrong, &pushed).ok());
  EXPECT_EQ(pushed.accepted(), 50);
  EXPECT_EQ(CountedEvents(*stub_a, pushed.log_position()), 150);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

TEST_F(IngestReplicasTest, KillingAReplicaUnderLoadLosesNothingAcknowledged) {
  ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
  ServerProcess b(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(a.Start().ok()) << a.Log();
  ASSERT_TRUE(b.Start().ok()) << b.Log();
  const std::string target_b = b.grpc_target();

  // Four clients, two on each replica, push distinct batches; a batch that
  // fails is sent again to B (as a client behind a load balancer would).
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> failed_on_a{0};
  std::atomic<int64_t> last_position{0};
  std::mutex mu;
  std::set<std::string> acknowledged_keys;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    std::shared_ptr<grpc::Channel> first =
        c % 2 == 0 ? a.NewChannel() : b.NewChannel();
    clients.emplace_back([&, c, first] {
      auto stub = v1::IngestService::NewStub(first);
      auto fallback = v1::IngestService::NewStub(
          grpc::CreateChannel(target_b, grpc::InsecureChannelCredentials()));
      for (int batch = 0; batch < 100000 && !stop; ++batch) {
        const v1::PushRequest request =
            Request(absl::StrCat("c", c), batch * 20, 20);
        v1::PushResponse response;
        grpc::Status s = Push(*stub, request, &response);
        if (!s.ok()) {
          ++failed_on_a;
          s = Push(*fallback, request, &response);
        }
        ASSERT_TRUE(s.ok()) << s.error_message();
        acknowledged += 20;
        int64_t seen = last_position;
        while (response.log_position() > seen &&
               !last_position.compare_exchange_weak(seen,
                                                    response.log_position())) {
        }
        std::lock_guard<std::mutex> lock(mu);
        for (const v1::Event& e : request.events()) {
          acknowledged_keys.insert(e.source() + "/" + e.event_id());
        }
      }
    });
  }
  while (acknowledged < 4000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(a.Kill(), -SIGKILL);
  const int64_t at_kill = acknowledged;
  while (acknowledged < at_kill + 4000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_TRUE(b.IsServing());

  // Nothing acknowledged lost; whatever the killed replica committed without
  // answering is there once, and B counts exactly what is stored.
  const std::set<std::string> stored = KeysStoredOnce(pg_.conninfo());
  for (const std::string& key : acknowledged_keys) {
    ASSERT_TRUE(stored.count(key)) << key << " was acknowledged, then lost";
  }
  auto stub_b = v1::IngestService::NewStub(b.Channel());
  EXPECT_EQ(CountedEvents(*stub_b, last_position),
            static_cast<int64_t>(stored.size()));
  // A replica started again catches up to the same figures.
  ServerProcess again(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(again.Start().ok()) << again.Log();
  auto stub_again = v1::IngestService::NewStub(again.Channel());
  EXPECT_EQ(AllFigures(*stub_again, last_position),
            AllFigures(*stub_b, last_position));
  std::cout << acknowledged.load() << " events acknowledged, " << stored.size()
            << " stored; " << failed_on_a.load()
            << " pushes failed on the killed replica and went to the other\n";
  EXPECT_EQ(b.Terminate(), 0);
  EXPECT_EQ(again.Terminate(), 0);
}

}  // namespace
}  // namespace orgpulse::ingest
