#include "clients/client_options.h"

#include <climits>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "clients/retry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::StatusIs;
using ::orgpulse::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

ClientOptions Options(std::string address = "127.0.0.1:50051") {
  ClientOptions options;
  options.address = std::move(address);
  return options;
}

TEST(CreateClientChannelTest, PlaintextNeedsOnlyAnAddress) {
  EXPECT_TRUE(CreateClientChannel(Options()).ok());
  EXPECT_THAT(CreateClientChannel(Options("")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no server address")));
}

TEST(CreateClientChannelTest, MissingCaFileIsNamed) {
  ClientOptions options = Options();
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(CreateClientChannel(options),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("CA file /nonexistent/ca.pem"),
                             HasSubstr("No such file"))));
}

TEST(CreateClientChannelTest, UnreadableAndNonPemFilesAreRefused) {
  TempDir dir;
  const std::string not_pem = dir.path() + "/ca.txt";
  std::ofstream(not_pem) << "hello\n";
  ClientOptions options = Options();
  options.ca_file = not_pem;
  EXPECT_THAT(CreateClientChannel(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a PEM file")));
  options.ca_file = dir.path();  // a directory
  EXPECT_FALSE(CreateClientChannel(options).ok());
}

TEST(CreateClientChannelTest, CertificateAndKeyGoTogether) {
  TempDir dir;
  const std::string cert = dir.path() + "/cert.pem";
  std::ofstream(cert) << kPem;
  ClientOptions options = Options();
  options.cert_file = cert;
  EXPECT_THAT(CreateClientChannel(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("give both or neither")));
  options.key_file = dir.path() + "/missing-key.pem";
  EXPECT_THAT(
      CreateClientChannel(options),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("client key file")));
  const std::string key = dir.path() + "/key.pem";
  std::ofstream(key) << "-----BEGIN PRIVATE KEY-----\nMIIB\n"
                        "-----END PRIVATE KEY-----\n";
  options.key_file = key;
  options.ca_file = cert;
  EXPECT_TRUE(CreateClientChannel(options).ok());
}

TEST(CreateClientChannelTest, TokenNeedsTlsExceptOnLoopback) {
  ClientOptions options = Options("ingest.example.com:443");
  options.token = "t0ken";
  const auto refused = CreateClientChannel(options);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("only over TLS")));
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr("t0ken")));
  options.tls = true;  // system roots
  EXPECT_TRUE(CreateClientChannel(options).ok());
  EXPECT_TRUE(CreateClientChannel([] {
                ClientOptions o = Options("127.0.0.1:1");
                o.token = "t0ken";
                return o;
              }())
                  .ok());
}

TEST(CreateClientChannelTest, TokenWithoutTlsOnlyWhenAskedFor) {
  ClientOptions options = Options("ingest:50051");
  options.token = "t0ken";
  EXPECT_THAT(
      CreateClientChannel(options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only over TLS")));
  options.token_without_tls = true;
  EXPECT_TRUE(CreateClientChannel(options).ok());
}

TEST(CreateClientChannelTest, TokenMustBeAHeaderValue) {
  ClientOptions options = Options();
  options.token = "line\nbreak";
  EXPECT_THAT(CreateClientChannel(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("characters a header may not carry")));
}

TEST(IsLoopbackAddressTest, RecognisesLoopbackForms) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:1"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackAddress("dns:///localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("ipv4:127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/orgpulse.sock"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:50051"));
  EXPECT_FALSE(IsLoopbackAddress("127.example.com:50051"));
  EXPECT_FALSE(IsLoopbackAddress("localhost.example.com:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::2]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.256:1"));
}

TEST(RetryBackoffTest, GrowsExponentiallyWithinJitterAndCap) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Seconds(2);
  policy.multiplier = 2;
  policy.jitter = 0.2;
  std::mt19937 gen(1);
  for (int i = 0; i < 100; ++i) {
    const absl::Duration first = RetryBackoff(policy, 1, gen);
    EXPECT_GE(first, absl::Milliseconds(80));
    EXPECT_LE(first, absl::Milliseconds(120));
    const absl::Duration third = RetryBackoff(policy, 3, gen);
    EXPECT_GE(third, absl::Milliseconds(320));
    EXPECT_LE(third, absl::Milliseconds(480));
    EXPECT_LE(RetryBackoff(policy, 60, gen), absl::Seconds(2));
    EXPECT_GE(RetryBackoff(policy, 60, gen), absl::Milliseconds(1600));
  }
  policy.jitter = 0;
  EXPECT_EQ(RetryBackoff(policy, 2, gen), absl::Milliseconds(200));
}

// The policy of insights' rounds of reads from ingest.
TEST(RetryBackoffTest, DoublesWithJitterUpToTheCapAtAnyRetryCount) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(200);
  policy.max_backoff = absl::Seconds(30);
  policy.multiplier = 2;
  policy.jitter = 0.2;
  std::mt19937 gen(42);
  for (int retry = 1; retry <= 8; ++retry) {
    const absl::Duration base = policy.initial_backoff * (1 << (retry - 1));
    std::set<int64_t> seen;
    for (int i = 0; i < 200; ++i) {
      const absl::Duration d = RetryBackoff(policy, retry, gen);
      EXPECT_GE(d, base * 0.8) << retry;
      EXPECT_LE(d, std::min(base * 1.2, policy.max_backoff)) << retry;
      seen.insert(absl::ToInt64Microseconds(d));
    }
    EXPECT_THAT(seen.size(), Gt(100)) << "jitter missing at " << retry;
  }
  for (int retry : {9, 20, INT_MAX}) {
    const absl::Duration d = RetryBackoff(policy, retry, gen);
    EXPECT_GE(d, policy.max_backoff * 0.8);
    EXPECT_LE(d, policy.max_backoff);
  }
}

TEST(CallWithRetriesTest, RetriesUnavailableOnlyUpToTheAttempts) {
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.jitter = 0;
  std::vector<absl::Duration> slept;
  const Sleeper sleep = [&](absl::Duration d) { slept.push_back(d); };

  int calls = 0;
  grpc::Status status = CallWithRetries(policy, sleep, [&] {
    return ++calls < 3 ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")
                       : grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(slept,
              ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200)));

  calls = 0;
  slept.clear();
  status = CallWithRetries(policy, sleep, [&] {
    ++calls;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(slept.size(), 3u);

  for (grpc::StatusCode code :
       {grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::INVALID_ARGUMENT,
        grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::INTERNAL,
        grpc::StatusCode::UNAUTHENTICATED}) {
    calls = 0;
    status = CallWithRetries(policy, sleep, [&] {
      ++calls;
      return grpc::Status(code, "no");
    });
    EXPECT_EQ(status.error_code(), code);
    EXPECT_EQ(calls, 1) << code;
  }
}

// A clock that moves only when the sleeper sleeps (or a test moves it).
struct FakeTime {
  FixedClock clock{absl::UnixEpoch()};
  std::vector<absl::Duration> slept;
  Sleeper sleep() {
    return [this](absl::Duration d) {
      slept.push_back(d);
      clock.Advance(d);
    };
  }
  absl::Duration elapsed() const { return clock.Now() - absl::UnixEpoch(); }
};

TEST(CallWithRetriesTest, RetriesUnavailableForRetryForWithCappedBackoff) {
  RetryPolicy policy;
  policy.max_attempts = 5;
  policy.retry_for = absl::Seconds(60);
  policy.jitter = 0;
  FakeTime time;
  int calls = 0;
  const grpc::Status status = CallWithRetries(
      policy, time.sleep(),
      [&] {
        ++calls;
        time.clock.Advance(absl::Milliseconds(10));  // each refused attempt
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
      },
      time.clock);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // 100 ms doubling up to 5 s, then 5 s waits, the last cut to end the
  // budget: the last attempt is 60 s after the first failure, not later.
  ASSERT_GE(time.slept.size(), 12u);
  EXPECT_THAT(
      std::vector<absl::Duration>(time.slept.begin(), time.slept.begin() + 7),
      ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200),
                  absl::Milliseconds(400), absl::Milliseconds(800),
                  absl::Milliseconds(1600), absl::Milliseconds(3200),
                  absl::Seconds(5)));
  for (absl::Duration d : time.slept) EXPECT_LE(d, absl::Seconds(5));
  EXPECT_EQ(time.elapsed(), absl::Milliseconds(10) + absl::Seconds(60) +
                                absl::Milliseconds(10));
  EXPECT_EQ(calls, static_cast<int>(time.slept.size()) + 1);
}

TEST(CallWithRetriesTest, AttemptsOutlastAShortRetryFor) {
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.retry_for = absl::Milliseconds(150);
  policy.jitter = 0;
  FakeTime time;
  int calls = 0;
  const grpc::Status status = CallWithRetries(
      policy, time.sleep(),
      [&] {
        ++calls;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
      },
      time.clock);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(calls, 4);
  EXPECT_THAT(time.slept,
              ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200),
                          absl::Milliseconds(400)));
}

TEST(CallWithRetriesTest, AnnouncesTheWaitOnceAndTheResumption) {
  RetryPolicy policy;
  policy.max_attempts = 2;
  policy.retry_for = absl::Seconds(30);
  policy.jitter = 0;
  std::vector<std::string> notices;
  policy.on_waiting = [&] { notices.push_back("waiting"); };
  policy.on_resumed = [&] { notices.push_back("resumed"); };
  FakeTime time;
  int calls = 0;
  // Down for 12 s, then an answer (not OK: any answer means it is back).
  const grpc::Status status = CallWithRetries(
      policy, time.sleep(),
      [&] {
        ++calls;
        return time.elapsed() < absl::Seconds(12)
                   ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")
                   : grpc::Status(grpc::StatusCode::NOT_FOUND, "no team");
      },
      time.clock);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_GT(calls, 2);
  EXPECT_THAT(notices, ElementsAre("waiting", "resumed"));

  // A first answer, and giving up, announce no resumption.
  notices.clear();
  EXPECT_TRUE(
      CallWithRetries(
          policy, time.sleep(), [] { return grpc::Status::OK; }, time.clock)
          .ok());
  policy.retry_for = absl::ZeroDuration();
  EXPECT_EQ(
      CallWithRetries(
          policy, time.sleep(),
          [] { return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"); },
          time.clock)
          .error_code(),
      grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(notices, ElementsAre("waiting"));
}

TEST(RetryRunTest, ProgressStartsANewRunWithItsOwnBudget) {
  RetryPolicy policy;
  policy.max_attempts = 1;
  policy.retry_for = absl::Seconds(10);
  policy.jitter = 0;
  FakeTime time;
  RetryRun run(policy, time.clock);
  std::mt19937 gen(1);
  std::optional<absl::Duration> wait;
  int waits = 0;
  while ((wait = run.NextWait(gen)).has_value()) {
    time.clock.Advance(*wait);
    ++waits;
  }
  EXPECT_EQ(time.elapsed(), absl::Seconds(10));
  run.Succeeded();
  // A later outage gets the whole budget again, from the short backoff.
  EXPECT_EQ(run.NextWait(gen), absl::Milliseconds(100));
  EXPECT_GT(waits, 3);
}

}  // namespace
}  // namespace orgpulse
