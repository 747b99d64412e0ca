// People's rights against the real orgpulse-insights binary (issue 11):
// erasure (the real `orgpulse survey erase`, then every file of the data
// directory scanned for the person's keyed hash and raw id, after a SIGKILL
// and after a restart) and retention (--retain_rounds, at a new round and at
// start-up, across restarts). Ingest is not running: only survey figures
// matter here.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crypto/keyed_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orgpulse/insights/v1/insights.grpc.pb.h"
#include "tests/support/file_scan.h"
#include "tests/support/loopback.h"
#include "tests/support/run_command.h"
#include "tests/support/server_process.h"
#include "tools/sample_org/sample_surveys.h"

namespace orgpulse::insights {
namespace {

using ::orgpulse::testing::FilesContaining;
using ::orgpulse::testing::HexForms;
using ::orgpulse::testing::RunCommand;
using ::orgpulse::testing::ServerProcess;
using ::orgpulse::testing::TakenPort;
using ::orgpulse::testing::TempDir;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kNow[] = "2026-11-20T12:00:00Z";
constexpr char kSecret[] = "people-rights-secret-0123456789";
// In eng/payments in both sample rounds.
constexpr char kPerson[] = "person-eng/payments-1@example.com";

absl::Time Now() {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, kNow, &t, &error);
  return t;
}

// The person's keyed hash in every encoding the store could hold it, and
// their raw id.
std::vector<std::string> Traces(const std::string& id) {
  const std::string hash = KeyedHasher::FromSecret(kSecret)->Hash(id);
  std::vector<std::string> out = HexForms(hash);
  out.push_back(hash);
  out.push_back(id);
  return out;
}

class PeopleRightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = keys_.path() + "/respondent.key";
    std::ofstream(key_file_) << kSecret << "\n";
  }

  // Starts (or restarts) insights on the same data directory.
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

  grpc::Status Submit(const std::vector<v1::SurveyResponse>& responses) {
    v1::SubmitSurveyResponsesRequest request;
    for (const auto& r : responses) *request.add_responses() = r;
    grpc::ClientContext context;
    v1::SubmitSurveyResponsesResponse response;
    return stub_->SubmitSurveyResponses(&context, request, &response);
  }

  grpc::Status Get(const std::string& team, const std::string& round,
                   v1::TeamInsights* out) {
    grpc::ClientContext context;
    v1::GetTeamInsightsRequest request;
    request.set_team(team);
    request.set_round(round);
    return stub_->GetTeamInsights(&context, request, out);
  }

  absl::StatusOr<int64_t> Erase(const std::string& id) {
    grpc::ClientContext context;
    v1::EraseRespondentRequest request;
    request.set_respondent_id(id);
    v1::EraseRespondentResponse response;
    const grpc::Status s = stub_->EraseRespondent(&context, request, &response);
    if (!s.ok()) return absl::UnknownError(s.error_message());
    return response.erased();
  }

  // Every group's survey figures in each round (or the status), as served;
  // `without_change`: not the change since the previous round.
  std::map<std::string, std::string> Figures(
      const std::vector<std::string>& rounds, bool without_change = false) {
    std::map<std::string, std::string> out;
    for (const char* node : {"eng", "eng/payments", "eng/search",
                             "eng/platform", "ops", "ops/support", "sales"}) {
      for (const std::string& round : rounds) {
        v1::TeamInsights t;
        const grpc::Status s = Get(node, round, &t);
        if (without_change) {
          v1::MoraleFigures& m = *t.mutable_morale();
          m.clear_previous_round();
          m.clear_enps_change();
          for (v1::DimensionScore& d : *m.mutable_dimensions())
            d.clear_change();
        }
        out[absl::StrCat(node, "@", round)] =
            s.ok() ? t.morale().SerializeAsString()
                   : absl::StrCat("status ", s.error_code());
      }
    }
    return out;
  }

  // The real command line, as an operator runs it.
  testing::CommandResult Orgpulse(const std::string& args) {
    return RunCommand(
        absl::StrCat("ORGPULSE_INSIGHTS=", insights_->grpc_target(), " ",
                     ORGPULSE_CLI_BINARY, " ", args, " 2>&1"));
  }

  TempDir keys_;
  TempDir dir_;
  const std::string data_ = dir_.path() + "/insights";
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

TEST_F(PeopleRightsTest, AnErasedPersonIsInNoFigureAndNoFile) {
  Start();
  ASSERT_TRUE(Submit(survey_).ok());
  // The scan finds them before: it would find them after.
  ASSERT_THAT(FilesContaining(data_, Traces(kPerson)), Not(IsEmpty()));
  const std::map<std::string, std::string> before = Figures(rounds_);
  for (const std::string& round : rounds_) {
    v1::TeamInsights t;
    ASSERT_TRUE(Get("eng/payments", round, &t).ok());
    ASSERT_FALSE(t.morale().suppressed()) << round;
  }

  const testing::CommandResult erased =
      Orgpulse(absl::StrCat("survey erase --json --respondent=", kPerson));
  ASSERT_EQ(erased.exit_code, 0) << erased.output;
  EXPECT_EQ(erased.output,
            absl::StrCat("{\"erased\":\"2\",\"rounds\":[\"", rounds_[0],
                         "\",\"", rounds_[1], "\"]}\n"));

  // Their groups are withdrawn in both rounds; the others keep their
  // figures.
  std::map<std::string, std::string> after = Figures(rounds_);
  for (const std::string& round : rounds_) {
    for (const char* node : {"eng/payments", "eng"}) {
      v1::TeamInsights t;
      ASSERT_TRUE(Get(node, round, &t).ok());
      EXPECT_TRUE(t.morale().suppressed()) << node << "@" << round;
      EXPECT_EQ(t.morale().respondents(), 0) << node << "@" << round;
    }
    for (const char* node : {"eng/search", "eng/platform", "ops", "sales"}) {
      const std::string key = absl::StrCat(node, "@", round);
      EXPECT_EQ(after[key], before.at(key)) << key;
    }
  }

  // Killed at once: nothing of theirs in the database, its free pages, the
  // write-ahead log or anywhere else in the data directory.
  insights_->Kill();
  EXPECT_THAT(FilesContaining(data_, Traces(kPerson)), IsEmpty());

  // A restart serves the same figures, and there is nothing left to erase.
  Start();
  EXPECT_EQ(Figures(rounds_), after);
  EXPECT_EQ(Erase(kPerson).value_or(-1), 0);
  const testing::CommandResult again =
      Orgpulse(absl::StrCat("survey erase --respondent=", kPerson));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("erased nothing"));
  EXPECT_EQ(insights_->Terminate(), 0);
  EXPECT_THAT(FilesContaining(data_, Traces(kPerson)), IsEmpty());
}

// SIGKILL while an erasure runs (or just before or after it: the timing is
// not controlled): after a restart the person is either all there or all
// gone, the figures are those a second restart serves too, and erasing
// again leaves no trace.
TEST_F(PeopleRightsTest, AKillDuringAnErasureLeavesAllOrNothing) {
  const std::string person = "person-eng/search-3@example.com";
  Start();
  ASSERT_TRUE(Submit(survey_).ok());
  for (int attempt = 0; attempt < 3; ++attempt) {
    SCOPED_TRACE(absl::StrCat("attempt ", attempt));
    std::atomic<bool> sent = false;
    std::thread eraser([&] {
      grpc::ClientContext context;
      v1::EraseRespondentRequest request;
      request.set_respondent_id(person);
      v1::EraseRespondentResponse response;
      sent = true;
      stub_->EraseRespondent(&context, request, &response);  // may be cut
    });
    while (!sent) std::this_thread::yield();
    for (int spin = 0; spin < attempt * 200000; ++spin) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    insights_->Kill();
    eraser.join();

    Start();
    const std::map<std::string, std::string> first = Figures(rounds_);
    insights_->Kill();
    Start();
    EXPECT_EQ(Figures(rounds_), first);
    const absl::StatusOr<int64_t> erased = Erase(person);
    ASSERT_TRUE(erased.ok()) << erased.status();
    EXPECT_TRUE(*erased == 0 || *erased == 2) << *erased;
    insights_->Kill();
    EXPECT_THAT(FilesContaining(data_, Traces(person)), IsEmpty());
    Start();
    // Put them back for the next attempt (a new import adds them again).
    ASSERT_TRUE(Submit(survey_).ok());
  }
}

std::vector<v1::SurveyResponse> InRound(std::vector<v1::SurveyResponse> rs,
                                        const std::string& round) {
  for (v1::SurveyResponse& r : rs) {
    r.set_round(round);
    r.set_response_id(absl::StrCat(round, "/", r.response_id()));
  }
  return rs;
}

TEST_F(PeopleRightsTest, RetentionDropsOldRoundsDurably) {
  // One round's responses, under three round ids.
  std::vector<v1::SurveyResponse> one(survey_.begin(),
                                      survey_.begin() + survey_.size() / 2);
  Start({"--retain_rounds=2"});
  ASSERT_TRUE(Submit(InRound(one, "2025-q1")).ok());
  ASSERT_TRUE(Submit(InRound(one, "2025-q2")).ok());
  v1::TeamInsights t;
  ASSERT_TRUE(Get("eng/payments", "2025-q1", &t).ok());
  ASSERT_TRUE(t.morale().has_as_of());

  ASSERT_TRUE(Submit(InRound(one, "2025-q3")).ok());
  grpc::Status s = Get("eng/payments", "2025-q1", &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(s.error_message(),
              AllOf(HasSubstr("round 2025-q1 is not kept"),
                    HasSubstr("the oldest kept is 2025-q2")));
  s = Submit(InRound({one[0]}, "2025-q1"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  const std::map<std::string, std::string> kept =
      Figures({"2025-q2", "2025-q3"}, /*without_change=*/true);
  // Killed: the drop was durable, and nothing of the round is in the files.
  insights_->Kill();
  EXPECT_THAT(FilesContaining(data_, {"2025-q1"}), IsEmpty());

  Start({"--retain_rounds=2"});
  EXPECT_EQ(Get("eng/payments", "2025-q1", &t).error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(Figures({"2025-q2", "2025-q3"}, true), kept);
  insights_->Kill();

  // Fewer rounds kept at the next start: dropped then.
  Start({"--retain_rounds=1"});
  EXPECT_THAT(insights_->Log(), HasSubstr("dropped 1 round(s)"));
  s = Get("eng/payments", "2025-q2", &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(s.error_message(), HasSubstr("the oldest kept is 2025-q3"));
  std::map<std::string, std::string> latest;
  for (const auto& [key, figures] : kept) {
    if (key.ends_with("@2025-q3")) latest[key] = figures;
  }
  // The same figures; only the change since the dropped round is gone.
  EXPECT_EQ(Figures({"2025-q3"}, true), latest);
  ASSERT_TRUE(Get("eng/payments", "2025-q3", &t).ok());
  EXPECT_TRUE(t.morale().has_as_of());
  EXPECT_EQ(t.morale().previous_round(), "");
  EXPECT_EQ(insights_->Terminate(), 0);
  EXPECT_THAT(FilesContaining(data_, {"2025-q1", "2025-q2"}), IsEmpty());
}

// A snapshot holds the person's scores as the log does: the erasure deletes
// it with them, and a restart after the erasure (from a snapshot written
// since, or replaying the whole log) serves what a replay without the
// person serves.
TEST_F(PeopleRightsTest, AnErasureDeletesTheSnapshotsThatHeldThePerson) {
  Start();
  ASSERT_TRUE(Submit(survey_).ok());
  EXPECT_EQ(insights_->Terminate(), 0);  // writes a snapshot
  const std::string snapshot = data_ + "/survey.snapshot";
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  // The scan finds them in the snapshot: it would find them after.
  ASSERT_THAT(FilesContaining(data_, Traces(kPerson)),
              Contains(HasSubstr("survey.snapshot")));
  Start();
  ASSERT_THAT(insights_->Log(), HasSubstr("loaded a snapshot at log position"));

  const absl::StatusOr<int64_t> erased = Erase(kPerson);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 2);
  const std::map<std::string, std::string> after = Figures(rounds_);
  insights_->Kill();
  EXPECT_THAT(FilesContaining(data_, Traces(kPerson)), IsEmpty());

  // From whatever the files hold now (a snapshot written after the
  // erasure, or none), then from the whole log without a snapshot: the
  // same figures.
  Start();
  EXPECT_EQ(Figures(rounds_), after);
  EXPECT_EQ(insights_->Terminate(), 0);
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  EXPECT_THAT(FilesContaining(data_, Traces(kPerson)), IsEmpty());
  Start();
  EXPECT_THAT(insights_->Log(), HasSubstr("loaded a snapshot"));
  EXPECT_EQ(Figures(rounds_), after);
  insights_->Kill();
  std::filesystem::remove(snapshot);
  Start({"--snapshot_every_responses=0"});
  EXPECT_THAT(insights_->Log(), HasSubstr("replayed the whole log"));
  EXPECT_EQ(Figures(rounds_), after);
  EXPECT_EQ(insights_->Terminate(), 0);
  EXPECT_THAT(FilesContaining(data_, Traces(kPerson)), IsEmpty());
}

TEST_F(PeopleRightsTest, ARetentionDropDeletesTheSnapshotsThatHeldTheRound) {
  std::vector<v1::SurveyResponse> one(survey_.begin(),
                                      survey_.begin() + survey_.size() / 2);
  Start({"--retain_rounds=2"});
  ASSERT_TRUE(Submit(InRound(one, "2025-q1")).ok());
  ASSERT_TRUE(Submit(InRound(one, "2025-q2")).ok());
  EXPECT_EQ(insights_->Terminate(), 0);  // writes a snapshot
  ASSERT_THAT(FilesContaining(data_, {"2025-q1"}),
              Contains(HasSubstr("survey.snapshot")));
  Start({"--retain_rounds=2"});
  ASSERT_THAT(insights_->Log(), HasSubstr("loaded a snapshot"));
  ASSERT_TRUE(Submit(InRound(one, "2025-q3")).ok());  // drops 2025-q1
  const std::map<std::string, std::string> kept =
      Figures({"2025-q2", "2025-q3"}, /*without_change=*/true);
  insights_->Kill();
  EXPECT_THAT(FilesContaining(data_, {"2025-q1"}), IsEmpty());
  Start({"--retain_rounds=2"});
  EXPECT_EQ(Figures({"2025-q2", "2025-q3"}, true), kept);
  EXPECT_EQ(insights_->Terminate(), 0);
  EXPECT_THAT(FilesContaining(data_, {"2025-q1"}), IsEmpty());
}

}  // namespace
}  // namespace orgpulse::insights
