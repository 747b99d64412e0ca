// The bytes of insights' stored records, shared by both survey stores: a
// batch of scored responses (per-dimension scores, never item answers, the
// respondent as a keyed hash), or a round reset an erasure left. A record's
// first byte says which.
#ifndef ORGPULSE_SERVICES_INSIGHTS_STORE_SURVEY_CODEC_H_
#define ORGPULSE_SERVICES_INSIGHTS_STORE_SURVEY_CODEC_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/insights/domain/survey.h"
#include "services/insights/domain/survey_state.h"

namespace orgpulse::insights {

std::string EncodeResponses(absl::Span<const ScoredResponse> responses);
// DATA_LOSS if `blob` is not a whole batch; `fn` may have been called for
// the responses before the damage.
absl::Status DecodeResponses(absl::string_view blob,
                             absl::FunctionRef<void(const ScoredResponse&)> fn);

// True if `blob` is a round reset rather than a batch of responses.
bool IsResetRecord(absl::string_view blob);
std::string EncodeReset(const RoundReset& reset);
absl::Status DecodeReset(absl::string_view blob, RoundReset& reset);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_STORE_SURVEY_CODEC_H_
