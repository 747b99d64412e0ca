#include "common/storage/sync_mode.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse {
namespace {

using ::testing::HasSubstr;

TEST(SyncModeTest, FlagAcceptsFullAndNormal) {
  SyncMode mode = SyncMode::kNormal;
  std::string error;
  ASSERT_TRUE(AbslParseFlag("full", &mode, &error)) << error;
  EXPECT_EQ(mode, SyncMode::kFull);
  ASSERT_TRUE(AbslParseFlag("normal", &mode, &error)) << error;
  EXPECT_EQ(mode, SyncMode::kNormal);
}

TEST(SyncModeTest, FlagRefusesAnythingElseNamingTheChoices) {
  for (const char* bad : {"bogus", "FULL", "off", ""}) {
    SyncMode mode = SyncMode::kNormal;
    std::string error;
    EXPECT_FALSE(AbslParseFlag(bad, &mode, &error)) << bad;
    EXPECT_THAT(error, HasSubstr("\"full\" or \"normal\"")) << bad;
    EXPECT_EQ(mode, SyncMode::kNormal) << "changed by a refused value";
  }
}

TEST(SyncModeTest, UnparseRoundTrips) {
  for (SyncMode m : {SyncMode::kFull, SyncMode::kNormal}) {
    SyncMode parsed =
        m == SyncMode::kFull ? SyncMode::kNormal : SyncMode::kFull;
    std::string error;
    ASSERT_TRUE(AbslParseFlag(AbslUnparseFlag(m), &parsed, &error)) << error;
    EXPECT_EQ(parsed, m);
  }
  EXPECT_EQ(AbslUnparseFlag(SyncMode::kFull), "full");
  EXPECT_EQ(AbslUnparseFlag(SyncMode::kNormal), "normal");
}

}  // namespace
}  // namespace orgpulse
