// Times insights' fold of a survey history in one process: what a restart
// of orgpulse-insights spends replaying its log, without the store; then
// the encode and decode of a snapshot of the folded state.
//
// The history: --teams teams (50 per department), --people respondents per
// team, --rounds rounds, submitted team by team as a survey tool's export
// is imported; scores drawn from a fixed seed.
//
//   orgpulse-survey-replay-bench --teams=1000 --people=100
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/insights/domain/survey_state.h"

ABSL_FLAG(int, teams, 1000, "teams (50 per department)");
ABSL_FLAG(int, people, 100, "respondents per team and round");
ABSL_FLAG(int, rounds, 2, "survey rounds");
ABSL_FLAG(int, min_group_size, 5, "k of the release rules");

namespace orgpulse::insights {
namespace {

std::vector<ScoredResponse> History(int teams, int people, int rounds) {
  std::mt19937_64 rng(7);
  std::vector<ScoredResponse> log;
  log.reserve(static_cast<size_t>(teams) * people * rounds);
  for (int round = 0; round < rounds; ++round) {
    for (int t = 0; t < teams; ++t) {
      for (int p = 0; p < people; ++p) {
        ScoredResponse r;
        r.response_id = absl::StrCat("r", round, "-", t, "-", p);
        // Keyed hashes in the service: respondents in no team order.
        r.respondent = absl::StrCat(absl::Hex(
            (static_cast<uint64_t>(t) * 100003 + p) * 0x9E3779B97F4A7C15ull,
            absl::kZeroPad16));
        r.team = absl::StrCat("dept-", t / 50, "/team-", t % 50);
        r.round = absl::StrCat("2026-", 10 + round);
        r.submitted_at =
            absl::FromUnixSeconds(1700000000 + round * 1000000 + t * 100 + p);
        for (double& s : r.dimension_scores) s = (rng() % 17) * 6.25;
        r.enps = static_cast<int>(rng() % 11);
        r.intent_to_stay = 1 + static_cast<int>(rng() % 5);
        log.push_back(std::move(r));
      }
    }
  }
  return log;
}

}  // namespace
}  // namespace orgpulse::insights

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using orgpulse::insights::SurveyState;
  const std::vector<orgpulse::insights::ScoredResponse> log =
      orgpulse::insights::History(absl::GetFlag(FLAGS_teams),
                                  absl::GetFlag(FLAGS_people),
                                  absl::GetFlag(FLAGS_rounds));
  SurveyState state(absl::GetFlag(FLAGS_min_group_size));
  const auto start = std::chrono::steady_clock::now();
  for (const auto& response : log) state.Apply(response);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  int64_t steps = 0;
  for (const std::string& round : state.rounds()) {
    steps += state.release_steps(round);
  }
  std::printf(
      "RESULT responses=%zu seconds=%.3f responses_per_s=%.0f "
      "release_steps=%lld\n",
      log.size(), seconds, static_cast<double>(log.size()) / seconds,
      static_cast<long long>(steps));

  // What a restart from a snapshot costs instead: encode (under the
  // engine's lock) and decode of the same state.
  auto timed = [](auto fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
        .count();
  };
  std::string bytes;
  const double encode = timed([&] { state.Encode(bytes); });
  absl::StatusOr<SurveyState> decoded = absl::InternalError("not run");
  const double decode = timed([&] {
    decoded = SurveyState::Decode(bytes, absl::GetFlag(FLAGS_min_group_size));
  });
  if (!decoded.ok()) {
    std::fprintf(stderr, "decode: %s\n", decoded.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "RESULT snapshot_bytes=%zu encode_seconds=%.3f decode_seconds=%.3f\n",
      bytes.size(), encode, decode);
  return 0;
}
