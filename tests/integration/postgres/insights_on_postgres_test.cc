// orgpulse-insights, the real binary, with --postgres on a real PostgreSQL 15:
// two replicas over one database take responses at the same time and release
// exactly the same figures, equal to those of a replica started afterwards
// from the database; an erasure through one is honoured by the other; a
// replica with another k is refused; PostgreSQL stopped and restarted turns a
// replica NOT_SERVING and UNAVAILABLE, and it resumes by itself; so does a
// primary SIGKILLed and its synchronous standby promoted.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crypto/keyed_hash.h"
#include "common/storage/pg_connection.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/health_check.h"
#include "tests/support/loopback.h"
#include "tests/support/postgres_server.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TakenPort;
using ::orgpulse::testing::TempDir;
using ::orgpulse::testing::WaitForHealth;
using ::testing::HasSubstr;

constexpr char kNow[] = "2026-11-20T12:00:00Z";
constexpr char kSecret[] = "insights-on-postgres-secret-0123";
// In eng/payments in both sample rounds.
constexpr char kPerson[] = "person-eng/payments-1@example.com";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

// One replica and its stub.
struct Replica {
  std::unique_ptr<ServerProcess> process;
  std::unique_ptr<v1::InsightsService::Stub> stub;

  grpc::Status Submit(const std::vector<v1::SurveyResponse>& responses) {
    v1::SubmitSurveyResponsesRequest request;
    for (const auto& r : responses) *request.add_responses() = r;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::SubmitSurveyResponsesResponse response;
    return stub->SubmitSurveyResponses(&context, request, &response);
  }

  grpc::Status Erase(const std::string& id, int64_t* erased) {
    grpc::ClientContext context;
    v1::EraseRespondentRequest request;
    request.set_respondent_id(id);
    v1::EraseRespondentResponse response;
    grpc::Status s = stub->EraseRespondent(&context, request, &response);
    *erased = response.erased();
    return s;
  }

  // Every group's survey figures in each round, as served.
  std::map<std::string, std::string> Figures(
      const std::vector<std::string>& rounds) {
    std::map<std::string, std::string> out;
    for (const char* node : {"eng", "eng/payments", "eng/search",
                             "eng/platform", "ops", "ops/support", "sales"}) {
      for (const std::string& round : rounds) {
        grpc::ClientContext context;
        v1::GetTeamInsightsRequest request;
        request.set_team(node);
        request.set_round(round);
        v1::TeamInsights t;
        const grpc::Status s = stub->GetTeamInsights(&context, request, &t);
        out[absl::StrCat(node, "@", round)] =
            s.ok() ? t.morale().SerializeAsString()
                   : absl::StrCat("status ", s.error_code());
      }
    }
    return out;
  }
};

// Polls until `done` holds, for at most 20 s.
template <typename Done>
bool Eventually(Done done) {
  for (int i = 0; i < 400; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class InsightsOnPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = pg_.Start();
    ASSERT_TRUE(started.ok()) << started;
    key_file_ = keys_.path() + "/respondent.key";
    std::ofstream(key_file_) << kSecret << "\n";
  }

  std::vector<std::string> Flags(std::vector<std::string> more = {}) {
    more.push_back(absl::StrCat("--now=", kNow));
    more.push_back("--ingest_address=" + no_ingest_.address());
    more.push_back("--ingest_deadline=200ms");
    more.push_back("--respondent_key_file=" + key_file_);
    more.push_back("--postgres=" +
                   (conninfo_.empty() ? pg_.conninfo() : conninfo_));
    return more;
  }

  Replica StartReplica(std::vector<std::string> flags = {}) {
    Replica r;
    r.process = std::make_unique<ServerProcess>(ORGPULSE_INSIGHTS_BINARY,
                                                Flags(std::move(flags)));
    absl::Status started = r.process->Start();
    EXPECT_TRUE(started.ok()) << started << r.process->Log();
    if (started.ok()) {
      r.stub = v1::InsightsService::NewStub(r.process->NewChannel());
    }
    return r;
  }

  PostgresServer pg_;
  std::string conninfo_;  // the replicas' --postgres, if not pg_'s
  TempDir keys_;
  std::string key_file_;
  TakenPort no_ingest_;  // listens, never answers: ingest is down
  // The sample survey in two parts: before and after an outage.
  std::vector<v1::SurveyResponse> FirstHalf() const {
    return {survey_.begin(), survey_.begin() + survey_.size() / 2};
  }
  std::vector<v1::SurveyResponse> SecondHalf() const {
    return {survey_.begin() + survey_.size() / 2, survey_.end()};
  }

  const std::vector<v1::SurveyResponse> survey_ =
      sample::SampleSurveyResponses(Now());
  const std::vector<std::string> rounds_ = {
      sample::QuarterRound(Now() - absl::Hours(24 * 91)),
      sample::QuarterRound(Now() - absl::Hours(24 * 3))};
};

TEST_F(InsightsOnPostgresTest, TwoReplicasReleaseTheSameFiguresAndErasures) {
  Replica a = StartReplica();
  Replica b = StartReplica();
  ASSERT_TRUE(a.stub && b.stub);

  // Both take small batches at the same time: the log interleaves them, and
  // each replica folds the other's between its own.
  constexpr size_t kBatch = 7;
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      Replica& via = c == 0 ? a : b;
      for (size_t i = c * kBatch; i < survey_.size(); i += 2 * kBatch) {
        std::vector<v1::SurveyResponse> batch(
            survey_.begin() + i,
            survey_.begin() + std::min(i + kBatch, survey_.size()));
        if (!via.Submit(batch).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  ASSERT_EQ(failures.load(), 0);

  // Each has folded the other's last batches by itself (its watcher).
  std::map<std::string, std::string> from_a, from_b;
  EXPECT_TRUE(Eventually([&] {
    from_a = a.Figures(rounds_);
    from_b = b.Figures(rounds_);
    return from_a == from_b;
  })) << "the replicas never served the same figures";
  v1::TeamInsights payments;
  {
    grpc::ClientContext context;
    v1::GetTeamInsightsRequest request;
    request.set_team("eng/payments");
    ASSERT_TRUE(b.stub->GetTeamInsights(&context, request, &payments).ok());
    ASSERT_FALSE(payments.morale().suppressed());
  }
  // A replica started now replays the log from the beginning: the same
  // figures as those folded as they came.
  {
    Replica c = StartReplica();
    ASSERT_TRUE(c.stub);
    EXPECT_EQ(c.Figures(rounds_), from_a);
    EXPECT_EQ(c.process->Terminate(), 0);
  }

  // An erasure through A: B withdraws the person's groups too, and serves
  // what A serves.
  int64_t erased = 0;
  ASSERT_TRUE(a.Erase(kPerson, &erased).ok());
  EXPECT_EQ(erased, 2);
  const std::map<std::string, std::string> after_a = a.Figures(rounds_);
  EXPECT_NE(after_a, from_a);
  std::map<std::string, std::string> after_b;
  EXPECT_TRUE(Eventually([&] {
    after_b = b.Figures(rounds_);
    return after_b == after_a;
  })) << "B did not honour the erasure made through A";
  for (const std::string& round : rounds_) {
    grpc::ClientContext context;
    v1::GetTeamInsightsRequest request;
    request.set_team("eng/payments");
    request.set_round(round);
    v1::TeamInsights t;
    ASSERT_TRUE(b.stub->GetTeamInsights(&context, request, &t).ok());
    EXPECT_TRUE(t.morale().suppressed()) << round;
  }
  // Nothing left to erase, through either.
  ASSERT_TRUE(b.Erase(kPerson, &erased).ok());
  EXPECT_EQ(erased, 0);
  {
    Replica d = StartReplica();
    ASSERT_TRUE(d.stub);
    EXPECT_EQ(d.Figures(rounds_), after_a);
    EXPECT_EQ(d.process->Terminate(), 0);
  }
  EXPECT_EQ(a.process->Terminate(), 0);
  EXPECT_EQ(b.process->Terminate(), 0);
}

// Snapshots in the database: a replica starts from another's and folds only
// the log after it, a damaged one is refused in one line, and an erasure
// deletes every snapshot that held the person.
TEST_F(InsightsOnPostgresTest, AReplicaStartsFromAnotherReplicasSnapshot) {
  absl::StatusOr<std::unique_ptr<PgConnection>> sql =
      PgConnection::Connect(pg_.conninfo());
  ASSERT_TRUE(sql.ok()) << sql.status();
  auto count = [&](const std::string& query,
                   std::initializer_list<PgParam> params = {}) {
    absl::StatusOr<PgResult> r = (*sql)->Exec(query, params);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->GetInt64(0, 0) : -1;
  };
  Replica a = StartReplica();
  ASSERT_TRUE(a.stub);
  ASSERT_TRUE(a.Submit(FirstHalf()).ok());
  EXPECT_EQ(a.process->Terminate(), 0);  // writes its snapshot
  ASSERT_EQ(count("SELECT count(*) FROM insights_snapshots"), 1);

  Replica b = StartReplica();
  ASSERT_TRUE(b.stub);
  EXPECT_THAT(b.process->Log(),
              HasSubstr(absl::StrCat("loaded a snapshot at log position ",
                                     FirstHalf().size(), " (")));
  ASSERT_TRUE(b.Submit(SecondHalf()).ok());
  const std::map<std::string, std::string> live = b.Figures(rounds_);
  {
    Replica replay = StartReplica({"--snapshot_every_responses=0"});
    ASSERT_TRUE(replay.stub);
    EXPECT_THAT(replay.process->Log(), HasSubstr("replayed the whole log"));
    EXPECT_EQ(replay.Figures(rounds_), live);
    EXPECT_EQ(replay.process->Terminate(), 0);
  }
  EXPECT_EQ(b.process->Terminate(), 0);  // a second snapshot, of all of it
  ASSERT_EQ(count("SELECT count(*) FROM insights_snapshots"), 2);

  // Damaged: refused in one line, the log replayed, the same figures.
  ASSERT_EQ(count("WITH d AS (UPDATE insights_snapshots SET body = "
                  "set_byte(body, length(body) / 2, "
                  "get_byte(body, length(body) / 2) # 255) RETURNING 1) "
                  "SELECT count(*) FROM d"),
            2);
  Replica c = StartReplica();
  ASSERT_TRUE(c.stub);
  const std::string log = c.process->Log();
  EXPECT_THAT(log, HasSubstr("snapshot refused"));
  EXPECT_EQ(log.find("snapshot refused"), log.rfind("snapshot refused"));
  EXPECT_THAT(log, HasSubstr("replayed the whole log"));
  EXPECT_EQ(c.Figures(rounds_), live);

  // The person is in the snapshots (c wrote none yet: nothing changed); an
  // erasure through C leaves none that holds them.
  const std::string hash = KeyedHasher::FromSecret(kSecret)->Hash(kPerson);
  const std::string holding =
      "SELECT count(*) FROM insights_snapshots WHERE position($1::bytea in "
      "body) > 0";
  ASSERT_GE(count(holding, {PgParam::Binary(hash)}), 1)
      << "the check below would prove nothing";
  int64_t erased = 0;
  ASSERT_TRUE(c.Erase(kPerson, &erased).ok());
  EXPECT_EQ(erased, 2);
  EXPECT_EQ(count(holding, {PgParam::Binary(hash)}), 0);
  const std::map<std::string, std::string> after = c.Figures(rounds_);
  EXPECT_EQ(c.process->Terminate(), 0);
  EXPECT_EQ(count(holding, {PgParam::Binary(hash)}), 0);
  Replica d = StartReplica();
  ASSERT_TRUE(d.stub);
  EXPECT_THAT(d.process->Log(), HasSubstr("loaded a snapshot"));
  EXPECT_EQ(d.Figures(rounds_), after);
  EXPECT_EQ(d.process->Terminate(), 0);
}

TEST_F(InsightsOnPostgresTest, AReplicaWithAnotherGroupSizeIsRefused) {
  Replica a = StartReplica();
  ASSERT_TRUE(a.stub);
  ServerProcess other(ORGPULSE_INSIGHTS_BINARY, Flags({"--min_group_size=3"}));
  EXPECT_FALSE(other.Start().ok());
  EXPECT_THAT(other.Log(), HasSubstr("min_group_size=5, this one with "
                                     "min_group_size=3"));
  EXPECT_EQ(a.process->Terminate(), 0);
}

TEST_F(InsightsOnPostgresTest, ADatabaseRestartIsUnavailableThenResumes) {
  Replica a = StartReplica();
  ASSERT_TRUE(a.stub);
  const std::vector<v1::SurveyResponse> first = FirstHalf();
  const std::vector<v1::SurveyResponse> second = SecondHalf();
  ASSERT_TRUE(a.Submit(first).ok());

  ASSERT_TRUE(pg_.Kill().ok());
  std::shared_ptr<grpc::Channel> channel = a.process->Channel();
  EXPECT_TRUE(WaitForHealth(*channel,
                            grpc::health::v1::HealthCheckResponse::NOT_SERVING))
      << "the replica did not notice PostgreSQL going away";
  const grpc::Status refused = a.Submit(second);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused.error_message();
  // Reads still answer, from memory.
  const std::map<std::string, std::string> during = a.Figures(rounds_);
  EXPECT_NE(during.at("eng@" + rounds_[1]), "status 14");

  ASSERT_TRUE(pg_.Start().ok());
  EXPECT_TRUE(
      WaitForHealth(*channel, grpc::health::v1::HealthCheckResponse::SERVING))
      << "the replica did not resume by itself";
  ASSERT_TRUE(a.Submit(second).ok());
  const std::map<std::string, std::string> after = a.Figures(rounds_);
  Replica fresh = StartReplica();
  ASSERT_TRUE(fresh.stub);
  EXPECT_EQ(fresh.Figures(rounds_), after);
  EXPECT_EQ(fresh.process->Terminate(), 0);
  EXPECT_EQ(a.process->Terminate(), 0);
}

// pg_ gets a synchronous standby, the replica both hosts in its connection
// string; the primary is SIGKILLed and the standby promoted: the replica
// refuses submissions meanwhile, follows to the new primary by itself, and
// every acknowledged response is there.
TEST_F(InsightsOnPostgresTest, FollowsThePromotedSynchronousStandby) {
  {
    auto pg = PgConnection::Connect(pg_.conninfo());
    ASSERT_TRUE(pg.ok()) << pg.status();
    // ALTER SYSTEM refuses a transaction block: two statements apart.
    ASSERT_TRUE(
        (*pg)->Exec("ALTER SYSTEM SET synchronous_standby_names = '*'").ok());
    ASSERT_TRUE((*pg)->Exec("SELECT pg_reload_conf()").ok());
  }
  PostgresServer standby;
  // It copies the primary's settings, ALTER SYSTEM's too; once promoted it
  // has no standby of its own to wait for.
  standby.set_extra_options("-c synchronous_standby_names=''");
  absl::Status standby_started = standby.StartStandbyOf(pg_);
  ASSERT_TRUE(standby_started.ok()) << standby_started;
  absl::Status sync = pg_.AwaitSynchronousStandby();
  EXPECT_TRUE(sync.ok()) << "the standby is not synchronous: " << sync;
  conninfo_ = absl::StrCat("host=", pg_.socket_dir(), ",", standby.socket_dir(),
                           " port=5432,5432 user=postgres dbname=postgres "
                           "target_session_attrs=read-write");
  Replica a = StartReplica();
  ASSERT_TRUE(a.stub);
  const std::vector<v1::SurveyResponse> first = FirstHalf();
  const std::vector<v1::SurveyResponse> second = SecondHalf();
  ASSERT_TRUE(a.Submit(first).ok());

  ASSERT_TRUE(pg_.KillPostmaster().ok());
  std::shared_ptr<grpc::Channel> channel = a.process->Channel();
  EXPECT_TRUE(WaitForHealth(*channel,
                            grpc::health::v1::HealthCheckResponse::NOT_SERVING))
      << "the replica did not notice the primary going away";
  const grpc::Status refused = a.Submit(second);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused.error_message();

  ASSERT_TRUE(standby.Promote().ok());
  EXPECT_TRUE(
      WaitForHealth(*channel, grpc::health::v1::HealthCheckResponse::SERVING))
      << "the replica did not follow to the promoted standby";
  const grpc::Status resumed = a.Submit(second);
  ASSERT_TRUE(resumed.ok()) << resumed.error_message() << a.process->Log();
  const std::map<std::string, std::string> after = a.Figures(rounds_);
  // A replica started now reads only the new primary: the same figures, so
  // every acknowledged response is there.
  Replica fresh = StartReplica();
  ASSERT_TRUE(fresh.stub);
  EXPECT_EQ(fresh.Figures(rounds_), after);
  {
    auto pg = PgConnection::Connect(standby.conninfo());
    ASSERT_TRUE(pg.ok()) << pg.status();
    absl::StatusOr<PgResult> stored =
        (*pg)->Exec("SELECT count(*) FROM insights_responses");
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->Get(0, 0), absl::StrCat(survey_.size()));
  }
  EXPECT_EQ(fresh.process->Terminate(), 0);
  EXPECT_EQ(a.process->Terminate(), 0);
}

}  // namespace
}  // namespace orgpulse::insights
