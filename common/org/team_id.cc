#include "common/org/team_id.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/field_violations.h"

namespace orgpulse {

std::string TeamIdError(absl::string_view team) {
  if (team.empty()) return "must not be empty";
  if (team.size() > kMaxTeamIdLength) {
    return absl::StrCat("longer than ", kMaxTeamIdLength, " characters");
  }
  int segments = 1;
  size_t segment_length = 0;
  for (char c : team) {
    if (c == '/') {
      if (segment_length == 0) return "has an empty path segment";
      ++segments;
      segment_length = 0;
      continue;
    }
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                         c == '-' || c == '_';
    if (!allowed) {
      return "may hold only lowercase letters, digits, '-', '_' and '/'";
    }
    ++segment_length;
  }
  if (segment_length == 0) return "has an empty path segment";
  if (segments > kMaxTeamDepth) {
    return absl::StrCat("deeper than ", kMaxTeamDepth, " levels");
  }
  return "";
}

absl::Status ValidateTeamArgument(absl::string_view field,
                                  absl::string_view team, bool required) {
  if (team.empty() && !required) return absl::OkStatus();
  std::string why = TeamIdError(team);
  if (why.empty()) return absl::OkStatus();
  return InvalidArgumentWithViolations(absl::StrCat(field, " ", why),
                                       {{std::string(field), why}});
}

bool IsInTeamTree(absl::string_view team, absl::string_view prefix) {
  if (prefix.empty()) return true;
  if (!absl::StartsWith(team, prefix)) return false;
  return team.size() == prefix.size() || team[prefix.size()] == '/';
}

std::vector<std::string> TeamsAndPrefixes(
    const std::vector<std::string>& teams) {
  std::set<std::string> nodes;
  for (const std::string& team : teams) {
    for (size_t slash = team.find('/'); slash != std::string::npos;
         slash = team.find('/', slash + 1)) {
      nodes.insert(team.substr(0, slash));
    }
    nodes.insert(team);
  }
  return {nodes.begin(), nodes.end()};
}

}  // namespace orgpulse
