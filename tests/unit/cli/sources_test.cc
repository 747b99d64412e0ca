// The import sources beyond the generic format and Jira, over the sample
// exports in tests/integration/cli/data (built from each tool's documented
// export): GitHub issues (gh and the REST API), Linear's CSV, and the survey
// exports of Microsoft Forms, Typeform and SurveyMonkey; and the order of
// numeric dates learnt while a file is read once.
#include <fstream>
#include <memory>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/import/generic_events.h"
#include "cli/import/github.h"
#include "cli/import/linear.h"
#include "cli/import/row_reader.h"
#include "cli/import/survey.h"
#include "cli/import/team_names.h"
#include "common/proto/time_conversion.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::cli {
namespace {

namespace v1 = ::orgpulse::ingest::v1;
namespace sv1 = ::orgpulse::insights::v1;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kData = ORGPULSE_CLI_TEST_DATA;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss),
                         absl::UTCTimeZone());
}
absl::Time T(const google::protobuf::Timestamp& ts) {
  return FromProtoTime(true, ts);
}
absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone));
  return zone;
}

template <typename Item>
struct ReadResult {
  std::vector<Item> items;
  std::vector<std::pair<int64_t, std::string>> errors;
  std::vector<std::pair<int64_t, std::string>> skipped;
  int64_t rows = 0;
  absl::Status status;
  DateOrder order = DateOrder::kUnknown;
};

template <typename Item>
ReadResult<Item> ReadAll(RowReader<Item>& reader) {
  ReadResult<Item> out;
  Row row;
  Items<Item> items;
  while (reader.Next(row, items)) {
    ++out.rows;
    if (!row.error.empty()) out.errors.emplace_back(row.line, row.error);
    if (!row.skipped.empty()) out.skipped.emplace_back(row.line, row.skipped);
  }
  out.items.assign(items.begin(), items.end());
  out.status = reader.status();
  out.order = reader.date_order();
  return out;
}

ReadResult<v1::Event> ReadGithub(std::istream& in, GithubOptions options) {
  GithubIssueReader reader(in, std::move(options));
  return ReadAll(reader);
}

const v1::Event* Find(const std::vector<v1::Event>& events,
                      const std::string& id) {
  for (const v1::Event& e : events) {
    if (e.event_id() == id) return &e;
  }
  return nullptr;
}

TEST(GithubTest, GhIssueListBecomesTaskEventsWithTeamsFromLabels) {
  TeamNames teams{TeamResolver("eng")};
  GithubOptions options;
  options.teams = &teams;
  std::ifstream in(kData + "/github_gh_issues.json", std::ios::binary);
  const ReadResult<v1::Event> r = ReadGithub(in, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.rows, 7);
  // #104 has no milestone, so no due date.
  EXPECT_THAT(r.skipped, ElementsAre(Pair(4, HasSubstr("no due date"))));
  ASSERT_THAT(r.items, SizeIs(10));

  const v1::Event* created = Find(r.items, "acme/checkout#101:created");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->source(), "github");
  EXPECT_EQ(created->team(), "eng/payments");  // label "team: Payments"
  EXPECT_EQ(T(created->occurred_at()), Utc(2026, 10, 1, 9));
  EXPECT_EQ(created->task_created().task_id(), "acme/checkout#101");
  // The milestone's due day, to its end.
  EXPECT_EQ(T(created->task_created().due_at()), Utc(2026, 10, 31, 23, 59, 59));
  const v1::Event* completed = Find(r.items, "acme/checkout#101:completed");
  ASSERT_NE(completed, nullptr);
  EXPECT_EQ(T(completed->occurred_at()), Utc(2026, 10, 20, 15, 30));
  // Closed as not planned: cancelled.
  ASSERT_NE(Find(r.items, "acme/checkout#102:cancelled"), nullptr);
  EXPECT_TRUE(
      Find(r.items, "acme/checkout#102:cancelled")->has_task_cancelled());
  // Open: created only, even when reopened.
  EXPECT_EQ(Find(r.items, "acme/checkout#103:completed"), nullptr);
  EXPECT_EQ(Find(r.items, "acme/checkout#107:completed"), nullptr);
  // The prefix of a team label is matched ignoring case.
  EXPECT_EQ(Find(r.items, "acme/checkout#105:created")->team(), "eng/search");
  // No team label: the repository's name; closed without a reason (before
  // GitHub kept one): completed.
  EXPECT_EQ(Find(r.items, "acme/checkout#106:created")->team(), "eng/checkout");
  EXPECT_NE(Find(r.items, "acme/checkout#106:completed"), nullptr);

  // --team names the team of issues without a label instead.
  TeamNames more{TeamResolver("eng")};
  options.teams = &more;
  options.team = "Payments";
  in.clear();
  in.seekg(0);
  EXPECT_EQ(
      Find(ReadGithub(in, options).items, "acme/checkout#106:created")->team(),
      "eng/payments");
}

TEST(GithubTest, RestApiPagesSkipPullRequests) {
  TeamNames teams{TeamResolver()};
  GithubOptions options;
  options.teams = &teams;
  options.zone = Zone("Europe/Berlin");
  std::ifstream in(kData + "/github_rest_issues.json", std::ios::binary);
  const ReadResult<v1::Event> r = ReadGithub(in, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  // Two pages of three and two items; the fourth is a pull request.
  EXPECT_EQ(r.rows, 5);
  EXPECT_THAT(r.skipped, ElementsAre(Pair(4, HasSubstr("pull request"))));
  ASSERT_THAT(r.items, SizeIs(7));
  const v1::Event* created = Find(r.items, "acme/search#9:created");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->team(), "search");
  // due_on 2026-11-30T08:00:00Z: the end of 30 November in --timezone.
  EXPECT_EQ(T(created->task_created().due_at()),
            absl::FromCivil(absl::CivilDay(2026, 12, 1), options.zone) -
                absl::Seconds(1));
  EXPECT_TRUE(Find(r.items, "acme/search#10:cancelled")->has_task_cancelled());
  EXPECT_EQ(T(Find(r.items, "acme/search#11:completed")->occurred_at()),
            Utc(2026, 10, 28, 12));
  EXPECT_EQ(Find(r.items, "acme/search#8:created"), nullptr);
}

TEST(GithubTest, BadItemsNameTheIssueItsLineAndTheField) {
  TeamNames teams{TeamResolver()};
  GithubOptions options;
  options.teams = &teams;
  std::istringstream in(
      "[\n"
      "  {\"number\": 3, \"state\": \"OPEN\", \"createdAt\": \"yesterday\",\n"
      "   \"url\": \"https://github.com/acme/x/issues/3\"},\n"
      "  {\"number\": 4, \"state\": \"MERGED\", \"createdAt\": "
      "\"2026-10-01T09:00:00Z\",\n"
      "   \"url\": \"https://github.com/acme/x/issues/4\"},\n"
      "  {\"number\": 5, \"state\": \"CLOSED\", \"createdAt\": "
      "\"2026-10-01T09:00:00Z\"},\n"
      "  {\"message\": \"Bad credentials\", \"documentation_url\": \"x\"},\n"
      "  {\"number\": 6, \"state\": \"OPEN\", \"createdAt\": "
      "\"2026-10-01T09:00:00Z\", \"url\": "
      "\"https://github.com/acme/x/issues/6\","
      " \"labels\": [{\"name\": \"team:A\"}, {\"name\": \"team:B\"}]}\n"
      "]\n");
  const ReadResult<v1::Event> r = ReadGithub(in, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.items, IsEmpty());
  EXPECT_THAT(
      r.errors,
      ElementsAre(
          Pair(1, StartsWith("acme/x#3 (line 2): createdAt: cannot read "
                             "\"yesterday\" as a time")),
          Pair(2, StartsWith("acme/x#4 (line 4): state: \"merged\" is not "
                             "open or closed")),
          Pair(3, AllOf(StartsWith("#5 (line 6): url is missing"),
                        HasSubstr("gh: add url to --json"))),
          Pair(4, StartsWith("an issue (line 7): number is missing")),
          Pair(5, HasSubstr("labels: two teams, \"A\" and \"B\""))));
}

TEST(GithubTest, WhatIsNotAnIssueListStopsTheFile) {
  TeamNames teams{TeamResolver()};
  GithubOptions options;
  options.teams = &teams;
  for (const auto& [text, says] :
       std::vector<std::pair<std::string, std::string>>{
           {"Number,Title\n12,x\n", "line 1: expected a JSON array of issues"},
           {"[{\"number\": 1}", "line 1: the file ends inside an array"},
           {"[\n{\"number\": 1,\n\"title\": \"a",
            "line 3: the file ends inside an item"},
           {"[{\"number\": 1} {\"number\": 2}]",
            "expected ',' or ']' after item 1"},
       }) {
    std::istringstream in(text);
    EXPECT_THAT(ReadGithub(in, options).status.message(), HasSubstr(says))
        << text;
  }
  // One object per line (gh --jq '.[]') and a byte order mark are fine.
  std::istringstream lines(
      "\xEF\xBB\xBF{\"number\": 1, \"state\": \"OPEN\", \"createdAt\": "
      "\"2026-10-01T09:00:00Z\", \"url\": \"https://github.com/a/b/issues/1\"}"
      "\n{\"number\": 2, \"state\": \"OPEN\", \"createdAt\": "
      "\"2026-10-01T09:00:00Z\", \"url\": \"https://github.com/a/b/issues/2\"}"
      "\n");
  options.default_due_days = 14;
  const ReadResult<v1::Event> r = ReadGithub(lines, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_THAT(r.items, SizeIs(2));
  EXPECT_EQ(r.items[1].team(), "b");
  EXPECT_EQ(T(r.items[1].task_created().due_at()), Utc(2026, 10, 15, 9));
}

TEST(LinearTest, IssuesBecomeTaskEventsWithStartsAndCancellations) {
  TeamNames teams{TeamResolver("eng")};
  LinearOptions options;
  options.teams = &teams;
  std::ifstream in(kData + "/linear_export.csv", std::ios::binary);
  CsvRowReader<v1::Event> reader(in, std::make_unique<LinearMapper>(options));
  const ReadResult<v1::Event> r = ReadAll(reader);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  // PAY-204 is in the backlog without a due date; PAY-201's description
  // spans lines 2 to 6.
  EXPECT_THAT(r.skipped, ElementsAre(Pair(9, "no due date")));
  ASSERT_THAT(r.items, SizeIs(10));
  const v1::Event* created = Find(r.items, "PAY-201:created");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->source(), "linear");
  EXPECT_EQ(created->team(), "eng/payments");
  EXPECT_EQ(T(created->occurred_at()), Utc(2026, 10, 1, 8));
  EXPECT_EQ(T(created->task_created().due_at()), Utc(2026, 10, 9, 23, 59, 59));
  EXPECT_EQ(T(Find(r.items, "PAY-201:started")->occurred_at()),
            Utc(2026, 10, 2, 9));
  EXPECT_TRUE(Find(r.items, "PAY-201:completed")->has_task_completed());
  EXPECT_TRUE(Find(r.items, "PAY-203:cancelled")->has_task_cancelled());
  EXPECT_EQ(Find(r.items, "PAY-203:started"), nullptr);
  EXPECT_EQ(Find(r.items, "PAY-202:completed"), nullptr);
  EXPECT_EQ(Find(r.items, "INF-17:created")->team(), "eng/platform-infra");

  std::istringstream jira("Issue key,Status,Created\nA-1,Done,2026-10-01\n");
  CsvRowReader<v1::Event> wrong(jira, std::make_unique<LinearMapper>(options));
  EXPECT_THAT(ReadAll(wrong).status.message(),
              HasSubstr("line 1 (the header): not a Linear export with the "
                        "columns needed: missing ID, Team, Completed, "
                        "Canceled"));
  std::istringstream bad(
      "ID,Team,Created,Completed,Canceled,Due Date\n"
      "X-1,Ops,2026-10-01T08:00:00.000Z,2026-10-02,2026-10-03,13/13/2026\n");
  CsvRowReader<v1::Event> bad_rows(bad,
                                   std::make_unique<LinearMapper>(options));
  EXPECT_THAT(
      ReadAll(bad_rows).errors,
      ElementsAre(Pair(2, AllOf(HasSubstr("both Completed and Canceled"),
                                HasSubstr("Due Date: cannot read")))));
}

// The mapping files of the samples, as a user would write them.
SurveyOptions SurveyFrom(const std::string& mapping, TeamNames& teams) {
  std::ifstream in(kData + "/" + mapping, std::ios::binary);
  absl::StatusOr<SurveyMapping> parsed = ParseSurveyMapping(in, mapping);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  SurveyOptions options;
  options.mapping = *parsed;
  options.round = "2026-q4";
  options.teams = &teams;
  options.response_key = *KeyedHasher::FromSecret("0123456789abcdef0123");
  return options;
}

ReadResult<sv1::SurveyResponse> ReadSurveyFile(const std::string& file,
                                               SurveyOptions options) {
  std::ifstream in(kData + "/" + file, std::ios::binary);
  absl::StatusOr<std::unique_ptr<SurveyMapper>> mapper =
      SurveyMapper::Create(std::move(options));
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  CsvRowReader<sv1::SurveyResponse> reader(in, *std::move(mapper),
                                           /*learn_date_order=*/true);
  return ReadAll(reader);
}

TEST(SurveyToolsTest, MicrosoftFormsAnonymousDayFirstExport) {
  TeamNames teams{TeamResolver()};
  SurveyOptions options = SurveyFrom("msforms_mapping.csv", teams);
  options.zone = Zone("Europe/London");
  const ReadResult<sv1::SurveyResponse> r =
      ReadSurveyFile("msforms_export.csv", options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_THAT(r.items, SizeIs(6));
  // 03/11/2026 is 3 November: the fifth response (14/11/2026) told the
  // order, and the rows before it waited for it.
  EXPECT_EQ(r.order, DateOrder::kDayFirst);
  EXPECT_EQ(T(r.items[0].submitted_at()), Utc(2026, 11, 3, 9, 4, 12));
  EXPECT_EQ(r.items[0].respondent_id(), "1");
  EXPECT_EQ(r.items[0].team(), "payments");
  EXPECT_EQ(r.items[0].answers(0).value(), 4);  // "Agree"
  EXPECT_TRUE(r.items[0].answers(4).reverse_scored());
  EXPECT_EQ(r.items[2].team(), "customer-support");

  // Mapping Email, which an anonymous form fills with "anonymous", would
  // make every response replace the one before.
  for (SurveyColumn& c : options.mapping.columns) {
    if (c.column == "ID") c.column = "Email";
  }
  const ReadResult<sv1::SurveyResponse> anonymous =
      ReadSurveyFile("msforms_export.csv", options);
  ASSERT_THAT(anonymous.errors, SizeIs(6));
  EXPECT_THAT(anonymous.errors[0].second,
              HasSubstr("\"Email\": \"anonymous\" (an anonymous form); map a "
                        "column that tells the responses apart"));
}

TEST(SurveyToolsTest, TypeformTimesAreUtcAsItsHeaderSays) {
  TeamNames teams{TeamResolver()};
  SurveyOptions options = SurveyFrom("typeform_mapping.csv", teams);
  options.zone = Zone("Europe/Berlin");  // not for "Submit Date (UTC)"
  const ReadResult<sv1::SurveyResponse> r =
      ReadSurveyFile("typeform_export.csv", options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_THAT(r.items, SizeIs(6));
  EXPECT_EQ(T(r.items[0].submitted_at()), Utc(2026, 11, 5, 8, 14, 52));
  EXPECT_EQ(r.items[0].response_id(), "t3cmn4zl1nhyj7qrt3cmn4n2yde1qmdy");
  EXPECT_EQ(r.items[1].enps(), 10);
  EXPECT_EQ(r.items[5].team(), "search");
}

TEST(SurveyToolsTest, SurveyMonkeyTwoHeaderRowsAndUsDates) {
  TeamNames teams{TeamResolver()};
  SurveyOptions options = SurveyFrom("surveymonkey_mapping.csv", teams);
  options.surveymonkey_header = true;
  const ReadResult<sv1::SurveyResponse> r =
      ReadSurveyFile("surveymonkey_export.csv", options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_THAT(r.items, SizeIs(5));
  EXPECT_EQ(r.order, DateOrder::kMonthFirst);  // 11/16/2026, row 7
  EXPECT_EQ(T(r.items[0].submitted_at()), Utc(2026, 11, 5, 14, 3, 22));
  EXPECT_EQ(r.items[0].response_id(), "114328765430");
  // A matrix row is named by its label under the question.
  EXPECT_EQ(r.items[0].answers(0).item(),
            "I feel safe to take a risk on this team");
  EXPECT_EQ(r.items[0].answers(3).value(), 3);  // Neither agree nor disagree
  EXPECT_EQ(r.items[0].enps(), 8);
  EXPECT_EQ(r.items[0].intent_to_stay(), 4);  // "Agree"
  EXPECT_EQ(r.items[4].team(), "platform");

  // A file with one header row is not SurveyMonkey's.
  const ReadResult<sv1::SurveyResponse> one =
      ReadSurveyFile("typeform_export.csv", options);
  EXPECT_THAT(one.status.message(),
              HasSubstr("lines 1-2 (the header): line 2 is not SurveyMonkey's "
                        "second header row"));
}

TEST(SurveyToolsTest, AMappedColumnNamedTwiceIsRefused) {
  TeamNames teams{TeamResolver()};
  std::ifstream file(kData + "/typeform_export.csv", std::ios::binary);
  std::string header;
  std::getline(file, header);
  // Two questions of one title (two matrices with the same row, say).
  std::istringstream in(header + ",I feel safe to take a risk on this team\n");
  CsvRowReader<sv1::SurveyResponse> reader(
      in, *SurveyMapper::Create(SurveyFrom("typeform_mapping.csv", teams)));
  EXPECT_THAT(ReadAll(reader).status.message(),
              HasSubstr("line 1 (the header): the export has several columns "
                        "named \"I feel safe to take a risk on this team\""));
}

// Counts the bytes a reader takes from it, to show a file is read once.
class CountingBuffer : public std::streambuf {
 public:
  explicit CountingBuffer(std::string text) : text_(std::move(text)) {
    setg(text_.data(), text_.data(), text_.data());
  }
  int64_t served() const { return served_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const size_t at = static_cast<size_t>(egptr() - text_.data());
    if (at == text_.size()) return traits_type::eof();
    const size_t n = std::min<size_t>(7, text_.size() - at);  // small reads
    served_ += static_cast<int64_t>(n);
    setg(text_.data() + at, text_.data() + at, text_.data() + at + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string text_;
  int64_t served_ = 0;
};

TEST(LearnDateOrderTest, RowsWaitForTheRowThatTellsAndTheFileIsReadOnce) {
  TeamNames teams{TeamResolver()};
  const std::string text =
      "Respondent,Team,Submitted,Safe,Feedback,Valued,Grow,Exhausted,Trust,"
      "Vision,Autonomy,Together,Recommend,Stay\n"
      "a,Payments,03/04/2026 10:00,4,4,4,4,2,4,4,4,4,9,4\n"
      "b,Payments,05/04/2026 10:00,4,4,4,4,2,4,4,4,4,9,4\n"
      "c,Payments,04/04/2026 10:00,4,4,4,4,2,4,4,4,4,9,four\n"
      "d,Payments,2026-04-06 10:00,4,4,4,4,2,4,4,4,4,9,4\n"
      "e,Search,21/04/2026 09:04,4,4,4,4,2,4,4,4,4,9,4\n"
      "f,Search,06/05/2026 09:04,4,4,4,4,2,4,4,4,4,9,4\n";
  std::istringstream mapping(
      "column,maps_to\nRespondent,respondent_id\nTeam,team\nSubmitted,"
      "submitted_at\nSafe,psychological_safety\nFeedback,feedback\nValued,"
      "recognition\nGrow,growth\nExhausted,wellbeing\nTrust,"
      "trust_in_leadership\nVision,vision\nAutonomy,autonomy\nTogether,"
      "collaboration\nRecommend,enps\nStay,intent_to_stay\n");
  SurveyOptions options;
  options.mapping = *ParseSurveyMapping(mapping, "map.csv");
  options.round = "2026-q2";
  options.teams = &teams;
  options.response_key = *KeyedHasher::FromSecret("0123456789abcdef0123");
  CountingBuffer buffer(text);
  std::istream in(&buffer);
  CsvRowReader<sv1::SurveyResponse> reader(in, *SurveyMapper::Create(options),
                                           /*learn_date_order=*/true);
  const ReadResult<sv1::SurveyResponse> r = ReadAll(reader);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(buffer.served(), static_cast<int64_t>(text.size()));
  EXPECT_EQ(r.order, DateOrder::kDayFirst);
  // Every row once, in the file's order; the bad one where it was.
  EXPECT_EQ(r.rows, 6);
  EXPECT_THAT(r.errors, ElementsAre(Pair(4, HasSubstr("\"Stay\""))));
  ASSERT_THAT(r.items, SizeIs(5));
  EXPECT_EQ(T(r.items[0].submitted_at()), Utc(2026, 4, 3, 10));
  EXPECT_EQ(T(r.items[1].submitted_at()), Utc(2026, 4, 5, 10));
  EXPECT_EQ(T(r.items[4].submitted_at()), Utc(2026, 5, 6, 9, 4));

  // Nothing tells: the waiting rows are refused as ambiguous at the end.
  std::istringstream untold(
      "kind,source,team,occurred_at,procedure,passed\n"
      "procedure_check,ci,qa/a,03/04/2026 10:00,review,yes\n"
      "procedure_check,ci,qa/a,2026-04-03 10:00,review,yes\n");
  CsvRowReader<v1::Event> events(
      untold, std::make_unique<GenericEventMapper>(GenericEventOptions{}),
      /*learn_date_order=*/true);
  const ReadResult<v1::Event> e = ReadAll(events);
  EXPECT_THAT(e.errors, ElementsAre(Pair(2, HasSubstr("could be day/month or "
                                                      "month/day"))));
  EXPECT_THAT(e.items, SizeIs(1));
}

TEST(LearnDateOrderTest, TooManyWaitingRowsStopTheFile) {
  std::string text = "kind,source,team,occurred_at,procedure,passed\n";
  for (int i = 0; i < 2000; ++i) {
    text += "procedure_check,ci,qa/a,03/04/2026 10:00,review,yes\n";
  }
  std::istringstream in(text);
  // Each row holds 52 bytes (its fields and a separator each).
  CsvRowReader<v1::Event> events(
      in, std::make_unique<GenericEventMapper>(GenericEventOptions{}),
      /*learn_date_order=*/true, /*max_waiting_bytes=*/52 * 1000);
  EXPECT_THAT(
      ReadAll(events).status.message(),
      HasSubstr("line 2: \"03/04/2026 10:00\" could be day/month or "
                "month/day, and none of the 1000 rows after it, as many as are "
                "kept in memory, has a day over 12"));
  // The default allows far more than a few rows.
  std::istringstream again(text);
  CsvRowReader<v1::Event> patient(
      again, std::make_unique<GenericEventMapper>(GenericEventOptions{}),
      /*learn_date_order=*/true);
  const ReadResult<v1::Event> all = ReadAll(patient);
  EXPECT_TRUE(all.status.ok()) << all.status;
  EXPECT_THAT(all.errors, SizeIs(2000));
}

}  // namespace
}  // namespace orgpulse::cli
