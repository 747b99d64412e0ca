// Transport security and bearer tokens against the real binaries: a
// throwaway CA and certificates made with Debian's openssl, servers with
// TLS, mutual TLS and a tokens file, and clients (the client library) that
// get each part wrong in turn.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client_options.h"
#include "clients/ingest_client.h"
#include "clients/insights_client.h"
#include "common/auth/token_table.h"
#include "common/crypto/digest.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"
#include "tests/support/status_matchers.h"
#include "tools/sample_org/sample_org.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::CommandResult;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::StatusIs;
using ::orgpulse::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
namespace iv1 = ::orgpulse::ingest::v1;
namespace sv1 = ::orgpulse::insights::v1;

constexpr char kNow[] = "2026-06-15T12:00:00Z";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

int MethodCount(const std::string& service) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          service);
  return descriptor == nullptr ? -1 : descriptor->method_count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Two CAs, each with a server and a client certificate (EC P-256, valid a
// day), in a temporary directory: PATH/{ca,other-ca}.pem,
// {server,client,other-server,other-client}.{pem,key}.
class Pki {
 public:
  Pki() {
    ok_ = MakeCa("ca") && MakeCa("other-ca") &&
          MakeLeaf("server", "ca", "serverAuth") &&
          MakeLeaf("client", "ca", "clientAuth") &&
          MakeLeaf("other-server", "other-ca", "serverAuth") &&
          MakeLeaf("other-client", "other-ca", "clientAuth");
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string File(const std::string& name) const {
    return dir_.path() + "/" + name;
  }

 private:
  bool Check(const std::string& command) {
    const CommandResult r = RunCommand(command + " 2>&1");
    if (r.exit_code != 0) {
      error_ += absl::StrCat(command, ":\n", r.output, "\n");
    }
    return r.exit_code == 0;
  }
  bool MakeCa(const std::string& name) {
    return Check(absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -days 1 -subj '/CN=orgpulse test ",
        name, "' -keyout ", File(name + ".key"), " -out ",
        File(name + ".pem")));
  }
  bool MakeLeaf(const std::string& name, const std::string& ca,
                const std::string& usage) {
    const std::string ext = File(name + ".ext");
    std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                       << "extendedKeyUsage=" << usage << "\n";
    return Check(absl::StrCat(
               "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
               "-nodes -subj '/CN=orgpulse-test-",
               name, "' -keyout ", File(name + ".key"), " -out ",
               File(name + ".csr"))) &&
           Check(absl::StrCat("openssl x509 -req -days 1 -in ",
                              File(name + ".csr"), " -CA ", File(ca + ".pem"),
                              " -CAkey ", File(ca + ".key"),
                              " -CAcreateserial -extfile ", ext, " -out ",
                              File(name + ".pem")));
  }

  TempDir dir_;
  bool ok_ = false;
  std::string error_;
};

// The clients of the tests, each with its token and scopes.
struct Tokens {
  std::string pusher = RandomToken();     // ingest:push
  std::string reader = RandomToken();     // ingest:read
  std::string insights = RandomToken();   // ingest:read (insights' own)
  std::string submitter = RandomToken();  // survey:submit
  std::string analyst = RandomToken();    // insights:read
  std::string admin = RandomToken();      // ingest:admin

  std::string File() const {
    return absl::StrCat(
        "# tokens of security_test\n",
        TokenFileLine("pusher", {Scope::kIngestPush}, pusher), "\n",
        TokenFileLine("reader", {Scope::kIngestRead}, reader), "\n",
        TokenFileLine("insights", {Scope::kIngestRead}, insights), "\n",
        TokenFileLine("submitter", {Scope::kSurveySubmit}, submitter), "\n",
        TokenFileLine("analyst", {Scope::kInsightsRead}, analyst), "\n",
        TokenFileLine("admin", {Scope::kIngestAdmin}, admin), "\n");
  }
};

std::shared_ptr<grpc::ChannelCredentials> MutualTls(const Pki& pki) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(pki.File("ca.pem"));
  ssl.pem_cert_chain = ReadFile(pki.File("client.pem"));
  ssl.pem_private_key = ReadFile(pki.File("client.key"));
  return grpc::SslCredentials(ssl);
}

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new Pki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(pki_->ok()) << pki_->error();
    token_file_ = dir_.path() + "/tokens";
    std::ofstream(token_file_) << tokens_.File();
  }

  // Flags for TLS (mutual unless `mutual` is false) and the tokens file.
  std::vector<std::string> SecureFlags(bool mutual = true) const {
    std::vector<std::string> flags = {
        "--tls_cert_file=" + pki_->File("server.pem"),
        "--tls_key_file=" + pki_->File("server.key"),
        "--token_file=" + token_file_, absl::StrCat("--now=", kNow)};
    if (mutual) {
      flags.push_back("--tls_client_ca_file=" + pki_->File("ca.pem"));
    }
    return flags;
  }

  void StartIngest(bool mutual = true) {
    ingest_ = std::make_unique<ServerProcess>(ORGPULSE_INGEST_BINARY,
                                              SecureFlags(mutual));
    ingest_->set_channel_credentials(MutualTls(*pki_));
    ASSERT_TRUE(ingest_->Start().ok()) << ingest_->Log();
  }

  // The client library's options for `server` with mutual TLS and `token`.
  ClientOptions Options(const ServerProcess& server,
                        const std::string& token) const {
    ClientOptions options;
    options.address = server.grpc_target();
    options.ca_file = pki_->File("ca.pem");
    options.cert_file = pki_->File("client.pem");
    options.key_file = pki_->File("client.key");
    options.token = token;
    options.timeout = absl::Seconds(5);
    options.retry.max_attempts = 1;
    return options;
  }

  std::unique_ptr<IngestClient> Ingest(const ClientOptions& options) {
    absl::StatusOr<std::unique_ptr<IngestClient>> client =
        IngestClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  std::string Metrics(const ServerProcess& server) {
    return RunCommand(absl::StrCat("curl -sf http://127.0.0.1:",
                                   server.metrics_port(), "/metrics"))
        .output;
  }

  static Pki* pki_;
  TempDir dir_;
  Tokens tokens_;
  std::string token_file_;
  std::unique_ptr<ServerProcess> ingest_;
  std::unique_ptr<ServerProcess> insights_;
};

Pki* SecurityTest::pki_ = nullptr;

iv1::PushRequest OneEvent(const std::string& id) {
  iv1::PushRequest request;
  std::vector<iv1::Event> events = sample::SampleOrganisation(Now(), 1);
  *request.add_events() = events.front();
  request.mutable_events(0)->set_event_id(id);
  return request;
}

// --- start-up ---------------------------------------------------------------

TEST_F(SecurityTest, RefusesToStartWithoutAnExplicitTransportOrAuthChoice) {
  const std::string base = absl::StrCat(
      ORGPULSE_INGEST_BINARY, " --grpc_address=127.0.0.1:0",
      " --metrics_address=127.0.0.1:0 --data_dir=", dir_.path(), "/data");
  struct Case {
    std::string flags;
    std::string message;
  } cases[] = {
      {" --allow_unauthenticated", "pass --plaintext to serve without TLS"},
      {" --plaintext", "no --token_file"},
      {" --plaintext --allow_unauthenticated --token_file=" + token_file_,
       "exclude each other"},
      {" --plaintext --allow_unauthenticated --tls_cert_file=" +
           pki_->File("server.pem"),
       "--plaintext excludes"},
      {" --allow_unauthenticated --tls_cert_file=" + pki_->File("server.pem") +
           " --tls_key_file=" + pki_->File("client.key"),
       "is not the key of the certificate"},
      {" --allow_unauthenticated --tls_cert_file=" + pki_->File("server.key") +
           " --tls_key_file=" + pki_->File("server.key"),
       "holds no PEM certificate"},
      {" --allow_unauthenticated --tls_cert_file=" + pki_->File("server.pem") +
           " --tls_key_file=" + pki_->File("server.key") +
           " --tls_client_ca_file=" + dir_.path() + "/missing.pem",
       "--tls_client_ca_file: cannot read"},
      {" --plaintext --token_file=" + dir_.path() + "/missing",
       "cannot read the tokens file"},
  };
  for (const Case& c : cases) {
    auto [status, out] = RunCommand(base + c.flags + " 2>&1");
    EXPECT_NE(status, 0) << c.flags;
    EXPECT_THAT(out, HasSubstr(c.message)) << c.flags;
  }
}

// --- transport --------------------------------------------------------------

TEST_F(SecurityTest, TlsServerRefusesPlaintextAndForeignCertificates) {
  StartIngest();
  auto list_teams = [&](std::shared_ptr<grpc::ChannelCredentials> creds) {
    auto stub = iv1::IngestService::NewStub(
        grpc::CreateChannel(ingest_->grpc_target(), creds));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(3));
    context.AddMetadata("authorization", "Bearer " + tokens_.reader);
    iv1::ListTeamsResponse response;
    return stub->ListTeams(&context, iv1::ListTeamsRequest(), &response);
  };
  auto tls = [&](const std::string& ca, const std::string& cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(pki_->File(ca + ".pem"));
    if (!cert.empty()) {
      ssl.pem_cert_chain = ReadFile(pki_->File(cert + ".pem"));
      ssl.pem_private_key = ReadFile(pki_->File(cert + ".key"));
    }
    return grpc::SslCredentials(ssl);
  };
  // The right CA, a client certificate, a token: served.
  EXPECT_TRUE(list_teams(tls("ca", "client")).ok());
  // No TLS to a TLS server.
  EXPECT_EQ(list_teams(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Verifying the server with another CA.
  EXPECT_EQ(list_teams(tls("other-ca", "client")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Mutual TLS: no client certificate, or one from another CA.
  EXPECT_EQ(list_teams(tls("ca", "")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(list_teams(tls("ca", "other-client")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // And still serving the right client after all that.
  EXPECT_TRUE(list_teams(tls("ca", "client")).ok());
}

TEST_F(SecurityTest, ClientLibraryTalksTlsWithoutClientCertificate) {
  StartIngest(/*mutual=*/false);
  ClientOptions options = Options(*ingest_, tokens_.pusher);
  options.cert_file.clear();
  options.key_file.clear();
  std::unique_ptr<IngestClient> client = Ingest(options);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<iv1::PushResponse> pushed = client->Push(OneEvent("e-1"));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->accepted(), 1);

  // The system's roots do not know the test CA.
  options.ca_file.clear();
  options.tls = true;
  std::unique_ptr<IngestClient> unverified = Ingest(options);
  EXPECT_THAT(unverified->Push(OneEvent("e-2")),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(SecurityTest, RenewedCertificateIsServedWithoutRestart) {
  const std::string cert = dir_.path() + "/tls.crt";
  const std::string key = dir_.path() + "/tls.key";
  auto install = [&](const std::string& name) {
    // Key first, then certificate: a half-done pair is skipped by the
    // watcher, which keeps serving the last good one.
    std::ofstream(key + ".new") << ReadFile(pki_->File(name + ".key"));
    std::rename((key + ".new").c_str(), key.c_str());
    std::ofstream(cert + ".new") << ReadFile(pki_->File(name + ".pem"));
    std::rename((cert + ".new").c_str(), cert.c_str());
  };
  install("server");
  ingest_ = std::make_unique<ServerProcess>(
      ORGPULSE_INGEST_BINARY,
      std::vector<std::string>{
          "--tls_cert_file=" + cert, "--tls_key_file=" + key,
          "--tls_reload_interval=1s", "--token_file=" + token_file_});
  auto trusting = [&](const std::string& ca) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(pki_->File(ca + ".pem"));
    return grpc::SslCredentials(ssl);
  };
  ingest_->set_channel_credentials(trusting("ca"));
  ASSERT_TRUE(ingest_->Start().ok()) << ingest_->Log();
  // Each try on a new connection: an open one keeps its handshake.
  auto served = [&](const std::string& ca) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    auto stub = iv1::IngestService::NewStub(
        grpc::CreateCustomChannel(ingest_->grpc_target(), trusting(ca), args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(3));
    context.AddMetadata("authorization", "Bearer " + tokens_.reader);
    iv1::ListTeamsResponse response;
    return stub->ListTeams(&context, iv1::ListTeamsRequest(), &response).ok();
  };
  EXPECT_TRUE(served("ca"));
  EXPECT_FALSE(served("other-ca"));

  install("other-server");  // the renewed certificate, from another CA
  bool renewed = false;
  for (int i = 0; i < 50 && !renewed; ++i) {  // bounded: ~10 s
    renewed = served("other-ca");
    if (!renewed) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(renewed) << "the new certificate was not served";
  EXPECT_FALSE(served("ca"));
  EXPECT_TRUE(ingest_->running());
}

// --- tokens -----------------------------------------------------------------

TEST_F(SecurityTest, EveryIngestMethodNeedsTheRightScope) {
  StartIngest();
  // A new method must be added here (and given a scope) to pass.
  ASSERT_EQ(MethodCount("orgpulse.ingest.v1.IngestService"), 7);
  iv1::RemoveEventsRequest remove;
  remove.set_source("jira");
  iv1::GetTeamTrendRequest trend;
  trend.set_team("eng");
  auto with = [&](const std::string& token) {
    return Ingest(Options(*ingest_, token));
  };
  const std::string unknown = RandomToken();
  struct Caller {
    std::string name;
    std::string token;
  };
  const Caller nobody{"no token", ""}, stranger{"unknown token", unknown};
  for (const Caller& c : {nobody, stranger}) {
    SCOPED_TRACE(c.name);
    auto client = with(c.token);
    auto refused =
        StatusIs(absl::StatusCode::kUnauthenticated,
                 AllOf(Not(HasSubstr(unknown)),
                       c.token.empty() ? HasSubstr("needs a bearer token")
                                       : HasSubstr("not known")));
    EXPECT_THAT(client->Push(OneEvent("e-1")), refused);
    const std::vector<iv1::Event> events = sample::SampleOrganisation(Now(), 1);
    VectorBatchSource source(events, 10);  // holds a view of `events`
    EXPECT_THAT(client->PushStream(source).status, refused);
    EXPECT_THAT(client->ListTeams(""), refused);
    EXPECT_THAT(client->GetTeamExecution("eng"), refused);
    EXPECT_THAT(client->RemoveEvents(remove), refused);
    EXPECT_THAT(client->ListTeamExecutions(0, ""), refused);
    EXPECT_THAT(client->GetTeamTrend(trend), refused);
  }
  // Right token, wrong scope: PERMISSION_DENIED naming the scope.
  auto reader = with(tokens_.reader);
  EXPECT_THAT(reader->Push(OneEvent("e-1")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("ingest:push"), HasSubstr("reader"),
                             Not(HasSubstr(tokens_.reader)))));
  auto pusher = with(tokens_.pusher);
  EXPECT_THAT(pusher->ListTeams(""),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("ingest:read"),
                             Not(HasSubstr(tokens_.pusher)))));
  EXPECT_THAT(pusher->GetTeamExecution("eng"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (auto* client : {reader.get(), pusher.get()}) {
    EXPECT_THAT(client->RemoveEvents(remove),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("ingest:admin")));
  }
  EXPECT_THAT(
      pusher->ListTeamExecutions(0, ""),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ingest:read")));
  EXPECT_THAT(
      pusher->GetTeamTrend(trend),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ingest:read")));
  // Right scope: served.
  const std::vector<iv1::Event> events = sample::SampleOrganisation(Now(), 1);
  VectorBatchSource source(events, 500);
  PushOutcome pushed = pusher->PushStream(source);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status;
  EXPECT_EQ(pushed.acknowledged.events, static_cast<int64_t>(events.size()));
  absl::StatusOr<iv1::ListTeamsResponse> teams = reader->ListTeams("");
  ASSERT_TRUE(teams.ok()) << teams.status();
  EXPECT_GT(teams->teams_size(), 0);
  EXPECT_TRUE(reader->GetTeamExecution("eng").ok());
  remove.set_dry_run(true);
  EXPECT_TRUE(with(tokens_.admin)->RemoveEvents(remove).ok());
  absl::StatusOr<iv1::ListTeamExecutionsResponse> page =
      reader->ListTeamExecutions(0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_GT(page->executions_size(), 0);
  absl::StatusOr<iv1::TeamTrend> served_trend = reader->GetTeamTrend(trend);
  ASSERT_TRUE(served_trend.ok()) << served_trend.status();
  EXPECT_EQ(served_trend->points_size(), 12);

  // Health stays open: no token needed.
  auto health = grpc::health::v1::Health::NewStub(ingest_->Channel());
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(
      health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response)
          .ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // One refusal of each kind per method (GetTeamTrend the seventh).
  const std::string metrics = Metrics(*ingest_);
  EXPECT_THAT(
      metrics,
      HasSubstr("orgpulse_auth_refused_calls_total{reason=\"no_token\"} 7"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          "orgpulse_auth_refused_calls_total{reason=\"unknown_token\"} 7"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          "orgpulse_auth_refused_calls_total{reason=\"missing_scope\"} 7"));
  EXPECT_THAT(metrics, HasSubstr("orgpulse_auth_tokens 6"));
  // No token, and no digest of one, ever reaches the logs or metrics.
  for (const std::string& t :
       {tokens_.pusher, tokens_.reader, tokens_.admin, unknown}) {
    EXPECT_THAT(metrics + ingest_->Log(), Not(HasSubstr(t)));
  }
}

TEST_F(SecurityTest, SighupReloadsTokensAndKeepsThemWhenTheFileIsBroken) {
  StartIngest();
  auto pusher = Ingest(Options(*ingest_, tokens_.pusher));
  ASSERT_TRUE(pusher->Push(OneEvent("e-1")).ok());

  // Replace the pusher by a new client.
  const std::string newcomer = RandomToken();
  std::ofstream(token_file_, std::ios::trunc)
      << TokenFileLine("newcomer", {Scope::kIngestPush}, newcomer) << "\n";
  ingest_->Signal(SIGHUP);
  auto fresh = Ingest(Options(*ingest_, newcomer));
  absl::Status status;
  for (int i = 0; i < 100; ++i) {  // bounded: 5 s
    status = fresh->Push(OneEvent("e-2")).status();
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(pusher->Push(OneEvent("e-3")),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // A broken file: the reload fails, the tokens in force stay.
  std::ofstream(token_file_, std::ios::trunc) << "newcomer ingest:push\n";
  ingest_->Signal(SIGHUP);
  for (int i = 0; i < 100; ++i) {
    if (Metrics(*ingest_).find(
            "orgpulse_auth_reloads_total{result=\"error\"} 1") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(Metrics(*ingest_),
              HasSubstr("orgpulse_auth_reloads_total{result=\"error\"} 1"));
  EXPECT_THAT(ingest_->Log(),
              HasSubstr("tokens not reloaded, the old ones stay"));
  EXPECT_TRUE(fresh->Push(OneEvent("e-4")).ok());
  EXPECT_EQ(ingest_->Terminate(), 0);  // SIGHUP did not end the process
}

// --- insights, and insights reading ingest with its own token ----------------

class InsightsSecurityTest : public SecurityTest {
 protected:
  void StartInsights(const std::string& ingest_token) {
    const std::string key_file = dir_.path() + "/respondent.key";
    std::ofstream(key_file) << "security-test-secret-0123456789\n";
    const std::string ingest_token_file = dir_.path() + "/insights.token";
    std::ofstream(ingest_token_file, std::ios::trunc) << ingest_token << "\n";
    std::vector<std::string> flags = SecureFlags();
    flags.push_back("--respondent_key_file=" + key_file);
    flags.push_back("--ingest_address=" + ingest_->grpc_target());
    flags.push_back("--ingest_ca_file=" + pki_->File("ca.pem"));
    flags.push_back("--ingest_cert_file=" + pki_->File("client.pem"));
    flags.push_back("--ingest_key_file=" + pki_->File("client.key"));
    flags.push_back("--ingest_token_file=" + ingest_token_file);
    flags.push_back("--ingest_refresh=200ms");
    insights_ =
        std::make_unique<ServerProcess>(ORGPULSE_INSIGHTS_BINARY, flags);
    insights_->set_channel_credentials(MutualTls(*pki_));
    ASSERT_TRUE(insights_->Start().ok()) << insights_->Log();
  }

  void PushSampleOrganisation() {
    auto pusher = Ingest(Options(*ingest_, tokens_.pusher));
    const std::vector<iv1::Event> events = sample::SampleOrganisation(Now());
    VectorBatchSource source(events, 2000);
    ASSERT_TRUE(pusher->PushStream(source).status.ok());
  }

  std::unique_ptr<InsightsClient> Insights(const std::string& token) {
    absl::StatusOr<std::unique_ptr<InsightsClient>> client =
        InsightsClient::Connect(Options(*insights_, token));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
};

TEST_F(InsightsSecurityTest, ReadsIngestWithItsOwnTokenOverMutualTls) {
  StartIngest();
  PushSampleOrganisation();
  StartInsights(tokens_.insights);
  // Every method's scope is checked below.
  ASSERT_EQ(MethodCount("orgpulse.insights.v1.InsightsService"), 4);

  auto submitter = Insights(tokens_.submitter);
  SubmitOutcome submitted =
      submitter->Submit(sample::SampleSurveyResponses(Now()));
  ASSERT_TRUE(submitted.status.ok()) << submitted.status;

  auto analyst = Insights(tokens_.analyst);
  absl::StatusOr<sv1::TeamInsights> team;
  for (int i = 0; i < 100; ++i) {  // bounded: 5 s for the first refresh
    team = analyst->GetTeamInsights("eng/search");
    if (team.ok() && team->execution().available()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(team.ok()) << team.status();
  EXPECT_TRUE(team->execution().available());
  EXPECT_FALSE(team->execution().stale());
  EXPECT_TRUE(analyst->ListTeamInsights("").ok());

  // Scopes on insights' side.
  EXPECT_THAT(analyst->Submit(sample::SampleSurveyResponses(Now())).status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("survey:submit")));
  EXPECT_THAT(submitter->GetTeamInsights("eng/search"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("insights:read")));
  auto nobody = Insights("");
  EXPECT_THAT(nobody->ListTeamInsights(""),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(nobody->GetTeamInsights("eng"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(nobody->Submit(sample::SampleSurveyResponses(Now())).status,
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      analyst->EraseRespondent("person-eng/search-1@example.com"),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("survey:erase")));
  EXPECT_THAT(
      submitter->EraseRespondent("person-eng/search-1@example.com"),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("survey:erase")));
  EXPECT_THAT(nobody->EraseRespondent("person-eng/search-1@example.com"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Ingest refused none of insights' calls.
  EXPECT_THAT(
      Metrics(*ingest_),
      HasSubstr(
          "orgpulse_auth_refused_calls_total{reason=\"missing_scope\"} 0"));
}

TEST_F(InsightsSecurityTest,
       AWrongIngestTokenShowsAsIngestRefusingUntilRotated) {
  StartIngest();
  PushSampleOrganisation();
  StartInsights(tokens_.submitter);  // a token without ingest:read
  for (int i = 0; i < 100; ++i) {
    if (insights_->Log().find("lacks the scope ingest:read") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(insights_->Log(), HasSubstr("lacks the scope ingest:read"));
  EXPECT_THAT(insights_->Log(), Not(HasSubstr(tokens_.submitter)));
  EXPECT_THAT(Metrics(*insights_), HasSubstr("orgpulse_ingest_up 0"));

  // The operator puts the right token in place and sends SIGHUP: no restart.
  std::ofstream(dir_.path() + "/insights.token", std::ios::trunc)
      << tokens_.insights << "\n";
  insights_->Signal(SIGHUP);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {  // bounded: 10 s (backoff included)
    up = Metrics(*insights_).find("orgpulse_ingest_up 1") != std::string::npos;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(up) << insights_->Log();
}

}  // namespace
}  // namespace orgpulse
