#include "services/insights/ingest_client/ingest_execution_source.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock/clock.h"
#include "common/org/team_id.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::insights {
namespace {

namespace v1 = ::orgpulse::ingest::v1;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::StartsWith;

constexpr absl::Duration kWait = absl::Seconds(10);
const absl::Time kStart = absl::FromCivil(
    absl::CivilSecond(2026, 3, 1, 9, 0, 0), absl::UTCTimeZone());
const absl::Time kAsOf = absl::FromCivil(
    absl::CivilSecond(2026, 3, 1, 8, 59, 0), absl::UTCTimeZone());

// Ingest as the client sees it: a list of teams, and per node a rollup whose
// open tasks count the node's teams and whose overdue tasks carry a
// `generation`, so a test can tell one round's figures from the next.
// Can be told to fail every call, one node's call, or to hang in ListTeams
// until the call is cancelled.
class FakeIngest final : public v1::IngestService::Service {
 public:
  void SetTeams(std::vector<std::string> teams) {
    absl::MutexLock lock(&mu_);
    teams_ = std::move(teams);
  }
  void SetGeneration(int generation) {
    absl::MutexLock lock(&mu_);
    generation_ = generation;
  }
  void FailEveryCall(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    fail_every_call_ = std::move(status);
  }
  void FailNode(std::string node, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    failing_node_ = std::move(node);
    node_failure_ = std::move(status);
  }
  void Heal() {
    absl::MutexLock lock(&mu_);
    fail_every_call_ = grpc::Status::OK;
    failing_node_.clear();
  }
  void SetHang(bool hang) {
    absl::MutexLock lock(&mu_);
    hang_ = hang;
  }
  // Answers for a past time only after `delay` (ingest refolds for them).
  void SetPastDelay(absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    past_delay_ = delay;
  }
  int list_calls() const {
    absl::MutexLock lock(&mu_);
    return list_calls_;
  }
  int hanging_calls() const {
    absl::MutexLock lock(&mu_);
    return hanging_calls_;
  }
  // Every node asked for so far. A set: Start's first round and
  // RefreshNow's may both have run.
  std::set<std::string> RequestedNodes() const {
    absl::MutexLock lock(&mu_);
    return requested_nodes_;
  }

  grpc::Status ListTeams(grpc::ServerContext* context,
                         const v1::ListTeamsRequest*,
                         v1::ListTeamsResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++list_calls_;
    if (hang_) {
      ++hanging_calls_;
      // The client's cancellation does not signal mu_: look again often.
      // Bounded, so that a client that never cancels fails its test rather
      // than hanging it.
      const absl::Time give_up = absl::Now() + kWait;
      while (hang_ && !context->IsCancelled() && absl::Now() < give_up) {
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](bool* h) { return !*h; }, &hang_),
                             absl::Milliseconds(10));
      }
      --hanging_calls_;
      if (context->IsCancelled()) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
      }
    }
    if (!fail_every_call_.ok()) return fail_every_call_;
    for (const std::string& team : teams_) {
      response->add_teams()->set_team(team);
    }
    return grpc::Status::OK;
  }

  grpc::Status GetTeamExecution(grpc::ServerContext*,
                                const v1::GetTeamExecutionRequest* request,
                                v1::TeamExecution* response) override {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      if (request->has_as_of()) delay = past_delay_;
    }
    absl::SleepFor(delay);
    absl::MutexLock lock(&mu_);
    requested_nodes_.insert(request->team());
    if (!fail_every_call_.ok()) return fail_every_call_;
    if (request->team() == failing_node_) return node_failure_;
    int64_t teams = 0;
    for (const std::string& team : teams_) {
      if (IsInTeamTree(team, request->team())) ++teams;
    }
    if (teams == 0) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no team");
    response->set_team(request->team());
    response->mutable_as_of()->set_seconds(absl::ToUnixSeconds(kAsOf));
    // Asked for a past time: answers for that time, as ingest does.
    if (request->has_as_of()) *response->mutable_as_of() = request->as_of();
    response->mutable_tasks()->set_open(teams);
    response->mutable_tasks()->set_overdue(generation_);
    response->mutable_tasks()->set_has_on_time_ratio(true);
    response->mutable_tasks()->set_on_time_ratio(0.5);
    return grpc::Status::OK;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> teams_ ABSL_GUARDED_BY(mu_);
  int generation_ ABSL_GUARDED_BY(mu_) = 1;
  grpc::Status fail_every_call_ ABSL_GUARDED_BY(mu_);
  std::string failing_node_ ABSL_GUARDED_BY(mu_);
  grpc::Status node_failure_ ABSL_GUARDED_BY(mu_);
  bool hang_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration past_delay_ ABSL_GUARDED_BY(mu_);
  int list_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int hanging_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> requested_nodes_ ABSL_GUARDED_BY(mu_);
};

// Polls `done` until it holds or `kWait` passes; true if it held.
template <typename F>
bool Eventually(F done) {
  const absl::Time deadline = absl::Now() + kWait;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class IngestExecutionSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.SetTeams({"eng/payments", "eng/search", "eng/platform/infra", "ops"});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    fake_.SetHang(false);
    if (server_ != nullptr) ShutdownServer();
  }

  void ShutdownServer() {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + kWait));
    server_.reset();
  }

  std::unique_ptr<IngestExecutionSource> MakeSource(
      IngestSourceOptions options = {}) {
    return std::make_unique<IngestExecutionSource>(channel_, clock_, options);
  }

  FakeIngest fake_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  FixedClock clock_{kStart};
};

TEST_F(IngestExecutionSourceTest, KnowsNothingBeforeTheFirstRefresh) {
  auto source = MakeSource();
  EXPECT_THAT(source->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(source->Get("eng"), std::nullopt);
  EXPECT_TRUE(source->Teams().empty());
  const SourceHealth health = source->Health();
  EXPECT_FALSE(health.reachable);
  EXPECT_EQ(health.last_success, absl::InfinitePast());
  EXPECT_FALSE(health.last_error.empty());
}

TEST_F(IngestExecutionSourceTest, FetchesEveryTeamAndEveryPrefix) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  EXPECT_THAT(fake_.RequestedNodes(),
              ElementsAre("eng", "eng/payments", "eng/platform",
                          "eng/platform/infra", "eng/search", "ops"));
  EXPECT_THAT(source->Teams(), ElementsAre("eng/payments", "eng/platform/infra",
                                           "eng/search", "ops"));

  std::optional<ExecutionSnapshot> eng = source->Get("eng");
  ASSERT_TRUE(eng.has_value());
  EXPECT_EQ(eng->inputs.open_tasks, 3);
  EXPECT_EQ(eng->inputs.overdue_tasks, 1);
  EXPECT_THAT(eng->inputs.on_time_ratio, Optional(0.5));
  EXPECT_EQ(eng->as_of, kAsOf);
  EXPECT_EQ(eng->fetched_at, kStart);
  ASSERT_TRUE(source->Get("eng/platform").has_value());
  EXPECT_EQ(source->Get("eng/platform")->inputs.open_tasks, 1);
  ASSERT_TRUE(source->Get("ops").has_value());
  EXPECT_EQ(source->Get("ops")->inputs.open_tasks, 1);
  EXPECT_EQ(source->Get("sales"), std::nullopt);
  EXPECT_EQ(source->Get("en"), std::nullopt);

  const SourceHealth health = source->Health();
  EXPECT_TRUE(health.reachable);
  EXPECT_EQ(health.last_success, kStart);
  EXPECT_EQ(health.last_error, "");
}

TEST_F(IngestExecutionSourceTest, NewRoundReplacesFiguresAndTeams) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  fake_.SetTeams({"eng/payments", "sales"});
  fake_.SetGeneration(2);
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  EXPECT_THAT(source->Teams(), ElementsAre("eng/payments", "sales"));
  ASSERT_TRUE(source->Get("eng").has_value());
  EXPECT_EQ(source->Get("eng")->inputs.open_tasks, 1);
  EXPECT_EQ(source->Get("eng")->inputs.overdue_tasks, 2);
  EXPECT_EQ(source->Get("eng")->fetched_at, kStart + absl::Minutes(1));
  EXPECT_TRUE(source->Get("sales").has_value());
  EXPECT_EQ(source->Get("ops"), std::nullopt);
}

TEST_F(IngestExecutionSourceTest, KeepsLastKnownFiguresWhileIngestFails) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1),
                            .initial_backoff = absl::Hours(1),
                            .max_backoff = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  fake_.FailEveryCall(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "ingest is draining"));
  fake_.SetGeneration(2);
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(source->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kUnavailable,
                       "ListTeams: UNAVAILABLE: ingest is draining"));

  SourceHealth health = source->Health();
  EXPECT_FALSE(health.reachable);
  EXPECT_EQ(health.last_error, "ListTeams: UNAVAILABLE: ingest is draining");
  EXPECT_EQ(health.last_success, kStart);
  std::optional<ExecutionSnapshot> eng = source->Get("eng");
  ASSERT_TRUE(eng.has_value());
  EXPECT_EQ(eng->inputs.overdue_tasks, 1);
  EXPECT_EQ(eng->fetched_at, kStart);
  EXPECT_EQ(source->Teams().size(), 4);

  fake_.Heal();
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(source->RefreshNow(kWait).ok());
  health = source->Health();
  EXPECT_TRUE(health.reachable);
  EXPECT_EQ(health.last_error, "");
  EXPECT_EQ(health.last_success, kStart + absl::Minutes(2));
  EXPECT_EQ(source->Get("eng")->inputs.overdue_tasks, 2);
  EXPECT_EQ(source->Get("eng")->fetched_at, kStart + absl::Minutes(2));
}

// A round is all or nothing: figures of one round are never mixed with
// another's, even for the nodes fetched before the failing one.
TEST_F(IngestExecutionSourceTest, FailedRoundChangesNoFigure) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1),
                            .initial_backoff = absl::Hours(1),
                            .max_backoff = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  fake_.SetGeneration(2);
  fake_.FailNode("ops",
                 grpc::Status(grpc::StatusCode::INTERNAL, "store broken"));
  EXPECT_THAT(source->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kInternal,
                       "GetTeamExecution: INTERNAL: store broken"));

  for (const char* node : {"eng", "eng/payments", "eng/search", "ops"}) {
    std::optional<ExecutionSnapshot> s = source->Get(node);
    ASSERT_TRUE(s.has_value()) << node;
    EXPECT_EQ(s->inputs.overdue_tasks, 1) << node;
  }
  EXPECT_FALSE(source->Health().reachable);
}

TEST_F(IngestExecutionSourceTest, UnreachableWhenTheServerIsGone) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1),
                            .call_deadline = absl::Seconds(5),
                            .initial_backoff = absl::Hours(1),
                            .max_backoff = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  ShutdownServer();
  EXPECT_THAT(source->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kUnavailable));

  const SourceHealth health = source->Health();
  EXPECT_FALSE(health.reachable);
  EXPECT_THAT(health.last_error, StartsWith("ListTeams: UNAVAILABLE: "));
  EXPECT_EQ(health.last_success, kStart);
  ASSERT_TRUE(source->Get("eng/search").has_value());
  EXPECT_EQ(source->Get("eng/search")->inputs.open_tasks, 1);
}

TEST_F(IngestExecutionSourceTest, EachCallHasItsDeadline) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1),
                            .call_deadline = absl::Milliseconds(200),
                            .initial_backoff = absl::Hours(1),
                            .max_backoff = absl::Hours(1)});
  source->Start();
  fake_.SetHang(true);
  EXPECT_THAT(source->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(source->Health().last_error,
              StartsWith("ListTeams: DEADLINE_EXCEEDED: "));

  fake_.SetHang(false);
  EXPECT_TRUE(source->RefreshNow(kWait).ok());
  EXPECT_TRUE(source->Health().reachable);
}

// No RefreshNow here: the thread itself retries, and keeps retrying, until
// ingest answers again.
TEST_F(IngestExecutionSourceTest, RetriesWithBackoffUntilIngestRecovers) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1),
                            .initial_backoff = absl::Milliseconds(5),
                            .max_backoff = absl::Milliseconds(20)});
  fake_.FailEveryCall(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  source->Start();

  ASSERT_TRUE(Eventually([&] { return fake_.list_calls() >= 5; }));
  EXPECT_FALSE(source->Health().reachable);
  EXPECT_EQ(source->Get("eng"), std::nullopt);

  fake_.Heal();
  ASSERT_TRUE(Eventually([&] { return source->Health().reachable; }));
  EXPECT_TRUE(source->Get("eng").has_value());
  // After a good round the next waits refresh_interval (an hour).
  const int calls = fake_.list_calls();
  EXPECT_TRUE(source->RefreshNow(kWait).ok());
  EXPECT_EQ(fake_.list_calls(), calls + 1);
}

TEST_F(IngestExecutionSourceTest, StopCancelsTheCallInFlight) {
  auto source = MakeSource({.call_deadline = absl::Hours(1)});
  fake_.SetHang(true);
  source->Start();
  ASSERT_TRUE(Eventually([&] { return fake_.hanging_calls() == 1; }));

  const absl::Time before = absl::Now();
  source->Stop();
  EXPECT_LT(absl::Now() - before, kWait / 2);
  // Stopping is not an outage: health is as it was.
  EXPECT_EQ(source->Health().last_error, "not fetched yet");
  EXPECT_THAT(source->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(Eventually([&] { return fake_.hanging_calls() == 0; }));
}

TEST_F(IngestExecutionSourceTest, StopEndsTheWaitBetweenRounds) {
  auto source = MakeSource({.refresh_interval = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  const absl::Time before = absl::Now();
  source->Stop();
  EXPECT_LT(absl::Now() - before, kWait / 2);
  source->Stop();  // idempotent
  EXPECT_TRUE(source->Get("eng").has_value());
}

TEST_F(IngestExecutionSourceTest, SkipsInvalidAndVanishedTeams) {
  // "ops" is listed but GetTeamExecution says NOT_FOUND for the node.
  fake_.FailNode("ops", grpc::Status(grpc::StatusCode::NOT_FOUND, "gone"));
  fake_.SetTeams({"eng/payments", "Not A Team", "ops"});
  auto source = MakeSource({.refresh_interval = absl::Hours(1)});
  source->Start();
  ASSERT_TRUE(source->RefreshNow(kWait).ok());

  EXPECT_THAT(fake_.RequestedNodes(),
              ElementsAre("eng", "eng/payments", "ops"));
  EXPECT_THAT(source->Teams(), ElementsAre("eng/payments", "ops"));
  EXPECT_EQ(source->Get("ops"), std::nullopt);
  EXPECT_TRUE(source->Get("eng").has_value());
  EXPECT_TRUE(source->Health().reachable);
}

TEST_F(IngestExecutionSourceTest, GetAsOfAsksIngestForThePastThereAndThen) {
  auto source = MakeSource();  // not started: GetAsOf needs no copy
  const absl::Time then =
      kAsOf - absl::Hours(24 * 30) + absl::Milliseconds(250);
  absl::StatusOr<std::optional<ExecutionSnapshot>> eng =
      source->GetAsOf("eng", then);
  ASSERT_TRUE(eng.ok()) << eng.status();
  ASSERT_TRUE(eng->has_value());
  EXPECT_EQ((*eng)->as_of, then);  // to the nanosecond
  EXPECT_EQ((*eng)->fetched_at, kStart);
  EXPECT_THAT((*eng)->inputs.on_time_ratio, Optional(0.5));
  EXPECT_EQ(source->Get("eng"), std::nullopt);  // the copy is left alone
  // NOT_FOUND: no team under the node had an event by then.
  absl::StatusOr<std::optional<ExecutionSnapshot>> sales =
      source->GetAsOf("sales", then);
  ASSERT_TRUE(sales.ok()) << sales.status();
  EXPECT_EQ(*sales, std::nullopt);
  fake_.FailEveryCall(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "needs ingest:read"));
  EXPECT_THAT(source->GetAsOf("eng", then),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// A read of the past has its own, longer deadline: ingest refolds its
// stored events for it, which takes longer than a read of now may.
TEST_F(IngestExecutionSourceTest, GetAsOfHasTheHistoryDeadline) {
  fake_.SetPastDelay(absl::Milliseconds(600));
  const absl::Time then = kAsOf - absl::Hours(24);
  auto patient = MakeSource({.call_deadline = absl::Milliseconds(200),
                             .history_deadline = absl::Seconds(20)});
  EXPECT_TRUE(patient->GetAsOf("eng", then).ok());
  auto hasty = MakeSource({.call_deadline = absl::Seconds(20),
                           .history_deadline = absl::Milliseconds(200)});
  EXPECT_THAT(hasty->GetAsOf("eng", then),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// --- ListTeamExecutions: one call per page -------------------------------

// An ingest that has ListTeamExecutions (and nothing else): pages of at most
// two nodes whatever the client asks, figures marked with a generation like
// FakeIngest's, and a page that can be told to fail.
class PagedFakeIngest final : public v1::IngestService::Service {
 public:
  void SetGeneration(int generation) {
    absl::MutexLock lock(&mu_);
    generation_ = generation;
  }
  // The page asked for with `token` fails with `status`.
  void FailPage(std::string token, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    failing_token_ = std::move(token);
    page_failure_ = std::move(status);
  }
  void Heal() {
    absl::MutexLock lock(&mu_);
    failing_token_.reset();
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  grpc::Status ListTeamExecutions(
      grpc::ServerContext*, const v1::ListTeamExecutionsRequest* request,
      v1::ListTeamExecutionsResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (failing_token_ == request->page_token()) return page_failure_;
    const std::vector<std::string> nodes = TeamsAndPrefixes(teams_);
    auto it =
        std::upper_bound(nodes.begin(), nodes.end(), request->page_token());
    for (int n = 0; it != nodes.end() && n < 2; ++it, ++n) {
      v1::TeamExecution* f = response->add_executions();
      f->set_team(*it);
      int64_t open = 0;
      for (const std::string& team : teams_) {
        if (!IsInTeamTree(team, *it)) continue;
        f->add_teams(team);
        ++open;
      }
      f->mutable_as_of()->set_seconds(absl::ToUnixSeconds(kAsOf));
      f->mutable_tasks()->set_open(open);
      f->mutable_tasks()->set_overdue(generation_);
    }
    if (it != nodes.end()) response->set_next_page_token(*std::prev(it));
    return grpc::Status::OK;
  }

 private:
  mutable absl::Mutex mu_;
  const std::vector<std::string> teams_ = {"eng/payments", "eng/search",
                                           "eng/platform/infra", "ops"};
  int generation_ ABSL_GUARDED_BY(mu_) = 1;
  std::optional<std::string> failing_token_ ABSL_GUARDED_BY(mu_);
  grpc::Status page_failure_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class PagedSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    source_ = std::make_unique<IngestExecutionSource>(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                            grpc::InsecureChannelCredentials()),
        clock_,
        IngestSourceOptions{.refresh_interval = absl::Hours(1),
                            .initial_backoff = absl::Hours(1),
                            .max_backoff = absl::Hours(1)});
    source_->Start();
  }
  void TearDown() override {
    source_->Stop();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + kWait));
  }

  // Each node's overdue count, which carries the generation of its read.
  std::vector<std::string> Generations() {
    std::vector<std::string> out;
    for (const char* node : {"eng", "eng/payments", "eng/platform",
                             "eng/platform/infra", "eng/search", "ops"}) {
      std::optional<ExecutionSnapshot> s = source_->Get(node);
      out.push_back(absl::StrCat(
          node, "=", s ? absl::StrCat(s->inputs.overdue_tasks) : "none"));
    }
    return out;
  }

  PagedFakeIngest fake_;
  std::unique_ptr<grpc::Server> server_;
  FixedClock clock_{kStart};
  std::unique_ptr<IngestExecutionSource> source_;
};

TEST_F(PagedSourceTest, ReadsEveryNodeWithOneCallPerPage) {
  ASSERT_TRUE(source_->RefreshNow(kWait).ok());
  // 6 nodes in pages of 2; from the last page on, Start's round may add 3.
  EXPECT_TRUE(fake_.calls() == 3 || fake_.calls() == 6) << fake_.calls();
  EXPECT_THAT(Generations(),
              ElementsAre("eng=1", "eng/payments=1", "eng/platform=1",
                          "eng/platform/infra=1", "eng/search=1", "ops=1"));
  EXPECT_EQ(source_->Get("eng")->inputs.open_tasks, 3);
  EXPECT_EQ(source_->Get("eng")->as_of, kAsOf);
  EXPECT_THAT(
      source_->Teams(),
      ElementsAre("eng/payments", "eng/platform/infra", "eng/search", "ops"));
  const SourceHealth health = source_->Health();
  EXPECT_TRUE(health.reachable);
  EXPECT_EQ(health.partial_reads, 0);
}

TEST_F(PagedSourceTest, AFailedPageKeepsThePagesReadAndSaysSo) {
  ASSERT_TRUE(source_->RefreshNow(kWait).ok());
  fake_.SetGeneration(2);
  // The second page (after eng/payments) fails.
  fake_.FailPage("eng/payments",
                 grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining"));
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(source_->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kUnavailable,
                       "ListTeamExecutions: UNAVAILABLE: draining"));

  // The first page's nodes are new, the rest as before.
  EXPECT_THAT(Generations(),
              ElementsAre("eng=2", "eng/payments=2", "eng/platform=1",
                          "eng/platform/infra=1", "eng/search=1", "ops=1"));
  EXPECT_EQ(source_->Get("eng")->fetched_at, kStart + absl::Minutes(1));
  EXPECT_EQ(source_->Get("ops")->fetched_at, kStart);
  EXPECT_EQ(source_->Teams().size(), 4u);
  SourceHealth health = source_->Health();
  EXPECT_FALSE(health.reachable);
  EXPECT_EQ(health.partial_reads, 1);
  EXPECT_EQ(health.last_success, kStart);
  EXPECT_EQ(health.last_error, "ListTeamExecutions: UNAVAILABLE: draining");

  fake_.Heal();
  ASSERT_TRUE(source_->RefreshNow(kWait).ok());
  EXPECT_THAT(Generations(),
              ElementsAre("eng=2", "eng/payments=2", "eng/platform=2",
                          "eng/platform/infra=2", "eng/search=2", "ops=2"));
  health = source_->Health();
  EXPECT_TRUE(health.reachable);
  EXPECT_EQ(health.partial_reads, 1);
}

TEST_F(PagedSourceTest, AFirstReadThatFailsPartWayServesWhatItRead) {
  // The third page fails: eng/search and ops are not read.
  fake_.FailPage("eng/platform/infra",
                 grpc::Status(grpc::StatusCode::INTERNAL, "broken"));
  EXPECT_THAT(source_->RefreshNow(kWait),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(
      Generations(),
      ElementsAre("eng=1", "eng/payments=1", "eng/platform=1",
                  "eng/platform/infra=1", "eng/search=none", "ops=none"));
  // The teams the pages read named (eng's rollup names every eng team).
  EXPECT_THAT(source_->Teams(),
              ElementsAre("eng/payments", "eng/platform/infra", "eng/search"));
  EXPECT_GE(source_->Health().partial_reads, 1);
}

TEST(TeamsAndPrefixesTest, AddsEveryPrefixOnce) {
  EXPECT_THAT(
      TeamsAndPrefixes({"eng/search", "eng/payments", "a/b/c/d", "eng"}),
      ElementsAre("a", "a/b", "a/b/c", "a/b/c/d", "eng", "eng/payments",
                  "eng/search"));
  EXPECT_TRUE(TeamsAndPrefixes({}).empty());
}

}  // namespace
}  // namespace orgpulse::insights
