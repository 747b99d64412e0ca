// Restarts of the real orgpulse-insights from a snapshot of its survey state
// (issue 12): the figures served after a restart from a snapshot plus the
// log after it are those served before; a damaged or truncated snapshot is
// refused in one log line and the whole log replayed. Ingest is not
// running: only survey figures matter here.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/loopback.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TakenPort;
using ::orgpulse::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kNow[] = "2026-11-20T12:00:00Z";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

// The lines of `log` that hold `text`.
std::vector<std::string> LinesWith(const std::string& log,
                                   const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, text)) out.emplace_back(line);
  }
  return out;
}

class InsightsSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = keys_.path() + "/respondent.key";
    std::ofstream(key_file_) << "snapshot-test-secret-0123456789\n";
  }

  void Start(std::vector<std::string> flags = {}) {
    flags.push_back(absl::StrCat("--now=", kNow));
    flags.push_back("--ingest_address=" + no_ingest_.address());
    flags.push_back("--ingest_deadline=200ms");
    flags.push_back("--respondent_key_file=" + key_file_);
    insights_ =
        std::make_unique<ServerProcess>(ORGPULSE_INSIGHTS_BINARY, flags, data_);
    ASSERT_TRUE(insights_->Start().ok()) << insights_->Log();
    stub_ = v1::InsightsService::NewStub(insights_->Channel());
  }

  void Submit(const std::vector<v1::SurveyResponse>& responses) {
    v1::SubmitSurveyResponsesRequest request;
    for (const auto& r : responses) *request.add_responses() = r;
    grpc::ClientContext context;
    v1::SubmitSurveyResponsesResponse response;
    const grpc::Status s =
        stub_->SubmitSurveyResponses(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Every group's survey figures in each round, as served (bytes).
  std::map<std::string, std::string> Figures() {
    std::map<std::string, std::string> out;
    for (const char* node : {"", "eng", "eng/payments", "eng/search",
                             "eng/platform", "ops", "ops/support", "sales"}) {
      for (const std::string& round : rounds_) {
        grpc::ClientContext context;
        v1::GetTeamInsightsRequest request;
        request.set_team(node);
        request.set_round(round);
        v1::TeamInsights t;
        const grpc::Status s = stub_->GetTeamInsights(&context, request, &t);
        out[absl::StrCat(node, "@", round)] =
            s.ok() ? t.morale().SerializeAsString()
                   : absl::StrCat("status ", s.error_code());
      }
    }
    return out;
  }

  TempDir keys_;
  TempDir dir_;
  const std::string data_ = dir_.path() + "/insights";
  const std::string snapshot_ = data_ + "/survey.snapshot";
  std::string key_file_;
  TakenPort no_ingest_;  // listens, never answers: ingest is down
  std::unique_ptr<ServerProcess> insights_;
  std::unique_ptr<v1::InsightsService::Stub> stub_;
  const std::vector<v1::SurveyResponse> survey_ =
      sample::SampleSurveyResponses(Now());
  const std::vector<std::string> rounds_ = {
      sample::QuarterRound(Now() - absl::Hours(24 * 91)),
      sample::QuarterRound(Now() - absl::Hours(24 * 3))};
};

TEST_F(InsightsSnapshotTest, ARestartFromASnapshotAndTheTailServesTheSame) {
  // Half the survey, a snapshot at shutdown, the other half after it.
  const size_t half = survey_.size() / 2;
  Start();
  Submit({survey_.begin(), survey_.begin() + half});
  EXPECT_EQ(insights_->Terminate(), 0);
  ASSERT_THAT(insights_->Log(),
              HasSubstr(absl::StrCat("survey snapshot of ", half,
                                     " responses at log position")));
  ASSERT_TRUE(std::filesystem::exists(snapshot_));
  Start();
  EXPECT_THAT(insights_->Log(), HasSubstr("loaded a snapshot at log position"));
  Submit({survey_.begin() + half, survey_.end()});
  const std::map<std::string, std::string> live = Figures();
  insights_->Kill();  // no snapshot of the second half: it is the tail

  Start();
  EXPECT_THAT(insights_->Log(),
              HasSubstr("loaded a snapshot at log position 1 ("));
  EXPECT_THAT(insights_->Log(),
              HasSubstr(absl::StrCat("then folded ", survey_.size() - half,
                                     " records after it")));
  EXPECT_EQ(Figures(), live);
  insights_->Kill();

  // Without snapshots: the whole log, the same figures.
  Start({"--snapshot_every_responses=0"});
  EXPECT_THAT(insights_->Log(), HasSubstr("replayed the whole log"));
  EXPECT_EQ(Figures(), live);
  EXPECT_EQ(insights_->Terminate(), 0);
}

TEST_F(InsightsSnapshotTest, ASnapshotIsWrittenEveryNResponses) {
  Start({"--snapshot_every_responses=10"});
  Submit(survey_);
  // Written on the engine's thread, off the request: poll the log (10 s).
  for (int i = 0; i < 200 && !std::filesystem::exists(snapshot_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::filesystem::exists(snapshot_)) << insights_->Log();
  // Exposed once written (the observer runs after the rename: poll).
  std::string scrape;
  for (int i = 0; i < 200; ++i) {
    scrape = RunCommand(absl::StrCat("curl -sf http://127.0.0.1:",
                                     insights_->metrics_port(), "/metrics"))
                 .output;
    if (absl::StrContains(scrape, "orgpulse_survey_snapshot_position")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(scrape, HasSubstr("orgpulse_survey_snapshot_position 1\n"));
  EXPECT_THAT(scrape, HasSubstr("orgpulse_survey_snapshot_bytes "));
  EXPECT_THAT(scrape, HasSubstr("orgpulse_survey_snapshot_encode_seconds "));
  const std::map<std::string, std::string> live = Figures();
  insights_->Kill();
  Start({"--snapshot_every_responses=10"});
  EXPECT_THAT(insights_->Log(),
              HasSubstr(absl::StrCat("loaded a snapshot at log position 1 (",
                                     survey_.size(), " responses)")));
  EXPECT_EQ(Figures(), live);
  EXPECT_EQ(insights_->Terminate(), 0);
}

TEST_F(InsightsSnapshotTest, ADamagedOrTruncatedSnapshotIsRefusedInOneLine) {
  Start();
  Submit(survey_);
  EXPECT_EQ(insights_->Terminate(), 0);
  const std::map<std::string, std::string> live = [&] {
    Start();
    auto figures = Figures();
    insights_->Kill();
    return figures;
  }();
  const uintmax_t size = std::filesystem::file_size(snapshot_);
  struct Damage {
    const char* name;
    const char* expected;
  };
  for (const Damage& damage :
       {Damage{"a byte flipped", "checksum mismatch"},
        Damage{"truncated", "truncated or padded"},
        Damage{"not a snapshot", "not a survey snapshot"}}) {
    SCOPED_TRACE(damage.name);
    {
      std::fstream f(snapshot_,
                     std::ios::in | std::ios::out | std::ios::binary);
      if (damage.name[0] == 'a') {
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.put('\x5a' ^ static_cast<char>(size));
      }
    }
    if (damage.name[0] == 't')
      std::filesystem::resize_file(snapshot_, size - 7);
    if (damage.name[0] == 'n') std::ofstream(snapshot_) << "hello";
    Start();
    const std::vector<std::string> refused =
        LinesWith(insights_->Log(), "snapshot refused");
    ASSERT_EQ(refused.size(), 1u) << insights_->Log();
    EXPECT_THAT(refused[0], HasSubstr(damage.expected));
    EXPECT_THAT(refused[0], HasSubstr("replayed the whole log"));
    EXPECT_EQ(Figures(), live);
    // Stopped cleanly: a new snapshot replaces the damaged one.
    EXPECT_EQ(insights_->Terminate(), 0);
    Start();
    EXPECT_THAT(insights_->Log(), Not(HasSubstr("snapshot refused")));
    EXPECT_THAT(insights_->Log(), HasSubstr("loaded a snapshot"));
    EXPECT_EQ(Figures(), live);
    insights_->Kill();
  }
}

TEST_F(InsightsSnapshotTest, ASnapshotOfAnotherMinGroupSizeIsRefused) {
  Start();
  Submit(survey_);
  EXPECT_EQ(insights_->Terminate(), 0);
  Start({"--min_group_size=4"});
  const std::vector<std::string> refused =
      LinesWith(insights_->Log(), "snapshot refused");
  ASSERT_EQ(refused.size(), 1u) << insights_->Log();
  EXPECT_THAT(refused[0], HasSubstr("min_group_size=5"));
  insights_->Kill();
}

}  // namespace
}  // namespace orgpulse::insights
