#include "services/insights/domain/validation.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"

namespace orgpulse::insights {
namespace {

bool IsPrintable(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsRoundId(absl::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<FieldViolation> ValidateResponses(
    const std::vector<SurveyResponse>& batch, absl::Time now) {
  std::vector<FieldViolation> out;
  if (batch.empty()) {
    out.push_back({"responses", "at least one response is required"});
    return out;
  }
  if (batch.size() > kMaxResponsesPerBatch) {
    out.push_back({"responses", absl::StrCat("at most ", kMaxResponsesPerBatch,
                                             " responses per request (got ",
                                             batch.size(), ")")});
    return out;
  }
  const absl::Time earliest =
      absl::FromCivil(absl::CivilSecond(2000, 1, 1), absl::UTCTimeZone());
  for (size_t i = 0; i < batch.size(); ++i) {
    const SurveyResponse& r = batch[i];
    const std::string p = absl::StrCat("responses[", i, "].");
    auto fail = [&](absl::string_view field, std::string why) {
      out.push_back({absl::StrCat(p, field), std::move(why)});
    };
    if (r.response_id.empty()) {
      fail("response_id", "is required");
    } else if (r.response_id.size() > kMaxResponseIdLength) {
      fail("response_id",
           absl::StrCat("longer than ", kMaxResponseIdLength, " characters"));
    } else if (!IsPrintable(r.response_id)) {
      fail("response_id", "may hold only printable ASCII characters");
    }
    if (std::string why = TeamIdError(r.team); !why.empty()) {
      fail("team", std::move(why));
    }
    if (r.round.empty()) {
      fail("round", "is required");
    } else if (r.round.size() > kMaxRoundLength) {
      fail("round",
           absl::StrCat("longer than ", kMaxRoundLength, " characters"));
    } else if (!IsRoundId(r.round)) {
      fail("round", "may hold only lowercase letters, digits, '.', '_', '-'");
    }
    if (r.respondent_id_length == 0) {
      fail("respondent_id", "is required");
    } else if (r.respondent_id_length > kMaxRespondentIdLength) {
      fail("respondent_id",
           absl::StrCat("longer than ", kMaxRespondentIdLength, " bytes"));
    }
    if (r.submitted_at == absl::InfinitePast()) {
      fail("submitted_at", "is required");
    } else if (r.submitted_at == absl::InfiniteFuture()) {
      fail("submitted_at", "is not a valid timestamp");
    } else if (r.submitted_at < earliest) {
      fail("submitted_at", "is before 2000-01-01T00:00:00Z");
    } else if (r.submitted_at > now + absl::Hours(24)) {
      fail("submitted_at", "is more than a day after the server's time");
    }
    if (r.enps < 0 || r.enps > 10) fail("enps", "must be between 0 and 10");
    if (r.intent_to_stay < 1 || r.intent_to_stay > 5) {
      fail("intent_to_stay", "must be between 1 and 5");
    }
    if (r.answers.size() > kMaxAnswersPerResponse) {
      fail("answers", absl::StrCat("at most ", kMaxAnswersPerResponse,
                                   " answers per response"));
      continue;
    }
    std::array<bool, kDimensionCount> answered{};
    for (size_t j = 0; j < r.answers.size(); ++j) {
      const Answer& a = r.answers[j];
      const std::string f = absl::StrCat("answers[", j, "].");
      const int d = static_cast<int>(a.dimension);
      if (d < 1 || d > kDimensionCount) {
        fail(absl::StrCat(f, "dimension"),
             d == 0 ? std::string("is required")
                    : absl::StrCat("unknown enum value ", d));
      } else {
        answered[d - 1] = true;
      }
      if (a.value < 1 || a.value > 5) {
        fail(absl::StrCat(f, "value"), "must be between 1 and 5");
      }
      if (a.item_length > kMaxItemLength) {
        fail(absl::StrCat(f, "item"),
             absl::StrCat("longer than ", kMaxItemLength, " characters"));
      }
    }
    // Complete responses keep the privacy rules simple and exact: every
    // released figure of a group counts the same people.
    for (int d = 0; d < kDimensionCount; ++d) {
      if (!answered[d]) {
        fail("answers", absl::StrCat("no answer for dimension ",
                                     DimensionName(DimensionAt(d))));
      }
    }
  }
  return out;
}

}  // namespace orgpulse::insights
