#include "cli/import/values.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::cli {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss),
                         absl::UTCTimeZone());
}

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

TEST(ParseTimeTest, Rfc3339WithOffsets) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(ParseTime("2026-03-01T09:15:00Z", utc)->time,
            Utc(2026, 3, 1, 9, 15));
  EXPECT_EQ(ParseTime("2026-03-01T09:15:00+01:00", utc)->time,
            Utc(2026, 3, 1, 8, 15));
  EXPECT_EQ(ParseTime("2026-03-01T09:15:00.250-0230", utc)->time,
            Utc(2026, 3, 1, 11, 45) + absl::Milliseconds(250));
  EXPECT_EQ(ParseTime(" 2026-03-01 09:15 +05 ", utc)->time,
            Utc(2026, 3, 1, 4, 15));
  EXPECT_FALSE(ParseTime("2026-03-01T09:15:00Z", utc)->date_only);
}

TEST(ParseTimeTest, LocalTimesAreInTheZoneGiven) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  // Winter (UTC+1) and summer (UTC+2) time.
  EXPECT_EQ(ParseTime("2026-01-15 10:00", berlin)->time, Utc(2026, 1, 15, 9));
  EXPECT_EQ(ParseTime("2026-07-15 10:00:30", berlin)->time,
            Utc(2026, 7, 15, 8, 0, 30));
  // An explicit offset wins over the zone.
  EXPECT_EQ(ParseTime("2026-07-15T10:00:00Z", berlin)->time,
            Utc(2026, 7, 15, 10));
  absl::StatusOr<ParsedTime> date = ParseTime("2026-07-15", berlin);
  ASSERT_TRUE(date.ok());
  EXPECT_TRUE(date->date_only);
  EXPECT_EQ(date->time, Utc(2026, 7, 14, 22));
}

TEST(ParseTimeTest, JiraExportFormat) {
  const absl::TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(ParseTime("12/Mar/26 9:15 AM", absl::UTCTimeZone())->time,
            Utc(2026, 3, 12, 9, 15));
  EXPECT_EQ(ParseTime("12/mar/2026 9:15 PM", absl::UTCTimeZone())->time,
            Utc(2026, 3, 12, 21, 15));
  EXPECT_EQ(ParseTime("1/Dec/25 12:05 AM", absl::UTCTimeZone())->time,
            Utc(2025, 12, 1, 0, 5));
  EXPECT_EQ(ParseTime("1/Dec/25 12:05 PM", absl::UTCTimeZone())->time,
            Utc(2025, 12, 1, 12, 5));
  EXPECT_EQ(ParseTime("20/Jun/26 17:30", ny)->time, Utc(2026, 6, 20, 21, 30));
  EXPECT_TRUE(ParseTime("20/Jun/26", ny)->date_only);
}

TEST(ParseTimeTest, RefusesWhatIsNotATime) {
  for (const char* bad :
       {"", "yesterday", "2026-13-01", "2026-02-30", "2026-03-01T25:00:00Z",
        "2026-03-01T09:15:00+2500", "2026-03-01X09:15", "32/Jan/26",
        "12/Foo/26", "12/Mar/26 13:00 PM", "12/Mar/126",
        "2026-03-01T09:15:00Zjunk"}) {
    EXPECT_THAT(
        ParseTime(bad, absl::UTCTimeZone()),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("as a time")))
        << bad;
  }
}

TEST(ParseDueTimeTest, ADateAloneIsTheEndOfThatDay) {
  EXPECT_EQ(*ParseDueTime("2026-03-09", absl::UTCTimeZone()),
            Utc(2026, 3, 9, 23, 59, 59));
  EXPECT_EQ(*ParseDueTime("9/Mar/26", Zone("Europe/Berlin")),
            Utc(2026, 3, 9, 22, 59, 59));
  EXPECT_EQ(*ParseDueTime("2026-03-09T12:00:00Z", absl::UTCTimeZone()),
            Utc(2026, 3, 9, 12));
}

TEST(ValuesTest, NumbersBooleansAndLikert) {
  EXPECT_EQ(*ParseNumber(" 1250.50 "), 1250.5);
  EXPECT_EQ(*ParseNumber("-1e3"), -1000);
  EXPECT_THAT(ParseNumber("12 EUR"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a number")));
  EXPECT_EQ(*ParseInteger("7"), 7);
  EXPECT_FALSE(ParseInteger("7.5").ok());
  EXPECT_TRUE(*ParseBool("Yes"));
  EXPECT_TRUE(*ParseBool("PASS"));
  EXPECT_FALSE(*ParseBool("0"));
  EXPECT_FALSE(*ParseBool("failed"));
  EXPECT_FALSE(ParseBool("maybe").ok());
  EXPECT_EQ(*ParseLikert("4"), 4);
  EXPECT_EQ(*ParseLikert("Strongly agree"), 5);
  EXPECT_EQ(*ParseLikert(" neither agree nor disagree "), 3);
  EXPECT_EQ(*ParseLikert("Strongly Disagree"), 1);
  const absl::Status bad = ParseLikert("sometimes").status();
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()),
              ::testing::Not(HasSubstr("sometimes")));
}

TEST(TeamResolverTest, NormalisesNamesUnderAPrefix) {
  TeamResolver plain;
  EXPECT_EQ(*plain.Resolve(" Payments "), "payments");
  TeamResolver eng("eng");
  EXPECT_EQ(*eng.Resolve("Search  Quality"), "eng/search-quality");
  EXPECT_THAT(eng.Resolve(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_EQ(*eng.Resolve("Data & AI"), "eng/data-ai");
  EXPECT_THAT(
      eng.Resolve(std::string(70, 'x')),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("not a team id"), HasSubstr("--team-map"))));
}

// Team values as Jira custom fields and survey tools hold them: a name is
// one team, whatever it has in it, never a path.
TEST(TeamResolverTest, ANameIsOneSegmentNeverAHierarchy) {
  TeamResolver plain;
  EXPECT_EQ(*plain.Resolve("Platform / Infra"), "platform-infra");
  EXPECT_EQ(*plain.Resolve("Platform/Infra"), "platform-infra");
  EXPECT_EQ(*plain.Resolve("Platform - Infra"), "platform-infra");
  EXPECT_EQ(*plain.Resolve("R&D (EU), Berlin"), "r-d-eu-berlin");
  EXPECT_EQ(*plain.Resolve("data_platform"), "data_platform");
  EXPECT_EQ(*plain.Resolve("\tSearch\tQuality "), "search-quality");
  TeamResolver eng("eng");
  EXPECT_EQ(*eng.Resolve("Platform / Infra"), "eng/platform-infra");
  EXPECT_EQ(*eng.Resolve("/Payments/"), "eng/payments");

  EXPECT_THAT(
      plain.Resolve("Z\xC3\xBCrich"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("cannot hold"), HasSubstr("--team-map"))));
  EXPECT_THAT(plain.Resolve(" / "),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no letters or digits"),
                             HasSubstr("--team-map"))));
}

TEST(NameKeyTest, IgnoresCaseAndRunsOfBlanksOnly) {
  EXPECT_EQ(NameKey("  Platform   /\tInfra "), "platform / infra");
  EXPECT_NE(NameKey("Platform / Infra"), NameKey("Platform/Infra"));
}

TEST(TeamResolverTest, MapFileNamesEveryTeam) {
  std::istringstream map(
      "name,team\nPayments Squad,eng/payments\n\"Ops, L2\",ops/support\n"
      "Platform / Infra,eng/platform\nPlatform-Infra,eng/platform\n");
  absl::StatusOr<TeamResolver> resolver =
      TeamResolver::FromMapFile(map, "teams.csv");
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  EXPECT_EQ(*resolver->Resolve("payments squad"), "eng/payments");
  EXPECT_EQ(*resolver->Resolve("Ops, L2"), "ops/support");
  EXPECT_EQ(*resolver->Resolve(" PLATFORM  /  infra"), "eng/platform");
  EXPECT_EQ(*resolver->Resolve("Platform-Infra"), "eng/platform");
  EXPECT_THAT(resolver->Resolve("Search"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not in the team map")));

  std::istringstream bad("name,team\nX,Not A Team\n");
  EXPECT_THAT(
      TeamResolver::FromMapFile(bad, "teams.csv"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("teams.csv:2: \"Not A Team\" is not a team id")));
}

TEST(DeriveIdTest, StableDistinctAndUnambiguous) {
  const std::string id = DeriveId({"PROJ-7", "created"});
  EXPECT_THAT(id, MatchesRegex("h1-[0-9a-f]{32}"));
  EXPECT_EQ(id, DeriveId({"PROJ-7", "created"}));
  EXPECT_NE(id, DeriveId({"PROJ-7", "completed"}));
  EXPECT_NE(DeriveId({"ab", "c"}), DeriveId({"a", "bc"}));
  // Pinned: the ids of past imports must not change between versions.
  EXPECT_EQ(DeriveId({"x"}), DeriveId({"x"}));
  EXPECT_EQ(DeriveId({}), "h1-e3b0c44298fc1c149afbf4c8996fb924");
}

}  // namespace
}  // namespace orgpulse::cli
