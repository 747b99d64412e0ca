// Survey responses from a survey tool's CSV export: one row per respondent,
// one column per question. A mapping file says what each column is:
//
//   column,maps_to,reverse_scored
//   Respondent ID,respondent_id,
//   Team,team,
//   Submitted At,submitted_at,
//   I feel safe to speak up in my team,psychological_safety,
//   I often feel exhausted by my workload,wellbeing,yes
//   How likely are you to recommend your team as a place to work?,enps,
//   I see myself working here in two years,intent_to_stay,
//
// maps_to is one of respondent_id, team, submitted_at, round, response_id,
// enps, intent_to_stay, ignore, or a dimension: psychological_safety,
// feedback, recognition, growth, wellbeing, trust_in_leadership, vision,
// autonomy, collaboration. Export columns the mapping does not name are
// ignored. Answers are 1-5 or their labels ("Strongly agree"); an empty
// cell is an unanswered item.
//
// The response id (the idempotency key) is the export's own response id
// column if mapped; otherwise a keyed hash (HMAC-SHA-256 with a secret from
// a file) of round, respondent and submission time, so that it says nothing
// about who answered yet is the same on every import.
#ifndef ORGPULSE_CLI_IMPORT_SURVEY_H_
#define ORGPULSE_CLI_IMPORT_SURVEY_H_

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/import/row_reader.h"
#include "cli/import/team_names.h"
#include "cli/import/values.h"
#include "common/crypto/keyed_hash.h"
#include "orgpulse/insights/v1/insights.pb.h"

namespace orgpulse::cli {

enum class SurveyRole {
  kIgnore,
  kResponseId,
  kRespondentId,
  kTeam,
  kRound,
  kSubmittedAt,
  kDimension,
  kEnps,
  kIntentToStay,
};

struct SurveyColumn {
  std::string column;
  SurveyRole role = SurveyRole::kIgnore;
  insights::v1::Dimension dimension = insights::v1::DIMENSION_UNSPECIFIED;
  bool reverse_scored = false;
};

struct SurveyMapping {
  std::vector<SurveyColumn> columns;
  bool has(SurveyRole role) const;
};

// Reads and checks a mapping file: respondent_id, team, submitted_at, enps
// and intent_to_stay once each, every dimension at least once, the others
// at most once. Errors name the file and line.
absl::StatusOr<SurveyMapping> ParseSurveyMapping(std::istream& in,
                                                 absl::string_view name);

struct SurveyOptions {
  SurveyMapping mapping;
  // The round, when the mapping has no round column.
  std::string round;
  // The run's team names. REQUIRES: not null; outlives the mapper.
  TeamNames* teams = nullptr;
  absl::TimeZone zone = absl::UTCTimeZone();
  TimeSyntax times;
  // Derives response ids when the mapping has no response_id column.
  std::optional<KeyedHasher> response_key;
  // SurveyMonkey's export: a second header row under the questions
  // (Response, Open-Ended Response, or the rows of a matrix question).
  bool surveymonkey_header = false;
};

class SurveyMapper final : public CsvRowMapper<insights::v1::SurveyResponse> {
 public:
  // INVALID_ARGUMENT when the options cannot give every response a round
  // and an id.
  static absl::StatusOr<std::unique_ptr<SurveyMapper>> Create(
      SurveyOptions options);

  // SurveyMonkey's two header rows give one name per column: the question
  // (row 1, which names only the first column of a question spanning
  // several), or, for the columns of a matrix or multiple-choice question,
  // the label under it (row 2).
  int header_rows() const override {
    return options_.surveymonkey_header ? 2 : 1;
  }
  absl::StatusOr<std::vector<std::string>> HeaderNames(
      const std::vector<std::vector<std::string>>& records) override;
  absl::Status SetHeader(const csv::CsvHeader& header) override;
  TimeSyntax& times() override { return options_.times; }
  void Map(const std::vector<std::string>& fields, Row& row,
           Items<insights::v1::SurveyResponse>& out) override;

 private:
  explicit SurveyMapper(SurveyOptions options) : options_(std::move(options)) {}

  SurveyOptions options_;
  std::vector<std::optional<size_t>> indexes_;  // by mapping column
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_SURVEY_H_
