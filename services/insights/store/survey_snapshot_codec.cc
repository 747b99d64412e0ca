#include "services/insights/store/survey_snapshot_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace orgpulse::insights {
namespace {

constexpr char kMagic[8] = {'o', 'p', 's', 'u', 'r', 'v', 's', 'n'};
constexpr uint32_t kFormat = 1;
// magic, format (u32), crc (u32) of the rest, position (i64), rewrites
// (i64), log check size (u64), state size (u64); little-endian.
constexpr size_t kHeaderBytes = sizeof kMagic + 4 + 4 + 8 + 8 + 8 + 8;
constexpr size_t kCrcFrom = sizeof kMagic + 8;

template <typename T>
void Put(std::string& out, size_t at, T v) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  std::memcpy(out.data() + at, &v, sizeof v);
}
template <typename T>
T Get(absl::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

uint32_t Crc(absl::string_view bytes) {
  uLong crc = crc32(0, nullptr, 0);
  // zlib takes at most 4 GiB at a time.
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()),
                static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

std::string SealSurveySnapshot(const SurveySnapshot& s) {
  std::string out(kHeaderBytes, '\0');
  out.reserve(kHeaderBytes + s.log_check.size() + s.state.size());
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  Put<uint32_t>(out, 8, kFormat);
  Put<int64_t>(out, 16, s.cursor.position);
  Put<int64_t>(out, 24, s.cursor.rewrites);
  Put<uint64_t>(out, 32, s.log_check.size());
  Put<uint64_t>(out, 40, s.state.size());
  out += s.log_check;
  out += s.state;
  Put<uint32_t>(out, 12, Crc(absl::string_view(out).substr(kCrcFrom)));
  return out;
}

absl::StatusOr<SurveySnapshot> OpenSurveySnapshot(absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return absl::DataLossError(absl::StrCat(
        "not a survey snapshot (", bytes.size(), " bytes, no header)"));
  }
  if (const uint32_t format = Get<uint32_t>(bytes, 8); format != kFormat) {
    return absl::DataLossError(absl::StrCat(
        "survey snapshot of format ", format, ", this binary reads ", kFormat));
  }
  const uint64_t check_size = Get<uint64_t>(bytes, 32);
  const uint64_t state_size = Get<uint64_t>(bytes, 40);
  const uint64_t body = bytes.size() - kHeaderBytes;
  if (check_size > body || state_size != body - check_size) {
    return absl::DataLossError(
        absl::StrCat("survey snapshot truncated or padded: ", body,
                     " bytes after the header, the header says ", check_size,
                     " + ", state_size));
  }
  if (Crc(bytes.substr(kCrcFrom)) != Get<uint32_t>(bytes, 12)) {
    return absl::DataLossError("survey snapshot damaged: checksum mismatch");
  }
  SurveySnapshot s;
  s.cursor.position = Get<int64_t>(bytes, 16);
  s.cursor.rewrites = Get<int64_t>(bytes, 24);
  s.log_check = std::string(bytes.substr(kHeaderBytes, check_size));
  s.state = std::string(bytes.substr(kHeaderBytes + check_size));
  return s;
}

}  // namespace orgpulse::insights
