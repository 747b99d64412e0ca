// The import formats end to end over in-memory files: the generic CSV and
// JSON Lines, a Jira export, a survey export with its mapping, and the
// batcher with the services' validation.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/import/batcher.h"
#include "cli/import/generic_events.h"
#include "cli/import/jira.h"
#include "cli/import/row_reader.h"
#include "cli/import/survey.h"
#include "common/proto/time_conversion.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse::cli {
namespace {

namespace v1 = ::orgpulse::ingest::v1;
namespace sv1 = ::orgpulse::insights::v1;
using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromCivil(
    absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone());

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss),
                         absl::UTCTimeZone());
}
absl::Time T(const google::protobuf::Timestamp& ts) {
  return FromProtoTime(true, ts);
}

// Every row of `text` read through `reader`: the items, and the bad or
// skipped rows by line.
template <typename Item>
struct ReadResult {
  std::vector<Item> items;
  std::vector<std::pair<int64_t, std::string>> errors;
  std::vector<std::pair<int64_t, std::string>> skipped;
  absl::Status status;
};

template <typename Item>
ReadResult<Item> ReadAll(RowReader<Item>& reader) {
  ReadResult<Item> out;
  Row row;
  Items<Item> items;
  while (reader.Next(row, items)) {
    if (!row.error.empty()) out.errors.emplace_back(row.line, row.error);
    if (!row.skipped.empty()) out.skipped.emplace_back(row.line, row.skipped);
  }
  out.items.assign(items.begin(), items.end());
  out.status = reader.status();
  return out;
}

ReadResult<v1::Event> ReadGeneric(const std::string& text,
                                  GenericEventOptions options = {}) {
  std::istringstream in(text);
  CsvRowReader<v1::Event> reader(
      in, std::make_unique<GenericEventMapper>(std::move(options)));
  return ReadAll(reader);
}

TEST(GenericCsvTest, EveryKindMapsToItsPayload) {
  const ReadResult<v1::Event> r = ReadGeneric(
      "kind,event_id,source,team,occurred_at,task_id,due_at,estimate_hours,"
      "project,budget_at_completion,planned_start,planned_end,amount,"
      "percent_complete,milestone,procedure,passed,kpi,year,month,target,"
      "aggregation,value\n"
      "task_created,e1,jira,eng/"
      "pay,2026-03-02T09:00:00Z,PAY-1,2026-03-09,6,,,,,,,,,,,,,,,\n"
      "task_started,e2,jira,eng/pay,2026-03-03,PAY-1,,,,,,,,,,,,,,,,,\n"
      "task_completed,e3,jira,eng/pay,2026-03-04,PAY-1,,,,,,,,,,,,,,,,,\n"
      "task_cancelled,e4,jira,eng/pay,2026-03-04,PAY-2,,,,,,,,,,,,,,,,,\n"
      "task_due_date_changed,e5,jira,eng/"
      "pay,2026-03-04,PAY-3,2026-04-01T17:00:00Z,,,,,,,,,,,,,,,,\n"
      "project_budget_plan,e6,erp,eng/"
      "pay,2026-01-01,,,,checkout,500000,2026-01-01,2026-12-31,,,,,,,,,,,\n"
      "cost_actual,e7,erp,eng/pay,2026-03-03,,,,checkout,,,,1250.50,,,,,,,,,,\n"
      "project_progress,e8,erp,eng/pay,2026-03-03,,,,checkout,,,,,40,,,,,,,,,\n"
      "milestone_due,e9,jira,eng/"
      "pay,2026-01-05,,2026-06-30,,checkout,,,,,,beta,,,,,,,,\n"
      "milestone_reached,e10,jira,eng/"
      "pay,2026-06-28,,,,checkout,,,,,,beta,,,,,,,,\n"
      "procedure_check,e11,ci,eng/"
      "pay,2026-03-03,,,,,,,,,,,code-review,yes,,,,,,\n"
      "kpi_monthly_target,e12,kpi,eng/"
      "pay,2026-03-01,,,,,,,,,,,,,revenue,2026,3,100000,sum,\n"
      "kpi_actual,e13,kpi,eng/pay,2026-03-05,,,,,,,,,,,,,revenue,,,,,2500\n");
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_THAT(r.items, SizeIs(13));
  const v1::Event& created = r.items[0];
  EXPECT_EQ(created.event_id(), "e1");
  EXPECT_EQ(created.source(), "jira");
  EXPECT_EQ(created.team(), "eng/pay");
  EXPECT_EQ(T(created.occurred_at()), Utc(2026, 3, 2, 9));
  EXPECT_EQ(created.task_created().task_id(), "PAY-1");
  EXPECT_EQ(T(created.task_created().due_at()), Utc(2026, 3, 9, 23, 59, 59));
  EXPECT_EQ(created.task_created().estimate_hours(), 6);
  EXPECT_TRUE(r.items[1].has_task_started());
  EXPECT_TRUE(r.items[2].has_task_completed());
  EXPECT_TRUE(r.items[3].has_task_cancelled());
  EXPECT_EQ(T(r.items[4].task_due_date_changed().due_at()),
            Utc(2026, 4, 1, 17));
  EXPECT_EQ(r.items[5].project_budget_plan().budget_at_completion(), 500000);
  EXPECT_EQ(T(r.items[5].project_budget_plan().planned_end()),
            Utc(2026, 12, 31));
  EXPECT_EQ(r.items[6].cost_actual().amount(), 1250.5);
  EXPECT_EQ(r.items[7].project_progress().percent_complete(), 40);
  EXPECT_EQ(r.items[8].milestone_due().milestone(), "beta");
  EXPECT_EQ(r.items[9].milestone_reached().project(), "checkout");
  EXPECT_TRUE(r.items[10].procedure_check().passed());
  EXPECT_EQ(r.items[11].kpi_monthly_target().aggregation(),
            v1::KPI_AGGREGATION_SUM);
  EXPECT_EQ(r.items[11].kpi_monthly_target().month(), 3);
  EXPECT_EQ(r.items[12].kpi_actual().value(), 2500);
}

TEST(GenericCsvTest, IdsAreDerivedFromTheRowAndSourceMayBeDefaulted) {
  GenericEventOptions options;
  options.default_source = "sheet";
  const std::string text =
      "kind,team,occurred_at,project,amount\n"
      "cost_actual,eng/pay,2026-03-03T00:00:00Z,checkout,10\n"
      "cost_actual,eng/pay,2026-03-03,checkout,10\n"  // the same event
      "cost_actual,eng/pay,2026-03-03,checkout,11\n";
  const ReadResult<v1::Event> first = ReadGeneric(text, options);
  const ReadResult<v1::Event> again = ReadGeneric(text, options);
  ASSERT_THAT(first.items, SizeIs(3));
  EXPECT_EQ(first.items[0].source(), "sheet");
  EXPECT_THAT(first.items[0].event_id(), StartsWith("h1-"));
  EXPECT_EQ(first.items[0].event_id(), first.items[1].event_id());
  EXPECT_NE(first.items[0].event_id(), first.items[2].event_id());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(first.items[i].event_id(), again.items[i].event_id());
  }
}

TEST(GenericCsvTest, BadRowsSayWhatIsWrongAndWhere) {
  const ReadResult<v1::Event> r = ReadGeneric(
      "kind,source,team,occurred_at,task_id,due_at,amount,project\n"
      "task_created,jira,eng/pay,2026-03-02,PAY-1,,,\n"
      "task_started,jira,eng/pay,someday,PAY-1,,,\n"
      "cost_actual,erp,eng/pay,2026-03-02,,,12 EUR,checkout\n"
      "task_started,jira,eng/pay,2026-03-02,PAY-1,,5,\n"
      "party,jira,eng/pay,2026-03-02,,,,\n"
      "task_started,jira,eng/pay,2026-03-02,PAY-1,,,\n");
  ASSERT_TRUE(r.status.ok());
  EXPECT_THAT(r.items, SizeIs(1));
  EXPECT_THAT(
      r.errors,
      ElementsAre(
          std::pair<int64_t, std::string>(2, "task_created needs due_at"),
          std::pair<int64_t, std::string>(
              3,
              "occurred_at: cannot read \"someday\" as a time (expected e.g. "
              "2026-03-01T09:15:00Z, 2026-03-01 09:15, 2026-03-01, "
              "01/Mar/26 9:15 AM or 3/1/2026 9:15:00; --time-format reads "
              "others)"),
          std::pair<int64_t, std::string>(4,
                                          "amount: \"12 EUR\" is not a number"),
          std::pair<int64_t, std::string>(
              5, "amount does not apply to task_started"),
          std::pair<int64_t, std::string>(6, "unknown kind \"party\"")));
}

TEST(GenericCsvTest, HeaderProblemsStopTheFile) {
  EXPECT_THAT(ReadGeneric("kind,team,ocurred_at\n").status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("line 1 (the header): unknown column "
                                  "\"ocurred_at\"")));
  // A spreadsheet saved with semicolons (as Excel does in many locales): one
  // column named after the whole header line.
  EXPECT_THAT(ReadGeneric("\xEF\xBB\xBFkind;team;occurred_at\r\n").status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("line 1 (the header): ")));
  EXPECT_THAT(ReadGeneric("kind,team,occurred_at\n").status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing column source (or give --source)")));
  EXPECT_THAT(ReadGeneric("").status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(JsonLinesTest, ReadsEventsAndCompletesThem) {
  GenericEventOptions options;
  options.default_source = "import";
  // A byte order mark first, as Notepad writes one.
  std::istringstream in(
      "\xEF\xBB\xBF{\"team\":\"eng/"
      "pay\",\"occurredAt\":\"2026-03-02T09:00:00Z\","
      "\"taskStarted\":{\"taskId\":\"PAY-1\"}}\n"
      "\n"
      "{\"event_id\":\"x\",\"source\":\"jira\",\"team\":\"eng/pay\","
      "\"occurred_at\":\"2026-03-02T09:00:00Z\",\"cost_actual\":{\"amount\":3}}"
      "\r\n"
      "{\"team\":\"eng/pay\",\"colour\":\"red\"}\n"
      "not json\n");
  JsonLinesReader<v1::Event> reader(
      in, "an event",
      [&](v1::Event& e, Row& row) { CompleteJsonEvent(options, e, row); });
  const ReadResult<v1::Event> r = ReadAll(reader);
  ASSERT_THAT(r.items, SizeIs(2));
  EXPECT_EQ(r.items[0].source(), "import");
  EXPECT_THAT(r.items[0].event_id(), StartsWith("h1-"));
  EXPECT_EQ(r.items[0].task_started().task_id(), "PAY-1");
  EXPECT_EQ(r.items[1].event_id(), "x");
  EXPECT_EQ(r.items[1].cost_actual().amount(), 3);
  ASSERT_THAT(r.errors, SizeIs(2));
  EXPECT_EQ(r.errors[0].first, 4);
  EXPECT_THAT(r.errors[0].second, HasSubstr("not an event in JSON"));
  EXPECT_EQ(r.errors[1].first, 5);
}

ReadResult<v1::Event> ReadJira(const std::string& text, JiraOptions options) {
  std::istringstream in(text);
  CsvRowReader<v1::Event> reader(
      in, std::make_unique<JiraMapper>(std::move(options)));
  return ReadAll(reader);
}

TEST(JiraTest, IssuesBecomeTaskEventsKeyedByIssue) {
  JiraOptions options;
  options.team_column = "Custom field (Team)";
  TeamNames teams{TeamResolver("eng")};
  options.teams = &teams;
  absl::LoadTimeZone("Europe/Berlin", &options.zone);
  const std::string text =
      "\xEF\xBB\xBFSummary,Issue key,Issue id,Status,Created,Updated,Resolved,"
      "Due date,Custom field (Team),Description\n"
      "\"Fix \"\"login\"\" bug\",PAY-1,10001,Done,01/Mar/26 9:15 AM,"
      "05/Mar/26 4:00 PM,04/Mar/26 3:30 PM,06/Mar/26,Payments,\"Steps:\n1. "
      "open\n2. click\"\n"
      "Search index,SRCH-2,10002,In Progress,02/Mar/26 10:00 AM,,,,Search,\n"
      "Old idea,PAY-3,10003,Won't Do,02/Mar/26 11:00 AM,07/Mar/26 8:00 AM,,"
      "10/Mar/26,Payments,\n"
      "Due soon,PAY-4,10004,To Do,02/Mar/26 11:00 AM,,,20/Mar/26,Payments,\n";
  const ReadResult<v1::Event> r = ReadJira(text, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.skipped, ElementsAre(std::pair<int64_t, std::string>(
                             5, "no due date")));  // SRCH-2, after a 3-line row
  ASSERT_THAT(r.items, SizeIs(5));
  const v1::Event& created = r.items[0];
  EXPECT_EQ(created.event_id(), "PAY-1:created");
  EXPECT_EQ(created.source(), "jira");
  EXPECT_EQ(created.team(), "eng/payments");
  EXPECT_EQ(T(created.occurred_at()), Utc(2026, 3, 1, 8, 15));  // CET
  EXPECT_EQ(T(created.task_created().due_at()), Utc(2026, 3, 6, 22, 59, 59));
  EXPECT_EQ(r.items[1].event_id(), "PAY-1:completed");
  EXPECT_EQ(T(r.items[1].occurred_at()), Utc(2026, 3, 4, 14, 30));
  EXPECT_EQ(r.items[2].event_id(), "PAY-3:created");
  EXPECT_EQ(r.items[3].event_id(), "PAY-3:cancelled");  // at Updated
  EXPECT_EQ(T(r.items[3].occurred_at()), Utc(2026, 3, 7, 7));
  EXPECT_EQ(r.items[4].event_id(), "PAY-4:created");

  options.default_due_days = 14;
  const ReadResult<v1::Event> with_default = ReadJira(text, options);
  EXPECT_THAT(with_default.skipped, IsEmpty());
  EXPECT_THAT(with_default.items, SizeIs(6));
}

TEST(JiraTest, BadIssuesAndMissingColumns) {
  JiraOptions options;
  options.team_column = "Team";
  TeamNames teams{TeamResolver()};
  options.teams = &teams;
  const ReadResult<v1::Event> r = ReadJira(
      "Issue key,Status,Created,Resolved,Due date,Team\n"
      "A-1,Done,01/Mar/26 9:15 AM,,02/Mar/26,core\n"
      "A-2,To Do,tomorrow,,02/Mar/26,\n",
      options);
  EXPECT_THAT(r.items, IsEmpty());
  ASSERT_THAT(r.errors, SizeIs(2));
  EXPECT_THAT(r.errors[0].second,
              HasSubstr("but Resolved (and Updated) is empty"));
  EXPECT_THAT(r.errors[1].second, AllOf(HasSubstr("Team: the team is empty"),
                                        HasSubstr("Created: cannot read")));
  EXPECT_THAT(ReadJira("\n\nIssue key,Status\n", options).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("line 3 (the header): not a Jira "
                                        "export"),
                             HasSubstr("missing Created, Team (the team "
                                       "column)"))));
}

// A team field as people fill it in: one team, slashes and all; a second
// spelling of the same id is refused on each of its rows, naming both.
TEST(JiraTest, TeamValuesAreOneTeamAndCollisionsAreRefused) {
  JiraOptions options;
  options.team_column = "Custom field (Team)";
  TeamNames teams{TeamResolver("eng")};
  options.teams = &teams;
  const ReadResult<v1::Event> r = ReadJira(
      "Summary,Issue key,Issue id,Issue Type,Status,Created,Due date,"
      "Custom field (Team)\n"
      "Rotate certs,INFRA-1,20001,Task,To Do,21/Jul/26 9:04 AM,31/Jul/26,"
      "Platform / Infra\n"
      "Upgrade nodes,INFRA-2,20002,Task,To Do,21/Jul/26 9:10 AM,31/Jul/26,"
      "Platform-Infra\n"
      "Drain pool,INFRA-3,20003,Task,To Do,21/Jul/26 9:12 AM,31/Jul/26,"
      "platform / infra\n"
      "Patch kernel,INFRA-4,20004,Task,To Do,21/Jul/26 9:15 AM,31/Jul/26,"
      "Platform-Infra\n",
      options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_THAT(r.items, SizeIs(2));
  EXPECT_EQ(r.items[0].team(), "eng/platform-infra");
  EXPECT_EQ(r.items[1].team(), "eng/platform-infra");  // INFRA-3
  ASSERT_THAT(r.errors, SizeIs(2));
  EXPECT_EQ(r.errors[0].first, 3);
  EXPECT_EQ(r.errors[1].first, 5);
  EXPECT_THAT(r.errors[0].second,
              AllOf(HasSubstr("Custom field (Team): teams \"Platform / Infra\" "
                              "and \"Platform-Infra\" both give the team id "
                              "eng/platform-infra"),
                    HasSubstr("--team-map")));
  EXPECT_THAT(teams.TakeNew(), ElementsAre(std::pair<std::string, std::string>(
                                   "Platform / Infra", "eng/platform-infra")));
}

constexpr char kMapping[] =
    "column,maps_to,reverse_scored\n"
    "Respondent,respondent_id,\n"
    "Team,team,\n"
    "Submitted,submitted_at,\n"
    "Safe,psychological_safety,\n"
    "Feedback,feedback,\n"
    "Valued,recognition,\n"
    "Grow,growth,\n"
    "Exhausted,wellbeing,yes\n"
    "Trust,trust_in_leadership,\n"
    "Vision,vision,\n"
    "Autonomy,autonomy,\n"
    "Together,collaboration,\n"
    "Recommend,enps,\n"
    "Stay,intent_to_stay,\n"
    "Comments,ignore,\n";

constexpr char kSurveyHeader[] =
    "Respondent,Team,Submitted,Safe,Feedback,Valued,Grow,Exhausted,Trust,"
    "Vision,Autonomy,Together,Recommend,Stay,Comments\n";

SurveyOptions Survey(TeamNames& teams, std::string round = "2026-q4") {
  std::istringstream in(kMapping);
  absl::StatusOr<SurveyMapping> mapping = ParseSurveyMapping(in, "map.csv");
  EXPECT_TRUE(mapping.ok()) << mapping.status();
  SurveyOptions options;
  options.mapping = *mapping;
  options.round = std::move(round);
  options.teams = &teams;
  options.response_key = *KeyedHasher::FromSecret("0123456789abcdef0123");
  return options;
}

ReadResult<sv1::SurveyResponse> ReadSurvey(const std::string& rows,
                                           SurveyOptions options) {
  std::istringstream in(std::string(kSurveyHeader) + rows);
  absl::StatusOr<std::unique_ptr<SurveyMapper>> mapper =
      SurveyMapper::Create(std::move(options));
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  CsvRowReader<sv1::SurveyResponse> reader(in, *std::move(mapper));
  return ReadAll(reader);
}

TEST(SurveyTest, RowsBecomeResponsesWithKeyedIds) {
  TeamNames teams{TeamResolver()};
  const std::string rows =
      "alice@example.com,Payments,2026-11-02 10:00,4,Agree,5,3,2,4,4,5,4,9,"
      "Strongly agree,\"long, free text\"\n"
      "bob@example.com,Payments,2026-11-03 11:00,2,2,,3,5,2,2,2,2,3,2,\n";
  const ReadResult<sv1::SurveyResponse> r = ReadSurvey(rows, Survey(teams));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_THAT(r.items, SizeIs(2));
  const sv1::SurveyResponse& alice = r.items[0];
  EXPECT_EQ(alice.team(), "payments");
  EXPECT_EQ(alice.round(), "2026-q4");
  EXPECT_EQ(alice.respondent_id(), "alice@example.com");
  EXPECT_EQ(T(alice.submitted_at()), Utc(2026, 11, 2, 10));
  EXPECT_EQ(alice.enps(), 9);
  EXPECT_EQ(alice.intent_to_stay(), 5);
  ASSERT_EQ(alice.answers_size(), 9);
  EXPECT_EQ(alice.answers(1).value(), 4);  // "Agree"
  EXPECT_EQ(alice.answers(4).dimension(), sv1::DIMENSION_WELLBEING);
  EXPECT_TRUE(alice.answers(4).reverse_scored());
  EXPECT_EQ(r.items[1].answers_size(), 8);  // one item left unanswered
  // The id: keyed, stable, and not the respondent.
  EXPECT_THAT(alice.response_id(), StartsWith("r1-"));
  EXPECT_THAT(alice.response_id(), Not(HasSubstr("alice")));
  EXPECT_EQ(alice.response_id(),
            ReadSurvey(rows, Survey(teams)).items[0].response_id());
  SurveyOptions other_key = Survey(teams);
  other_key.response_key = *KeyedHasher::FromSecret("another-secret-0123456");
  EXPECT_NE(alice.response_id(),
            ReadSurvey(rows, other_key).items[0].response_id());
  EXPECT_NE(alice.response_id(), r.items[1].response_id());
}

// A Google Forms export from a US account: M/D/YYYY H:MM:SS, read as month
// first because one of its rows has a day over 12.
TEST(SurveyTest, GoogleFormsTimestamps) {
  TeamNames teams{TeamResolver()};
  const std::string rows =
      "a@example.com,Payments,7/3/2026 9:04:12,4,4,4,4,2,4,4,4,4,9,4,\n"
      "b@example.com,Payments,7/21/2026 17:30:00,3,3,3,3,3,3,3,3,3,7,3,\n";
  std::istringstream scan(std::string(kSurveyHeader) + rows);
  SurveyOptions options = Survey(teams);
  options.times.date_order = DetectDateOrder(scan);
  EXPECT_EQ(options.times.date_order, DateOrder::kMonthFirst);
  const ReadResult<sv1::SurveyResponse> r = ReadSurvey(rows, options);
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_THAT(r.items, SizeIs(2));
  EXPECT_EQ(T(r.items[0].submitted_at()), Utc(2026, 7, 3, 9, 4, 12));
  EXPECT_EQ(T(r.items[1].submitted_at()), Utc(2026, 7, 21, 17, 30));

  // Without the file's order the first row is ambiguous.
  const ReadResult<sv1::SurveyResponse> alone = ReadSurvey(rows, Survey(teams));
  ASSERT_THAT(alone.errors, SizeIs(1));
  EXPECT_EQ(alone.errors[0].first, 2);
  EXPECT_THAT(alone.errors[0].second,
              HasSubstr("\"Submitted\": \"7/3/2026 9:04:12\" could be "
                        "day/month or month/day"));
}

TEST(SurveyTest, BadAnswersAreNamedWithoutEchoingThem) {
  TeamNames teams{TeamResolver()};
  const ReadResult<sv1::SurveyResponse> r = ReadSurvey(
      "carol@example.com,Payments,2026-11-02,4,often,5,3,2,4,4,5,4,,3,\n",
      Survey(teams));
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_THAT(r.errors[0].second,
              AllOf(HasSubstr("\"Feedback\": not an answer from 1 to 5"),
                    HasSubstr("\"Recommend\": not answered"),
                    Not(HasSubstr("often")), Not(HasSubstr("carol"))));
}

TEST(SurveyTest, MappingAndOptionsAreChecked) {
  TeamNames teams{TeamResolver()};
  std::istringstream partial(
      "column,maps_to\nR,respondent_id\nT,team\nS,submitted_at\nW,wellbeing\n"
      "N,enps\nI,intent_to_stay\n");
  EXPECT_THAT(ParseSurveyMapping(partial, "map.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no question maps to psychological_safety, "
                                 "feedback, recognition, growth")));
  std::istringstream typo("column,maps_to\nR,respondent\n");
  EXPECT_THAT(ParseSurveyMapping(typo, "map.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("map.csv:2: \"respondent\" is not a role")));
  SurveyOptions no_round = Survey(teams, "");
  EXPECT_THAT(
      SurveyMapper::Create(no_round),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--round")));
  SurveyOptions no_key = Survey(teams);
  no_key.response_key.reset();
  EXPECT_THAT(SurveyMapper::Create(no_key),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--response-key-file")));
  std::istringstream in("Respondent,Team\n");
  CsvRowReader<sv1::SurveyResponse> reader(
      in, *SurveyMapper::Create(Survey(teams)));
  EXPECT_THAT(ReadAll(reader).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the export has no column \"Submitted\"")));
}

TEST(BatcherTest, BatchesWholeRowsAndDropsRowsTheServiceWouldRefuse) {
  JiraOptions options;
  options.team_column = "Team";
  TeamNames teams{TeamResolver()};
  options.teams = &teams;
  std::string text = "Issue key,Status,Created,Resolved,Due date,Team\n";
  for (int i = 1; i <= 7; ++i) {
    absl::StrAppend(&text, "A-", i, ",Done,2026-03-01 09:00,2026-03-02 09:00,",
                    i == 4 ? "1999-01-01" : "2026-03-05", ",",
                    i == 6 ? "" : "core", "\n");
  }
  std::istringstream in(text);
  CsvRowReader<v1::Event> rows(in, std::make_unique<JiraMapper>(options));
  std::vector<BadRow> bad;
  Batcher<v1::PushRequest, v1::Event> batcher(
      rows, 3, [](const v1::PushRequest& b) { return ValidateBatch(b, kNow); },
      [&](const std::vector<BadRow>& b) {
        bad.insert(bad.end(), b.begin(), b.end());
      });
  v1::PushRequest batch;
  std::vector<int64_t> lines;
  std::vector<std::vector<int64_t>> all_lines;
  while (batcher.Next(batch, lines)) {
    EXPECT_EQ(batch.events_size(), static_cast<int>(lines.size()));
    all_lines.push_back(lines);
  }
  ASSERT_TRUE(batcher.status().ok());
  // Two events per issue; a batch of at least 3 events ends on a row; the
  // rows on lines 5 and 7 are dropped (below).
  EXPECT_THAT(all_lines, ElementsAre(ElementsAre(2, 2, 3, 3), ElementsAre(4, 4),
                                     ElementsAre(6, 6, 8, 8)));
  ASSERT_THAT(bad, SizeIs(2));
  EXPECT_EQ(bad[0].line, 5);
  EXPECT_THAT(bad[0].reason,
              HasSubstr("task_created.due_at is before 2000-01-01"));
  EXPECT_EQ(bad[1].line, 7);
  EXPECT_THAT(bad[1].reason, HasSubstr("the team is empty"));
  EXPECT_EQ(batcher.counts().rows, 7);
  EXPECT_EQ(batcher.counts().items, 10);
  EXPECT_EQ(batcher.counts().bad_rows, 2);
}

TEST(BatcherTest, ABatchOfBadRowsDoesNotEndTheFile) {
  GenericEventOptions options;
  options.default_source = "sheet";
  std::istringstream in(
      "kind,team,occurred_at,task_id\n"
      "task_started,eng,never,T-1\n"
      "task_started,eng,never,T-2\n"
      "task_started,eng,2026-03-01,T-3\n"
      "task_started,eng,2026-03-01,T-4\n");
  CsvRowReader<v1::Event> rows(in,
                               std::make_unique<GenericEventMapper>(options));
  std::vector<int64_t> bad_lines;
  Batcher<v1::PushRequest, v1::Event> batcher(
      rows, 2, nullptr, [&](const std::vector<BadRow>& bad) {
        for (const BadRow& b : bad) bad_lines.push_back(b.line);
      });
  v1::PushRequest batch;
  std::vector<int64_t> lines;
  ASSERT_TRUE(batcher.Next(batch, lines));
  EXPECT_THAT(lines, ElementsAre(4, 5));
  EXPECT_FALSE(batcher.Next(batch, lines));
  EXPECT_THAT(bad_lines, ElementsAre(2, 3));
  EXPECT_EQ(batcher.counts().rows, 4);
  EXPECT_EQ(batcher.counts().items, 2);
  EXPECT_EQ(batcher.counts().bad_rows, 2);
}

TEST(DropInvalidRowsTest, DropsEveryItemOfANamedRow) {
  v1::PushRequest batch;
  for (const char* id : {"a", "b", "c", "d"})
    batch.add_events()->set_event_id(id);
  std::vector<int64_t> lines = {7, 7, 8, 9};
  const std::vector<BadRow> bad =
      DropInvalidRows(batch, lines,
                      {{"events[1].team", "is required"},
                       {"events[3].occurred_at", "is required"},
                       {"events[1].source", "is required"},
                       {"events[99].team", "out of range: ignored"}});
  EXPECT_THAT(lines, ElementsAre(8));
  ASSERT_EQ(batch.events_size(), 1);
  EXPECT_EQ(batch.events(0).event_id(), "c");
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].line, 7);
  EXPECT_EQ(bad[0].reason, "team is required; source is required");
  EXPECT_EQ(bad[1].line, 9);
}

}  // namespace
}  // namespace orgpulse::cli
