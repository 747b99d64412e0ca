// MetricsEndpoint over real loopback HTTP: the body as written by the
// callback, gzip when asked for, basic auth, its own scrape counters, and a
// port that cannot be listened on.
#include "common/server/metrics_endpoint.h"

#include <zlib.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "tests/support/loopback.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::HttpGet;
using ::orgpulse::testing::TakenPort;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The body of an HTTP response, after the blank line.
std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return "inflateInit2 failed";
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buffer[65536];
  int result = Z_OK;
  while (result == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    result = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
  }
  inflateEnd(&zs);
  return result == Z_STREAM_END ? out : "not gzip";
}

// About 1 MB in 3 pieces.
std::vector<std::string> Chunks() {
  std::string big;
  for (int i = 0; i < 30000; ++i) {
    absl::StrAppend(&big, "orgpulse_x{team=\"team-", i, "\"} ", i, "\n");
  }
  return {"# TYPE orgpulse_x gauge\n", big, "orgpulse_y 1\n"};
}

std::string Joined() { return absl::StrJoin(Chunks(), ""); }

class MetricsEndpointTest : public ::testing::Test {
 protected:
  void Start(MetricsEndpointOptions options) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
        MetricsEndpoint::Start(options, registry_, [] { return Chunks(); });
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *std::move(endpoint);
  }
  std::string Get(const std::string& headers = "") {
    return HttpGet(endpoint_->port(), "/metrics", headers);
  }

  prometheus::Registry registry_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
};

TEST_F(MetricsEndpointTest, ServesTheChunksJoinedAsPrometheusText) {
  Start({.address = "127.0.0.1:0"});
  const std::string response = Get();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4; "
                                  "charset=utf-8\r\n"));
  EXPECT_THAT(response,
              HasSubstr(absl::StrCat("Content-Length: ", Joined().size())));
  EXPECT_THAT(response, Not(HasSubstr("Content-Encoding")));
  EXPECT_EQ(BodyOf(response), Joined());
}

TEST_F(MetricsEndpointTest, GzipsTheBodyWhenTheClientAcceptsIt) {
  Start({.address = "127.0.0.1:0"});
  const std::string response = Get("Accept-Encoding: gzip, deflate\r\n");
  EXPECT_THAT(response, HasSubstr("Content-Encoding: gzip\r\n"));
  const std::string body = BodyOf(response);
  EXPECT_THAT(response,
              HasSubstr(absl::StrCat("Content-Length: ", body.size(), "\r\n")));
  EXPECT_LT(body.size(), Joined().size() / 4);
  EXPECT_EQ(Gunzip(body), Joined());
}

TEST_F(MetricsEndpointTest, AsksForBasicAuthAndServesOnlyTheRightPassword) {
  Start({.address = "127.0.0.1:0",
         .auth = [](const std::string& user, const std::string& password) {
           return user == "prometheus" && password == "pa:ss";
         }});
  auto basic = [](const std::string& credentials) {
    return absl::StrCat("Authorization: Basic ",
                        absl::Base64Escape(credentials), "\r\n");
  };
  const std::string refused = Get();
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 401 Unauthorized\r\n"));
  EXPECT_THAT(refused,
              HasSubstr("WWW-Authenticate: Basic realm=\"orgpulse metrics\""));
  EXPECT_EQ(BodyOf(refused), "");
  EXPECT_THAT(Get(basic("prometheus:wrong")), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Get(basic("prometheus")), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Get("Authorization: Basic not base64!\r\n"),
              StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Get("Authorization: Bearer x\r\n"), StartsWith("HTTP/1.1 401"));
  // The password may hold a colon; the user name may not.
  const std::string served = Get(basic("prometheus:pa:ss"));
  EXPECT_THAT(served, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(BodyOf(served), Joined());
}

TEST_F(MetricsEndpointTest, CountsItsScrapesAndBytesInTheRegistry) {
  Start({.address = "127.0.0.1:0"});
  Get();
  Get();
  const std::string text =
      prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(text, HasSubstr("\nexposer_scrapes_total 2\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("\nexposer_transferred_bytes_total ",
                                           2 * Joined().size(), "\n")));
  EXPECT_THAT(text, HasSubstr("\nexposer_request_latencies_count 2\n"));
}

TEST(MetricsEndpointStartTest, APortInUseIsUnavailable) {
  TakenPort taken;
  prometheus::Registry registry;
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start({.address = taken.address()}, registry,
                             [] { return std::vector<std::string>(); });
  EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace orgpulse
