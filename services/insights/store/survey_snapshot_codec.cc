#include "services/insights/store/survey_snapshot_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/storage/binary_codec.h"

namespace orgpulse::insights {
namespace {

constexpr char kMagic[8] = {'o', 'p', 's', 'u', 'r', 'v', 's', 'n'};
constexpr uint32_t kFormat = 2;
// magic, format (u32), checksum (Checksum64) of the rest, position (i64),
// rewrites (i64), log check size (u64), state size (u64); little-endian.
constexpr size_t kHeaderBytes = sizeof kMagic + 4 + 8 + 8 + 8 + 8 + 8;
constexpr size_t kChecksumFrom = sizeof kMagic + 4 + 8;

}  // namespace

std::string SealSurveySnapshot(const SurveySnapshot& s) {
  std::string out(kHeaderBytes, '\0');
  out.reserve(kHeaderBytes + s.log_check.size() + s.state.size());
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  PutFixed<uint32_t>(out, 8, kFormat);
  PutFixed<int64_t>(out, 20, s.cursor.position);
  PutFixed<int64_t>(out, 28, s.cursor.rewrites);
  PutFixed<uint64_t>(out, 36, s.log_check.size());
  PutFixed<uint64_t>(out, 44, s.state.size());
  out += s.log_check;
  out += s.state;
  PutFixed<uint64_t>(out, 12,
                     Checksum64(absl::string_view(out).substr(kChecksumFrom)));
  return out;
}

absl::StatusOr<SurveySnapshot> OpenSurveySnapshot(absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return absl::DataLossError(absl::StrCat(
        "not a survey snapshot (", bytes.size(), " bytes, no header)"));
  }
  if (const uint32_t format = GetFixed<uint32_t>(bytes, 8); format != kFormat) {
    return absl::DataLossError(absl::StrCat(
        "survey snapshot of format ", format, ", this binary reads ", kFormat));
  }
  const uint64_t check_size = GetFixed<uint64_t>(bytes, 36);
  const uint64_t state_size = GetFixed<uint64_t>(bytes, 44);
  const uint64_t body = bytes.size() - kHeaderBytes;
  if (check_size > body || state_size != body - check_size) {
    return absl::DataLossError(
        absl::StrCat("survey snapshot truncated or padded: ", body,
                     " bytes after the header, the header says ", check_size,
                     " + ", state_size));
  }
  if (Checksum64(bytes.substr(kChecksumFrom)) !=
      GetFixed<uint64_t>(bytes, 12)) {
    return absl::DataLossError("survey snapshot damaged: checksum mismatch");
  }
  SurveySnapshot s;
  s.cursor.position = GetFixed<int64_t>(bytes, 20);
  s.cursor.rewrites = GetFixed<int64_t>(bytes, 28);
  s.log_check = std::string(bytes.substr(kHeaderBytes, check_size));
  s.state = std::string(bytes.substr(kHeaderBytes + check_size));
  return s;
}

}  // namespace orgpulse::insights
