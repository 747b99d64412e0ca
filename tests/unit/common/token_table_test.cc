#include "common/auth/token_table.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace orgpulse {
namespace {

using ::orgpulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Digest(absl::string_view token) {
  return absl::StrCat("sha256:", absl::BytesToHexString(Sha256(token)));
}

TEST(Sha256Test, MatchesTheKnownDigestOfAbc) {
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RandomTokenTest, IsPrefixedUrlSafeAndDifferentEachTime) {
  const std::string a = RandomToken();
  const std::string b = RandomToken();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 4), "opk_");
  EXPECT_EQ(a.size(), 4 + 43u);  // 256 bits in unpadded base64url
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                                "TUVWXYZ0123456789-_",
                                4),
            std::string::npos);
}

TEST(ScopeTest, NamesRoundTrip) {
  for (Scope s :
       {Scope::kIngestPush, Scope::kIngestRead, Scope::kSurveySubmit,
        Scope::kInsightsRead, Scope::kIngestAdmin, Scope::kSurveyErase}) {
    EXPECT_EQ(ParseScope(ScopeName(s)), s);
  }
  EXPECT_EQ(ParseScope("ingest:admin"), Scope::kIngestAdmin);
  EXPECT_EQ(ScopeName(Scope::kSurveyErase), "survey:erase");
  EXPECT_EQ(ParseScope("ingest:write"), std::nullopt);
  EXPECT_EQ(ParseScope(""), std::nullopt);
}

TEST(TokenTableTest, AuthorizesByScope) {
  const std::string text = absl::StrCat(
      "# clients\n\n", "jira-sync  ingest:push  ", Digest("tok-push"), "\n",
      "grafana\tinsights:read,ingest:read\t", Digest("tok-read"),
      "  # trailing comment\n");
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);

  EXPECT_EQ(table->Authorize("tok-push", Scope::kIngestPush)->name,
            "jira-sync");
  EXPECT_EQ(table->Authorize("tok-read", Scope::kInsightsRead)->name,
            "grafana");
  EXPECT_EQ(table->Authorize("tok-read", Scope::kIngestRead)->name, "grafana");

  EXPECT_THAT(table->Authorize("tok-push", Scope::kIngestRead),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("jira-sync"), HasSubstr("ingest:read"),
                             Not(HasSubstr("tok-push")))));
  EXPECT_THAT(table->Authorize("tok-read", Scope::kSurveySubmit),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("survey:submit")));
  EXPECT_THAT(table->Authorize("tok-unknown", Scope::kIngestPush),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       Not(HasSubstr("tok-unknown"))));
  EXPECT_THAT(table->Authorize("", Scope::kIngestPush),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("needs a bearer token")));
  // A digest is not a token: presenting the stored value gets nothing.
  EXPECT_THAT(table->Authorize(Digest("tok-push"), Scope::kIngestPush),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(TokenTableTest, GeneratedLineLoads) {
  const std::string token = RandomToken();
  const std::string line =
      TokenFileLine("insights", {Scope::kIngestRead}, token);
  EXPECT_THAT(line, Not(HasSubstr(token)));
  absl::StatusOr<TokenTable> table = TokenTable::Parse(line, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->Authorize(token, Scope::kIngestRead)->name, "insights");
  EXPECT_THAT(table->Authorize(token, Scope::kIngestPush),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(TokenTableTest, ASubtreeGoesWithTheCaller) {
  const std::string text =
      absl::StrCat("eng-lead insights:read,ingest:read ", Digest("tok-eng"),
                   " subtree=eng/platform  # the platform group only\n",
                   "grafana insights:read ", Digest("tok-all"), "\n");
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  absl::StatusOr<Caller> lead = table->Authorize("tok-eng", Scope::kIngestRead);
  ASSERT_TRUE(lead.ok()) << lead.status();
  EXPECT_EQ(lead->name, "eng-lead");
  EXPECT_EQ(lead->subtree, "eng/platform");
  EXPECT_EQ(table->Authorize("tok-all", Scope::kInsightsRead)->subtree, "");
}

TEST(TokenTableTest, GeneratedLineWithASubtreeLoads) {
  const std::string token = RandomToken();
  const std::string line =
      TokenFileLine("eng-lead", {Scope::kInsightsRead}, token, "eng");
  EXPECT_THAT(line, HasSubstr(" subtree=eng"));
  absl::StatusOr<TokenTable> table = TokenTable::Parse(line, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->Authorize(token, Scope::kInsightsRead)->subtree, "eng");
}

TEST(TokenTableTest, EmptyFileAuthorizesNobody) {
  absl::StatusOr<TokenTable> table = TokenTable::Parse("# none yet\n", "t");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->size(), 0u);
  EXPECT_THAT(table->Authorize("x", Scope::kIngestRead),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

struct BadFile {
  std::string text;
  std::string expected;  // in the message, after "tokens:LINE: "
};

TEST(TokenTableTest, RejectsBadFilesNamingTheLineButNoDigest) {
  const std::string d1 = Digest("a");
  const std::string d2 = Digest("b");
  const BadFile cases[] = {
      {"a ingest:push\n", "tokens:1: expected 3 fields"},
      {absl::StrCat("\n\na ingest:push ", d1, " extra\n"), "tokens:3:"},
      {absl::StrCat("a ingest:write ", d1), "unknown scope \"ingest:write\""},
      {absl::StrCat("a ingest:push, ", d1), "unknown scope \"\""},
      {absl::StrCat("a/b ingest:push ", d1), "client name"},
      {absl::StrCat(std::string(65, 'n'), " ingest:push ", d1), "client name"},
      {"a ingest:push opk_plaintexttoken", "sha256: and 64"},
      {absl::StrCat("a ingest:push ", d1.substr(0, 60)), "sha256: and 64"},
      {absl::StrCat("a ingest:push sha256:", std::string(64, 'G')),
       "sha256: and 64"},
      {absl::StrCat("a ingest:push ", d1, "\na ingest:read ", d2),
       "tokens:2: client \"a\" is listed twice"},
      {absl::StrCat("a ingest:push ", d1, "\nb ingest:read ", d1),
       "tokens:2: client \"b\" has the same token"},
      {absl::StrCat("a ingest:read ", d1, " eng"),
       "tokens:1: the fourth field must be subtree=TEAM"},
      {absl::StrCat("a ingest:read ", d1, " subtree="),
       "tokens:1: subtree: a team id must not be empty"},
      {absl::StrCat("a ingest:read ", d1, " subtree=Eng"),
       "tokens:1: subtree: a team id may hold only lowercase"},
      {absl::StrCat("a ingest:read ", d1, " subtree=eng/"),
       "tokens:1: subtree: a team id has an empty path segment"},
      {absl::StrCat("a ingest:read,ingest:push ", d1, " subtree=eng"),
       "tokens:1: client \"a\" has a subtree and the scope ingest:push: a "
       "subtree limits reads only"},
      {absl::StrCat("a survey:submit ", d1, " subtree=eng"),
       "scope survey:submit"},
  };
  for (const BadFile& c : cases) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(c.text, "tokens");
    EXPECT_THAT(table, StatusIs(absl::StatusCode::kInvalidArgument,
                                AllOf(HasSubstr(c.expected),
                                      Not(HasSubstr(d1.substr(7, 16))))))
        << c.text;
  }
}

TEST(TokenTableTest, MissingFileIsNotFound) {
  EXPECT_THAT(TokenTable::FromFile("/nonexistent/orgpulse/tokens"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("/nonexistent/orgpulse/tokens")));
}

}  // namespace
}  // namespace orgpulse
