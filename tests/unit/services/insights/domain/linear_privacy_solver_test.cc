// The attacker of the privacy tests, checked on cases small enough to solve
// by hand, in both directions: what it must recover and what it must not.
#include "tests/support/linear_privacy_solver.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LinearPrivacySolverTest, NothingReleasedDeterminesNothing) {
  LinearPrivacySolver solver(3);
  EXPECT_EQ(solver.rank(), 0);
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
  EXPECT_FALSE(solver.IsSumDetermined({0, 1, 2}));
}

TEST(LinearPrivacySolverTest, AGroupSumDeterminesNoMember) {
  LinearPrivacySolver solver(3);
  ASSERT_TRUE(solver.AddEquation({0, 1, 2}));
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
  EXPECT_TRUE(solver.IsSumDetermined({0, 1, 2}));
  EXPECT_FALSE(solver.IsSumDetermined({0, 1}));
}

TEST(LinearPrivacySolverTest, ASingletonGroupIsItsMember) {
  LinearPrivacySolver solver(2);
  ASSERT_TRUE(solver.AddEquation({1}));
  EXPECT_THAT(solver.DeterminedVariables(), ElementsAre(1));
}

// Parent = {a0, a1, b0}; child a = {a0, a1} released: parent minus a is the
// other child b, a single person.
TEST(LinearPrivacySolverTest, ParentMinusChildRevealsTheOtherChild) {
  LinearPrivacySolver solver(3);
  ASSERT_TRUE(solver.AddEquation({0, 1, 2}));
  ASSERT_TRUE(solver.AddEquation({0, 1}));
  EXPECT_THAT(solver.DeterminedVariables(), ElementsAre(2));
  EXPECT_FALSE(solver.IsDetermined(0));
  EXPECT_FALSE(solver.IsDetermined(1));
}

// A team of {0, 1, 2} released, then again after person 2's answer changed
// (variable 3): the difference is that person's change, not their answer.
TEST(LinearPrivacySolverTest, TwoReleasesDetermineTheChangeOfAnAnswer) {
  LinearPrivacySolver solver(4);
  ASSERT_TRUE(solver.AddEquation({0, 1, 2}));
  EXPECT_FALSE(solver.IsCombinationDetermined({{3, 1}, {2, -1}}));
  ASSERT_TRUE(solver.AddEquation({0, 1, 3}));
  EXPECT_TRUE(solver.IsCombinationDetermined({{3, 1}, {2, -1}}));
  EXPECT_TRUE(solver.IsCombinationDetermined({{2, -1}, {3, 1}}));
  EXPECT_FALSE(solver.IsCombinationDetermined({{3, 1}, {2, 1}}));
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
}

// Parent = a {0} + b {1} + c {2, 3}, only the parent and c released: a and b
// are known together, neither alone.
TEST(LinearPrivacySolverTest, TwoUnknownChildrenStayUnknown) {
  LinearPrivacySolver solver(4);
  ASSERT_TRUE(solver.AddEquation({0, 1, 2, 3}));
  ASSERT_TRUE(solver.AddEquation({2, 3}));
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
  EXPECT_TRUE(solver.IsSumDetermined({0, 1}));
  EXPECT_FALSE(solver.IsSumDetermined({0, 2}));
}

// Recovery through a chain across levels:
//   root = {0..5}, x = {0, 1, 2} (= x1 {0, 1} + x2 {2}), y = {3, 4, 5}.
// Released: root, y, x1. root - y = x; x - x1 = person 2.
TEST(LinearPrivacySolverTest, ChainedSubtractionsAcrossLevels) {
  LinearPrivacySolver solver(6);
  ASSERT_TRUE(solver.AddEquation({0, 1, 2, 3, 4, 5}));
  ASSERT_TRUE(solver.AddEquation({3, 4, 5}));
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
  ASSERT_TRUE(solver.AddEquation({0, 1}));
  EXPECT_THAT(solver.DeterminedVariables(), ElementsAre(2));
}

// Overlapping (non-nested) sums need a real elimination, not peeling:
// a+b, b+c, a+c determine each of a, b, c (each = half of a signed sum).
TEST(LinearPrivacySolverTest, OverlappingSumsNeedElimination) {
  LinearPrivacySolver solver(3);
  ASSERT_TRUE(solver.AddEquation({0, 1}));
  ASSERT_TRUE(solver.AddEquation({1, 2}));
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
  EXPECT_TRUE(solver.IsSumDetermined({0, 1}));
  ASSERT_TRUE(solver.AddEquation({0, 2}));
  EXPECT_THAT(solver.DeterminedVariables(), ElementsAre(0, 1, 2));
}

TEST(LinearPrivacySolverTest, ImpliedEquationsAddNoRank) {
  LinearPrivacySolver solver(4);
  ASSERT_TRUE(solver.AddEquation({0, 1, 2, 3}));
  ASSERT_TRUE(solver.AddEquation({0, 1}));
  EXPECT_FALSE(solver.AddEquation({0, 1}));
  EXPECT_TRUE(solver.AddEquation({2}));
  EXPECT_FALSE(solver.AddEquation({3}));  // total - {0,1} - {2}
  EXPECT_EQ(solver.rank(), 3);
  EXPECT_THAT(solver.DeterminedVariables(), ElementsAre(2, 3));
}

// A bigger system whose rank is known: n disjoint pairs plus the total.
TEST(LinearPrivacySolverTest, RankOfDisjointPairsAndTotal) {
  constexpr int kPairs = 40;
  LinearPrivacySolver solver(2 * kPairs);
  std::vector<int> all;
  for (int i = 0; i < 2 * kPairs; ++i) all.push_back(i);
  ASSERT_TRUE(solver.AddEquation(all));
  for (int i = 0; i + 1 < kPairs; ++i) {
    ASSERT_TRUE(solver.AddEquation({2 * i, 2 * i + 1}));
  }
  EXPECT_EQ(solver.rank(), kPairs);
  EXPECT_TRUE(solver.IsSumDetermined({2 * kPairs - 2, 2 * kPairs - 1}));
  EXPECT_THAT(solver.DeterminedVariables(), IsEmpty());
}

}  // namespace
}  // namespace orgpulse::testing
