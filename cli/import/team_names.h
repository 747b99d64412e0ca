// The team ids one `orgpulse push` gives the team names of its files. Without
// a team map an id is derived from the name (TeamResolver), and two names
// that give one id ("Platform / Infra" and "Platform-Infra") would merge two
// teams without anyone noticing: the name seen second is refused, naming
// both. With a map, the user said which names are one team.
//
// Example:
//   TeamNames teams(TeamResolver("eng"));
//   teams.Resolve("Platform / Infra");  // "eng/platform-infra"
//   teams.Resolve("Platform-Infra");    // INVALID_ARGUMENT: both give ...
//   teams.TakeNew();  // {{"Platform / Infra", "eng/platform-infra"}}
//
// Thread-safe: the mappers of a run resolve on reader threads while the run
// prints what they resolved.
#ifndef ORGPULSE_CLI_IMPORT_TEAM_NAMES_H_
#define ORGPULSE_CLI_IMPORT_TEAM_NAMES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cli/import/values.h"

namespace orgpulse::cli {

class TeamNames {
 public:
  explicit TeamNames(TeamResolver resolver) : resolver_(std::move(resolver)) {}
  TeamNames(const TeamNames&) = delete;
  TeamNames& operator=(const TeamNames&) = delete;

  // The id of `name`; INVALID_ARGUMENT if it gives none, or (without a map)
  // if another name already gave the same id.
  absl::StatusOr<std::string> Resolve(absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The names derived into ids since the last call, as first written, with
  // their ids, in the order first seen. Names from a map are not listed:
  // the map is the user's own.
  std::vector<std::pair<std::string, std::string>> TakeNew()
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const TeamResolver resolver_;
  absl::Mutex mu_;
  // By NameKey: the id, or the error, of every name seen.
  absl::flat_hash_map<std::string, absl::StatusOr<std::string>> by_name_
      ABSL_GUARDED_BY(mu_);
  // The name (as first written) that gave each derived id.
  absl::flat_hash_map<std::string, std::string> name_of_id_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> new_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_TEAM_NAMES_H_
