#include "cli/import/team_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace orgpulse::cli {

absl::StatusOr<std::string> TeamNames::Resolve(absl::string_view name) {
  const std::string key = NameKey(name);
  absl::MutexLock lock(&mu_);
  if (const auto it = by_name_.find(key); it != by_name_.end()) {
    return it->second;
  }
  absl::StatusOr<std::string> id = resolver_.Resolve(name);
  if (id.ok() && !resolver_.has_map()) {
    const absl::string_view written = absl::StripAsciiWhitespace(name);
    const auto [first, inserted] =
        name_of_id_.try_emplace(*id, std::string(written));
    if (inserted) {
      new_.emplace_back(std::string(written), *id);
    } else {
      id = absl::InvalidArgumentError(absl::StrCat(
          "teams \"", Excerpt(first->second), "\" and \"", Excerpt(written),
          "\" both give the team id ", *id,
          "; say which team each is with --team-map (a CSV of name,team "
          "rows)"));
    }
  }
  by_name_.emplace(key, id);
  return id;
}

std::vector<std::pair<std::string, std::string>> TeamNames::TakeNew() {
  absl::MutexLock lock(&mu_);
  return std::exchange(new_, {});
}

}  // namespace orgpulse::cli
