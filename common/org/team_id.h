// Team ids are org paths: `dept/team`, 1 to 4 segments of lowercase letters,
// digits, `-` and `_`, at most 64 characters in all. Valid ids are safe as
// Prometheus label values by construction.
//
// Example:
//   IsValidTeamId("eng/payments");        // true
//   IsInTeamTree("eng/payments", "eng");  // true: eng rolls up eng/*
//   IsInTeamTree("engineering", "eng");   // false: segments, not characters
#ifndef ORGPULSE_COMMON_ORG_TEAM_ID_H_
#define ORGPULSE_COMMON_ORG_TEAM_ID_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace orgpulse {

inline constexpr size_t kMaxTeamIdLength = 64;
inline constexpr int kMaxTeamDepth = 4;

// Empty when `team` is valid; otherwise why not, without echoing the input.
std::string TeamIdError(absl::string_view team);

inline bool IsValidTeamId(absl::string_view team) {
  return TeamIdError(team).empty();
}

// A request's team argument: OK if valid (or empty and not `required`),
// else INVALID_ARGUMENT with a field violation naming `field`.
absl::Status ValidateTeamArgument(absl::string_view field,
                                  absl::string_view team, bool required);

// True if `team` equals `prefix` or lies under it. An empty prefix matches
// every team.
bool IsInTeamTree(absl::string_view team, absl::string_view prefix);

// Every team in `teams` with all its path prefixes (the nodes of the team
// tree that have figures), sorted, without duplicates.
std::vector<std::string> TeamsAndPrefixes(
    const std::vector<std::string>& teams);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_ORG_TEAM_ID_H_
