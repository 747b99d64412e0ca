// PgEventLog's schema migrations against a real PostgreSQL 15: a database
// an earlier orgpulse filled is brought to this binary's schema with its
// events, and decides duplicates of those events as before.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/store/event_codec.h"
#include "services/ingest/store/pg_event_log.h"
#include "tests/support/postgres_server.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::testing::PostgresServer;

Event TaskEvent(std::string source, std::string id) {
  Event e;
  e.source = std::move(source);
  e.event_id = std::move(id);
  e.team = "eng";
  e.occurred_at = absl::FromUnixSeconds(1780000000);
  e.payload = TaskStarted{"T-1"};
  return e;
}

std::vector<const Event*> Pointers(const std::vector<Event>& events) {
  std::vector<const Event*> out;
  for (const Event& e : events) out.push_back(&e);
  return out;
}

// Stores `events` at positions 1..n as migration 3's schema held them (no
// key column; UNIQUE (source, event_id)), and moves the head to n.
void StoreAsVersion3(PgConnection& pg, const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    const Event* one[] = {&events[i]};
    const std::string position = absl::StrCat(i + 1);
    const std::string occurred =
        absl::StrCat(absl::ToUnixMicros(events[i].occurred_at));
    const std::string body = EncodeEvents(one);
    absl::StatusOr<PgResult> inserted = pg.Exec(
        "INSERT INTO ingest_events "
        "(position, source, event_id, team, occurred_us, body) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {PgParam::Text(position), PgParam::Binary(events[i].source),
         PgParam::Binary(events[i].event_id), PgParam::Text(events[i].team),
         PgParam::Text(occurred), PgParam::Binary(body)});
    ASSERT_TRUE(inserted.ok()) << inserted.status();
  }
  const std::string head = absl::StrCat(events.size());
  ASSERT_TRUE(
      pg.Exec("UPDATE ingest_log_head SET position = $1", {PgParam::Text(head)})
          .ok());
}

TEST(PgEventLogMigrationTest,
     AVersion3LogKeepsItsEventsAndRefusesTheirDuplicates) {
  PostgresServer server;
  absl::Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started;
  absl::StatusOr<std::unique_ptr<PgConnection>> pg =
      PgConnection::Connect(server.conninfo());
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_GE(PgEventLog::Migrations().size(), 4u);
  absl::Status at3 =
      ApplyPgMigrations(**pg, "ingest", PgEventLog::Migrations().subspan(0, 3));
  ASSERT_TRUE(at3.ok()) << at3;
  // ("ab", "c") and ("a", "bc") are different events, and so are the odd
  // bytes a source may hold: the key's input must keep them apart.
  const std::vector<Event> old = {
      TaskEvent("jira", "1"), TaskEvent("ab", "c"), TaskEvent("a", "bc"),
      TaskEvent(std::string("s\0\"\\{,}'", 9), "id \"x\" é")};
  StoreAsVersion3(**pg, old);

  absl::StatusOr<std::unique_ptr<PgEventLog>> log =
      PgEventLog::Open(server.conninfo());
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<int> version = PgSchemaVersion(**pg, "ingest");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, static_cast<int>(PgEventLog::Migrations().size()));

  // The old events, where they were.
  std::vector<std::pair<int64_t, std::string>> read;
  absl::StatusOr<int64_t> last =
      (*log)->ReadAfter(0, 100, [&](int64_t at, const Event& e) {
        read.emplace_back(at, e.source + "/" + e.event_id);
      });
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 4);
  ASSERT_EQ(read.size(), old.size());
  for (size_t i = 0; i < old.size(); ++i) {
    EXPECT_EQ(read[i].first, static_cast<int64_t>(i + 1));
    EXPECT_EQ(read[i].second, old[i].source + "/" + old[i].event_id);
  }

  // Every old event pushed again is a duplicate; new ones are stored after.
  std::vector<Event> again = old;
  again.push_back(TaskEvent("jira", "2"));
  again.push_back(TaskEvent("a", "bcd"));
  absl::StatusOr<PgCommit> commit = (*log)->Commit(Pointers(again));
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_THAT(commit->stored,
              ::testing::ElementsAre(false, false, false, false, true, true));
  EXPECT_EQ(commit->stored_count, 2);
  EXPECT_GT(commit->head, 4);

  // A source's removal finds its events, old and new, by the key alone:
  // ("ab", "c") is not source "a".
  absl::StatusOr<int64_t> removed =
      (*log)->Remove("a", 0, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);

  // And the migrated schema does not migrate again: a second replica opens
  // it as it is, and sees the same duplicates (the removed events are new).
  absl::StatusOr<std::unique_ptr<PgEventLog>> other =
      PgEventLog::Open(server.conninfo());
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<PgCommit> repeat = (*other)->Commit(Pointers(again));
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_THAT(repeat->stored,
              ::testing::ElementsAre(false, false, true, false, false, true));
}

}  // namespace
}  // namespace orgpulse::ingest
