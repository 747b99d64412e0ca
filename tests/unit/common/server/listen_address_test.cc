#include "common/server/listen_address.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/loopback.h"

namespace orgpulse {
namespace {

TEST(SplitHostPortTest, ReadsTheFormsServersListenOn) {
  std::optional<HostPort> v4 = SplitHostPort("127.0.0.1:50051");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, "50051");
  std::optional<HostPort> v6 = SplitHostPort("[::1]:9464");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "9464");
  std::optional<HostPort> port_only = SplitHostPort("9464");
  ASSERT_TRUE(port_only.has_value());
  EXPECT_EQ(port_only->host, "");
  EXPECT_EQ(port_only->port, "9464");
}

TEST(SplitHostPortTest, RefusesWhatIsNotHostAndPort) {
  EXPECT_FALSE(SplitHostPort("unix:/run/orgpulse.sock").has_value());
  EXPECT_FALSE(SplitHostPort("[::1]9464").has_value());
  EXPECT_FALSE(SplitHostPort("localhost:http").has_value());
}

TEST(WhyCannotBindTest, NamesAPortInUseAndNothingForAFreeOne) {
  const testing::TakenPort held;
  const std::string taken = held.address();

  EXPECT_EQ(WhyCannotBind(taken, /*reuse_port=*/true),
            "Address already in use");
  EXPECT_EQ(WhyCannotBind(taken, /*reuse_port=*/false),
            "Address already in use");
  EXPECT_EQ(WhyCannotBind("127.0.0.1:0", true), "");
  EXPECT_EQ(WhyCannotBind("unix:/nowhere/sock", true), "");
}

}  // namespace
}  // namespace orgpulse
