#include "services/insights/domain/privacy.h"

#include <algorithm>
#include <vector>

namespace orgpulse::insights {
namespace {

// The org tree, with one extra leaf per node for the node's own team
// ("own part"), so that every node's sum is exactly the sum of its parts.
struct Tree {
  struct Node {
    int64_t count = 0;         // respondents in the subtree (or own part)
    bool released = false;     // its figures are published
    bool is_own_part = false;  // the own-team part of `parent`, never published
    int parent = -1;
    std::vector<int> parts;  // children and the own part
    std::string name;
  };
  std::vector<Node> nodes;
};

Tree BuildTree(const std::map<std::string, int64_t>& own_counts) {
  Tree tree;
  std::map<std::string, int> index;
  auto node_for = [&](const std::string& name) {
    auto [it, inserted] =
        index.emplace(name, static_cast<int>(tree.nodes.size()));
    if (inserted) tree.nodes.push_back({.name = name});
    return it->second;
  };
  for (const auto& [team, count] : own_counts) {
    if (count <= 0) continue;
    // Create the path's nodes top-down and link them.
    int parent = -1;
    size_t pos = 0;
    while (true) {
      const size_t slash = team.find('/', pos);
      const std::string prefix = team.substr(0, slash);
      const int node = node_for(prefix);
      if (tree.nodes[node].parent == -1 && parent != -1 &&
          std::find(tree.nodes[parent].parts.begin(),
                    tree.nodes[parent].parts.end(),
                    node) == tree.nodes[parent].parts.end()) {
        tree.nodes[node].parent = parent;
        tree.nodes[parent].parts.push_back(node);
      }
      tree.nodes[node].count += count;
      parent = node;
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    const int own = static_cast<int>(tree.nodes.size());
    tree.nodes.push_back({.count = count,
                          .is_own_part = true,
                          .parent = parent,
                          .name = team + "#own"});
    tree.nodes[parent].parts.push_back(own);
  }
  // A node whose only part is its own team has the same members as that
  // part: the part is the node, so it is not a separate unknown.
  return tree;
}

}  // namespace

ReleasedGroups DecideReleasedGroups(
    const std::map<std::string, int64_t>& own_counts, int k) {
  Tree tree = BuildTree(own_counts);
  auto& n = tree.nodes;
  for (size_t i = 0; i < n.size(); ++i) {
    n[i].released = !n[i].is_own_part && n[i].count >= k;
  }

  // Released subtrees are nested or disjoint, so everything derivable from
  // them (by any chain of subtractions and additions) is spanned by disjoint
  // "regions": a released node minus its nearest released descendants. A
  // group's sum can be recovered iff the group is a union of regions, so no
  // group below k can be recovered iff every region is empty or has at
  // least k respondents. Solving node equations for a single unknown is not
  // enough: eng - eng/c recovers eng/a + eng/b, two people who then each
  // learn the other's answer. Each pass suppresses one node, so this ends.
  while (true) {
    int victim = -1;
    for (size_t s = 0; s < n.size() && victim < 0; ++s) {
      if (!n[s].released) continue;
      std::vector<int> nearest;  // nearest released descendants of s
      std::vector<int> todo(n[s].parts.begin(), n[s].parts.end());
      while (!todo.empty()) {
        const int c = todo.back();
        todo.pop_back();
        if (n[c].is_own_part) continue;
        if (n[c].released) {
          nearest.push_back(c);
        } else {
          todo.insert(todo.end(), n[c].parts.begin(), n[c].parts.end());
        }
      }
      int64_t region = n[s].count;
      for (int d : nearest) region -= n[d].count;
      if (region == 0 || region >= k) continue;
      // A region below k always has a released descendant (s itself has at
      // least k). Suppress the smallest, whose region joins s's.
      for (int d : nearest) {
        if (victim < 0 || n[d].count < n[victim].count ||
            (n[d].count == n[victim].count && n[d].name < n[victim].name)) {
          victim = d;
        }
      }
    }
    if (victim < 0) break;
    n[victim].released = false;
  }

  ReleasedGroups out;
  for (const auto& node : n) {
    if (node.released) out.insert(node.name);
  }
  return out;
}

}  // namespace orgpulse::insights
