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

TEST(FromGrpcStatusTest, MapsEveryCodeOneToOne) {
  for (int code = 0; code <= 16; ++code) {
    const grpc::Status in(static_cast<grpc::StatusCode>(code),
                          code == 0 ? "" : "why");
    const absl::Status out = FromGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(out.code()), code);
    EXPECT_EQ(out.message(), code == 0 ? "" : "why");
    EXPECT_TRUE(GetFieldViolations(out).empty());
  }
}

TEST(FromGrpcStatusTest, EveryCodeRoundTripsThroughGrpcStatus) {
  for (int code = 1; code <= 16; ++code) {
    const absl::Status in(static_cast<absl::StatusCode>(code), "why");
    EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(in)), in) << code;
  }
}

TEST(FromGrpcStatusTest, KeepsTheFieldViolationsOfAnInvalidArgument) {
  const std::vector<FieldViolation> violations = {
      {"events[0].team", "must not be empty"},
      {"events[2].cost_actual.amount", "is NaN"}};
  const absl::Status out = FromGrpcStatus(
      ToGrpcStatus(InvalidArgumentWithViolations("2 bad", violations)));
  EXPECT_EQ(out.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.message(), "2 bad");
  EXPECT_THAT(GetFieldViolations(out),
              ElementsAre(violations[0], violations[1]));
}

TEST(FromGrpcStatusTest, IgnoresDetailsThatAreNoBadRequest) {
  const absl::Status out = FromGrpcStatus(grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT, "bad", "not a google.rpc.Status"));
  EXPECT_EQ(out.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.message(), "bad");
  EXPECT_TRUE(GetFieldViolations(out).empty());
}

TEST(FieldViolationsTest, RoundTripsThroughAbslStatus) {
  const std::vector<FieldViolation> violations = {{"a", "x"}, {"b", ""}};
  EXPECT_EQ(GetFieldViolations(InvalidArgumentWithViolations("m", violations)),
            violations);
  EXPECT_TRUE(GetFieldViolations(absl::InvalidArgumentError("m")).empty());
}

}  // namespace
}  // namespace orgpulse
