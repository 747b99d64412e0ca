// Differential fuzzing of the survey privacy rule: DecideReleasedGroups
// against a brute-force attacker.
//
// Input (read with FuzzedDataProvider): k in 3..7, then up to 8 teams, each a
// path of 1 to 3 segments out of "a", "b", "c" (so that paths share
// prefixes) with 0 to 15 respondents of its own.
//
// Checked:
// - only teams and prefixes of teams are released;
// - the attacker of small_group_attacker.h, who knows the sum of every
//   released group's answers, determines the sum of no group of 1 to k-1
//   people (at most 8 teams of at most 15: with up to 12 people every such
//   group is tried, above that every union of whole teams);
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
#include "fuzz/small_group_attacker.h"
#include "services/insights/domain/privacy.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::fuzz::FindSmallDeterminedGroup;
using ::orgpulse::fuzz::Require;

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
  auto what = [&] { return Describe(counts, k, released); };

  // The nodes: the teams that answered and their prefixes.
  std::set<std::string> nodes;
  for (const auto& [team, count] : counts) {
    if (count == 0) continue;
    for (size_t slash = team.find('/'); slash != std::string::npos;
         slash = team.find('/', slash + 1)) {
      nodes.insert(team.substr(0, slash));
    }
    nodes.insert(team);
  }
  for (const std::string& node : released) {
    Require(nodes.contains(node),
            "only teams that answered and their prefixes are released", what);
  }

  const std::string leak = FindSmallDeterminedGroup(counts, released, k);
  Require(leak.empty(), "no group of 1 to k-1 people has a determined sum",
          [&] { return absl::StrCat(what(), "\ndetermined: ", leak); });

  bool all_large = true;
  for (const auto& [team, count] : counts) {
    all_large = all_large && (count == 0 || count >= k);
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
