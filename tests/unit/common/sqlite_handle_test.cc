#include "common/storage/sqlite_handle.h"

#include <sqlite3.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::HasSubstr;

// The row Step says there is: true, false, or -1 for an error.
int Next(SqliteStatement& statement) {
  absl::StatusOr<bool> row = statement.Step();
  EXPECT_TRUE(row.ok()) << row.status();
  return row.ok() ? *row : -1;
}

class SqliteHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<SqliteConnection> db = SqliteConnection::Open(
        ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(
        db_.Exec("CREATE TABLE t(n INTEGER NOT NULL, b BLOB)", "schema").ok());
  }

  SqliteConnection db_;
};

TEST_F(SqliteHandleTest, ErrorsNameTheOperationAndSqlitesMessage) {
  EXPECT_THAT(SqliteStatement::Prepare(db_.get(), "SELEC 1", "lookup"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("lookup: near \"SELEC\": syntax error")));
  EXPECT_THAT(db_.Exec("INSERT INTO nowhere VALUES (1)", "fill"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("fill: no such table: nowhere")));
  EXPECT_THAT(
      SqliteConnection::Open("/nonexistent-dir/x.db", SQLITE_OPEN_READWRITE),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("open: unable to open database file")));
}

TEST_F(SqliteHandleTest, RunIsReadyForTheNextRunAfterAFailure) {
  absl::StatusOr<SqliteStatement> insert = SqliteStatement::Prepare(
      db_.get(), "INSERT INTO t(n, b) VALUES (?, ?)", "insert",
      /*persistent=*/true);
  ASSERT_TRUE(insert.ok()) << insert.status();
  // Nothing bound: n is NULL.
  EXPECT_THAT(insert->Run(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("insert: NOT NULL constraint failed")));
  // A bind out of range is reported by the Run after it, then forgotten.
  insert->BindInt64(3, 1);
  EXPECT_THAT(insert->Run(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("insert: ")));
  for (int i = 1; i <= 3; ++i) {
    insert->BindInt64(1, i);
    insert->BindBlob(2, std::string(i, 'x'));
    ASSERT_TRUE(insert->Run().ok());
  }
  EXPECT_EQ(db_.QueryInt64("SELECT sum(n) FROM t", "sum").value_or(-1), 6);
}

TEST_F(SqliteHandleTest, StepReadsEachRowThenSaysDone) {
  ASSERT_TRUE(
      db_.Exec("INSERT INTO t VALUES (1, x'00ff'), (2, NULL)", "fill").ok());
  absl::StatusOr<SqliteStatement> select = SqliteStatement::Prepare(
      db_.get(), "SELECT n, b, 'n=' || n FROM t ORDER BY n", "select");
  ASSERT_TRUE(select.ok()) << select.status();
  ASSERT_EQ(Next(*select), 1);
  EXPECT_EQ(select->ColumnInt64(0), 1);
  EXPECT_EQ(select->ColumnBlob(1), std::string("\0\xff", 2));
  EXPECT_EQ(select->ColumnText(2), "n=1");
  ASSERT_EQ(Next(*select), 1);
  EXPECT_EQ(select->ColumnInt64(0), 2);
  EXPECT_EQ(select->ColumnBlob(1), "");
  EXPECT_EQ(Next(*select), 0);
}

TEST_F(SqliteHandleTest, QueryInt64WithoutARowIsNotFound) {
  EXPECT_THAT(db_.QueryInt64("SELECT n FROM t", "first"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("first")));
}

TEST(SqliteErrorTest, MapsFullCorruptAndOtherCodes) {
  EXPECT_EQ(SqliteError(nullptr, SQLITE_FULL, "a").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CORRUPT, "a").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_NOTADB, "a").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_IOERR_WRITE, "a").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_THAT(SqliteError(nullptr, SQLITE_FULL, "append"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("append: database or disk is full")));
}

}  // namespace
}  // namespace orgpulse
