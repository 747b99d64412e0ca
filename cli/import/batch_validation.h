// The services' own validation (services/ingest/domain/validation.h and
// services/insights/domain/validation.h), run on every batch of a file before
// anything of it is pushed, so that a file the service would refuse in part
// is refused whole, with every bad row named. The rules live there only;
// `now` stands in for the server's clock.
#ifndef ORGPULSE_CLI_IMPORT_BATCH_VALIDATION_H_
#define ORGPULSE_CLI_IMPORT_BATCH_VALIDATION_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status/field_violations.h"
#include "orgpulse/ingest/v1/ingest.pb.h"
#include "orgpulse/insights/v1/insights.pb.h"

namespace orgpulse::cli {

std::vector<FieldViolation> ValidateBatch(const ingest::v1::PushRequest& batch,
                                          absl::Time now);
std::vector<FieldViolation> ValidateBatch(
    const insights::v1::SubmitSurveyResponsesRequest& batch, absl::Time now);

// "events[12].task_created.due_at" -> {12, "task_created.due_at"}; nullopt
// for a field that names no item.
std::optional<std::pair<int, std::string>> SplitItemField(
    absl::string_view field);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_BATCH_VALIDATION_H_
