// Which survey groups may be released, for one round: k-anonymity plus
// complementary suppression over the org tree.
//
// The groups are the subtrees of the org tree: a node's figures sum the
// answers of everyone in the node's own team and in every team under it.
// Released figures are sums over groups, so an attacker can subtract: a
// parent minus all its released children recovers the rest. This decides a
// set of released nodes such that no group of fewer than k respondents can
// be recovered by any chain of such subtractions (additions too), not even
// a union of small teams: released subtrees are nested or disjoint, so what
// can be recovered is exactly the unions of their "regions" (a released
// node minus its nearest released descendants). While a region has 1 to
// k-1 respondents, the smallest of that node's nearest released
// descendants is suppressed.
//
// Example:
//   ReleasedGroups released = DecideReleasedGroups(
//       {{"eng/a", 6}, {"eng/b", 2}, {"eng/c", 7}}, /*k=*/5);
//   // eng/b is too small; eng/a is suppressed too (smallest sibling), so
//   // eng - eng/c = eng/a + eng/b reveals no group below 5.
#ifndef ORGPULSE_SERVICES_INSIGHTS_DOMAIN_PRIVACY_H_
#define ORGPULSE_SERVICES_INSIGHTS_DOMAIN_PRIVACY_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace orgpulse::insights {

inline constexpr int kMinGroupSizeFloor = 3;

using ReleasedGroups = std::set<std::string>;

// `own_counts`: respondents per team (their own team, not its subtree), for
// one round; teams with 0 may be omitted. Returns the nodes (teams and
// every prefix of a team) whose subtree figures may be released.
// REQUIRES: k >= kMinGroupSizeFloor.
ReleasedGroups DecideReleasedGroups(
    const std::map<std::string, int64_t>& own_counts, int k);

}  // namespace orgpulse::insights

#endif  // ORGPULSE_SERVICES_INSIGHTS_DOMAIN_PRIVACY_H_
