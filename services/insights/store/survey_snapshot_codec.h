// The stored bytes of a survey snapshot, the same in both stores: a header
// (magic, format, a Checksum64 of everything after it, cursor, sizes)
// around the log check and the state's own bytes (SurveyState::Encode). A
// torn or damaged copy is refused here, before anything decodes the state.
//
// Example:
//   std::string bytes = SealSurveySnapshot(snapshot);
//   absl::StatusOr<SurveySnapshot> s = OpenSurveySnapshot(bytes);
#ifndef ORGPULSE_SERVICES_INSIGHTS_STORE_SURVEY_SNAPSHOT_CODEC_H_
#define ORGPULSE_SERVICES_INSIGHTS_STORE_SURVEY_SNAPSHOT_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/insights/domain/survey_store.h"

namespace orgpulse::insights {

std::string SealSurveySnapshot(const SurveySnapshot& snapshot);

// DATA_LOSS, saying what is wrong, for bytes that are not one whole, intact
// sealed snapshot of this format.
absl::StatusOr<SurveySnapshot> OpenSurveySnapshot(absl::string_view bytes);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_STORE_SURVEY_SNAPSHOT_CODEC_H_
