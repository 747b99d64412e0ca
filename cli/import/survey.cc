#include "cli/import/survey.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/csv/csv_reader.h"
#include "common/proto/time_conversion.h"

namespace orgpulse::cli {
namespace {

namespace v1 = insights::v1;

constexpr int kDimensions = 9;

std::optional<SurveyColumn> ParseRole(absl::string_view maps_to) {
  const std::string s =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(maps_to));
  SurveyColumn c;
  if (s == "ignore") {
    c.role = SurveyRole::kIgnore;
  } else if (s == "response_id") {
    c.role = SurveyRole::kResponseId;
  } else if (s == "respondent_id") {
    c.role = SurveyRole::kRespondentId;
  } else if (s == "team") {
    c.role = SurveyRole::kTeam;
  } else if (s == "round") {
    c.role = SurveyRole::kRound;
  } else if (s == "submitted_at") {
    c.role = SurveyRole::kSubmittedAt;
  } else if (s == "enps") {
    c.role = SurveyRole::kEnps;
  } else if (s == "intent_to_stay") {
    c.role = SurveyRole::kIntentToStay;
  } else {
    v1::Dimension d;
    if (!v1::Dimension_Parse(
            absl::StrCat("DIMENSION_", absl::AsciiStrToUpper(s)), &d) ||
        d == v1::DIMENSION_UNSPECIFIED) {
      return std::nullopt;
    }
    c.role = SurveyRole::kDimension;
    c.dimension = d;
  }
  return c;
}

std::string DimensionName(v1::Dimension d) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(v1::Dimension_Name(d), "DIMENSION_"));
}

}  // namespace

bool SurveyMapping::has(SurveyRole role) const {
  for (const SurveyColumn& c : columns) {
    if (c.role == role) return true;
  }
  return false;
}

absl::StatusOr<SurveyMapping> ParseSurveyMapping(std::istream& in,
                                                 absl::string_view name) {
  SurveyMapping mapping;
  csv::CsvReader reader(in);
  csv::CsvRecord record;
  bool header = true;
  while (reader.Next(record)) {
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", record.line, ": ", why));
    };
    if (!record.error.empty()) return fail(record.error);
    if (header) {
      header = false;
      if (record.fields.empty() ||
          absl::AsciiStrToLower(absl::StripAsciiWhitespace(record.fields[0])) !=
              "column") {
        return fail("expected the header column,maps_to,reverse_scored");
      }
      continue;
    }
    if (record.fields.size() < 2 || record.fields.size() > 3) {
      return fail("expected column,maps_to[,reverse_scored]");
    }
    std::optional<SurveyColumn> column = ParseRole(record.fields[1]);
    if (!column) {
      return fail(absl::StrCat(
          "\"", Excerpt(record.fields[1]),
          "\" is not a role (respondent_id, team, submitted_at, round, "
          "response_id, enps, intent_to_stay, ignore, or a dimension such as "
          "wellbeing)"));
    }
    column->column = std::string(absl::StripAsciiWhitespace(record.fields[0]));
    if (column->column.empty()) return fail("the column name is empty");
    if (record.fields.size() == 3 &&
        !absl::StripAsciiWhitespace(record.fields[2]).empty()) {
      absl::StatusOr<bool> reverse = ParseBool(record.fields[2]);
      if (!reverse.ok()) {
        return fail(
            absl::StrCat("reverse_scored: ", reverse.status().message()));
      }
      if (*reverse && column->role != SurveyRole::kDimension) {
        return fail("only questions of a dimension can be reverse scored");
      }
      column->reverse_scored = *reverse;
    }
    mapping.columns.push_back(std::move(*column));
  }
  if (!reader.status().ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", reader.status().message()));
  }
  std::vector<std::string> problems;
  auto count = [&](SurveyRole role) {
    int n = 0;
    for (const SurveyColumn& c : mapping.columns) n += c.role == role;
    return n;
  };
  for (auto [role, what] :
       {std::pair{SurveyRole::kRespondentId, "respondent_id"},
        std::pair{SurveyRole::kTeam, "team"},
        std::pair{SurveyRole::kSubmittedAt, "submitted_at"},
        std::pair{SurveyRole::kEnps, "enps"},
        std::pair{SurveyRole::kIntentToStay, "intent_to_stay"}}) {
    if (count(role) != 1) {
      problems.push_back(absl::StrCat("exactly one column must map to ", what));
    }
  }
  for (auto [role, what] :
       {std::pair{SurveyRole::kRound, "round"},
        std::pair{SurveyRole::kResponseId, "response_id"}}) {
    if (count(role) > 1) {
      problems.push_back(absl::StrCat("at most one column may map to ", what));
    }
  }
  std::array<bool, kDimensions + 1> covered{};
  for (const SurveyColumn& c : mapping.columns) covered[c.dimension] = true;
  std::vector<std::string> uncovered;
  for (int d = 1; d <= kDimensions; ++d) {
    if (!covered[d])
      uncovered.push_back(DimensionName(static_cast<v1::Dimension>(d)));
  }
  if (!uncovered.empty()) {
    problems.push_back(absl::StrCat("no question maps to ",
                                    absl::StrJoin(uncovered, ", "),
                                    " (every dimension needs one)"));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", absl::StrJoin(problems, "; ")));
  }
  return mapping;
}

absl::StatusOr<std::unique_ptr<SurveyMapper>> SurveyMapper::Create(
    SurveyOptions options) {
  if (!options.mapping.has(SurveyRole::kRound) && options.round.empty()) {
    return absl::InvalidArgumentError(
        "the survey round is unknown: map a round column or give --round");
  }
  if (!options.mapping.has(SurveyRole::kResponseId) && !options.response_key) {
    return absl::InvalidArgumentError(
        "response ids: map the export's response id column, or give "
        "--response-key-file (a secret of 16 bytes or more) to derive ids "
        "that do not reveal who answered");
  }
  return std::unique_ptr<SurveyMapper>(new SurveyMapper(std::move(options)));
}

absl::StatusOr<std::vector<std::string>> SurveyMapper::HeaderNames(
    const std::vector<std::vector<std::string>>& records) {
  if (records.size() == 1) return records[0];
  const std::vector<std::string>& questions = records[0];
  const std::vector<std::string>& labels = records[1];
  if (!labels.empty() && !absl::StripAsciiWhitespace(labels[0]).empty()) {
    return absl::InvalidArgumentError(
        "line 2 is not SurveyMonkey's second header row (it has a value "
        "under the first column): push a file with one header row with "
        "--format=survey");
  }
  std::vector<std::string> names;
  std::string question;  // the question of the columns under it
  for (size_t i = 0; i < questions.size(); ++i) {
    const absl::string_view q = absl::StripAsciiWhitespace(questions[i]);
    const absl::string_view label =
        i < labels.size() ? absl::StripAsciiWhitespace(labels[i]) : "";
    if (!q.empty()) question = std::string(q);
    const bool plain = label.empty() ||
                       absl::EqualsIgnoreCase(label, "Response") ||
                       absl::EqualsIgnoreCase(label, "Open-Ended Response");
    names.push_back(plain ? question : std::string(label));
  }
  return names;
}

absl::Status SurveyMapper::SetHeader(const csv::CsvHeader& header) {
  indexes_.clear();
  std::vector<std::string> missing;
  std::vector<std::string> twice;
  for (const SurveyColumn& c : options_.mapping.columns) {
    indexes_.push_back(header.Find(c.column));
    if (!indexes_.back() && c.role != SurveyRole::kIgnore) {
      missing.push_back(absl::StrCat("\"", Excerpt(c.column), "\""));
    }
    // Two columns of one name: which one the mapping means is a guess.
    const std::string key =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(c.column));
    int n = 0;
    for (const std::string& name : header.names()) {
      n += absl::AsciiStrToLower(absl::StripAsciiWhitespace(name)) == key;
    }
    if (n > 1 && c.role != SurveyRole::kIgnore) {
      twice.push_back(absl::StrCat("\"", Excerpt(c.column), "\""));
    }
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the export has no column ",
                                                   absl::StrJoin(missing, ", "),
                                                   " named in the mapping"));
  }
  if (!twice.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the export has several columns named ", absl::StrJoin(twice, ", "),
        "; rename the questions so that each is named once"));
  }
  return absl::OkStatus();
}

void SurveyMapper::Map(const std::vector<std::string>& fields, Row& row,
                       Items<v1::SurveyResponse>& out) {
  v1::SurveyResponse& r = *out.Add();
  r.set_round(options_.round);
  std::vector<std::string> problems;
  std::string response_id;
  for (size_t i = 0; i < options_.mapping.columns.size(); ++i) {
    const SurveyColumn& c = options_.mapping.columns[i];
    const absl::string_view cell =
        absl::StripAsciiWhitespace(csv::FieldAt(fields, indexes_[i]));
    // Respondent ids and answers are never echoed in errors.
    auto fail = [&](absl::string_view why) {
      problems.push_back(absl::StrCat("\"", Excerpt(c.column), "\": ", why));
    };
    switch (c.role) {
      case SurveyRole::kIgnore:
        break;
      case SurveyRole::kResponseId:
        if (cell.empty()) fail("empty");
        response_id = std::string(cell);
        break;
      case SurveyRole::kRespondentId:
        if (cell.empty()) fail("empty");
        // An anonymous Microsoft Forms form writes this in every row: as
        // one respondent, each response would replace the one before.
        if (absl::EqualsIgnoreCase(cell, "anonymous")) {
          fail(
              "\"anonymous\" (an anonymous form); map a column that tells "
              "the responses apart (Microsoft Forms: ID) to respondent_id");
        }
        r.set_respondent_id(std::string(cell));
        break;
      case SurveyRole::kTeam: {
        absl::StatusOr<std::string> team = options_.teams->Resolve(cell);
        if (team.ok()) {
          r.set_team(*team);
        } else {
          fail(team.status().message());
        }
        break;
      }
      case SurveyRole::kRound:
        if (cell.empty()) fail("empty");
        r.set_round(absl::AsciiStrToLower(cell));
        break;
      case SurveyRole::kSubmittedAt: {
        // Typeform names its times "Submit Date (UTC)": the header says.
        absl::StatusOr<ParsedTime> t = ParseTime(
            cell,
            absl::StrContains(absl::AsciiStrToLower(c.column), "(utc)")
                ? absl::UTCTimeZone()
                : options_.zone,
            options_.times);
        if (t.ok()) {
          ToProtoTime(t->time, *r.mutable_submitted_at());
        } else {
          fail(t.status().message());
        }
        break;
      }
      case SurveyRole::kDimension: {
        if (cell.empty()) break;  // not answered
        absl::StatusOr<int> value = ParseLikert(cell);
        if (!value.ok()) {
          fail(value.status().message());
          break;
        }
        v1::Answer& a = *r.add_answers();
        a.set_item(c.column.substr(0, 128));
        a.set_dimension(c.dimension);
        a.set_value(*value);
        a.set_reverse_scored(c.reverse_scored);
        break;
      }
      case SurveyRole::kEnps: {
        absl::StatusOr<int> value = ParseInteger(cell);
        if (cell.empty()) {
          fail("not answered");
        } else if (!value.ok()) {
          fail("not a number from 0 to 10");
        } else {
          r.set_enps(*value);
        }
        break;
      }
      case SurveyRole::kIntentToStay: {
        absl::StatusOr<int> value = ParseLikert(cell);
        if (cell.empty()) {
          fail("not answered");
        } else if (!value.ok()) {
          fail(value.status().message());
        } else {
          r.set_intent_to_stay(*value);
        }
        break;
      }
    }
  }
  if (!problems.empty()) {
    row.error = absl::StrJoin(problems, "; ");
    return;
  }
  if (response_id.empty()) {
    // Keyed: an unkeyed hash of (round, respondent) could be reversed by
    // trying the company's e-mail addresses.
    response_id = absl::StrCat(
        "r1-", absl::BytesToHexString(options_.response_key->Hash(absl::StrCat(
                   r.round().size(), ":", r.round(), r.respondent_id().size(),
                   ":", r.respondent_id(), r.submitted_at().seconds()))));
  }
  r.set_response_id(std::move(response_id));
}

}  // namespace orgpulse::cli
