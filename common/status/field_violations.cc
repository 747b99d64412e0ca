#include "common/status/field_violations.h"

#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/strings/cord.h"

namespace orgpulse {
namespace {

constexpr absl::string_view kPayloadUrl = "orgpulse/field-violations";

// Length-prefixed strings: simple, and safe for any bytes in a description.
void AppendString(std::string& out, absl::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(s.data(), s.size());
}

std::optional<std::string> ReadString(absl::string_view& in) {
  uint32_t n;
  if (in.size() < sizeof n) return std::nullopt;
  std::memcpy(&n, in.data(), sizeof n);
  in.remove_prefix(sizeof n);
  if (in.size() < n) return std::nullopt;
  std::string s(in.substr(0, n));
  in.remove_prefix(n);
  return s;
}

}  // namespace

absl::Status InvalidArgumentWithViolations(
    absl::string_view message, const std::vector<FieldViolation>& violations) {
  absl::Status status = absl::InvalidArgumentError(message);
  std::string encoded;
  for (const FieldViolation& v : violations) {
    AppendString(encoded, v.field);
    AppendString(encoded, v.description);
  }
  status.SetPayload(kPayloadUrl, absl::Cord(encoded));
  return status;
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload) return out;
  std::string flat(*payload);
  absl::string_view in = flat;
  while (!in.empty()) {
    std::optional<std::string> field = ReadString(in);
    std::optional<std::string> description = ReadString(in);
    if (!field || !description) break;
    out.push_back({*std::move(field), *std::move(description)});
  }
  return out;
}

}  // namespace orgpulse
