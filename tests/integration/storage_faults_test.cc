// Storage faults against the real ingest binary (docs/storage-faults.md):
// - a full disk (a small tmpfs filled with a ballast file), for ingest and
//   insights: pushes get
//   RESOURCE_EXHAUSTED and no acknowledgement, health goes NOT_SERVING,
//   reads go on; once the ballast is deleted the service turns SERVING by
//   itself, and after a restart every acknowledged event is there;
// - after SIGKILL under load, a torn write-ahead log tail starts with every
//   acknowledged event; a damaged committed frame, or a damaged database
//   file, makes the binary refuse to start (non-zero exit, a message naming
//   the file), never serve;
// - a data directory the service cannot use (read-only, a file) stops
//   start-up with exit code 1 and one line naming it.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/storage/wal_check.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "services/ingest/grpc/conversion.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::CommandResult;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TempDir;

constexpr char kNow[] = "2026-03-15T12:00:00Z";
const std::vector<std::string> kFlags = {absl::StrCat("--now=", kNow)};
const std::vector<std::string> kTeams = {"eng/payments", "eng/search", "ops"};

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

// `n` events with ids `prefix`-0.. (costs and tasks over a few teams).
v1::PushRequest Request(const std::string& prefix, int n) {
  v1::PushRequest request;
  for (int i = 0; i < n; ++i) {
    Event e;
    e.event_id = absl::StrCat(prefix, "-", i);
    e.source = "erp";
    e.team = kTeams[i % kTeams.size()];
    e.occurred_at = Now() - absl::Minutes(i % 5000);
    if (i % 2) {
      e.payload = CostActual{absl::StrCat("p", i % 3), 0.25 * (i % 97)};
    } else {
      e.payload = TaskCreated{absl::StrCat("T-", prefix, i),
                              Now() + absl::Hours(i % 300), 2};
    }
    *request.add_events() = ToProto(e);
  }
  return request;
}

grpc::Status Push(v1::IngestService::Stub& stub, const v1::PushRequest& request,
                  v1::PushResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return stub.Push(&context, request, response);
}

// Every event of `acked` re-pushed: all must be duplicates.
void ExpectAllStored(v1::IngestService::Stub& stub,
                     const std::vector<v1::PushRequest>& acked) {
  int64_t events = 0, duplicates = 0, accepted = 0;
  for (const v1::PushRequest& request : acked) {
    v1::PushResponse response;
    ASSERT_TRUE(Push(stub, request, &response).ok());
    events += request.events_size();
    duplicates += response.duplicates();
    accepted += response.accepted();
  }
  EXPECT_EQ(accepted, 0) << "acknowledged events were lost";
  EXPECT_EQ(duplicates, events);
}

std::vector<std::string> Figures(v1::IngestService::Stub& stub) {
  std::vector<std::string> out;
  for (const char* team : {"eng", "eng/payments", "eng/search", "ops"}) {
    grpc::ClientContext context;
    v1::GetTeamExecutionRequest request;
    request.set_team(team);
    v1::TeamExecution figures;
    EXPECT_TRUE(stub.GetTeamExecution(&context, request, &figures).ok())
        << team;
    out.push_back(figures.SerializeAsString());
  }
  return out;
}

// A tmpfs of `size` at `dir`, unmounted (lazily, if still busy) on
// destruction.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0,
                     absl::StrCat("size=", size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_ && umount2(dir_.c_str(), 0) != 0) {
      umount2(dir_.c_str(), MNT_DETACH);
    }
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes a file at `path` until the file system is full, then gives back
// `room` bytes.
void FillWithBallast(const std::string& path, off_t room = 0) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::string chunk(64 << 10, 'b');
  off_t size = 0;
  ssize_t n;
  while ((n = write(fd, chunk.data(), chunk.size())) > 0) size += n;
  while ((n = write(fd, chunk.data(), 512)) > 0) size += n;  // the last bytes
  ASSERT_EQ(ftruncate(fd, size - room), 0);
  close(fd);
}

std::string Scrape(const ServerProcess& server) {
  const std::string command = absl::StrCat(
      "curl -sf http://127.0.0.1:", server.metrics_port(), "/metrics");
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

TEST(StorageFaultsTest, FullDiskRefusesPushesThenRecoversByItself) {
  TempDir root;
  const std::string fs = root.path() + "/fs";
  TmpfsMount tmpfs(fs, "8M");
  if (!tmpfs.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs at " << fs << " (" << tmpfs.error()
                 << "); this test needs root (CAP_SYS_ADMIN)";
  }
  const std::string data = fs + "/ingest";
  std::vector<v1::PushRequest> acked;
  std::vector<std::string> figures;
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
    ASSERT_TRUE(server.Start().ok());
    auto stub = v1::IngestService::NewStub(server.Channel());
    for (int i = 0; i < 10; ++i) {
      acked.push_back(Request(absl::StrCat("before-", i), 100));
      v1::PushResponse response;
      ASSERT_TRUE(Push(*stub, acked.back(), &response).ok());
    }
    EXPECT_NE(Scrape(server).find("orgpulse_store_writable 1"),
              std::string::npos);

    // Less room than a push of 2,000 events takes (about 160 KB): the commit
    // that fails has written part of its frames to the log.
    FillWithBallast(fs + "/ballast", 64 << 10);
    // Pushes go on while the write-ahead log has room; then one fails.
    grpc::Status failed;
    int pushes = 0;
    for (; pushes < 100; ++pushes) {
      const v1::PushRequest request =
          Request(absl::StrCat("full-", pushes), 2000);
      v1::PushResponse response;
      failed = Push(*stub, request, &response);
      if (!failed.ok()) break;
      acked.push_back(request);
    }
    ASSERT_FALSE(failed.ok()) << "no push failed on a full disk";
    EXPECT_EQ(failed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << failed.error_message();
    EXPECT_NE(failed.error_message().find("disk is full"), std::string::npos)
        << failed.error_message();
    EXPECT_FALSE(server.IsServing());
    EXPECT_NE(Scrape(server).find("orgpulse_store_writable 0"),
              std::string::npos);

    // While full: pushes of new events fail at once, reads answer.
    const absl::Time start = absl::Now();
    v1::PushResponse response;
    const grpc::Status again =
        Push(*stub, Request("while-full", 100), &response);
    EXPECT_EQ(again.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(again.error_message().find("out of space"), std::string::npos)
        << again.error_message();
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
    const std::vector<std::string> while_full = Figures(*stub);

    // Space returns: SERVING again by itself, within a bound.
    ASSERT_EQ(unlink((fs + "/ballast").c_str()), 0);
    const absl::Time freed = absl::Now();
    while (!server.IsServing() && absl::Now() - freed < absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    const absl::Duration recovery = absl::Now() - freed;
    ASSERT_TRUE(server.IsServing()) << "not SERVING 10 s after space returned";
    EXPECT_LT(recovery, absl::Seconds(3));
    std::cout << "full after " << pushes << " pushes; SERVING "
              << absl::FormatDuration(recovery) << " after space returned\n";
    EXPECT_EQ(Figures(*stub), while_full) << "a refused push changed figures";

    acked.push_back(Request("after", 100));
    ASSERT_TRUE(Push(*stub, acked.back(), &response).ok());
    EXPECT_EQ(response.accepted(), 100);
    figures = Figures(*stub);
    // Killed: the log may still hold frames of the failed commit after the
    // last good one, which the start-up check must not take for damage.
    EXPECT_EQ(server.Kill(), -SIGKILL);
  }
  absl::StatusOr<WalReport> report = InspectWal(data + "/events.db-wal");
  ASSERT_TRUE(report.ok()) << report.status();
  std::cout << report->Describe() << "\n";
  EXPECT_FALSE(report->damaged());
  EXPECT_GE(report->break_offset, 0) << "expected frames past the last commit";

  // Restarted: every acknowledged event is there, the figures the same.
  ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
  ASSERT_TRUE(server.Start().ok());
  auto stub = v1::IngestService::NewStub(server.Channel());
  EXPECT_EQ(Figures(*stub), figures);
  ExpectAllStored(*stub, acked);
  EXPECT_EQ(server.Terminate(), 0);
}

// The same for insights' survey store.
TEST(StorageFaultsTest, FullDiskRefusesSurveysThenRecoversByItself) {
  TempDir root;
  const std::string fs = root.path() + "/fs";
  TmpfsMount tmpfs(fs, "8M");
  if (!tmpfs.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs at " << fs << " (" << tmpfs.error()
                 << "); this test needs root (CAP_SYS_ADMIN)";
  }
  const std::string key_file = root.path() + "/respondent.key";
  std::ofstream(key_file) << "test-secret-0123456789abcdef\n";
  const std::vector<std::string> flags = {
      "--now=2026-11-20T12:00:00Z", "--ingest_address=127.0.0.1:1",
      "--ingest_deadline=100ms", "--respondent_key_file=" + key_file};
  absl::Time now;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, "2026-11-20T12:00:00Z", &now, &error);
  const auto sample = sample::SampleSurveyResponses(now);
  // Batches of distinct responses: the sample's, renamed per batch.
  auto batch = [&](int n) {
    insights::v1::SubmitSurveyResponsesRequest request;
    for (size_t i = 0; i < sample.size() && i < 100; ++i) {
      insights::v1::SurveyResponse* r = request.add_responses();
      *r = sample[i];
      r->set_response_id(absl::StrCat(r->response_id(), "-", n));
    }
    return request;
  };
  auto submit = [](insights::v1::InsightsService::Stub& stub,
                   const insights::v1::SubmitSurveyResponsesRequest& request,
                   insights::v1::SubmitSurveyResponsesResponse* response) {
    grpc::ClientContext context;
    return stub.SubmitSurveyResponses(&context, request, response);
  };

  const std::string data = fs + "/insights";
  std::vector<insights::v1::SubmitSurveyResponsesRequest> acked;
  {
    ServerProcess server(ORGPULSE_INSIGHTS_BINARY, flags, data);
    ASSERT_TRUE(server.Start().ok()) << server.Log();
    auto stub = insights::v1::InsightsService::NewStub(server.Channel());
    insights::v1::SubmitSurveyResponsesResponse response;
    acked.push_back(batch(0));
    ASSERT_TRUE(submit(*stub, acked.back(), &response).ok());
    ASSERT_GT(response.accepted(), 0);

    FillWithBallast(fs + "/ballast");
    grpc::Status failed;
    for (int n = 1; n < 500; ++n) {
      const auto request = batch(n);
      failed = submit(*stub, request, &response);
      if (!failed.ok()) break;
      acked.push_back(request);
    }
    ASSERT_FALSE(failed.ok()) << "no submission failed on a full disk";
    EXPECT_EQ(failed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << failed.error_message();
    EXPECT_FALSE(server.IsServing());
    EXPECT_NE(Scrape(server).find("orgpulse_store_writable 0"),
              std::string::npos);

    ASSERT_EQ(unlink((fs + "/ballast").c_str()), 0);
    const absl::Time freed = absl::Now();
    while (!server.IsServing() && absl::Now() - freed < absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_TRUE(server.IsServing()) << "not SERVING 10 s after space returned";
    EXPECT_LT(absl::Now() - freed, absl::Seconds(3));
    acked.push_back(batch(1000));
    ASSERT_TRUE(submit(*stub, acked.back(), &response).ok());
    EXPECT_GT(response.accepted(), 0);
    EXPECT_EQ(server.Terminate(), 0);
  }

  ServerProcess server(ORGPULSE_INSIGHTS_BINARY, flags, data);
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  auto stub = insights::v1::InsightsService::NewStub(server.Channel());
  for (const auto& request : acked) {
    insights::v1::SubmitSurveyResponsesResponse response;
    ASSERT_TRUE(submit(*stub, request, &response).ok());
    EXPECT_EQ(response.accepted(), 0) << "acknowledged responses were lost";
    EXPECT_EQ(response.duplicates(), request.responses_size());
  }
  EXPECT_EQ(server.Terminate(), 0);
}

// Pushes from two clients for a moment, then SIGKILLs the server. Returns
// the acknowledged requests.
std::vector<v1::PushRequest> LoadThenKill(const std::string& data,
                                          const std::string& tag) {
  ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
  EXPECT_TRUE(server.Start().ok());
  std::mutex mu;
  std::vector<v1::PushRequest> acked;
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c, channel = server.NewChannel()] {
      auto stub = v1::IngestService::NewStub(channel);
      for (int i = 0; i < 100'000; ++i) {
        v1::PushRequest request = Request(absl::StrCat(tag, c, "-", i), 50);
        v1::PushResponse response;
        if (!Push(*stub, request, &response).ok()) return;
        std::lock_guard<std::mutex> lock(mu);
        acked.push_back(std::move(request));
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(server.Kill(), -SIGKILL);
  for (auto& c : clients) c.join();
  return acked;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}
void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Byte offsets of the commit frames SQLite would recover.
std::vector<int64_t> CommitFrames(const WalReport& report,
                                  const std::string& wal) {
  std::vector<int64_t> out;
  const int64_t frame = 24 + report.page_size;
  for (int64_t i = 0; i < report.recovered_frames; ++i) {
    const int64_t at = 32 + i * frame;
    if (wal[at + 4] || wal[at + 5] || wal[at + 6] || wal[at + 7]) {
      out.push_back(at);
    }
  }
  return out;
}

TEST(StorageFaultsTest, TornWalTailAfterKillStartsWithEveryAcknowledgedEvent) {
  TempDir root;
  const std::string data = root.path() + "/ingest";
  const std::string wal_path = data + "/events.db-wal";
  const std::vector<v1::PushRequest> acked = LoadThenKill(data, "torn");
  ASSERT_GT(acked.size(), 10u) << "the load was too light to test much";

  absl::StatusOr<WalReport> report = InspectWal(wal_path);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_FALSE(report->damaged()) << report->Describe();
  ASSERT_GT(report->recovered_commits, 0) << report->Describe();
  // The crash tore the next commit: its first frame's header is written
  // (a copy of the last commit frame's), half its page is not.
  std::string wal = ReadFile(wal_path);
  const int64_t end = 32 + report->recovered_frames * (24 + report->page_size);
  const int64_t last = CommitFrames(*report, wal).back();
  wal = wal.substr(0, end) + wal.substr(last, 24) +
        std::string(report->page_size / 2, '\x77');
  WriteFile(wal_path, wal);

  ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  EXPECT_NE(server.Log().find("torn tail"), std::string::npos);
  auto stub = v1::IngestService::NewStub(server.Channel());
  ExpectAllStored(*stub, acked);
  EXPECT_EQ(server.Terminate(), 0);
}

TEST(StorageFaultsTest, DamagedCommittedWalFrameRefusesToStart) {
  TempDir root;
  const std::string data = root.path() + "/ingest";
  const std::string wal_path = data + "/events.db-wal";
  // The background checkpoint restarts the log every 250 ms: load until
  // the log left by a kill holds a few commits.
  absl::StatusOr<WalReport> report;
  std::string wal;
  std::vector<int64_t> commits;
  for (int attempt = 0; attempt < 5 && commits.size() < 3; ++attempt) {
    LoadThenKill(data, absl::StrCat("damage", attempt));
    report = InspectWal(wal_path);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_FALSE(report->damaged()) << report->Describe();
    wal = ReadFile(wal_path);
    commits = CommitFrames(*report, wal);
  }
  ASSERT_GE(commits.size(), 3u) << report->Describe();

  // Flip bytes in the page of a commit in the middle; later ones intact.
  const int64_t damaged = commits[commits.size() / 2];
  for (int64_t i = damaged + 200; i < damaged + 208; ++i) wal[i] ^= 0x5a;
  WriteFile(wal_path, wal);

  ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
  const absl::Status started = server.Start();
  EXPECT_FALSE(started.ok()) << "served from a damaged log";
  EXPECT_NE(started.message().find("exited during start-up"), std::string::npos)
      << started;
  const std::string log = server.Log();
  EXPECT_NE(log.find(wal_path), std::string::npos) << log;
  EXPECT_NE(log.find(absl::StrCat("byte offset ", damaged)), std::string::npos)
      << log;
  EXPECT_NE(log.find("discard_damaged_wal"), std::string::npos) << log;
  EXPECT_EQ(ReadFile(wal_path), wal) << "the refused start changed the log";
}

TEST(StorageFaultsTest, DamagedDatabaseFileRefusesToStart) {
  TempDir root;
  const std::string data = root.path() + "/ingest";
  {
    ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
    ASSERT_TRUE(server.Start().ok());
    auto stub = v1::IngestService::NewStub(server.Channel());
    for (int i = 0; i < 20; ++i) {
      v1::PushResponse response;
      ASSERT_TRUE(
          Push(*stub, Request(absl::StrCat("db-", i), 200), &response).ok());
    }
    EXPECT_EQ(server.Terminate(), 0);  // the log is checkpointed away
  }
  const std::string db_path = data + "/events.db";
  ASSERT_FALSE(std::filesystem::exists(db_path + "-wal"));
  std::string db = ReadFile(db_path);
  ASSERT_GT(db.size(), 2u * 4096);
  db[4096] = '\x01';  // page 2 (the table's root): not a b-tree page type
  WriteFile(db_path, db);

  ServerProcess server(ORGPULSE_INGEST_BINARY, kFlags, data);
  EXPECT_FALSE(server.Start().ok()) << "served from a damaged database";
  const std::string log = server.Log();
  EXPECT_NE(log.find(db_path), std::string::npos) << log;
  EXPECT_NE(log.find("integrity check"), std::string::npos) << log;
}

// Runs `binary` with `flags` until it exits (start-up is expected to fail;
// a service that starts anyway is stopped after 30 s: exit code 124),
// without root's override of file permissions: as root, through setpriv
// without CAP_DAC_OVERRIDE. Empty output and exit code -1 if that is not
// possible.
CommandResult StartWithFilePermissions(const std::string& binary,
                                       const std::vector<std::string>& flags) {
  std::string command = "timeout 30 ";
  if (geteuid() == 0) {
    if (RunCommand("setpriv --version >/dev/null 2>&1").exit_code != 0) {
      return {};
    }
    command +=
        "setpriv --inh-caps=-dac_override,-dac_read_search "
        "--bounding-set=-dac_override,-dac_read_search ";
  }
  absl::StrAppend(&command, binary,
                  " --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0"
                  " --plaintext --allow_unauthenticated");
  for (const std::string& flag : flags) absl::StrAppend(&command, " ", flag);
  return RunCommand(command + " 2>&1");
}

TEST(StorageFaultsTest, ReadOnlyDataDirectoryStopsStartUpNamingIt) {
  TempDir root;
  const std::string key_file = root.path() + "/respondent.key";
  std::ofstream(key_file) << "test-secret-0123456789abcdef\n";
  const std::string data = root.path() + "/data";
  std::filesystem::create_directories(data);
  ASSERT_EQ(chmod(data.c_str(), 0555), 0);
  for (const auto& [binary, flags] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {ORGPULSE_INGEST_BINARY, {"--data_dir=" + data}},
           {ORGPULSE_INSIGHTS_BINARY,
            {"--data_dir=" + data, "--ingest_address=127.0.0.1:1",
             "--ingest_plaintext", "--respondent_key_file=" + key_file}}}) {
    const CommandResult r = StartWithFilePermissions(binary, flags);
    if (r.exit_code == -1 && r.output.empty()) {
      GTEST_SKIP() << "running as root without setpriv: cannot start a "
                      "service that file permissions bind";
    }
    EXPECT_EQ(r.exit_code, 1) << binary << ": " << r.output;
    EXPECT_NE(r.output.find("data directory " + data + " is not writable"),
              std::string::npos)
        << binary << ": " << r.output;
    EXPECT_EQ(r.output.find("unable to open"), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1)
        << binary << ": " << r.output;
  }
}

TEST(StorageFaultsTest, DataDirectoryThatIsAFileStopsStartUpNamingIt) {
  TempDir root;
  const std::string data = root.path() + "/data";
  std::ofstream(data) << "a file\n";
  const CommandResult r = RunCommand(
      absl::StrCat("timeout 30 ", ORGPULSE_INGEST_BINARY, " --data_dir=", data,
                   " --grpc_address=127.0.0.1:0"
                   " --metrics_address=127.0.0.1:0 --plaintext"
                   " --allow_unauthenticated 2>&1"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("data directory " + data + " is not a directory"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(StorageFaultsTest, BadSyncValueIsRefusedNamingTheChoices) {
  TempDir root;
  for (const char* binary :
       {ORGPULSE_INGEST_BINARY, ORGPULSE_INSIGHTS_BINARY}) {
    const CommandResult r = RunCommand(absl::StrCat(
        binary, " --sync=fsync --data_dir=", root.path(), "/data 2>&1"));
    EXPECT_NE(r.exit_code, 0) << binary << ": " << r.output;
    EXPECT_NE(r.output.find("\"full\" or \"normal\""), std::string::npos)
        << binary << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(root.path() + "/data")) << binary;
  }
}

}  // namespace
}  // namespace orgpulse::ingest
