// SqliteLog's storage faults on real files: the write-ahead log check at
// open (torn tails recover, damage before complete commits is refused or,
// when asked, discarded), and the out-of-space state with max_bytes.
//
// Start-up refuses, in one line naming the directory or file, a data
// directory it cannot use: read-only, a file, or not creatable.
//
// A crash image is made by copying the database and its write-ahead log
// while another connection keeps the log from being checkpointed away.
#include "common/storage/sqlite_log.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/storage/sqlite_handle.h"
#include "common/storage/wal_check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_permissions.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::FilePermissionsBind;
using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kWalHeader = 32;

std::string Row(int i) {
  return absl::StrCat("row-", i, std::string(600, 'x'));
}

uint32_t Big32(const std::string& s, int64_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
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

class SqliteLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/orgpulse-sqlite-log-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    std::filesystem::create_directories(root_ + "/live");
    std::filesystem::create_directories(root_ + "/crash");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string live() const { return root_ + "/live/log.db"; }
  std::string crash() const { return root_ + "/crash/log.db"; }
  std::string crash_wal() const { return crash() + "-wal"; }

  // Appends rows [0, n) to a log at live() and leaves a crash image of it at
  // crash(): the database and the write-ahead log as a killed process would.
  // `checkpoint_after` >= 0: checkpoint after that many rows, so the log
  // restarts and later frames overwrite the start of the old ones.
  void MakeCrashImage(int n, int checkpoint_after = -1) {
    absl::StatusOr<SqliteConnection> keeper;  // closed after the copy
    {
      // No background checkpoints: the frames stay in the log.
      absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(
          live(), {.checkpoint_interval = absl::ZeroDuration()});
      ASSERT_TRUE(log.ok()) << log.status();
      keeper = SqliteConnection::Open(live(), SQLITE_OPEN_READWRITE);
      ASSERT_TRUE(keeper.ok()) << keeper.status();
      // A read attaches it to the log, which then outlives the other one.
      ASSERT_TRUE(keeper->Exec("SELECT count(*) FROM log", "read").ok());
      for (int i = 0; i < n; ++i) {
        if (i == checkpoint_after) {
          int logged = 0, copied = 0;
          ASSERT_EQ(sqlite3_wal_checkpoint_v2(keeper->get(), nullptr,
                                              SQLITE_CHECKPOINT_PASSIVE,
                                              &logged, &copied),
                    SQLITE_OK);
          ASSERT_EQ(logged, copied);
        }
        ASSERT_TRUE((*log)->Append(Row(i), 1).ok());
      }
    }
    for (const char* suffix : {"", "-wal"}) {
      std::filesystem::copy_file(live() + suffix, crash() + suffix);
    }
  }

  // Byte offsets of the commit frames in the crash image's log, in order
  // (only those of the current generation up to SQLite's end).
  std::vector<int64_t> CommitFrames() {
    absl::StatusOr<WalReport> report = InspectWal(crash_wal());
    EXPECT_TRUE(report.ok());
    const std::string wal = ReadFile(crash_wal());
    const int64_t frame = 24 + report->page_size;
    std::vector<int64_t> out;
    for (int64_t i = 0; i < report->recovered_frames; ++i) {
      const int64_t at = kWalHeader + i * frame;
      if (Big32(wal, at + 4) != 0) out.push_back(at);
    }
    return out;
  }

  std::vector<std::string> ReplayCrash(SqliteLogOptions options = {}) {
    absl::StatusOr<std::unique_ptr<SqliteLog>> log =
        SqliteLog::Open(crash(), options);
    EXPECT_TRUE(log.ok()) << log.status();
    std::vector<std::string> rows;
    if (!log.ok()) return rows;
    EXPECT_TRUE((*log)
                    ->Replay([&](absl::string_view blob) {
                      rows.emplace_back(blob);
                      return absl::OkStatus();
                    })
                    .ok());
    return rows;
  }

  static std::vector<std::string> Rows(int first, int n) {
    std::vector<std::string> out;
    for (int i = first; i < first + n; ++i) out.push_back(Row(i));
    return out;
  }

  std::string root_;
};

TEST_F(SqliteLogTest, CrashImageIsIntactAndReplaysEveryRow) {
  MakeCrashImage(12);
  absl::StatusOr<WalReport> report = InspectWal(crash_wal());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->damaged()) << report->Describe();
  EXPECT_EQ(report->break_offset, -1) << report->Describe();
  EXPECT_GE(report->recovered_commits, 12);  // and the schema's
  EXPECT_EQ(ReplayCrash(), Rows(0, 12));
}

TEST_F(SqliteLogTest, TornLastFrameLosesOnlyTheUnfinishedCommit) {
  MakeCrashImage(12);
  const std::vector<int64_t> commits = CommitFrames();
  ASSERT_GE(commits.size(), 12u);
  // The last commit (row 11) was being written: cut its frame in half.
  const std::string wal = ReadFile(crash_wal());
  WriteFile(crash_wal(), wal.substr(0, commits.back() + 2000));

  absl::StatusOr<WalReport> report = InspectWal(crash_wal());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->damaged()) << report->Describe();
  EXPECT_EQ(report->break_offset, commits.back());
  EXPECT_EQ(ReplayCrash(), Rows(0, 11));
}

TEST_F(SqliteLogTest, TornFrameAfterTheLastCommitIsIgnored) {
  MakeCrashImage(12);
  // A frame of the next transaction, header written, page half written:
  // the last frame's header with garbage where the page should be.
  std::string wal = ReadFile(crash_wal());
  const int64_t last = CommitFrames().back();
  wal += wal.substr(last, 24) + std::string(1000, '\x5a');
  WriteFile(crash_wal(), wal);

  absl::StatusOr<WalReport> report = InspectWal(crash_wal());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->damaged()) << report->Describe();
  EXPECT_EQ(ReplayCrash(), Rows(0, 12));
}

TEST_F(SqliteLogTest, StaleFramesOfAnEarlierGenerationAreNotDamage) {
  // 30 rows, a checkpoint, then 3 more: the log restarts with new salts
  // and its first frames overwrite old ones; the rest of the old ones stay.
  MakeCrashImage(33, /*checkpoint_after=*/30);
  absl::StatusOr<WalReport> report = InspectWal(crash_wal());
  ASSERT_TRUE(report.ok());
  ASSERT_GT(report->frames, report->recovered_frames) << report->Describe();
  EXPECT_FALSE(report->damaged()) << report->Describe();
  EXPECT_EQ(ReplayCrash(), Rows(0, 33));
}

TEST_F(SqliteLogTest, DamagedCommittedFrameRefusesToOpenNamingTheOffset) {
  MakeCrashImage(12);
  const std::vector<int64_t> commits = CommitFrames();
  ASSERT_GE(commits.size(), 12u);
  // Flip bytes in the page of a commit in the middle of the log.
  const int64_t damaged = commits[commits.size() / 2];
  std::string wal = ReadFile(crash_wal());
  for (int64_t i = damaged + 100; i < damaged + 104; ++i) wal[i] ^= 0x41;
  WriteFile(crash_wal(), wal);

  absl::StatusOr<WalReport> report = InspectWal(crash_wal());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged()) << report->Describe();
  EXPECT_EQ(report->break_offset, damaged);
  EXPECT_EQ(report->intact_commits_after_break,
            static_cast<int64_t>(commits.size() - commits.size() / 2 - 1));

  EXPECT_THAT(SqliteLog::Open(crash(), {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(crash_wal()),
                             HasSubstr(absl::StrCat("byte offset ", damaged)),
                             HasSubstr("discard_damaged_wal"))));
  // Refusing left the files as they were, for whoever looks at them.
  EXPECT_EQ(ReadFile(crash_wal()), wal);
}

TEST_F(SqliteLogTest, DamagedHeaderBeforeCommitsRefusesToOpen) {
  MakeCrashImage(5);
  std::string wal = ReadFile(crash_wal());
  wal[13] ^= 0x10;  // the checkpoint sequence: covered by the header checksum
  WriteFile(crash_wal(), wal);
  absl::StatusOr<WalReport> report = InspectWal(crash_wal());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged()) << report->Describe();
  EXPECT_EQ(report->break_offset, 0);
  EXPECT_THAT(SqliteLog::Open(crash(), {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("header")));
}

TEST_F(SqliteLogTest, DiscardOptionKeepsWhatPrecedesTheDamageAndACopy) {
  MakeCrashImage(12);
  const std::vector<int64_t> commits = CommitFrames();
  // Damage the commit of row 7 (the schema's commit comes first).
  const int64_t damaged = commits[commits.size() - 5];
  std::string wal = ReadFile(crash_wal());
  wal[damaged + 500] ^= 0x01;
  WriteFile(crash_wal(), wal);

  EXPECT_EQ(ReplayCrash({.discard_damaged_wal = true}), Rows(0, 7));
  bool copy_kept = false;
  for (const auto& entry :
       std::filesystem::directory_iterator(root_ + "/crash")) {
    if (entry.path().filename().string().rfind("log.db-wal.damaged-", 0) == 0) {
      copy_kept = ReadFile(entry.path().string()) == wal;
    }
  }
  EXPECT_TRUE(copy_kept);
  // The damaged frames are gone: the next start needs no option.
  EXPECT_EQ(ReplayCrash(), Rows(0, 7));
}

TEST_F(SqliteLogTest, CorruptDatabaseFileRefusesToOpen) {
  {
    absl::StatusOr<std::unique_ptr<SqliteLog>> log =
        SqliteLog::Open(live(), {});
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 40; ++i) ASSERT_TRUE((*log)->Append(Row(i), 1).ok());
  }  // closed: everything checkpointed into the database file
  ASSERT_FALSE(std::filesystem::exists(live() + "-wal"));
  std::string db = ReadFile(live());
  ASSERT_GT(db.size(), 3u * 4096);
  db[2 * 4096 + 1] ^= 0x7f;  // page 3's first free-block pointer
  db[2 * 4096 + 3] ^= 0x7f;  // and its cell count
  WriteFile(live(), db);
  EXPECT_THAT(SqliteLog::Open(live(), {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(live())));
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

// The background checkpoints run on their own connection, which must be
// attached to the write-ahead log to copy anything: before it read anything,
// each checkpoint did nothing and returned OK, and the database file stayed
// at its first pages while the log grew (a 4 KB events.db beside a 44 MB
// log after a million events).
TEST_F(SqliteLogTest, BackgroundCheckpointsCopyTheLogIntoTheDatabase) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log =
      SqliteLog::Open(live(), {.synchronous = SyncMode::kNormal,
                               .checkpoint_interval = absl::Milliseconds(1)});
  ASSERT_TRUE(log.ok()) << log.status();
  const int64_t empty = FileSize(live());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE((*log)->Append(Row(i), 1).ok());
  // The rows (about 130 KB) reach the database file within the deadline
  // (milliseconds when it works).
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (FileSize(live()) < empty + 100'000 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GE(FileSize(live()), empty + 100'000);
}

// Appends that never pause: a background checkpoint copies the log, but by
// the time it is done the next append has added to it, so the log never
// starts over and would grow with every append. Past wal_restart_bytes the
// appending connection finishes the copy itself, and the log restarts.
TEST_F(SqliteLogTest, TheLogStaysBoundedUnderAppendsThatNeverPause) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log =
      SqliteLog::Open(live(), {.synchronous = SyncMode::kNormal,
                               .checkpoint_interval = absl::Milliseconds(1),
                               .wal_restart_bytes = 1 << 20});
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string blob(64 << 10, 'z');  // 17 pages a row
  int64_t largest = 0;
  for (int i = 0; i < 800; ++i) {  // 50 MiB
    ASSERT_TRUE((*log)->Append(blob, 1).ok());
    largest = std::max(largest, FileSize(live() + "-wal"));
  }
  // The limit and one append (50 MiB without the restarts).
  EXPECT_LT(largest, 2 << 20);
  EXPECT_EQ((*log)->ItemCount(), 800);
}

// SQLite up to 3.51.2 (Debian 12 ships 3.40.1) has a race, the "WAL-reset
// bug": a checkpoint starting on one connection while another commits the
// transaction that restarts the log can leave a wrong field in the shared
// index, and a later checkpoint then skips pages: the database is corrupt.
// Here the background checkpoints run every millisecond beside appends that
// restart the log again and again; before appends and checkpoints took
// turns this failed its integrity check in about one run in a few hundred.
TEST_F(SqliteLogTest, AppendsBesideCheckpointsKeepTheDatabaseIntact) {
  {
    absl::StatusOr<std::unique_ptr<SqliteLog>> log =
        SqliteLog::Open(live(), {.synchronous = SyncMode::kNormal,
                                 .checkpoint_interval = absl::Milliseconds(1),
                                 .wal_restart_bytes = 64 << 10});
    ASSERT_TRUE(log.ok()) << log.status();
    const absl::Time until = absl::Now() + absl::Seconds(3);
    int appended = 0;
    while (absl::Now() < until) {
      ASSERT_TRUE((*log)->Append(Row(appended), 1).ok());
      ++appended;
    }
    ASSERT_EQ((*log)->ItemCount(), appended);
  }
  absl::StatusOr<SqliteConnection> db =
      SqliteConnection::Open(live(), SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<SqliteStatement> check =
      SqliteStatement::Prepare(db->get(), "PRAGMA integrity_check", "check");
  ASSERT_TRUE(check.ok()) << check.status();
  absl::StatusOr<bool> row = check->Step();
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(check->ColumnText(0), "ok");
}

// A long read on the reader connection (a trend refolding the store) does
// not hold up appends, and sees the log as it was when it began.
TEST_F(SqliteLogTest, AReadOnTheReaderRunsBesideAppends) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log =
      SqliteLog::Open(live(), {.checkpoint_interval = absl::Milliseconds(1)});
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*log)->Append(Row(i), 1).ok());
  int seen = 0;
  absl::Status read = (*log)->ReplayOnReader([&](absl::string_view) {
    if (++seen == 1) {
      // Mid-read, on the same thread: appends must not wait for this read.
      for (int i = 50; i < 250; ++i) {
        absl::Status s = (*log)->Append(Row(i), 1);
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(seen, 50);
  EXPECT_EQ((*log)->ItemCount(), 250);
  seen = 0;
  ASSERT_TRUE((*log)
                  ->ReplayOnReader([&](absl::string_view) {
                    ++seen;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(seen, 250);
}

// Two processes on one store would each fold only their own commits (and
// SQLite's WAL-reset bug needs two writers): the second is refused at Open,
// in one line naming the first's pid. The same process may open it again.
TEST_F(SqliteLogTest, AnotherProcessWithTheLogOpenIsNamedAndRefused) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<SqliteLog>> held =
        SqliteLog::Open(live(), {});
    const char byte = held.ok() ? '1' : '0';
    (void)!write(ready[1], &byte, 1);
    pause();  // until killed
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  ASSERT_EQ(byte, '1') << "the child could not open the log";
  EXPECT_THAT(
      SqliteLog::Open(live(), {}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(live() + " is in use by another process"),
                     HasSubstr(absl::StrCat("(pid ", child, ")")))));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  // Gone with its process: the log opens, here twice.
  absl::StatusOr<std::unique_ptr<SqliteLog>> first =
      SqliteLog::Open(live(), {});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<SqliteLog>> second =
      SqliteLog::Open(live(), {});
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST_F(SqliteLogTest, OutOfSpaceRefusesAppendsAtOnceAndTellsTheObserver) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log =
      SqliteLog::Open(live(), {.max_bytes = 64 * 1024});
  ASSERT_TRUE(log.ok());
  absl::Mutex mu;
  std::vector<bool> seen;
  (*log)->SetWritableObserver([&](bool writable) {
    absl::MutexLock lock(&mu);
    seen.push_back(writable);
  });
  ASSERT_TRUE((*log)->Append(Row(0), 1).ok());
  EXPECT_THAT(
      (*log)->Append(std::string(200 * 1024, 'y'), 1),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("size limit")));
  EXPECT_FALSE((*log)->writable());
  // Refused at once while full, even what would fit; nothing half-written.
  EXPECT_THAT((*log)->Append(Row(1), 1),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("out of space")));
  std::vector<std::string> rows;
  ASSERT_TRUE((*log)
                  ->Replay([&](absl::string_view b) {
                    rows.emplace_back(b);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, Rows(0, 1));
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(seen, ElementsAre(true, false));
  }
  (*log)->SetWritableObserver(nullptr);
  log->reset();

  // A larger limit after a restart: appends resume, nothing was lost.
  log = SqliteLog::Open(live(), {.max_bytes = 1 << 20});
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE((*log)->writable());
  ASSERT_TRUE((*log)->Append(Row(1), 1).ok());
  EXPECT_EQ((*log)->ItemCount(), 2);
}

TEST_F(SqliteLogTest, StaysFullWhileTheLimitLeavesNoRoom) {
  // Appends of 60 KiB until the 256 KiB limit refuses one; the probe (every
  // 50 ms here) needs room for that size, which the limit no longer has.
  absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(
      live(),
      {.max_bytes = 256 * 1024, .full_probe_interval = absl::Milliseconds(50)});
  ASSERT_TRUE(log.ok());
  absl::Status s;
  int appended = 0;
  while ((s = (*log)->Append(std::string(60 * 1024, 'z'), 1)).ok()) {
    ++appended;
  }
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_GE(appended, 2);
  // The log is at its limit: the probe cannot find room, it stays full.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE((*log)->writable());
  EXPECT_EQ((*log)->ItemCount(), appended);
}

// One line, naming `name` and `what` is wrong with it, not SQLite's "unable
// to open database file".
::testing::Matcher<const absl::StatusOr<std::unique_ptr<SqliteLog>>&>
RefusedNaming(const std::string& name, const std::string& what) {
  return StatusIs(absl::StatusCode::kFailedPrecondition,
                  AllOf(HasSubstr(name + " " + what), Not(HasSubstr("\n")),
                        Not(HasSubstr("unable to open"))));
}

TEST_F(SqliteLogTest, ReadOnlyDirectoryIsNamedNotWritable) {
  const std::string dir = root_ + "/ro";
  std::filesystem::create_directories(dir);
  ASSERT_EQ(chmod(dir.c_str(), 0555), 0);
  {
    FilePermissionsBind bind;
    if (!bind.ok()) GTEST_SKIP() << bind.error();
    EXPECT_THAT(SqliteLog::Open(dir + "/log.db", {}),
                RefusedNaming("data directory " + dir, "is not writable"));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST_F(SqliteLogTest, ReadOnlyDirectoryOfAnExistingLogIsNamedNotWritable) {
  {
    absl::StatusOr<std::unique_ptr<SqliteLog>> log =
        SqliteLog::Open(live(), {});
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Append(Row(0), 1).ok());
  }
  // SQLite could read the file, but not create its -wal and -shm files.
  const std::string dir = root_ + "/live";
  ASSERT_EQ(chmod(dir.c_str(), 0555), 0);
  FilePermissionsBind bind;
  if (!bind.ok()) GTEST_SKIP() << bind.error();
  EXPECT_THAT(SqliteLog::Open(live(), {}),
              RefusedNaming("data directory " + dir, "is not writable"));
}

TEST_F(SqliteLogTest, ReadOnlyLogFileIsNamedNotWritable) {
  {
    absl::StatusOr<std::unique_ptr<SqliteLog>> log =
        SqliteLog::Open(live(), {});
    ASSERT_TRUE(log.ok()) << log.status();
  }
  ASSERT_EQ(chmod(live().c_str(), 0444), 0);
  FilePermissionsBind bind;
  if (!bind.ok()) GTEST_SKIP() << bind.error();
  EXPECT_THAT(SqliteLog::Open(live(), {}),
              RefusedNaming(live(), "is not writable"));
}

TEST_F(SqliteLogTest, DataDirectoryThatIsAFileIsNamed) {
  const std::string file = root_ + "/file";
  WriteFile(file, "not a directory");
  EXPECT_THAT(SqliteLog::Open(file + "/log.db", {}),
              RefusedNaming("data directory " + file, "is not a directory"));
}

TEST_F(SqliteLogTest, DataDirectoryThatCannotBeCreatedNamesTheParent) {
  const std::string file = root_ + "/file";
  WriteFile(file, "not a directory");
  EXPECT_THAT(
      SqliteLog::Open(file + "/sub/log.db", {}),
      RefusedNaming("cannot create data directory " + file + "/sub: " + file,
                    "is not a directory"));

  const std::string ro = root_ + "/ro";
  std::filesystem::create_directories(ro);
  ASSERT_EQ(chmod(ro.c_str(), 0555), 0);
  FilePermissionsBind bind;
  if (!bind.ok()) GTEST_SKIP() << bind.error();
  EXPECT_THAT(
      SqliteLog::Open(ro + "/a/b/log.db", {}),
      RefusedNaming("cannot create data directory " + ro + "/a/b: " + ro,
                    "is not writable"));
  EXPECT_FALSE(std::filesystem::exists(ro + "/a"));
}

// Rewrite: what removals of events build on.

std::vector<std::string> ReplayAll(SqliteLog& log) {
  std::vector<std::string> rows;
  EXPECT_TRUE(log.Replay([&](absl::string_view blob) {
                   rows.emplace_back(blob);
                   return absl::OkStatus();
                 })
                  .ok());
  return rows;
}

// Over more rows than Rewrite reads at a time: every third row deleted,
// every fifth (of the others) replaced, the rest kept.
absl::StatusOr<LogRowEdit> EditRow(absl::string_view blob) {
  int i = 0;
  EXPECT_TRUE(absl::SimpleAtoi(blob.substr(4, blob.find('x') - 4), &i));
  if (i % 3 == 0) return LogRowEdit::Drop();
  if (i % 5 == 0) {
    return LogRowEdit::Replace({absl::StrCat("new-", i), 7});
  }
  return LogRowEdit::Keep();
}

TEST_F(SqliteLogTest, RewriteKeepsDeletesAndReplacesRowsInOrder) {
  std::vector<std::string> expected;
  int changed = 0;
  {
    absl::StatusOr<std::unique_ptr<SqliteLog>> log =
        SqliteLog::Open(live(), {});
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*log)->Append(Row(i), 1).ok());
    int64_t items = 0;
    for (int i = 0; i < 50; ++i) {
      if (i % 3 == 0) {
        ++changed;
      } else if (i % 5 == 0) {
        ++changed;
        items += 7;
        expected.push_back(absl::StrCat("new-", i));
      } else {
        items += 1;
        expected.push_back(Row(i));
      }
    }
    absl::StatusOr<int64_t> rewritten = (*log)->Rewrite(&EditRow, {});
    ASSERT_TRUE(rewritten.ok()) << rewritten.status();
    EXPECT_EQ(*rewritten, changed);
    EXPECT_EQ(ReplayAll(**log), expected);
    EXPECT_EQ((*log)->ItemCount(), items);
    // Appends go on after the last row.
    ASSERT_TRUE((*log)->Append("after", 1).ok());
    expected.push_back("after");
  }
  absl::StatusOr<std::unique_ptr<SqliteLog>> reopened =
      SqliteLog::Open(live(), {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(ReplayAll(**reopened), expected);
  absl::StatusOr<int64_t> again = (*reopened)->Rewrite(
      [](absl::string_view) -> absl::StatusOr<LogRowEdit> {
        return LogRowEdit::Keep();
      },
      {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

// A rewrite truncates the write-ahead log after its commit. A background
// checkpoint in progress on the other connection would make that fail with
// SQLITE_BUSY at once (busy timeouts do not wait for a checkpointer), and an
// erasure would answer UNAVAILABLE: the two take turns instead.
TEST_F(SqliteLogTest, RewritesSucceedBesideBackgroundCheckpoints) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log =
      SqliteLog::Open(live(), {.synchronous = SyncMode::kNormal,
                               .checkpoint_interval = absl::Milliseconds(1)});
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string blob(256 << 10, 'r');  // a checkpoint takes a while
  for (int i = 0; i < 60; ++i) {
    for (int j = 0; j < 8; ++j) ASSERT_TRUE((*log)->Append(blob, 1).ok());
    absl::StatusOr<int64_t> rewritten = (*log)->Rewrite(
        [](absl::string_view) -> absl::StatusOr<LogRowEdit> {
          return LogRowEdit::Drop();
        },
        {});
    ASSERT_TRUE(rewritten.ok())
        << "rewrite " << i << ": " << rewritten.status();
  }
}

TEST_F(SqliteLogTest, RewriteThatFailsHalfwayChangesNothing) {
  absl::StatusOr<std::unique_ptr<SqliteLog>> log = SqliteLog::Open(live(), {});
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*log)->Append(Row(i), 1).ok());
  int seen = 0;
  absl::StatusOr<int64_t> rewritten = (*log)->Rewrite(
      [&](absl::string_view blob) -> absl::StatusOr<LogRowEdit> {
        // Rows of the first reads were already deleted when this fails.
        if (++seen == 40) return absl::DataLossError("row 39 is damaged");
        return LogRowEdit::Drop();
      },
      {});
  EXPECT_THAT(rewritten, StatusIs(absl::StatusCode::kDataLoss,
                                  HasSubstr("row 39 is damaged")));
  EXPECT_EQ(ReplayAll(**log), Rows(0, 50));
  EXPECT_EQ((*log)->ItemCount(), 50);
  // The connection is ready for more.
  ASSERT_TRUE((*log)->Append(Row(50), 1).ok());
  EXPECT_EQ(ReplayAll(**log), Rows(0, 51));
}

}  // namespace
}  // namespace orgpulse
