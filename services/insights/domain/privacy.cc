#include "services/insights/domain/privacy.h"

#include <algorithm>
#include <vector>

namespace orgpulse::insights {
namespace {

// The org tree, with one extra leaf per node for the node's own team
// ("own part"), so that every node's sum is exactly the sum of its parts.
struct Tree {
  struct Node {
    int64_t count = 0;          // respondents in the subtree (or own part)
    bool released = false;      // its figures are published
    bool is_own_part = false;   // the own-team part of `parent`, never published
    int parent = -1;
    std::vector<int> parts;     // children and the own part
    std::string name;
  };
  std::vector<Node> nodes;
};

Tree BuildTree(const std::map<std::string, int64_t>& own_counts) {
  Tree tree;
  std::map<std::string, int> index;
  auto node_for = [&](const std::string& name) {
    auto [it, inserted] = index.emplace(name, static_cast<int>(tree.nodes.size()));
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
    tree.nodes.push_back({.count = count, .is_own_part = true, .parent = parent,
                          .name = team + "#own"});
    tree.nodes[parent].parts.push_back(own);
  }
  // A node whose only part is its own team has the same members as that
  // part: the part is the node, so it is not a separate unknown.
  return tree;
}

}  // namespace

ReleasedGroups DecideReleasedGroups(const std::map<std::string, int64_t>& own_counts,
                                    int k) {
  Tree tree = BuildTree(own_counts);
  auto& n = tree.nodes;
  auto small = [&](int i) { return n[i].count > 0 && n[i].count < k; };
  for (size_t i = 0; i < n.size(); ++i) {
    n[i].released = !n[i].is_own_part && n[i].count >= k;
  }

  // Repeat until no small group can be derived.
  for (size_t guard = 0; guard <= n.size(); ++guard) {
    // known[i]: the sum of group i can be computed from released figures.
    std::vector<bool> known(n.size());
    for (size_t i = 0; i < n.size(); ++i) known[i] = n[i].released;
    // A node with a single part has the same members as it.
    bool changed = true;
    int leak = -1, leak_via = -1;
    while (changed && leak < 0) {
      changed = false;
      for (size_t p = 0; p < n.size() && leak < 0; ++p) {
        if (n[p].parts.empty()) continue;
        // Equation: p = sum(parts). Solve for a single unknown.
        std::vector<int> unknown;
        if (!known[p]) unknown.push_back(static_cast<int>(p));
        for (int c : n[p].parts) {
          if (!known[c] && n[c].count > 0) unknown.push_back(c);
        }
        if (unknown.size() != 1) continue;
        const int u = unknown[0];
        known[u] = true;
        changed = true;
        if (small(u)) {
          leak = u;
          leak_via = static_cast<int>(p);
        }
      }
    }
    if (leak < 0) break;

    // Suppress one more figure in the equation that leaked: the smallest
    // released part other than the leaked one, else the parent itself.
    int victim = -1;
    for (int c : n[leak_via].parts) {
      if (c == leak || !n[c].released) continue;
      if (victim < 0 || n[c].count < n[victim].count) victim = c;
    }
    if (victim < 0 && n[leak_via].released) victim = leak_via;
    if (victim < 0) {
      // The leak came through figures that are all derived; suppress the
      // nearest released ancestor so the chain breaks.
      for (int a = n[leak_via].parent; a >= 0; a = n[a].parent) {
        if (n[a].released) {
          victim = a;
          break;
        }
      }
    }
    if (victim < 0) break;  // nothing released at all: nothing can leak
    n[victim].released = false;
  }

  ReleasedGroups out;
  for (const auto& node : n) {
    if (node.released) out.insert(node.name);
  }
  return out;
}

}  // namespace orgpulse::insights
