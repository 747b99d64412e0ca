#include "cli/import/team_names.h"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::cli {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Pair = std::pair<std::string, std::string>;

TEST(TeamNamesTest, ListsEachDerivedNameOnceAsFirstWritten) {
  TeamNames teams{TeamResolver("eng")};
  EXPECT_EQ(*teams.Resolve("Platform / Infra"), "eng/platform-infra");
  EXPECT_EQ(*teams.Resolve("Payments"), "eng/payments");
  // The same name in another case or spacing is the same team.
  EXPECT_EQ(*teams.Resolve("platform  /  INFRA"), "eng/platform-infra");
  EXPECT_THAT(teams.TakeNew(),
              ElementsAre(Pair("Platform / Infra", "eng/platform-infra"),
                          Pair("Payments", "eng/payments")));
  EXPECT_EQ(*teams.Resolve("Payments"), "eng/payments");
  EXPECT_EQ(*teams.Resolve("Search"), "eng/search");
  EXPECT_THAT(teams.TakeNew(), ElementsAre(Pair("Search", "eng/search")));
  EXPECT_THAT(teams.TakeNew(), IsEmpty());
}

TEST(TeamNamesTest, RefusesASecondNameForTheSameIdNamingBoth) {
  TeamNames teams{TeamResolver()};
  EXPECT_EQ(*teams.Resolve("Platform / Infra"), "platform-infra");
  const auto collision = StatusIs(
      absl::StatusCode::kInvalidArgument,
      AllOf(HasSubstr("\"Platform / Infra\" and \"Platform-Infra\" both give "
                      "the team id platform-infra"),
            HasSubstr("--team-map")));
  EXPECT_THAT(teams.Resolve("Platform-Infra"), collision);
  // Every row of the second name is refused, not only the first.
  EXPECT_THAT(teams.Resolve(" Platform-Infra"), collision);
  EXPECT_EQ(*teams.Resolve("Platform / Infra"), "platform-infra");
  EXPECT_THAT(teams.TakeNew(),
              ElementsAre(Pair("Platform / Infra", "platform-infra")));
  EXPECT_THAT(teams.Resolve(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("the team is empty")));
}

TEST(TeamNamesTest, AMapMayGiveSeveralNamesOneTeam) {
  std::istringstream map(
      "name,team\nPlatform / "
      "Infra,eng/platform\nPlatform-Infra,eng/platform\n");
  absl::StatusOr<TeamResolver> resolver =
      TeamResolver::FromMapFile(map, "teams.csv");
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  TeamNames teams(*std::move(resolver));
  EXPECT_EQ(*teams.Resolve("Platform / Infra"), "eng/platform");
  EXPECT_EQ(*teams.Resolve("Platform-Infra"), "eng/platform");
  EXPECT_THAT(teams.Resolve("Search"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not in the team map")));
  EXPECT_THAT(teams.TakeNew(), IsEmpty());
}

}  // namespace
}  // namespace orgpulse::cli
