// ServerScaffold with a real gRPC server on 127.0.0.1:0, a fake store, and
// the health service read over a real channel.
#include "common/server/server_scaffold.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::StatusIs;
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
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string taken = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));

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
  close(fd);
}

}  // namespace
}  // namespace orgpulse
