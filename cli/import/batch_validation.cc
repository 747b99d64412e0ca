#include "cli/import/batch_validation.h"

#include "absl/strings/numbers.h"
#include "common/crypto/keyed_hash.h"
#include "services/ingest/domain/validation.h"
#include "services/ingest/grpc/conversion.h"
#include "services/insights/domain/validation.h"
#include "services/insights/grpc/conversion.h"

namespace orgpulse::cli {

std::vector<FieldViolation> ValidateBatch(const ingest::v1::PushRequest& batch,
                                          absl::Time now) {
  return ingest::ValidateBatch(ingest::FromProto(batch), now);
}

std::vector<FieldViolation> ValidateBatch(
    const insights::v1::SubmitSurveyResponsesRequest& batch, absl::Time now) {
  // Conversion pseudonymises respondent ids; validation only needs their
  // length, so any key does.
  static const KeyedHasher* hasher =
      new KeyedHasher(*KeyedHasher::FromSecret("orgpulse-cli-validation"));
  return insights::ValidateResponses(insights::FromProto(batch, *hasher), now);
}

std::optional<std::pair<int, std::string>> SplitItemField(
    absl::string_view field) {
  const size_t open = field.find('[');
  const size_t close = field.find(']');
  if (open == absl::string_view::npos || close == absl::string_view::npos ||
      close < open) {
    return std::nullopt;
  }
  int index = 0;
  if (!absl::SimpleAtoi(field.substr(open + 1, close - open - 1), &index)) {
    return std::nullopt;
  }
  absl::string_view rest = field.substr(close + 1);
  if (!rest.empty() && rest[0] == '.') rest.remove_prefix(1);
  return std::pair<int, std::string>(index, std::string(rest));
}

}  // namespace orgpulse::cli
