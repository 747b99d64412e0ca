// Snapshots of an ingest replica's folded state on PostgreSQL (issue 12):
// the store keeps the newest few, each with its writer's follower cursor,
// and hands back the newest the log still holds; the real binary restarted
// from one serves the figures of a replica that folded the whole log and
// folds only the tail; a snapshot of a history a failover lost, or from
// before a removal, is refused (an older one is tried); a replica killed
// while it writes one leaves the older ones usable.
#include <chrono>
#include <memory>
#include <optional>
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
#include "services/ingest/store/pg_event_store.h"
#include "tests/support/ingest_calls.h"
#include "tests/support/postgres_server.h"
#include "tests/support/server_process.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::AllFigures;
using ::orgpulse::testing::PostgresServer;
using ::orgpulse::testing::Push;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kTeams = 5;

Event MakeEvent(const std::string& source, const std::string& id, int n) {
  Event e;
  e.source = source;
  e.event_id = id;
  e.team = absl::StrCat("eng/team-", n % kTeams);
  e.occurred_at = absl::FromUnixSeconds(1780000000 + n);
  e.payload =
      TaskCreated{absl::StrCat(id, "-T"),
                  absl::FromUnixSeconds(1780000000 + 86400 * (n % 60)), 3};
  return e;
}

v1::PushRequest Request(const std::string& prefix, int from, int count,
                        const std::string& source = "jira") {
  v1::PushRequest request;
  for (int n = from; n < from + count; ++n) {
    *request.add_events() =
        ToProto(MakeEvent(source, absl::StrCat(prefix, "-", n), n));
  }
  return request;
}

// The log position after the push; fails the test on an error.
int64_t PushOk(ServerProcess& replica, const v1::PushRequest& request) {
  auto stub = v1::IngestService::NewStub(replica.Channel());
  v1::PushResponse response;
  grpc::Status s = Push(*stub, request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return response.log_position();
}

std::vector<std::string> Figures(ServerProcess& replica, int64_t position) {
  auto stub = v1::IngestService::NewStub(replica.Channel());
  return AllFigures(*stub, position);
}

class PgSnapshotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = pg_.Start();
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<std::unique_ptr<PgConnection>> sql =
        PgConnection::Connect(pg_.conninfo());
    ASSERT_TRUE(sql.ok()) << sql.status();
    sql_ = *std::move(sql);
  }
  // A fixed clock, so that replicas' figures compare. Snapshots by count
  // only at `every` (0: none written or loaded), and at shutdown.
  std::vector<std::string> Flags(int every = 1000000) const {
    return {"--postgres=" + pg_.conninfo(), "--now=2026-07-01T00:00:00Z",
            absl::StrCat("--snapshot_every_events=", every),
            "--snapshot_interval=0"};
  }
  std::vector<int64_t> SnapshotPositions() {
    std::vector<int64_t> out;
    absl::StatusOr<PgResult> rows = sql_->Exec(
        "SELECT position FROM ingest_snapshots ORDER BY position DESC");
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return out;
    for (int r = 0; r < rows->rows(); ++r) out.push_back(rows->GetInt64(r, 0));
    return out;
  }
  void Sql(const std::string& script) {
    absl::Status done = sql_->ExecScript(script);
    ASSERT_TRUE(done.ok()) << script << ": " << done;
  }
  // What a failover to a standby that lacked the commits after `position`
  // leaves: the log as it was there, its positions free for other commits.
  void LoseCommitsAfter(int64_t position) {
    Sql(absl::StrCat(
        "BEGIN; DELETE FROM ingest_events WHERE position > ", position,
        "; UPDATE ingest_log_head SET position = ", position, "; COMMIT"));
  }
  // Waits (up to 30 s) until `done`; false if it never is.
  template <typename Condition>
  static bool Eventually(Condition done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  PostgresServer pg_;
  std::unique_ptr<PgConnection> sql_;
};

// --- The store: what is kept, and what is handed back.

// A cursor as a follower that read the whole log now would keep.
PgLogCursor CursorAtHead(PgEventLog& log, int64_t* head) {
  PgLogAnchor anchor;
  absl::StatusOr<PgLogRead> read =
      log.ReadLog(0, 0, 1 << 20, &anchor, [](int64_t, const Event&) {});
  EXPECT_TRUE(read.ok()) << read.status();
  *head = read->position;
  return {read->last, read->removals_seen};
}

void CommitOk(PgEventLog& log, const std::string& prefix, int count,
              const std::string& source = "jira") {
  std::vector<Event> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(MakeEvent(source, absl::StrCat(prefix, "-", i), i));
  }
  std::vector<const Event*> pointers;
  for (const Event& e : events) pointers.push_back(&e);
  absl::StatusOr<PgCommit> commit = log.Commit(pointers);
  ASSERT_TRUE(commit.ok()) << commit.status();
}

TEST_F(PgSnapshotsTest, AWriteKeepsTheNewestFewAndDeletesTheRest) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> log =
      PgEventLog::Open(pg_.conninfo());
  ASSERT_TRUE(log.ok()) << log.status();
  for (int position : {10, 20, 30, 40, 50}) {
    ASSERT_TRUE((*log)->WriteSnapshot(position, "state", "test", "check").ok());
  }
  EXPECT_THAT(SnapshotPositions(), ElementsAre(50, 40, 30));
  // The same position again keeps the first.
  ASSERT_TRUE((*log)->WriteSnapshot(50, "other", "test", "check").ok());
  absl::StatusOr<std::optional<std::string>> body =
      (*log)->ReadSnapshotBody(50);
  ASSERT_TRUE(body.ok() && body->has_value()) << body.status();
  EXPECT_EQ(**body, "state");
}

TEST_F(PgSnapshotsTest, TheStoreHandsBackTheNewestSnapshotTheLogStillHolds) {
  absl::StatusOr<std::unique_ptr<PgEventLog>> log =
      PgEventLog::Open(pg_.conninfo());
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<std::unique_ptr<PgEventStore>> store =
      PgEventStore::Open(pg_.conninfo(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_THAT((*store)->LoadSnapshot(), StatusIs(absl::StatusCode::kNotFound));

  CommitOk(**log, "a", 10);
  int64_t first = 0;
  const PgLogCursor at_first = CursorAtHead(**log, &first);
  ASSERT_TRUE((*store)
                  ->SaveSnapshot(
                      {.position = first, .check = EncodePgLogCursor(at_first)},
                      "first")
                  .ok());
  CommitOk(**log, "b", 10);
  int64_t second = 0;
  const PgLogCursor at_second = CursorAtHead(**log, &second);
  ASSERT_TRUE((*store)
                  ->SaveSnapshot({.position = second,
                                  .check = EncodePgLogCursor(at_second)},
                                 "second")
                  .ok());
  absl::StatusOr<StoredSnapshot> loaded = (*store)->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->position, second);
  EXPECT_EQ(loaded->bytes, "second");
  EXPECT_TRUE(loaded->passed_over.ok()) << loaded->passed_over;
  EXPECT_EQ(loaded->check, EncodePgLogCursor(at_second));

  // A failover lost the second commit, and its positions went to another:
  // the second snapshot's last event is another row now.
  LoseCommitsAfter(first);
  CommitOk(**log, "c", 10);
  loaded = (*store)->LoadSnapshot();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->position, first);
  EXPECT_EQ(loaded->bytes, "first");
  EXPECT_THAT(
      loaded->passed_over,
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr(absl::StrCat("snapshot at log position ", second))));
  EXPECT_THAT(loaded->passed_over,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no longer holds")));

  // A removal after both: neither is the state of the log now.
  absl::StatusOr<int64_t> removed = (*log)->Remove("jira", 0, 1780000003000000);
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_GT(*removed, 0);
  EXPECT_THAT((*store)->LoadSnapshot(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("events were removed after it")));
  // A cursor written after the removal fits; one that did not see the
  // removal record before its position does not.
  int64_t third = 0;
  PgLogCursor at_third = CursorAtHead(**log, &third);
  EXPECT_TRUE((*log)->CheckCursor(third, at_third).ok());
  at_third.last_removal = 0;
  EXPECT_THAT((*log)->CheckCursor(third, at_third),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("last removal record")));
}

// --- The real binary.

// The start-up line says "snapshot of N events at log position P loaded in
// ..., then T events replayed".
std::string LoadedLine(int64_t events, int64_t position) {
  return absl::StrCat("snapshot of ", events, " events at log position ",
                      position, " loaded");
}
std::string TailLine(int64_t tail) {
  return absl::StrCat("then ", tail, " events replayed");
}

TEST_F(PgSnapshotsTest,
       ARestartFromASnapshotServesTheSameFiguresFoldingTheTail) {
  ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(a.Start().ok()) << a.Log();
  for (int i = 0; i < 10; ++i) PushOk(a, Request("a", i * 100, 100));
  EXPECT_EQ(a.Terminate(), 0);  // a snapshot at shutdown
  EXPECT_THAT(a.Log(), HasSubstr("snapshot of 1000 events at log position "
                                 "1000"));
  EXPECT_THAT(SnapshotPositions(), ElementsAre(1000));

  // Folded from the log's start, without snapshots.
  ServerProcess scratch(ORGPULSE_INGEST_BINARY, Flags(0));
  ASSERT_TRUE(scratch.Start().ok()) << scratch.Log();
  int64_t head = 0;
  for (int i = 0; i < 3; ++i)
    head = PushOk(scratch, Request("b", i * 100, 100));
  ASSERT_EQ(head, 1300);

  ServerProcess restarted(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(restarted.Start().ok()) << restarted.Log();
  EXPECT_THAT(restarted.Log(), HasSubstr(LoadedLine(1000, 1000)));
  EXPECT_THAT(restarted.Log(), HasSubstr(TailLine(300)));
  const std::vector<std::string> figures = Figures(scratch, head);
  EXPECT_EQ(figures.size(), size_t{kTeams + 1});
  EXPECT_EQ(Figures(restarted, 0), figures);  // SERVING: caught up
  // And it goes on following the log.
  head = PushOk(scratch, Request("c", 0, 50));
  EXPECT_EQ(Figures(restarted, head), Figures(scratch, head));
  EXPECT_EQ(restarted.Terminate(), 0);
  EXPECT_EQ(scratch.Terminate(), 0);
}

TEST_F(PgSnapshotsTest, ASnapshotOfALostHistoryIsRefusedAndAnOlderOneTried) {
  {
    ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
    ASSERT_TRUE(a.Start().ok()) << a.Log();
    for (int i = 0; i < 10; ++i) PushOk(a, Request("a", i * 100, 100));
    EXPECT_EQ(a.Terminate(), 0);
    ServerProcess again(ORGPULSE_INGEST_BINARY, Flags());
    ASSERT_TRUE(again.Start().ok()) << again.Log();
    for (int i = 10; i < 20; ++i) PushOk(again, Request("a", i * 100, 100));
    EXPECT_EQ(again.Terminate(), 0);
  }
  ASSERT_THAT(SnapshotPositions(), ElementsAre(2000, 1000));
  // A failover lost what came after 1500; other pushes take those
  // positions on the new primary.
  LoseCommitsAfter(1500);
  ServerProcess scratch(ORGPULSE_INGEST_BINARY, Flags(0));
  ASSERT_TRUE(scratch.Start().ok()) << scratch.Log();
  int64_t head = 0;
  for (int i = 0; i < 7; ++i)
    head = PushOk(scratch, Request("z", i * 100, 100));
  ASSERT_EQ(head, 2200);

  ServerProcess restarted(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(restarted.Start().ok()) << restarted.Log();
  EXPECT_THAT(
      restarted.Log(),
      HasSubstr("snapshot not used: the snapshot at log position 2000"));
  EXPECT_THAT(restarted.Log(), HasSubstr("loaded an older one instead"));
  EXPECT_THAT(restarted.Log(), HasSubstr(LoadedLine(1000, 1000)));
  EXPECT_THAT(restarted.Log(), HasSubstr(TailLine(1200)));
  EXPECT_EQ(Figures(restarted, 0), Figures(scratch, head));
  restarted.Kill();  // no snapshot of its own

  // Lost again, before both snapshots: the whole log is folded.
  LoseCommitsAfter(900);
  head = 0;
  for (int i = 0; i < 3; ++i)
    head = PushOk(scratch, Request("y", i * 100, 100));
  ASSERT_EQ(head, 1200);
  ServerProcess from_start(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(from_start.Start().ok()) << from_start.Log();
  EXPECT_THAT(from_start.Log(), HasSubstr("replaying the whole log instead"));
  EXPECT_THAT(from_start.Log(), HasSubstr("replayed 1200 events, no snapshot"));
  // The scratch replica folded the log again too (its follower's check).
  EXPECT_EQ(Figures(from_start, 0), Figures(scratch, head));
  from_start.Kill();
  scratch.Kill();
}

TEST_F(PgSnapshotsTest, ARemovalAfterTheSnapshotIsHandled) {
  {
    ServerProcess a(ORGPULSE_INGEST_BINARY, Flags());
    ASSERT_TRUE(a.Start().ok()) << a.Log();
    PushOk(a, Request("j", 0, 500));
    PushOk(a, Request("g", 0, 500, "github"));
    EXPECT_EQ(a.Terminate(), 0);
  }
  ASSERT_THAT(SnapshotPositions(), ElementsAre(1000));
  ServerProcess scratch(ORGPULSE_INGEST_BINARY, Flags(0));
  ASSERT_TRUE(scratch.Start().ok()) << scratch.Log();
  auto stub = v1::IngestService::NewStub(scratch.Channel());
  auto remove = [&](const std::string& source) {
    grpc::ClientContext context;
    v1::RemoveEventsRequest request;
    request.set_source(source);
    v1::RemoveEventsResponse removed;
    grpc::Status s = stub->RemoveEvents(&context, request, &removed);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return removed.removed();
  };
  EXPECT_EQ(remove("github"), 500);  // a removal record at 1001
  int64_t head = PushOk(scratch, Request("j", 500, 100));
  ASSERT_EQ(head, 1101);

  // The snapshot holds the removed events: refused.
  ServerProcess restarted(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(restarted.Start().ok()) << restarted.Log();
  EXPECT_THAT(restarted.Log(),
              HasSubstr("events were removed after it (removal record at "
                        "position 1001)"));
  EXPECT_THAT(restarted.Log(), HasSubstr("replayed 600 events, no snapshot"));
  EXPECT_EQ(Figures(restarted, 0), Figures(scratch, head));

  // A removal while it runs: it folds the log again, then writes a
  // snapshot after the removal record without waiting for the count.
  head = PushOk(scratch, Request("x", 0, 40, "trello"));
  EXPECT_EQ(remove("trello"), 40);
  head = PushOk(scratch, Request("j", 600, 10));
  ASSERT_EQ(head, 1152);  // 1101 + 40, the record at 1142, then 10
  ASSERT_TRUE(Eventually([&] {
    std::vector<int64_t> positions = SnapshotPositions();
    return !positions.empty() && positions.front() >= 1142;
  })) << restarted.Log();
  const int64_t snapshot = SnapshotPositions().front();
  restarted.Kill();
  ServerProcess again(ORGPULSE_INGEST_BINARY, Flags());
  ASSERT_TRUE(again.Start().ok()) << again.Log();
  EXPECT_THAT(again.Log(),
              HasSubstr(absl::StrCat("at log position ", snapshot)));
  EXPECT_THAT(again.Log(), Not(HasSubstr("snapshot not used")));
  EXPECT_EQ(Figures(again, 0), Figures(scratch, head));
  again.Kill();
  scratch.Kill();
}

TEST_F(PgSnapshotsTest, AReplicaKilledWhileWritingASnapshotLeavesTheOlderOne) {
  ServerProcess a(ORGPULSE_INGEST_BINARY, Flags(200));
  ASSERT_TRUE(a.Start().ok()) << a.Log();
  PushOk(a, Request("a", 0, 300));
  ASSERT_TRUE(Eventually([&] { return !SnapshotPositions().empty(); }))
      << a.Log();
  ASSERT_THAT(SnapshotPositions(), ElementsAre(300));

  // The next snapshot's INSERT waits for this lock: the replica is killed
  // in the middle of its write.
  absl::StatusOr<std::unique_ptr<PgConnection>> holder =
      PgConnection::Connect(pg_.conninfo());
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE((*holder)->Exec("BEGIN").ok());
  ASSERT_TRUE(
      (*holder)->Exec("LOCK TABLE ingest_snapshots IN SHARE MODE").ok());
  const int64_t head = PushOk(a, Request("a", 300, 300));
  int64_t writer = 0;  // the backend writing the snapshot
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<PgResult> rows = sql_->Exec(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE 'INSERT INTO ingest_snapshots%'");
    if (!rows.ok() || rows->rows() == 0) return false;
    writer = rows->GetInt64(0, 0);
    return true;
  })) << a.Log();
  a.Kill();
  ASSERT_TRUE((*holder)->Exec("ROLLBACK").ok());
  // Its backend goes on with the write, then finds its client gone.
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<PgResult> rows =
        sql_->Exec(absl::StrCat("SELECT count(*) FROM pg_stat_activity "
                                "WHERE pid = ",
                                writer));
    return rows.ok() && rows->GetInt64(0, 0) == 0;
  }));
  EXPECT_THAT(SnapshotPositions(), ElementsAre(300));

  ServerProcess restarted(ORGPULSE_INGEST_BINARY, Flags(200));
  ASSERT_TRUE(restarted.Start().ok()) << restarted.Log();
  EXPECT_THAT(restarted.Log(), HasSubstr(LoadedLine(300, 300)));
  EXPECT_THAT(restarted.Log(), HasSubstr(TailLine(300)));
  ServerProcess scratch(ORGPULSE_INGEST_BINARY, Flags(0));
  ASSERT_TRUE(scratch.Start().ok()) << scratch.Log();
  EXPECT_EQ(Figures(restarted, head), Figures(scratch, head));
  restarted.Kill();
  scratch.Kill();
}

}  // namespace
}  // namespace orgpulse::ingest
