// The brute-force attacker of the survey privacy rule, for the fuzz
// targets: given respondents per team and the groups whose sums are
// released, finds a group of 1 to k-1 people whose sum is determined.
//
// One unknown per person, one equation per released group (the sum over
// every team in the group's subtree), solved exactly by
// tests/support/linear_privacy_solver.h. With at most kExhaustivePeople
// people every group of 1 to k-1 of them is tried. Above that, every single
// person and every union of whole teams (up to kMaxUnionTeams teams): each
// equation treats the people of a team alike, so any determined group sum
// is a union of whole teams.
//
// Example:
//   std::string leak = FindSmallDeterminedGroup(
//       {{"eng/a", 6}, {"eng/b", 2}}, {"eng", "eng/a"}, /*k=*/5);
//   // "people 6 (eng/b) 7 (eng/b)": eng - eng/a gives eng/b away.
#ifndef ORGPULSE_FUZZ_SMALL_GROUP_ATTACKER_H_
#define ORGPULSE_FUZZ_SMALL_GROUP_ATTACKER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"
#include "tests/support/linear_privacy_solver.h"

namespace orgpulse::fuzz {

inline constexpr int kExhaustivePeople = 12;
inline constexpr size_t kMaxUnionTeams = 10;

namespace internal {

// Calls fn(members) for every set of 1 to max_size of the first n people
// that extends `members` with people from `next` on.
template <typename Fn>
void ForEachSmallGroup(int n, int max_size, std::vector<int>& members, int next,
                       Fn& fn) {
  if (!members.empty()) fn(members);
  if (static_cast<int>(members.size()) == max_size) return;
  for (int p = next; p < n; ++p) {
    members.push_back(p);
    ForEachSmallGroup(n, max_size, members, p + 1, fn);
    members.pop_back();
  }
}

}  // namespace internal

// `own_counts`: respondents per team (0 allowed); `released`: the nodes
// whose subtree sums are known. Returns "" if no group of 1 to k-1 people
// has a determined sum, else the people of one such group (numbered team by
// team, in team order) and their teams.
inline std::string FindSmallDeterminedGroup(
    const std::map<std::string, int64_t>& own_counts,
    const std::set<std::string>& released, int k) {
  std::map<std::string, std::vector<int>> people;
  std::vector<std::string> team_of;
  for (const auto& [team, count] : own_counts) {
    for (int64_t i = 0; i < count; ++i) {
      people[team].push_back(static_cast<int>(team_of.size()));
      team_of.push_back(team);
    }
  }
  const int n = static_cast<int>(team_of.size());

  testing::LinearPrivacySolver solver(n);
  for (const std::string& node : released) {
    std::vector<int> members;
    for (const auto& [team, ids] : people) {
      if (IsInTeamTree(team, node)) {
        members.insert(members.end(), ids.begin(), ids.end());
      }
    }
    if (!members.empty()) solver.AddEquation(members);
  }

  std::string found;
  auto check = [&](const std::vector<int>& group) {
    if (!found.empty() || group.empty() || static_cast<int>(group.size()) >= k)
      return;
    if (!solver.IsSumDetermined(group)) return;
    found = "people";
    for (int p : group) absl::StrAppend(&found, " ", p, " (", team_of[p], ")");
  };
  if (n <= kExhaustivePeople) {
    std::vector<int> members;
    internal::ForEachSmallGroup(n, k - 1, members, 0, check);
    return found;
  }
  for (int p = 0; p < n && found.empty(); ++p) check({p});
  std::vector<const std::vector<int>*> teams;
  for (const auto& [team, ids] : people) teams.push_back(&ids);
  if (teams.size() > kMaxUnionTeams) return found;
  for (uint32_t subset = 1; subset < (1u << teams.size()); ++subset) {
    std::vector<int> group;
    for (size_t t = 0; t < teams.size(); ++t) {
      if (subset & (1u << t)) {
        group.insert(group.end(), teams[t]->begin(), teams[t]->end());
      }
    }
    check(group);
  }
  return found;
}

}  // namespace orgpulse::fuzz

#endif  // ORGPULSE_FUZZ_SMALL_GROUP_ATTACKER_H_
