// The attacker of the privacy tests: given everything released as linear
// equations over the individual answers, which answers (or sums of a group's
// answers) are determined?
//
// Model: one variable per answer ("the answer of person p in round r"; the
// history attacker of privacy_attacker_test uses one per response ever in
// force, so that a changed answer is a new unknown; every released figure -- a
// mean per dimension, eNPS, intent -- is a released sum divided by a released
// count, so one variable per person and round stands for each of them). Each
// released group figure is one equation: the sum of its members' variables is
// known. A variable is determined iff its unit vector e_v lies in the row space
// of the equations; a group's sum is determined iff the group's 0/1 indicator
// vector does.
//
// Arithmetic: Gaussian elimination modulo the Mersenne prime p = 2^61 - 1,
// with a rank test (a vector is in the span iff it reduces to zero). That is
// exact, without rounding, except that the rank mod p can differ from the
// rank over the rationals when p divides a nonzero minor of the matrix; then
// the answer may be wrong either way. For the systems of the tests this
// cannot happen: a laminar family of sets (org subtrees, own-team parts,
// unions of siblings, single people) has a totally unimodular incidence
// matrix, so every minor is -1, 0 or 1. For an arbitrary 0/1 system, minors
// that are not crafted against p are multiples of p with probability about
// 2^-61, so the answer is exact with overwhelming probability. The solver's
// own tests check it on hand cases whose answer is known both ways.
//
// Example:
//   LinearPrivacySolver solver(/*variables=*/3);
//   solver.AddEquation({0, 1, 2});   // parent: a + b + c
//   solver.AddEquation({0});         // child a
//   solver.IsDetermined(1);          // false: b and c are only known together
//   solver.IsSumDetermined({1, 2});  // true: parent minus a
//   solver.IsCombinationDetermined({{1, 1}, {2, -1}});  // false: b - c
#ifndef ORGPULSE_TESTS_SUPPORT_LINEAR_PRIVACY_SOLVER_H_
#define ORGPULSE_TESTS_SUPPORT_LINEAR_PRIVACY_SOLVER_H_

#include <cassert>
#include <cstdint>
#include <utility>
#include <vector>

namespace orgpulse::testing {

class LinearPrivacySolver {
 public:
  static constexpr uint64_t kPrime = (uint64_t{1} << 61) - 1;

  explicit LinearPrivacySolver(int variables) : variables_(variables) {}

  int variables() const { return variables_; }
  // The number of independent equations so far.
  int rank() const { return static_cast<int>(basis_.size()); }

  // Records that the sum of `members` (variable ids, each at most once) is
  // known. Returns false if it was already implied by earlier equations.
  bool AddEquation(const std::vector<int>& members) {
    std::vector<uint64_t> row = Indicator(members);
    const int pivot = Reduce(row);
    if (pivot < 0) return false;
    // Scale so that the pivot is 1; then Reduce needs no inverse.
    const uint64_t inverse = Inverse(row[pivot]);
    BasisRow b{pivot, {}};
    for (int c = pivot; c < variables_; ++c) {
      if (row[c] != 0) b.entries.push_back({c, Mul(row[c], inverse)});
    }
    basis_.push_back(std::move(b));
    return true;
  }

  // True if the equations determine variable `v` alone.
  bool IsDetermined(int v) const { return IsSumDetermined({v}); }

  // True if the equations determine the sum of `members` (each at most
  // once), e.g. a whole small team's total.
  bool IsSumDetermined(const std::vector<int>& members) const {
    std::vector<uint64_t> row = Indicator(members);
    return Reduce(row) < 0;
  }

  // True if the equations determine sum(coefficient * variable) over
  // `terms` (each variable at most once), e.g. a difference a - b: how one
  // person's answer changed.
  bool IsCombinationDetermined(
      const std::vector<std::pair<int, int64_t>>& terms) const {
    std::vector<uint64_t> row(variables_, 0);
    for (const auto& [v, c] : terms) {
      assert(v >= 0 && v < variables_ && row[v] == 0 && c != 0);
      const uint64_t magnitude = static_cast<uint64_t>(c < 0 ? -c : c);
      row[v] = c < 0 ? kPrime - magnitude : magnitude;
    }
    return Reduce(row) < 0;
  }

  // The variables that are determined, in increasing order.
  std::vector<int> DeterminedVariables() const {
    std::vector<int> out;
    for (int v = 0; v < variables_; ++v) {
      if (IsDetermined(v)) out.push_back(v);
    }
    return out;
  }

 private:
  // Sparse: org rollups touch few of the variables.
  struct BasisRow {
    int pivot;
    std::vector<std::pair<int, uint64_t>> entries;  // 1 at the pivot
  };

  static uint64_t Add(uint64_t a, uint64_t b) {
    const uint64_t s = a + b;  // < 2^62: no overflow
    return s >= kPrime ? s - kPrime : s;
  }
  static uint64_t Sub(uint64_t a, uint64_t b) {
    return a >= b ? a - b : a + kPrime - b;
  }
  static uint64_t Mul(uint64_t a, uint64_t b) {
    const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
    // 2^61 == 1 (mod p).
    const uint64_t lo = static_cast<uint64_t>(p) & kPrime;
    const uint64_t hi = static_cast<uint64_t>(p >> 61);
    return Add(lo, hi);
  }
  static uint64_t Inverse(uint64_t a) {
    // Fermat: a^(p-2).
    uint64_t result = 1, base = a, e = kPrime - 2;
    while (e > 0) {
      if (e & 1) result = Mul(result, base);
      base = Mul(base, base);
      e >>= 1;
    }
    return result;
  }

  std::vector<uint64_t> Indicator(const std::vector<int>& members) const {
    std::vector<uint64_t> row(variables_, 0);
    for (int v : members) {
      assert(v >= 0 && v < variables_ && row[v] == 0);
      row[v] = 1;
    }
    return row;
  }

  // Subtracts the basis from `row`; returns its first nonzero column after
  // that, or -1 if `row` is in the span of the basis. Each basis row was
  // itself reduced by the rows before it, so it is zero at their pivots and
  // one pass in insertion order suffices.
  int Reduce(std::vector<uint64_t>& row) const {
    for (const BasisRow& b : basis_) {
      const uint64_t f = row[b.pivot];
      if (f == 0) continue;
      for (const auto& [c, x] : b.entries) row[c] = Sub(row[c], Mul(f, x));
    }
    for (int c = 0; c < variables_; ++c) {
      if (row[c] != 0) return c;
    }
    return -1;
  }

  int variables_;
  std::vector<BasisRow> basis_;
};

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_LINEAR_PRIVACY_SOLVER_H_
