// Differential fuzzing of the survey privacy rule: DecideReleasedGroups
// against a brute-force attacker.
//
// Input (read with FuzzedDataProvider): k in 3..7, then up to 8 teams, each a
// path of 1 to 3 segments out of "a", "b", "c" (so that paths share
// prefixes) with 0 to 15 respondents of its own.
//
// The attacker knows the sum of every released group's answers: one linear
// equation per released node over one variable per person
// (tests/support/linear_privacy_solver.h). Checked:
// - only teams and prefixes of teams are released;
// - no group of 1 to k-1 people has a determined sum. With at most
//   kExhaustivePeople people every such group is tried; above that, every
//   union of whole teams and every single person (each equation treats the
//   people of a team alike, so a determined group sum is a union of teams);
// - when every team that answered has at least k respondents, every node
//   is released.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_support.h"
#include "services/insights/domain/privacy.h"
#include "tests/support/linear_privacy_solver.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::fuzz::Require;
using ::orgpulse::testing::LinearPrivacySolver;

constexpr int kExhaustivePeople = 12;

bool InTree(const std::string& team, const std::string& node) {
  return team == node ||
         (team.size() > node.size() &&
          team.compare(0, node.size(), node) == 0 && team[node.size()] == '/');
}

std::string Describe(const std::map<std::string, int64_t>& counts, int k,
                     const ReleasedGroups& released) {
  std::string out = absl::StrCat("k=", k, " counts:");
  for (const auto& [team, count] : counts) {
    absl::StrAppend(&out, " ", team, "=", count);
  }
  absl::StrAppend(&out, "\nreleased:");
  for (const std::string& node : released) absl::StrAppend(&out, " ", node);
  return out;
}

// Calls fn(members) for every set of 1 to max_size of the first n people.
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

void Run(FuzzedDataProvider& in) {
  const int k = in.ConsumeIntegralInRange(3, 7);
  std::map<std::string, int64_t> counts;
  const int teams = in.ConsumeIntegralInRange(1, 8);
  for (int t = 0; t < teams; ++t) {
    std::string path;
    const int depth = in.ConsumeIntegralInRange(1, 3);
    for (int d = 0; d < depth; ++d) {
      if (d > 0) path += '/';
      path += "abc"[in.ConsumeIntegralInRange(0, 2)];
    }
    counts[path] += in.ConsumeIntegralInRange(0, 15);
  }

  const ReleasedGroups released = DecideReleasedGroups(counts, k);
  const std::string what = Describe(counts, k, released);

  // The people, numbered team by team; the nodes are the teams that
  // answered and their prefixes.
  std::map<std::string, std::vector<int>> people;
  std::set<std::string> nodes;
  int n = 0;
  for (const auto& [team, count] : counts) {
    if (count == 0) continue;
    for (int64_t i = 0; i < count; ++i) people[team].push_back(n++);
    for (size_t slash = team.find('/'); slash != std::string::npos;
         slash = team.find('/', slash + 1)) {
      nodes.insert(team.substr(0, slash));
    }
    nodes.insert(team);
  }

  LinearPrivacySolver solver(n);
  for (const std::string& node : released) {
    Require(nodes.contains(node),
            "only teams that answered and their prefixes are released", what);
    std::vector<int> members;
    for (const auto& [team, ids] : people) {
      if (InTree(team, node))
        members.insert(members.end(), ids.begin(), ids.end());
    }
    solver.AddEquation(members);
  }

  auto check = [&](const std::vector<int>& group) {
    if (group.empty() || static_cast<int>(group.size()) >= k) return;
    if (!solver.IsSumDetermined(group)) return;
    std::string members;
    for (int p : group) absl::StrAppend(&members, " ", p);
    Require(false, "no group of 1 to k-1 people has a determined sum",
            absl::StrCat(what, "\ndetermined group (people):", members));
  };
  if (n <= kExhaustivePeople) {
    std::vector<int> members;
    ForEachSmallGroup(n, k - 1, members, 0, check);
  } else {
    for (int p = 0; p < n; ++p) check({p});
    const std::vector<std::string> names = [&] {
      std::vector<std::string> out;
      for (const auto& [team, ids] : people) out.push_back(team);
      return out;
    }();
    for (uint32_t subset = 1; subset < (1u << names.size()); ++subset) {
      std::vector<int> group;
      for (size_t t = 0; t < names.size(); ++t) {
        if (subset & (1u << t)) {
          const std::vector<int>& ids = people[names[t]];
          group.insert(group.end(), ids.begin(), ids.end());
        }
      }
      check(group);
    }
  }

  bool all_large = true;
  for (const auto& [team, ids] : people) {
    all_large = all_large && static_cast<int>(ids.size()) >= k;
  }
  if (all_large) {
    Require(released == ReleasedGroups(nodes.begin(), nodes.end()),
            "when every team has at least k respondents, all is released",
            what);
  }
}

}  // namespace
}  // namespace orgpulse::insights

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  orgpulse::insights::Run(in);
  return 0;
}
