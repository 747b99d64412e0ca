#include "common/status/grpc_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace orgpulse {
namespace {

using ::testing::ElementsAre;

TEST(ToGrpcStatusTest, MapsEveryCodeOneToOne) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status in(static_cast<absl::StatusCode>(code),
                          code == 0 ? "" : "why");
    const grpc::Status out = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(out.error_code()), code);
    EXPECT_EQ(out.error_message(), code == 0 ? "" : "why");
  }
}

TEST(ToGrpcStatusTest, FieldViolationsBecomeBadRequestDetails) {
  const std::vector<FieldViolation> violations = {
      {"events[0].team", "must not be empty"},
      {"events[2].cost_actual.amount", "is NaN"}};
  const grpc::Status out =
      ToGrpcStatus(InvalidArgumentWithViolations("2 bad", violations));
  EXPECT_EQ(out.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(out.error_message(), "2 bad");
  EXPECT_THAT(FieldViolationsFromGrpcStatus(out),
              ElementsAre(violations[0], violations[1]));
}

TEST(ToGrpcStatusTest, PlainErrorsCarryNoDetails) {
  const grpc::Status out = ToGrpcStatus(absl::NotFoundError("no team"));
  EXPECT_EQ(out.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(out.error_details().empty());
  EXPECT_TRUE(FieldViolationsFromGrpcStatus(out).empty());
}

TEST(FieldViolationsTest, RoundTripsThroughAbslStatus) {
  const std::vector<FieldViolation> violations = {{"a", "x"}, {"b", ""}};
  EXPECT_EQ(GetFieldViolations(InvalidArgumentWithViolations("m", violations)),
            violations);
  EXPECT_TRUE(GetFieldViolations(absl::InvalidArgumentError("m")).empty());
}

}  // namespace
}  // namespace orgpulse
