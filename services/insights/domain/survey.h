// The leader view's data, as the domain sees it: survey responses with the
// respondent already pseudonymised (services/insights/grpc hashes the id
// with a keyed hash before anything else sees it).
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_H_

#include <array>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace orgpulse::insights {

// Values match orgpulse.insights.v1.Dimension.
enum class Dimension : int {
  kUnspecified = 0,
  kPsychologicalSafety = 1,
  kFeedback = 2,
  kRecognition = 3,
  kGrowth = 4,
  kWellbeing = 5,
  kTrustInLeadership = 6,
  kVision = 7,
  kAutonomy = 8,
  kCollaboration = 9,
};
inline constexpr int kDimensionCount = 9;

// Dimension d (1..9) is at index d - 1.
inline int DimensionIndex(Dimension d) { return static_cast<int>(d) - 1; }
inline Dimension DimensionAt(int index) {
  return static_cast<Dimension>(index + 1);
}
// "psychological_safety", "feedback", ...: metric labels and driver names.
const char* DimensionName(Dimension d);

struct Answer {
  Dimension dimension = Dimension::kUnspecified;
  int value = 0;  // 1..5 as answered
  bool reverse_scored = false;
  size_t item_length = 0;  // of the questionnaire item id (not kept)
};

// A response as submitted (after pseudonymisation).
struct SurveyResponse {
  std::string response_id;
  std::string team;
  std::string round;
  std::string respondent;           // keyed hash; empty if the id was empty
  size_t respondent_id_length = 0;  // of the raw id, for validation only
  absl::Time submitted_at;          // InfinitePast if unset
  std::vector<Answer> answers;
  int enps = -1;
  int intent_to_stay = 0;
};

// What is kept of a valid response: per-dimension scores, not the items.
struct ScoredResponse {
  std::string response_id;
  std::string team;
  std::string round;
  std::string respondent;
  absl::Time submitted_at;
  // Per dimension, the mean of the respondent's scored items mapped to
  // 0..100: ((reverse ? 6 - v : v) - 1) / 4 * 100.
  std::array<double, kDimensionCount> dimension_scores{};
  int enps = 0;            // 0..10
  int intent_to_stay = 0;  // 1..5
};

// REQUIRES: ValidateResponses accepted `response`.
ScoredResponse Score(const SurveyResponse& response);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_SURVEY_H_
