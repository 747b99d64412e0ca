// Survey rounds for the sample organisation (tools/sample_org/sample_org.h):
// two quarterly rounds with people joining and leaving, shaped so the demo
// tells its stories: eng/payments delivers but is burning out, eng/search
// has high spirit but misses its deadlines, eng/platform thrives, and
// ops/support is too small to report.
//
// Deterministic for a given (now, seed).
#ifndef ORGPULSE_TOOLS_SAMPLE_ORG_SAMPLE_SURVEYS_H_
#define ORGPULSE_TOOLS_SAMPLE_ORG_SAMPLE_SURVEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "orgpulse/insights/v1/insights.pb.h"

namespace orgpulse::sample {

// "2026-q4" for a time in the fourth quarter of 2026 (UTC).
std::string QuarterRound(absl::Time t);

std::vector<insights::v1::SurveyResponse> SampleSurveyResponses(
    absl::Time now, uint32_t seed = 7);

}  // namespace orgpulse::sample

#endif  // ORGPULSE_TOOLS_SAMPLE_ORG_SAMPLE_SURVEYS_H_
