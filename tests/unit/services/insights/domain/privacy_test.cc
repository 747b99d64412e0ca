// DecideReleasedGroups: hand cases, then an attacker that solves the linear
// system of every released rollup of random organisations and must recover
// no small group and no one.
#include "services/insights/domain/privacy.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/linear_privacy_solver.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::LinearPrivacySolver;
using ::testing::IsEmpty;
using Counts = std::map<std::string, int64_t>;

// --- Hand cases -------------------------------------------------------------

// The header's example: eng/b (2) is too small, and eng - eng/a - eng/c would
// reveal it, so the smallest released sibling goes too; eng - eng/c then
// covers eng/a + eng/b = 8 people.
TEST(DecideReleasedGroupsTest, HeaderExample) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a", 6}, {"eng/b", 2}, {"eng/c", 7}}, 5),
            (ReleasedGroups{"eng", "eng/c"}));
}

TEST(DecideReleasedGroupsTest, LargeTeamsAreAllReleased) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a", 5}, {"eng/b", 9}, {"ops", 5}}, 5),
            (ReleasedGroups{"eng", "eng/a", "eng/b", "ops"}));
}

TEST(DecideReleasedGroupsTest, EverythingSmallReleasesNothing) {
  EXPECT_THAT(DecideReleasedGroups({{"eng/a", 2}, {"eng/b", 1}, {"ops", 4}}, 5),
              IsEmpty());
}

TEST(DecideReleasedGroupsTest, EmptyInputReleasesNothing) {
  EXPECT_THAT(DecideReleasedGroups({}, 5), IsEmpty());
}

// Zero counts may be given; they make no group.
TEST(DecideReleasedGroupsTest, ZeroCountsMakeNoGroup) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a", 0}, {"eng/b", 6}}, 5),
            (ReleasedGroups{"eng", "eng/b"}));
}

// A node whose only member team is one child has the same members as the
// child: releasing both reveals nothing more.
TEST(DecideReleasedGroupsTest, SingleChildIsReleasedWithItsParent) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a/x", 5}}, 5),
            (ReleasedGroups{"eng", "eng/a", "eng/a/x"}));
}

// The parent's own respondents (2) are a group of their own: eng minus its
// released children would reveal them, so the smaller child is suppressed.
TEST(DecideReleasedGroupsTest, ParentWithOwnRespondentsAndChildren) {
  EXPECT_EQ(DecideReleasedGroups({{"eng", 2}, {"eng/a", 6}, {"eng/b", 7}}, 5),
            (ReleasedGroups{"eng", "eng/b"}));
}

TEST(DecideReleasedGroupsTest, ParentWithEnoughOwnRespondents) {
  EXPECT_EQ(DecideReleasedGroups({{"eng", 5}, {"eng/a", 6}, {"eng/b", 7}}, 5),
            (ReleasedGroups{"eng", "eng/a", "eng/b"}));
}

// A lone small child beside a single released sibling: the parent minus the
// sibling is the small child, so the sibling is suppressed.
TEST(DecideReleasedGroupsTest, LoneSmallChildWithOneReleasedSibling) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a", 2}, {"eng/b", 9}}, 5),
            (ReleasedGroups{"eng"}));
}

// Three levels: eng/a/x (3) would be eng/a - eng/a/y.
TEST(DecideReleasedGroupsTest, ThreeLevelsSubtractionInTheMiddle) {
  EXPECT_EQ(
      DecideReleasedGroups({{"eng/a/x", 3}, {"eng/a/y", 6}, {"eng/b", 8}}, 5),
      (ReleasedGroups{"eng", "eng/a", "eng/b"}));
}

// Three levels: eng/a (4, suppressed) would be eng - eng/b - eng/c.
TEST(DecideReleasedGroupsTest, ThreeLevelsSuppressedMiddleNode) {
  EXPECT_EQ(
      DecideReleasedGroups(
          {{"eng/a/x", 2}, {"eng/a/y", 2}, {"eng/b", 8}, {"eng/c", 6}}, 5),
      (ReleasedGroups{"eng", "eng/b"}));
}

// Two small children of one person each beside a released sibling: eng -
// eng/c would be the sum of two people, and each of them, knowing their own
// answer, would learn the other's. The union is a group below k too.
TEST(DecideReleasedGroupsTest, UnionOfSmallSiblingsIsProtected) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a", 1}, {"eng/b", 1}, {"eng/c", 7}}, 5),
            (ReleasedGroups{"eng"}));
}

TEST(DecideReleasedGroupsTest, KThreeReleasesWhatKFiveSuppresses) {
  const Counts org = {{"eng/a", 3}, {"eng/b", 4}, {"eng/c", 6}};
  EXPECT_EQ(DecideReleasedGroups(org, 3),
            (ReleasedGroups{"eng", "eng/a", "eng/b", "eng/c"}));
  // eng/a and eng/b are only known together (7 >= 5).
  EXPECT_EQ(DecideReleasedGroups(org, 5), (ReleasedGroups{"eng", "eng/c"}));
}

// Separate departments are separate trees: nothing is subtracted across.
TEST(DecideReleasedGroupsTest, DepartmentsAreIndependent) {
  EXPECT_EQ(DecideReleasedGroups({{"eng/a", 6}, {"ops", 2}, {"hr/x", 5}}, 5),
            (ReleasedGroups{"eng", "eng/a", "hr", "hr/x"}));
}

// --- The attacker ------------------------------------------------------------

// An organisation as the attacker sees it: every node (team or prefix) with
// its members, one solver variable per person.
class Org {
 public:
  explicit Org(const Counts& own_counts) {
    for (const auto& [team, count] : own_counts) {
      if (count <= 0) continue;
      std::vector<int>& own = own_[team];
      for (int64_t i = 0; i < count; ++i) own.push_back(people_++);
      for (size_t slash = 0; slash != std::string::npos;) {
        slash = team.find('/', slash == 0 ? 0 : slash + 1);
        const std::string node = team.substr(0, slash);
        std::vector<int>& members = members_[node];
        members.insert(members.end(), own.begin(), own.end());
      }
    }
  }

  int people() const { return people_; }
  const std::map<std::string, std::vector<int>>& members() const {
    return members_;
  }
  const std::map<std::string, std::vector<int>>& own() const { return own_; }

  static std::string Parent(const std::string& node) {
    const size_t slash = node.rfind('/');
    return slash == std::string::npos ? "" : node.substr(0, slash);
  }
  // The node's parts: its children's subtrees and its own team.
  std::vector<std::vector<int>> Parts(const std::string& node) const {
    std::vector<std::vector<int>> parts;
    for (const auto& [child, members] : members_) {
      if (Parent(child) == node) parts.push_back(members);
    }
    if (auto it = own_.find(node); it != own_.end())
      parts.push_back(it->second);
    return parts;
  }
  bool IsAncestor(const std::string& a, const std::string& d) const {
    return d.size() > a.size() && d.compare(0, a.size(), a) == 0 &&
           d[a.size()] == '/';
  }

 private:
  int people_ = 0;
  std::map<std::string, std::vector<int>> members_;  // subtree
  std::map<std::string, std::vector<int>> own_;      // own team only
};

// What an attacker learns from `released`. Empty if nothing below k: else
// the first problem found, in words.
std::string FindLeak(const Counts& own_counts, int k,
                     const ReleasedGroups& released) {
  const Org org(own_counts);
  LinearPrivacySolver solver(org.people());
  for (const std::string& node : released) {
    auto it = org.members().find(node);
    if (it == org.members().end()) {
      return absl::StrCat("released '", node, "' is not a group of the org");
    }
    if (static_cast<int>(it->second.size()) < k) {
      return absl::StrCat("released '", node, "' has ", it->second.size(),
                          " < k respondents");
    }
    solver.AddEquation(it->second);
  }
  auto small = [&](const std::vector<int>& g) {
    return !g.empty() && static_cast<int>(g.size()) < k;
  };
  for (int p = 0; p < org.people(); ++p) {
    if (solver.IsDetermined(p)) {
      return absl::StrCat("person ", p, "'s answer is determined");
    }
  }
  for (const auto& [team, own] : org.own()) {
    if (small(own) && solver.IsSumDetermined(own)) {
      return absl::StrCat("own team of '", team, "' (", own.size(),
                          " people) is determined");
    }
  }
  for (const auto& [node, members] : org.members()) {
    if (small(members) && solver.IsSumDetermined(members)) {
      return absl::StrCat("suppressed '", node, "' (", members.size(),
                          " people) is determined");
    }
    // Parent minus all but some children: any union of the node's parts.
    const std::vector<std::vector<int>> parts = org.Parts(node);
    for (uint32_t mask = 1; mask < (1u << parts.size()); ++mask) {
      std::vector<int> group;
      for (size_t i = 0; i < parts.size(); ++i) {
        if (mask & (1u << i)) {
          group.insert(group.end(), parts[i].begin(), parts[i].end());
        }
      }
      if (small(group) && solver.IsSumDetermined(group)) {
        return absl::StrCat("a union of parts of '", node, "' (", group.size(),
                            " people) is determined");
      }
    }
  }
  // Complete check. The released sets are nested or disjoint, so their span
  // is spanned by the disjoint "regions": a released node minus its largest
  // released proper descendants. Every recoverable group is a union of
  // regions, so no group below k is recoverable iff no region is below k.
  for (const std::string& node : released) {
    std::set<int> region(org.members().at(node).begin(),
                         org.members().at(node).end());
    for (const std::string& d : released) {
      if (!org.IsAncestor(node, d)) continue;
      bool largest = true;
      for (const std::string& between : released) {
        if (org.IsAncestor(node, between) && org.IsAncestor(between, d)) {
          largest = false;
        }
      }
      if (!largest) continue;
      for (int p : org.members().at(d)) region.erase(p);
    }
    const std::vector<int> group(region.begin(), region.end());
    if (!solver.IsSumDetermined(group)) {
      return absl::StrCat("the solver cannot recover the region of '", node,
                          "': the test's theory is wrong");
    }
    if (small(group)) {
      return absl::StrCat("'", node, "' minus its released descendants (",
                          group.size(), " people) is determined");
    }
  }
  return "";
}

std::string FindLeak(const Counts& own_counts, int k) {
  return FindLeak(own_counts, k, DecideReleasedGroups(own_counts, k));
}

std::string Describe(const Counts& own_counts) {
  std::vector<std::string> parts;
  for (const auto& [team, count] : own_counts) {
    if (count > 0) parts.push_back(absl::StrCat(team, "=", count));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

// Shrinks a leaking org while it still leaks: drops teams, then lowers
// counts, to the smallest case to report.
Counts Minimise(Counts org, int k) {
  for (bool shrunk = true; shrunk;) {
    shrunk = false;
    for (auto& [team, count] : org) {
      for (int64_t smaller : {int64_t{0}, count - 1}) {
        if (count <= 0 || smaller < 0 || smaller >= count) continue;
        const int64_t was = count;
        count = smaller;
        if (!FindLeak(org, k).empty()) {
          shrunk = true;
          break;
        }
        count = was;
      }
    }
  }
  std::erase_if(org, [](const auto& e) { return e.second <= 0; });
  return org;
}

// The attacker checks itself: it must see the leaks of naive releases.
TEST(PrivacyAttackerTest, SeesNaiveLeaks) {
  const Counts org = {{"eng/a", 6}, {"eng/b", 2}, {"eng/c", 7}};
  EXPECT_THAT(FindLeak(org, 5, {"eng", "eng/a", "eng/c"}),
              ::testing::HasSubstr("own team of 'eng/b'"));
  EXPECT_THAT(FindLeak(org, 5, {"eng/b"}), ::testing::HasSubstr("< k"));
  EXPECT_THAT(
      FindLeak({{"eng/a", 1}, {"eng/b", 1}, {"eng/c", 7}}, 5, {"eng", "eng/c"}),
      ::testing::HasSubstr("union of parts of 'eng'"));
  // Across levels: eng - eng/b - eng/a/y = eng's own person + eng/a/x, a
  // group that is no union of one node's parts.
  EXPECT_THAT(
      FindLeak({{"eng", 1}, {"eng/a/x", 1}, {"eng/a/y", 5}, {"eng/b", 5}}, 5,
               {"eng", "eng/b", "eng/a/y"}),
      ::testing::HasSubstr("'eng' minus its released descendants (2 people)"));
  EXPECT_EQ(FindLeak(org, 5, {"eng", "eng/c"}), "");
}

// A random org: 1 to 4 levels, 1 to 3 departments, up to 3 children a node,
// teams of 0 to 15 own respondents (often small), and intermediate nodes
// that sometimes have their own respondents.
Counts RandomOrg(std::mt19937& rng) {
  auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int levels = uniform(1, 4);
  Counts org;
  int teams = 0;
  std::vector<std::pair<std::string, int>> todo;
  for (int d = uniform(1, 3); d > 0; --d) {
    todo.push_back({absl::StrCat("d", d), 1});
  }
  while (!todo.empty()) {
    auto [name, depth] = todo.back();
    todo.pop_back();
    const int children = depth < levels && teams < 24 ? uniform(0, 3) : 0;
    const int own = uniform(0, 1) ? uniform(0, 15) : uniform(0, 8);
    if (children == 0) {
      org[name] = own;
    } else if (uniform(0, 9) < 3) {
      org[name] = std::max(own, 1);
    }
    ++teams;
    for (int c = 0; c < children; ++c) {
      todo.push_back({absl::StrCat(name, "/t", c), depth + 1});
    }
  }
  return org;
}

TEST(DecideReleasedGroupsPropertyTest, RandomOrgsRevealNoSmallGroup) {
  std::mt19937 rng(20260301);
  int released_total = 0;
  for (int i = 0; i < 1000; ++i) {
    const Counts org = RandomOrg(rng);
    for (int k : {3, 5, 7}) {
      const std::string leak = FindLeak(org, k);
      if (!leak.empty()) {
        const Counts minimal = Minimise(org, k);
        ADD_FAILURE() << "org #" << i << " k=" << k << ": " << leak
                      << "\n  org: " << Describe(org)
                      << "\n  minimal: " << Describe(minimal) << " -> "
                      << FindLeak(minimal, k) << "\n  released: "
                      << absl::StrJoin(DecideReleasedGroups(minimal, k), ", ");
        return;
      }
      released_total += static_cast<int>(DecideReleasedGroups(org, k).size());
    }
  }
  // Not vacuous: a good share of the random groups is released.
  EXPECT_GT(released_total, 5000);
}

// The suppression is not absurd: when no team is below k, nothing needs
// hiding and every group is released.
TEST(DecideReleasedGroupsPropertyTest, NoSmallTeamMeansEverythingReleased) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    for (int k : {3, 5, 7}) {
      Counts org = RandomOrg(rng);
      for (auto& [team, count] : org) {
        if (count > 0 && count < k) count = k + (count % 3);
      }
      const Org people(org);
      std::set<std::string> nodes;
      for (const auto& [node, members] : people.members()) nodes.insert(node);
      EXPECT_EQ(DecideReleasedGroups(org, k), nodes)
          << Describe(org) << " k=" << k;
      EXPECT_EQ(FindLeak(org, k), "");
    }
  }
}

}  // namespace
}  // namespace orgpulse::insights
