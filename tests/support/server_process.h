// Runs a service binary as a child process for integration tests: free
// loopback ports (port 0 + --port_file), a fresh data directory, readiness
// by polling the gRPC health service, and stop by SIGTERM or SIGKILL of the
// pid this object started, nothing else.
//
// Servers run plaintext and without tokens (--plaintext,
// --allow_unauthenticated, and for insights --ingest_plaintext) unless the
// flags ask for TLS (--tls_cert_file=...) or tokens (--token_file=...); give
// set_channel_credentials for a TLS server.
//
// Example:
//   ServerProcess server(ORGPULSE_INGEST_BINARY, {"--max_teams=5"});
//   ASSERT_TRUE(server.Start().ok());
//   auto stub = v1::IngestService::NewStub(server.Channel());
//   EXPECT_EQ(server.Terminate(), 0);
#ifndef ORGPULSE_TESTS_SUPPORT_SERVER_PROCESS_H_
#define ORGPULSE_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace orgpulse::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "orgpulse-test.XXXXXX")
            .string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  ServerProcess(std::string binary, std::vector<std::string> flags,
                std::string data_dir = "")
      : binary_(std::move(binary)), flags_(std::move(flags)) {
    data_dir_ = data_dir.empty() ? dir_.path() + "/data" : data_dir;
  }
  ~ServerProcess() { Kill(); }

  const std::string& data_dir() const { return data_dir_; }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string grpc_target() const {
    return absl::StrCat("127.0.0.1:", grpc_port_);
  }

  // Starts the binary and waits (up to `timeout`) until it reports SERVING.
  absl::Status Start(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const std::string port_file = dir_.path() + "/ports";
    std::filesystem::remove(port_file);
    std::vector<std::string> args = {
        binary_, "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
        "--data_dir=" + data_dir_, "--port_file=" + port_file};
    args.insert(args.end(), flags_.begin(), flags_.end());
    auto has_flag = [&](absl::string_view prefix) {
      for (const std::string& f : flags_) {
        if (absl::StartsWith(f, prefix)) return true;
      }
      return false;
    };
    if (!has_flag("--tls_cert_file")) args.push_back("--plaintext");
    if (!has_flag("--token_file")) args.push_back("--allow_unauthenticated");
    if (has_flag("--ingest_address") && !has_flag("--ingest_ca_file")) {
      args.push_back("--ingest_plaintext");
    }
    const std::string log_path = log_path_();
    pid_ = fork();
    if (pid_ == 0) {
      // The server's stderr goes to a file the test can read (Log()); it is
      // also copied to the test's output when the server is stopped.
      FILE* log = std::fopen(log_path.c_str(), "a");
      if (log != nullptr) dup2(fileno(log), STDERR_FILENO);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::UnavailableError(absl::StrCat(
            binary_, " exited during start-up with status ", status));
      }
      std::ifstream in(port_file);
      std::string grpc, metrics;
      if (in >> grpc >> metrics) {
        grpc_port_ = std::stoi(grpc.substr(grpc.find('=') + 1));
        metrics_port_ = std::stoi(metrics.substr(metrics.find('=') + 1));
        channel_ = grpc::CreateChannel(grpc_target(), credentials_);
        if (IsServing()) return absl::OkStatus();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return absl::DeadlineExceededError("server did not become SERVING");
  }

  std::shared_ptr<grpc::Channel> Channel() const { return channel_; }

  // How Channel(), NewChannel() and the readiness check connect (before
  // Start). Plaintext by default.
  void set_channel_credentials(
      std::shared_ptr<grpc::ChannelCredentials> credentials) {
    credentials_ = std::move(credentials);
  }

  // A new channel (own HTTP/2 connection), e.g. one per client thread.
  std::shared_ptr<grpc::Channel> NewChannel() const {
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    return grpc::CreateCustomChannel(grpc_target(), credentials_, args);
  }

  bool IsServing() const {
    auto stub = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  // Everything the server wrote to stderr so far.
  std::string Log() const {
    std::ifstream in(log_path_());
    return std::string(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }

  // SIGTERM and wait; returns the exit code (-signal if killed by one).
  int Terminate() { return Stop(SIGTERM); }
  // SIGKILL and wait.
  int Kill() { return Stop(SIGKILL); }
  bool running() const { return pid_ > 0; }
  // Sends `signal` (e.g. SIGHUP) to the server without waiting.
  void Signal(int signal) {
    if (pid_ > 0) kill(pid_, signal);
  }

 private:
  int Stop(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    channel_.reset();
    std::fputs(Log().c_str(), stderr);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -WTERMSIG(status);
  }

  std::string log_path_() const { return dir_.path() + "/stderr.log"; }

  TempDir dir_;
  std::string binary_;
  std::vector<std::string> flags_;
  std::string data_dir_;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_ =
      grpc::InsecureChannelCredentials();
};

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_SERVER_PROCESS_H_
