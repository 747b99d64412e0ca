// The Ledger over a real SqliteEventStore that runs out of room (max_bytes):
// the failing batch is refused whole with RESOURCE_EXHAUSTED and nothing of
// it reaches the figures, later batches fail at once while reads and
// duplicates still answer, and after a restart with room every acknowledged
// event is there.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingest/domain/ledger.h"
#include "services/ingest/store/sqlite_event_store.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/ingest/event_testing.h"

namespace orgpulse::ingest {
namespace {

using ::orgpulse::ingest::testing::MakeEvent;
using ::orgpulse::ingest::testing::Utc;
using ::orgpulse::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = Utc(2026, 3, 15);

EventBatch Batch(int first, int n) {
  EventBatch out;
  for (int i = first; i < first + n; ++i) {
    const std::string id = absl::StrCat("e-", i);
    out.push_back(MakeEvent(id, i % 2 ? "eng/a" : "ops",
                            Utc(2026, 3, 1) + absl::Seconds(i),
                            CostActual{absl::StrCat("p", i % 7), 0.5}));
  }
  return out;
}

class LedgerOnFullStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/orgpulse-ledger-full-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  FixedClock clock_{kNow};
};

TEST_F(LedgerOnFullStoreTest, FullStoreRefusesWholeBatchesAndLosesNothing) {
  int acknowledged = 0;  // events [0, acknowledged) were acknowledged
  double cost_before = 0;
  {
    // Small enough that what fits (groups are stored compressed) can be
    // pushed again as one batch below.
    auto store = SqliteEventStore::Open(dir_, {.max_bytes = 64 * 1024});
    ASSERT_TRUE(store.ok()) << store.status();
    Ledger ledger(**store, clock_, {});
    ASSERT_TRUE(ledger.Recover().ok());

    absl::StatusOr<PushResult> result;
    for (int round = 0; round < 200; ++round) {
      result = ledger.Push(Batch(acknowledged, 500));
      if (!result.ok()) break;
      ASSERT_EQ(result->accepted, 500);
      acknowledged += 500;
    }
    ASSERT_THAT(result, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("nothing of this append")));
    ASSERT_GT(acknowledged, 0);
    EXPECT_FALSE((*store)->writable());

    // Nothing of the refused batch reached memory.
    LedgerStats stats = ledger.stats();
    EXPECT_EQ(stats.stored_events, acknowledged);
    EXPECT_EQ(stats.rejected_storage, 500);
    for (const char* team : {"eng/a", "ops"}) {
      absl::StatusOr<TeamExecution> figures = ledger.GetTeamExecution(team);
      ASSERT_TRUE(figures.ok()) << team;
      for (const ProjectBudget& p : figures->projects) {
        cost_before += p.figures.actual_cost;
      }
    }
    EXPECT_DOUBLE_EQ(cost_before, 0.5 * acknowledged);

    // New events fail at once; a re-push of stored ones still answers.
    EXPECT_THAT(ledger.Push(Batch(acknowledged, 1)),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("out of space")));
    absl::StatusOr<PushResult> again = ledger.Push(Batch(0, 10));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->duplicates, 10);
    // A batch mixing stored and new events is refused whole.
    EXPECT_THAT(ledger.Push(Batch(acknowledged - 5, 10)),
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_EQ(ledger.stats().stored_events, acknowledged);
  }

  // Restarted with room: every acknowledged event is stored, once.
  auto store = SqliteEventStore::Open(dir_, {});
  ASSERT_TRUE(store.ok()) << store.status();
  Ledger ledger(**store, clock_, {});
  ASSERT_TRUE(ledger.Recover().ok());
  EXPECT_EQ(ledger.stats().stored_events, acknowledged);
  absl::StatusOr<PushResult> repush = ledger.Push(Batch(0, acknowledged));
  ASSERT_TRUE(repush.ok());
  EXPECT_EQ(repush->accepted, 0);
  EXPECT_EQ(repush->duplicates, acknowledged);
  absl::StatusOr<PushResult> more = ledger.Push(Batch(acknowledged, 500));
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(more->accepted, 500);
}

}  // namespace
}  // namespace orgpulse::ingest
