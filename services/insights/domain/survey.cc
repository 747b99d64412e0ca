#include "services/insights/domain/survey.h"

namespace orgpulse::insights {

const char* DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kPsychologicalSafety:
      return "psychological_safety";
    case Dimension::kFeedback:
      return "feedback";
    case Dimension::kRecognition:
      return "recognition";
    case Dimension::kGrowth:
      return "growth";
    case Dimension::kWellbeing:
      return "wellbeing";
    case Dimension::kTrustInLeadership:
      return "trust_in_leadership";
    case Dimension::kVision:
      return "vision";
    case Dimension::kAutonomy:
      return "autonomy";
    case Dimension::kCollaboration:
      return "collaboration";
    case Dimension::kUnspecified:
      break;
  }
  return "unspecified";
}

ScoredResponse Score(const SurveyResponse& r) {
  ScoredResponse out;
  out.response_id = r.response_id;
  out.team = r.team;
  out.round = r.round;
  out.respondent = r.respondent;
  out.submitted_at = r.submitted_at;
  out.enps = r.enps;
  out.intent_to_stay = r.intent_to_stay;
  std::array<double, kDimensionCount> sum{};
  std::array<int, kDimensionCount> count{};
  for (const Answer& a : r.answers) {
    const int i = DimensionIndex(a.dimension);
    const int scored = a.reverse_scored ? 6 - a.value : a.value;
    sum[i] += (scored - 1) * 25.0;  // 1..5 -> 0..100
    ++count[i];
  }
  for (int i = 0; i < kDimensionCount; ++i) {
    out.dimension_scores[i] = count[i] > 0 ? sum[i] / count[i] : 0;
  }
  return out;
}

}  // namespace orgpulse::insights
