// ServerScaffold with a real gRPC server on 127.0.0.1:0, a fake store, and
// the health service read over a real channel.
#include "common/server/server_scaffold.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/server/metrics_basic_auth.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/support/loopback.h"
#include "tests/support/run_command.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::CommandResult;
using ::orgpulse::testing::HttpGet;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::StatusIs;
using ::orgpulse::testing::TakenPort;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A store whose writability the test sets.
class FakeStore final : public StoreHealth {
 public:
  bool writable() const override {
    absl::MutexLock lock(&mu_);
    return writable_;
  }
  void SetWritableObserver(std::function<void(bool)> observer) override {
    absl::MutexLock lock(&mu_);
    observer_ = std::move(observer);
    ++observer_changes_;
  }
  void Set(bool writable) {
    absl::MutexLock lock(&mu_);
    writable_ = writable;
    if (observer_) observer_(writable);
  }
  bool observed() const {
    absl::MutexLock lock(&mu_);
    return observer_ != nullptr;
  }

 private:
  mutable absl::Mutex mu_;
  bool writable_ = true;
  std::function<void(bool)> observer_;
  int observer_changes_ = 0;
};

// Any callback service: gRPC needs one to start a server without a
// completion queue. Its methods answer UNIMPLEMENTED.
class UnimplementedService final
    : public ingest::v1::IngestService::CallbackService {};

ServerOptions PlainOptions() {
  ServerOptions options;
  options.data_dir = "unused";
  options.transport.plaintext = true;
  options.auth.allow_unauthenticated = true;
  return options;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

// The status line of GET /metrics over HTTP/1.0, with basic auth when `user`
// is not empty ("" when nothing answered).
std::string MetricsStatusLine(int port, const std::string& user = "",
                              const std::string& password = "") {
  const std::string response = HttpGet(
      port, "/metrics",
      user.empty()
          ? ""
          : absl::StrCat("Authorization: Basic ",
                         absl::Base64Escape(absl::StrCat(user, ":", password)),
                         "\r\n"));
  return response.substr(0, response.find("\r\n"));
}

// A basic-auth file in the test's temporary directory holding `text`.
std::string WriteAuthFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// "prometheus" with the password "s3cret-random" (the digest is what
// `printf %s s3cret-random | sha256sum` prints), and a comment.
constexpr char kAuthFile[] =
    "# user:sha256 of the password\n"
    "prometheus:"
    "a8c781b18d67421f5cdb48be064ae5e42b48c7ca2eeed63ce7aaa052d42eea85\n";

TEST(ValidateServerOptionsTest, NamesTheFlagThatIsOutOfRange) {
  EXPECT_TRUE(ValidateServerOptions(PlainOptions()).ok());
  ServerOptions options = PlainOptions();
  options.grpc_address = "";
  EXPECT_THAT(ValidateServerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--grpc_address")));
  options = PlainOptions();
  options.data_dir = "";
  EXPECT_THAT(
      ValidateServerOptions(options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--data_dir")));
  options = PlainOptions();
  options.max_message_bytes = 0;
  EXPECT_THAT(ValidateServerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max_message_bytes")));
  options = PlainOptions();
  options.max_concurrent_streams = -1;
  EXPECT_THAT(ValidateServerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max_concurrent_streams")));
}

TEST(ServerScaffoldTest, PrepareRefusesOptionsOutOfRangeBeforeReadingFiles) {
  ServerOptions options = PlainOptions();
  options.metrics_address = "";
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--metrics_address")));
}

TEST(ServerScaffoldTest, PrepareRefusesAPortWithoutTransportSecurityChosen) {
  ServerOptions options = PlainOptions();
  options.transport.plaintext = false;  // and no certificate either
  EXPECT_FALSE(ServerScaffold::Prepare("test", options).ok());
}

TEST(ServerScaffoldTest, ServingFollowsTheStoresWritability) {
  absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
      ServerScaffold::Prepare("test", PlainOptions());
  ASSERT_TRUE(scaffold.ok()) << scaffold.status();
  FakeStore store;
  UnimplementedService service;
  ASSERT_TRUE((*scaffold)->Serve({&service}, {}, store, "").ok());
  ASSERT_GT((*scaffold)->grpc_port(), 0);
  ASSERT_GT((*scaffold)->metrics_port(), 0);
  EXPECT_TRUE(store.observed());

  store.Set(true);
  EXPECT_EQ(Health((*scaffold)->grpc_port()),
            grpc::health::v1::HealthCheckResponse::SERVING);
  store.Set(false);
  EXPECT_EQ(Health((*scaffold)->grpc_port()),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  store.Set(true);
  EXPECT_EQ(Health((*scaffold)->grpc_port()),
            grpc::health::v1::HealthCheckResponse::SERVING);

  std::vector<std::string> steps;
  (*scaffold)->Shutdown(
      absl::ZeroDuration(), [&] { steps.push_back("before drain"); },
      [&] {
        steps.push_back("stop domain");
        return std::string("nothing stored");
      });
  EXPECT_EQ(steps, (std::vector<std::string>{"before drain", "stop domain"}));
  EXPECT_FALSE(store.observed()) << "the store still calls a drained host";
  store.Set(false);  // must not reach the host
}

TEST(ServerScaffoldTest, ATakenPortIsAnErrorNamingTheAddress) {
  // Hold a port so the scaffold cannot listen on it.
  TakenPort held;
  const std::string taken = held.address();

  for (bool grpc_port : {true, false}) {
    ServerOptions options = PlainOptions();
    (grpc_port ? options.grpc_address : options.metrics_address) = taken;
    absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
        ServerScaffold::Prepare("test", options);
    ASSERT_TRUE(scaffold.ok()) << scaffold.status();
    FakeStore store;
    UnimplementedService service;
    EXPECT_THAT((*scaffold)->Serve({&service}, {}, store, ""),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(taken)));
    EXPECT_FALSE(store.observed());
  }
}

TEST(MetricsBasicAuthTest, ParseNamesTheLineOfAMalformedEntry) {
  EXPECT_TRUE(MetricsBasicAuth::Parse(kAuthFile, "f").ok());
  EXPECT_THAT(MetricsBasicAuth::Parse("\n# only a comment\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, "f: no users"));
  EXPECT_THAT(MetricsBasicAuth::Parse("\nprometheus s3cret\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:2:")));
  EXPECT_THAT(MetricsBasicAuth::Parse("prometheus:s3cret-random", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not the password")));
  EXPECT_THAT(
      MetricsBasicAuth::Parse(absl::StrCat(kAuthFile, kAuthFile), "f"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

TEST(ServerScaffoldTest, AMissingOrMalformedMetricsAuthFileIsAStartUpError) {
  ServerOptions options = PlainOptions();
  options.metrics_basic_auth_file = ::testing::TempDir() + "/absent";
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--metrics_basic_auth_file"),
                             HasSubstr(options.metrics_basic_auth_file))));
  options.metrics_basic_auth_file =
      WriteAuthFile("malformed", "prometheus:plaintext\n");
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--metrics_basic_auth_file"),
                             HasSubstr(options.metrics_basic_auth_file))));
}

TEST(ServerScaffoldTest, MetricsAskForBasicAuthWhenAFileIsGiven) {
  ServerOptions options = PlainOptions();
  options.metrics_basic_auth_file = WriteAuthFile("metrics-users", kAuthFile);
  absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
      ServerScaffold::Prepare("test", options);
  ASSERT_TRUE(scaffold.ok()) << scaffold.status();
  FakeStore store;
  UnimplementedService service;
  ASSERT_TRUE((*scaffold)->Serve({&service}, {}, store, "").ok());
  const int port = (*scaffold)->metrics_port();

  EXPECT_EQ(MetricsStatusLine(port), "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(MetricsStatusLine(port, "prometheus", "wrong"),
            "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(MetricsStatusLine(port, "nobody", "s3cret-random"),
            "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(MetricsStatusLine(port, "prometheus", "s3cret-random"),
            "HTTP/1.1 200 OK");

  // SIGHUP's reload: a new password takes over, a broken file changes
  // nothing.
  WriteAuthFile("metrics-users",
                "prometheus:" + std::string(64, 'a') + "\n");  // no password
  EXPECT_TRUE((*scaffold)->ReloadTokens().ok());
  EXPECT_EQ(MetricsStatusLine(port, "prometheus", "s3cret-random"),
            "HTTP/1.1 401 Unauthorized");
  WriteAuthFile("metrics-users", kAuthFile);
  EXPECT_TRUE((*scaffold)->ReloadTokens().ok());
  WriteAuthFile("metrics-users", "broken\n");
  EXPECT_THAT((*scaffold)->ReloadTokens(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--metrics_basic_auth_file")));
  EXPECT_EQ(MetricsStatusLine(port, "prometheus", "s3cret-random"),
            "HTTP/1.1 200 OK");

  (*scaffold)->Shutdown(
      absl::ZeroDuration(), [] {}, [] { return std::string(); });
}

TEST(ServerScaffoldTest, MetricsAreOpenWithoutAnAuthFile) {
  absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
      ServerScaffold::Prepare("test", PlainOptions());
  ASSERT_TRUE(scaffold.ok()) << scaffold.status();
  FakeStore store;
  UnimplementedService service;
  ASSERT_TRUE((*scaffold)->Serve({&service}, {}, store, "").ok());
  EXPECT_EQ(MetricsStatusLine((*scaffold)->metrics_port()), "HTTP/1.1 200 OK");
  (*scaffold)->Shutdown(
      absl::ZeroDuration(), [] {}, [] { return std::string(); });
}

// --- TLS on /metrics -------------------------------------------------------

// A self-signed certificate for 127.0.0.1 and its key, made by openssl in
// the test's temporary directory: {name}.pem, {name}.key.
std::string MakeCertificate(const std::string& name) {
  const std::string base = ::testing::TempDir() + "/" + name;
  const CommandResult made = RunCommand(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "-keyout ",
      base, ".key -out ", base, ".pem 2>&1"));
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return base;
}

// The HTTP status of GET https://127.0.0.1:port/metrics verifying the
// server with `ca` (curl; "000" when no HTTP answer came), with basic auth
// when `user` is not empty.
std::string HttpsStatus(int port, const std::string& ca,
                        const std::string& user = "",
                        const std::string& password = "") {
  const CommandResult r = RunCommand(absl::StrCat(
      "curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert ", ca,
      user.empty() ? "" : absl::StrCat(" -u ", user, ":", password),
      " https://127.0.0.1:", port, "/metrics"));
  return r.output;
}

TEST(ServerScaffoldTest, MetricsTlsFilesAreCheckedAtStartUp) {
  const std::string cert = MakeCertificate("metrics-check");
  const std::string other = MakeCertificate("metrics-other");
  ServerOptions options = PlainOptions();
  options.metrics_tls = {.cert_file = cert + ".pem"};
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs both --metrics_tls_cert_file and "
                                 "--metrics_tls_key_file")));
  options.metrics_tls = {.cert_file = cert + ".pem",
                         .key_file = other + ".key"};
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--metrics_tls_key_file"),
                             HasSubstr("is not the key of the certificate"))));
  options.metrics_tls = {.cert_file = cert + ".key", .key_file = cert + ".key"};
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--metrics_tls_cert_file")));
  options.metrics_tls = {.cert_file = ::testing::TempDir() + "/absent.pem",
                         .key_file = cert + ".key"};
  EXPECT_THAT(ServerScaffold::Prepare("test", options),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("--metrics_tls_cert_file: cannot read")));
}

TEST(ServerScaffoldTest, MetricsOverTlsWithBasicAuthRefuseEverythingElse) {
  const std::string cert = MakeCertificate("metrics-tls");
  ServerOptions options = PlainOptions();
  options.metrics_basic_auth_file = WriteAuthFile("tls-users", kAuthFile);
  options.metrics_tls = {.cert_file = cert + ".pem", .key_file = cert + ".key"};
  // Twice in one process: civetweb loads OpenSSL again at each start.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    absl::StatusOr<std::unique_ptr<ServerScaffold>> scaffold =
        ServerScaffold::Prepare("test", options);
    ASSERT_TRUE(scaffold.ok()) << scaffold.status();
    FakeStore store;
    UnimplementedService service;
    const absl::Status served = (*scaffold)->Serve({&service}, {}, store, "");
    ASSERT_TRUE(served.ok()) << served;
    const int port = (*scaffold)->metrics_port();

    EXPECT_EQ(HttpsStatus(port, cert + ".pem", "prometheus", "s3cret-random"),
              "200");
    EXPECT_EQ(HttpsStatus(port, cert + ".pem"), "401");
    EXPECT_EQ(HttpsStatus(port, cert + ".pem", "prometheus", "wrong"), "401");
    // Plain HTTP on the TLS port gets no HTTP answer at all.
    EXPECT_EQ(MetricsStatusLine(port, "prometheus", "s3cret-random"), "");
    // And the process is still serving after all that.
    EXPECT_EQ(HttpsStatus(port, cert + ".pem", "prometheus", "s3cret-random"),
              "200");
    (*scaffold)->Shutdown(
        absl::ZeroDuration(), [] {}, [] { return std::string(); });
  }
}

}  // namespace
}  // namespace orgpulse
