#include "cli/app/time_flags.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/import/values.h"
#include "common/proto/time_conversion.h"

namespace orgpulse::cli {

FlagSpec TimeFlag(std::string name, std::string help) {
  return {
      .name = std::move(name), .value_name = "TIME", .help = std::move(help)};
}

FlagSpec TimeZoneFlag(std::string help) {
  return {.name = "timezone",
          .value_name = "ZONE",
          .help = std::move(help),
          .default_value = "UTC"};
}

std::optional<int> ParseTimeFlag(const CommandSpec& command,
                                 const ParsedArgs& parsed,
                                 const CliContext& context,
                                 const std::string& name,
                                 google::protobuf::Timestamp& out) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(parsed.Get("timezone"), &zone)) {
    return UsageError(command, context,
                      absl::StrCat("--timezone: unknown time zone \"",
                                   parsed.Get("timezone"), "\""));
  }
  absl::StatusOr<ParsedTime> t = ParseTime(parsed.Get(name), zone);
  if (!t.ok()) {
    return UsageError(command, context,
                      absl::StrCat("--", name, ": ", t.status().message()));
  }
  ToProtoTime(t->time, out);
  return std::nullopt;
}

}  // namespace orgpulse::cli
