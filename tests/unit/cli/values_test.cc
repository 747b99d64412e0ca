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

// Google Forms (US locale) writes M/D/YYYY H:MM:SS; Jira in a US locale
// M/D/YY h:mm AM; a UK Google Form or spreadsheet D/M/YYYY; German ones
// D.M.YYYY.
TEST(ParseTimeTest, NumericDatesAsFormsAndJiraLocalesWriteThem) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(ParseTime("7/21/2026 9:04:12", utc)->time,
            Utc(2026, 7, 21, 9, 4, 12));
  EXPECT_EQ(ParseTime("12/31/2026 23:59:59", utc)->time,
            Utc(2026, 12, 31, 23, 59, 59));
  EXPECT_EQ(ParseTime("7/21/26 9:04 AM", utc)->time, Utc(2026, 7, 21, 9, 4));
  EXPECT_EQ(ParseTime("7/21/26 12:30 PM", utc)->time, Utc(2026, 7, 21, 12, 30));
  EXPECT_EQ(ParseTime("21/07/2026 09:04:12", utc)->time,
            Utc(2026, 7, 21, 9, 4, 12));
  EXPECT_EQ(ParseTime("21.07.2026 09:04", utc)->time, Utc(2026, 7, 21, 9, 4));
  EXPECT_EQ(ParseTime("03.04.2026", utc)->time, Utc(2026, 4, 3));  // D.M.Y
  EXPECT_TRUE(ParseTime("7/21/2026", utc)->date_only);
  EXPECT_EQ(ParseTime("7/21/2026 9:04:12", Zone("America/New_York"))->time,
            Utc(2026, 7, 21, 13, 4, 12));
  // The same either way.
  EXPECT_EQ(ParseTime("4/4/2026 10:00:00", utc)->time, Utc(2026, 4, 4, 10));
  // Microsoft Forms and SurveyMonkey (US): seconds and AM/PM; Typeform: ISO.
  EXPECT_EQ(ParseTime("7/21/2026 9:04:12 PM", utc)->time,
            Utc(2026, 7, 21, 21, 4, 12));
  EXPECT_EQ(ParseTime("07/21/2026 09:04:12 AM", utc)->time,
            Utc(2026, 7, 21, 9, 4, 12));
  EXPECT_EQ(ParseTime("2026-07-21 09:04:12", utc)->time,
            Utc(2026, 7, 21, 9, 4, 12));
  // Jira's own format is unchanged.
  EXPECT_EQ(ParseTime("21/Jul/26 9:04 AM", utc)->time, Utc(2026, 7, 21, 9, 4));
}

TEST(ParseTimeTest, AnAmbiguousDayAndMonthIsRefusedUnlessTheFileTells) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_THAT(ParseTime("03/04/2026 10:00:00", utc),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"03/04/2026 10:00:00\" could be "
                                       "day/month or month/day"),
                             HasSubstr("--time-format"))));
  TimeSyntax month_first{.date_order = DateOrder::kMonthFirst};
  EXPECT_EQ(ParseTime("03/04/2026 10:00:00", utc, month_first)->time,
            Utc(2026, 3, 4, 10));
  TimeSyntax day_first{.date_order = DateOrder::kDayFirst};
  EXPECT_EQ(ParseTime("03/04/2026 10:00:00", utc, day_first)->time,
            Utc(2026, 4, 3, 10));
  // A date the file's order cannot hold is still refused.
  EXPECT_THAT(ParseTime("7/21/2026", utc, day_first),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"7/21/2026\" is month/day but other rows "
                                 "of the file are day/month")));
}

TEST(ParseTimeTest, TimeFormatReadsTheRest) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  TimeSyntax syntax{.format = "%H:%M %d-%m-%Y"};
  EXPECT_EQ(ParseTime("09:04 21-07-2026", berlin, syntax)->time,
            Utc(2026, 7, 21, 7, 4));
  EXPECT_FALSE(ParseTime("09:04 21-07-2026", berlin, syntax)->date_only);
  EXPECT_THAT(
      ParseTime("09:04 21-07-2026", berlin),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--time-format")));
  // The notations always accepted still are.
  EXPECT_EQ(ParseTime("2026-07-21T09:04:00Z", berlin, syntax)->time,
            Utc(2026, 7, 21, 9, 4));
  // A format without a time of day gives a date, due at its end.
  TimeSyntax date{.format = "%d %b %Y"};
  EXPECT_TRUE(ParseTime("21 Jul 2026", berlin, date)->date_only);
  EXPECT_EQ(*ParseDueTime("21 Jul 2026", berlin, date),
            Utc(2026, 7, 21, 21, 59, 59));
}

TEST(DetectDateOrderTest, AnotherRowWithADayOver12Tells) {
  // A Google Forms export from a UK account: the third row tells.
  std::istringstream uk(
      "Timestamp,Team,I feel safe to speak up\r\n"
      "03/04/2026 10:00:00,Payments,Agree\r\n"
      "05/04/2026 11:30:12,Payments,4\r\n"
      "21/04/2026 09:04:12,Search,Strongly agree\r\n");
  EXPECT_EQ(DetectDateOrder(uk), DateOrder::kDayFirst);
  std::istringstream us(
      "Timestamp,Team\n03/04/2026 10:00:00,Payments\n4/21/2026 9:04:12,x\n");
  EXPECT_EQ(DetectDateOrder(us), DateOrder::kMonthFirst);
  std::istringstream untold(
      "Timestamp,Team\n03/04/2026 10:00:00,Payments\n04/05/2026 10:00:00,x\n");
  EXPECT_EQ(DetectDateOrder(untold), DateOrder::kUnknown);
  // Free text and ISO times tell nothing.
  std::istringstream text(
      "Created,Description\n2026-07-21 09:00,\"due 21/07/2026, see PAY-1\"\n");
  EXPECT_EQ(DetectDateOrder(text), DateOrder::kUnknown);
}

TEST(ParseTimeTest, RefusesWhatIsNotATime) {
  for (const char* bad :
       {"", "yesterday", "2026-13-01", "2026-02-30", "2026-03-01T25:00:00Z",
        "2026-03-01T09:15:00+2500", "2026-03-01X09:15", "32/Jan/26",
        "12/Foo/26", "12/Mar/26 13:00 PM", "12/Mar/126", "13/13/2026",
        "7/21/2026 25:00", "7/21/202", "7-21-2026", "7/21/2026 9:04 XM",
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
