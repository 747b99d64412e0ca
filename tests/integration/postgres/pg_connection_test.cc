// PgConnection and ApplyPgMigrations against a real PostgreSQL 15 that the
// test starts itself (tests/support/postgres_server.h).
#include "common/storage/pg_connection.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/storage/pg_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_server.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::PostgresServer;
using ::testing::HasSubstr;

class PgConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new PostgresServer();
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // A database of the test's own, so tests do not see each other's tables.
  void SetUp() override {
    const std::string name = absl::StrCat(
        "t_", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::string lower;
    for (char c : name) lower.push_back(std::tolower(c));
    ASSERT_TRUE(server_->CreateDatabase(lower).ok());
    conninfo_ = server_->conninfo();
  }

  std::unique_ptr<PgConnection> Connect() {
    absl::StatusOr<std::unique_ptr<PgConnection>> pg =
        PgConnection::Connect(conninfo_);
    EXPECT_TRUE(pg.ok()) << pg.status();
    return pg.ok() ? std::move(*pg) : nullptr;
  }

  static PostgresServer* server_;
  std::string conninfo_;
};

PostgresServer* PgConnectionTest::server_ = nullptr;

TEST_F(PgConnectionTest, RoundTripsTextAndExactBytes) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  ASSERT_TRUE(
      pg->Exec("CREATE TABLE t (name text, blob bytea, n bigint)").ok());
  const std::string bytes("a\0b'\\x00;--", 11);
  const std::string name = "O'Brien; DROP TABLE t; --";
  absl::StatusOr<PgResult> inserted =
      pg->Exec("INSERT INTO t VALUES ($1, $2, $3)",
               {PgParam::Text(name), PgParam::Binary(bytes),
                PgParam::Text("9000000000")});
  ASSERT_TRUE(inserted.ok()) << inserted.status();
  EXPECT_EQ(inserted->AffectedRows(), 1);

  absl::StatusOr<PgResult> read = pg->Exec("SELECT name, blob, n FROM t", {},
                                           /*binary_results=*/true);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->rows(), 1);
  EXPECT_EQ(read->Get(0, 0), name);
  EXPECT_EQ(read->Get(0, 1), bytes);
  absl::StatusOr<PgResult> text = pg->Exec("SELECT n, NULL FROM t");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->GetInt64(0, 0), 9000000000);
  EXPECT_TRUE(text->IsNull(0, 1));
}

TEST_F(PgConnectionTest, MapsSqlStatesToCodes) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  ASSERT_TRUE(pg->Exec("CREATE TABLE u (k text PRIMARY KEY)").ok());
  ASSERT_TRUE(pg->Exec("INSERT INTO u VALUES ('a')").ok());
  absl::StatusOr<PgResult> again = pg->Exec("INSERT INTO u VALUES ('a')");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("SQLSTATE 23505"));

  absl::StatusOr<PgResult> typo = pg->Exec("SELEC 1");
  EXPECT_EQ(typo.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(typo.status().message(), HasSubstr("syntax error"));

  // A read-only transaction is what a standby gives: UNAVAILABLE, so the
  // caller reconnects to the primary.
  ASSERT_TRUE(pg->Exec("BEGIN READ ONLY").ok());
  absl::StatusOr<PgResult> read_only = pg->Exec("INSERT INTO u VALUES ('b')");
  EXPECT_EQ(read_only.status().code(), absl::StatusCode::kUnavailable);
  // ... and the connection asks to be reset (to reach the read-write host).
  EXPECT_FALSE(pg->connected());
  ASSERT_TRUE(pg->Reset().ok());
  EXPECT_TRUE(pg->Exec("INSERT INTO u VALUES ('b')").ok());

  EXPECT_EQ(PgStatusFromSqlState("40001", "x").code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(PgStatusFromSqlState("53100", "x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(PgStatusFromSqlState("08006", "x").code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(PgConnectionTest, ScriptStopsAtTheFirstError) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  absl::Status s = pg->ExecScript(
      "CREATE TABLE a (x int); CREATE TABLEX b; CREATE TABLE c "
      "(x int)");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  absl::StatusOr<PgResult> c = pg->Exec("SELECT to_regclass('c') IS NULL");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->Get(0, 0), "t");
}

TEST_F(PgConnectionTest, RefusesBadStringsAndAbsentServersInOneLine) {
  absl::StatusOr<std::unique_ptr<PgConnection>> bad =
      PgConnection::Connect("host=/nowhere port=notanumber= =");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);

  PostgresServer never_started;
  absl::StatusOr<std::unique_ptr<PgConnection>> absent =
      PgConnection::Connect(never_started.conninfo(), absl::Seconds(2));
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(absent.status().message(), HasSubstr("cannot connect"));
}

TEST_F(PgConnectionTest, FollowsTheHostListToAServerThatAnswers) {
  PostgresServer never_started;
  const std::string both = absl::StrCat(
      "host=", never_started.socket_dir(), ",", server_->socket_dir(),
      " port=5432 user=postgres dbname=postgres "
      "target_session_attrs=read-write");
  absl::StatusOr<std::unique_ptr<PgConnection>> pg =
      PgConnection::Connect(both);
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_EQ((*pg)->server(), absl::StrCat(server_->socket_dir(), ":5432"));
}

TEST_F(PgConnectionTest, LostServerIsUnavailableAndResetResumes) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  ASSERT_TRUE(server_->Stop().ok());
  absl::StatusOr<PgResult> during = pg->Exec("SELECT 1");
  EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable)
      << during.status();
  EXPECT_EQ(pg->Reset().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_->Start().ok());
  ASSERT_TRUE(pg->Reset().ok());
  absl::StatusOr<PgResult> after = pg->Exec("SELECT 41 + 1");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->GetInt64(0, 0), 42);
}

constexpr PgMigration kV1[] = {
    {1, "widgets", "CREATE TABLE widgets (id bigint PRIMARY KEY)"},
};
constexpr PgMigration kV2[] = {
    {1, "widgets", "CREATE TABLE widgets (id bigint PRIMARY KEY)"},
    {2, "widget names", "ALTER TABLE widgets ADD COLUMN name text"},
};

TEST_F(PgConnectionTest, MigrationsApplyOnceInOrder) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  EXPECT_EQ(*PgSchemaVersion(*pg, "test"), 0);
  ASSERT_TRUE(ApplyPgMigrations(*pg, "test", kV1).ok());
  EXPECT_EQ(*PgSchemaVersion(*pg, "test"), 1);
  ASSERT_TRUE(ApplyPgMigrations(*pg, "test", kV1).ok());  // idempotent
  ASSERT_TRUE(ApplyPgMigrations(*pg, "test", kV2).ok());  // only 2 runs
  EXPECT_EQ(*PgSchemaVersion(*pg, "test"), 2);
  EXPECT_TRUE(pg->Exec("INSERT INTO widgets VALUES (1, 'x')").ok());
  // Another component's versions are its own.
  EXPECT_EQ(*PgSchemaVersion(*pg, "other"), 0);
}

TEST_F(PgConnectionTest, AnOlderBinaryRefusesANewerSchema) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  ASSERT_TRUE(ApplyPgMigrations(*pg, "test", kV2).ok());
  absl::Status older = ApplyPgMigrations(*pg, "test", kV1);
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(older.message(), HasSubstr("at version 2"));
}

TEST_F(PgConnectionTest, AFailedMigrationAppliesNothingOfItself) {
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  constexpr PgMigration kBroken[] = {
      {1, "widgets", "CREATE TABLE widgets (id bigint PRIMARY KEY)"},
      {2, "half", "CREATE TABLE half (x int); ALTER TABLE nope ADD y int"},
  };
  absl::Status s = ApplyPgMigrations(*pg, "test", kBroken);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("migration 2 (half)"));
  EXPECT_EQ(*PgSchemaVersion(*pg, "test"), 1);
  absl::StatusOr<PgResult> half =
      pg->Exec("SELECT to_regclass('half') IS NULL");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->Get(0, 0), "t");

  constexpr PgMigration kGap[] = {{2, "gap", "SELECT 1"}};
  EXPECT_EQ(ApplyPgMigrations(*pg, "test", kGap).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PgConnectionTest, ReplicasMigratingAtOnceApplyEachVersionOnce) {
  // A migration that fails if it runs twice (CREATE TABLE without IF NOT
  // EXISTS), started by several replicas together.
  std::vector<std::thread> replicas;
  std::vector<absl::Status> results(4);
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&, i] {
      absl::StatusOr<std::unique_ptr<PgConnection>> pg =
          PgConnection::Connect(conninfo_);
      if (!pg.ok()) {
        results[i] = pg.status();
        return;
      }
      results[i] = ApplyPgMigrations(**pg, "test", kV2);
    });
  }
  for (std::thread& t : replicas) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  std::unique_ptr<PgConnection> pg = Connect();
  ASSERT_NE(pg, nullptr);
  absl::StatusOr<PgResult> rows = pg->Exec(
      "SELECT count(*) FROM orgpulse_schema_migrations WHERE component = "
      "'test'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), 2);
}

}  // namespace
}  // namespace orgpulse
