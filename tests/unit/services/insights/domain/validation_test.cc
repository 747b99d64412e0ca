// Every validation rule of a survey batch, with the exact field path of each
// violation; descriptions never echo a respondent or an answer.
#include "services/insights/domain/validation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::insights {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

SurveyResponse Valid(int i = 0) {
  SurveyResponse r;
  r.response_id = absl::StrCat("resp-", i);
  r.team = "eng/payments";
  r.round = "2026-q1";
  r.respondent = "hash-of-person";
  r.respondent_id_length = 12;
  r.submitted_at = kNow - absl::Hours(1);
  for (int d = 1; d <= kDimensionCount; ++d) {
    r.answers.push_back({static_cast<Dimension>(d), 4, false});
  }
  r.enps = 8;
  r.intent_to_stay = 4;
  return r;
}

std::vector<FieldViolation> Validate(const SurveyResponse& r) {
  return ValidateResponses({r}, kNow);
}

// The field paths of the violations, in order.
std::vector<std::string> Fields(const std::vector<FieldViolation>& v) {
  std::vector<std::string> out;
  for (const FieldViolation& f : v) out.push_back(f.field);
  return out;
}

TEST(ValidateResponsesTest, ValidResponseHasNoViolations) {
  EXPECT_THAT(Validate(Valid()), IsEmpty());
}

TEST(ValidateResponsesTest, EmptyBatch) {
  EXPECT_THAT(ValidateResponses({}, kNow),
              ElementsAre(FieldViolation{"responses",
                                         "at least one response is required"}));
}

TEST(ValidateResponsesTest, BatchSizeLimit) {
  std::vector<SurveyResponse> batch;
  for (size_t i = 0; i < kMaxResponsesPerBatch; ++i) batch.push_back(Valid(i));
  EXPECT_THAT(ValidateResponses(batch, kNow), IsEmpty());
  batch.push_back(Valid(-1));
  const std::vector<FieldViolation> v = ValidateResponses(batch, kNow);
  ASSERT_THAT(Fields(v), ElementsAre("responses"));
  EXPECT_THAT(v[0].description, HasSubstr("at most 1000"));
  EXPECT_THAT(v[0].description, HasSubstr("got 1001"));
}

TEST(ValidateResponsesTest, ResponseId) {
  SurveyResponse r = Valid();
  r.response_id = "";
  EXPECT_THAT(Validate(r), ElementsAre(FieldViolation{
                               "responses[0].response_id", "is required"}));
  r.response_id = std::string(kMaxResponseIdLength, 'x');
  EXPECT_THAT(Validate(r), IsEmpty());
  r.response_id += "x";
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].response_id"));
  r.response_id = "bad\x01id";
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].response_id"));
  r.response_id = "caf\xc3\xa9";
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].response_id"));
}

TEST(ValidateResponsesTest, Team) {
  for (const char* team : {"", "Eng", "eng/", "a/b/c/d/e", "eng payments"}) {
    SurveyResponse r = Valid();
    r.team = team;
    EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].team"))
        << "'" << team << "'";
  }
  SurveyResponse r = Valid();
  r.team = "a/b/c/d";
  EXPECT_THAT(Validate(r), IsEmpty());
}

TEST(ValidateResponsesTest, Round) {
  SurveyResponse r = Valid();
  r.round = "";
  EXPECT_THAT(Validate(r),
              ElementsAre(FieldViolation{"responses[0].round", "is required"}));
  r.round = std::string(kMaxRoundLength, '9');
  EXPECT_THAT(Validate(r), IsEmpty());
  r.round += "9";
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].round"));
  for (const char* round : {"2026-Q1", "2026 q1", "2026/q1", "q1\n"}) {
    r.round = round;
    EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].round"))
        << round;
  }
  r.round = "2026.q1_a-b";
  EXPECT_THAT(Validate(r), IsEmpty());
}

TEST(ValidateResponsesTest, RespondentIdIsCheckedByItsRawLength) {
  SurveyResponse r = Valid();
  r.respondent_id_length = 0;
  EXPECT_THAT(Validate(r), ElementsAre(FieldViolation{
                               "responses[0].respondent_id", "is required"}));
  r.respondent_id_length = kMaxRespondentIdLength;
  EXPECT_THAT(Validate(r), IsEmpty());
  r.respondent_id_length = kMaxRespondentIdLength + 1;
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].respondent_id"));
}

TEST(ValidateResponsesTest, AnswerItemLength) {
  SurveyResponse r = Valid();
  r.answers[2].item_length = kMaxItemLength;
  EXPECT_THAT(Validate(r), IsEmpty());
  r.answers[2].item_length = kMaxItemLength + 1;
  EXPECT_THAT(Validate(r),
              ElementsAre(FieldViolation{"responses[0].answers[2].item",
                                         "longer than 128 characters"}));
}

TEST(ValidateResponsesTest, SubmittedAt) {
  SurveyResponse r = Valid();
  r.submitted_at = absl::InfinitePast();
  EXPECT_THAT(Validate(r), ElementsAre(FieldViolation{
                               "responses[0].submitted_at", "is required"}));
  r.submitted_at = absl::InfiniteFuture();
  EXPECT_THAT(Validate(r),
              ElementsAre(FieldViolation{"responses[0].submitted_at",
                                         "is not a valid timestamp"}));
  const absl::Time y2k =
      absl::FromCivil(absl::CivilSecond(2000, 1, 1), absl::UTCTimeZone());
  r.submitted_at = y2k - absl::Seconds(1);
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].submitted_at"));
  r.submitted_at = y2k;
  EXPECT_THAT(Validate(r), IsEmpty());
  // Up to a day of clock skew is accepted.
  r.submitted_at = kNow + absl::Hours(24);
  EXPECT_THAT(Validate(r), IsEmpty());
  r.submitted_at = kNow + absl::Hours(24) + absl::Seconds(1);
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].submitted_at"));
}

TEST(ValidateResponsesTest, EnpsRange) {
  for (int enps : {0, 10}) {
    SurveyResponse r = Valid();
    r.enps = enps;
    EXPECT_THAT(Validate(r), IsEmpty()) << enps;
  }
  for (int enps : {-1, 11}) {
    SurveyResponse r = Valid();
    r.enps = enps;
    EXPECT_THAT(Validate(r),
                ElementsAre(FieldViolation{"responses[0].enps",
                                           "must be between 0 and 10"}))
        << enps;
  }
}

TEST(ValidateResponsesTest, IntentToStayRange) {
  for (int intent : {1, 5}) {
    SurveyResponse r = Valid();
    r.intent_to_stay = intent;
    EXPECT_THAT(Validate(r), IsEmpty()) << intent;
  }
  for (int intent : {0, 6}) {
    SurveyResponse r = Valid();
    r.intent_to_stay = intent;
    EXPECT_THAT(Validate(r),
                ElementsAre(FieldViolation{"responses[0].intent_to_stay",
                                           "must be between 1 and 5"}))
        << intent;
  }
}

TEST(ValidateResponsesTest, AnswerValueRange) {
  for (int value : {0, 6}) {
    SurveyResponse r = Valid();
    r.answers[3].value = value;
    EXPECT_THAT(Validate(r),
                ElementsAre(FieldViolation{"responses[0].answers[3].value",
                                           "must be between 1 and 5"}))
        << value;
  }
  SurveyResponse r = Valid();
  r.answers[3].value = 1;
  r.answers[4].value = 5;
  EXPECT_THAT(Validate(r), IsEmpty());
}

TEST(ValidateResponsesTest, UnspecifiedDimensionAlsoLeavesOneUnanswered) {
  SurveyResponse r = Valid();
  r.answers[4].dimension = Dimension::kUnspecified;  // was wellbeing
  EXPECT_THAT(Validate(r),
              ElementsAre(FieldViolation{"responses[0].answers[4].dimension",
                                         "is required"},
                          FieldViolation{"responses[0].answers",
                                         "no answer for dimension wellbeing"}));
}

TEST(ValidateResponsesTest, UnknownDimension) {
  SurveyResponse r = Valid();
  r.answers.push_back({static_cast<Dimension>(10), 3, false});
  r.answers.push_back({static_cast<Dimension>(-2), 3, false});
  EXPECT_THAT(Validate(r),
              ElementsAre(FieldViolation{"responses[0].answers[9].dimension",
                                         "unknown enum value 10"},
                          FieldViolation{"responses[0].answers[10].dimension",
                                         "unknown enum value -2"}));
}

TEST(ValidateResponsesTest, EveryDimensionMustBeAnswered) {
  SurveyResponse r = Valid();
  r.answers.erase(r.answers.begin());  // psychological safety
  r.answers.pop_back();                // collaboration
  EXPECT_THAT(
      Validate(r),
      ElementsAre(
          FieldViolation{"responses[0].answers",
                         "no answer for dimension psychological_safety"},
          FieldViolation{"responses[0].answers",
                         "no answer for dimension collaboration"}));
  r.answers.clear();
  EXPECT_EQ(Validate(r).size(), static_cast<size_t>(kDimensionCount));
}

TEST(ValidateResponsesTest, SeveralItemsPerDimensionAreFine) {
  SurveyResponse r = Valid();
  r.answers.push_back({Dimension::kWellbeing, 2, true});
  r.answers.push_back({Dimension::kWellbeing, 1, false});
  EXPECT_THAT(Validate(r), IsEmpty());
}

TEST(ValidateResponsesTest, TooManyAnswers) {
  SurveyResponse r = Valid();
  while (r.answers.size() <= kMaxAnswersPerResponse) {
    r.answers.push_back({Dimension::kVision, 9, false});  // not inspected
  }
  EXPECT_THAT(Fields(Validate(r)), ElementsAre("responses[0].answers"));
}

TEST(ValidateResponsesTest, EveryBadFieldOfEveryResponseIsNamed) {
  std::vector<SurveyResponse> batch = {Valid(0), Valid(1), Valid(2)};
  batch[0].enps = 12;
  batch[2].team = "";
  batch[2].intent_to_stay = 0;
  batch[2].answers[8].value = 7;
  EXPECT_THAT(Fields(ValidateResponses(batch, kNow)),
              ElementsAre("responses[0].enps", "responses[2].team",
                          "responses[2].intent_to_stay",
                          "responses[2].answers[8].value"));
}

TEST(ValidateResponsesTest, DescriptionsEchoNoRespondentOrAnswer) {
  // Distinctive bad values, to be sure none is echoed back.
  SurveyResponse r = Valid();
  r.respondent = "pseudonym-5ecret";
  r.respondent_id_length = 4096;
  r.enps = 77;
  r.intent_to_stay = 66;
  r.answers[0].value = 99;
  r.answers[1].value = -55;
  const std::vector<FieldViolation> v = Validate(r);
  ASSERT_THAT(Fields(v),
              ElementsAre("responses[0].respondent_id", "responses[0].enps",
                          "responses[0].intent_to_stay",
                          "responses[0].answers[0].value",
                          "responses[0].answers[1].value"));
  for (const FieldViolation& f : v) {
    for (const char* secret :
         {"5ecret", "pseudonym", "4096", "77", "66", "99", "55"}) {
      EXPECT_THAT(f.description, Not(HasSubstr(secret))) << f.field;
    }
  }
}

}  // namespace
}  // namespace orgpulse::insights
