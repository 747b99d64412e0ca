#include "tools/sample_org/sample_surveys.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"

namespace orgpulse::sample {
namespace {

using insights::v1::Dimension;
using insights::v1::SurveyResponse;

// How a team feels: a mean answer (1..5) per dimension, eNPS and intent.
struct Mood {
  std::string team;
  int people;
  double safety, feedback, recognition, growth, wellbeing, trust, vision,
      autonomy, collaboration;
  double enps;    // mean 0..10
  double intent;  // mean 1..5
};

const std::vector<Mood>& Moods() {
  static const auto* moods = new std::vector<Mood>{
      // Delivers, but exhausted and unrecognised.
      {"eng/payments", 9, 3.0, 2.6, 1.9, 2.5, 1.6, 2.6, 3.2, 2.0, 3.4, 4.5,
       2.3},
      // Loves the mission, misses the dates.
      {"eng/search", 8, 4.5, 4.3, 4.2, 4.4, 4.3, 4.4, 4.7, 4.5, 4.4, 9.4, 4.5},
      {"eng/platform", 7, 4.2, 4.0, 4.0, 3.9, 3.9, 4.1, 4.0, 4.2, 4.3, 9.2,
       4.1},
      {"sales/emea", 6, 3.2, 2.9, 2.6, 2.8, 2.9, 2.6, 3.0, 3.1, 3.2, 6.0, 2.9},
      {"sales/na", 6, 4.0, 3.8, 4.1, 3.7, 3.8, 3.9, 4.0, 3.9, 4.0, 9.0, 4.0},
      // Too small to report.
      {"ops/support", 3, 3.5, 3.3, 3.0, 3.2, 3.0, 3.4, 3.3, 3.5, 3.6, 7.0, 3.4},
      {"ops/sre", 6, 3.4, 3.1, 3.0, 3.3, 2.9, 3.2, 3.3, 3.6, 3.5, 7.0, 3.3},
  };
  return *moods;
}

int Likert(std::mt19937& rng, double mean) {
  std::normal_distribution<double> d(mean, 0.7);
  return std::clamp(static_cast<int>(std::lround(d(rng))), 1, 5);
}

}  // namespace

std::string QuarterRound(absl::Time t) {
  const absl::CivilMonth m = absl::ToCivilMonth(t, absl::UTCTimeZone());
  return absl::StrCat(m.year(), "-q", (m.month() - 1) / 3 + 1);
}

std::vector<SurveyResponse> SampleSurveyResponses(absl::Time now,
                                                  uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<SurveyResponse> out;
  const absl::Time rounds[] = {now - absl::Hours(24 * 91),
                               now - absl::Hours(24 * 3)};
  for (int r = 0; r < 2; ++r) {
    const std::string round = QuarterRound(rounds[r]);
    for (const Mood& mood : Moods()) {
      // Between rounds one person left and one joined (ids shift by one);
      // the first round's mood was a little better everywhere.
      const double lift = r == 0 ? 0.3 : 0;
      for (int p = r; p < mood.people + r; ++p) {
        SurveyResponse& s = out.emplace_back();
        s.set_response_id(absl::StrCat(round, "-", mood.team, "-", p));
        s.set_team(mood.team);
        s.set_round(round);
        s.set_respondent_id(
            absl::StrCat("person-", mood.team, "-", p, "@example.com"));
        s.mutable_submitted_at()->set_seconds(
            absl::ToUnixSeconds(rounds[r] + absl::Minutes(17 * p)));
        const std::pair<Dimension, double> dims[] = {
            {insights::v1::DIMENSION_PSYCHOLOGICAL_SAFETY, mood.safety},
            {insights::v1::DIMENSION_FEEDBACK, mood.feedback},
            {insights::v1::DIMENSION_RECOGNITION, mood.recognition},
            {insights::v1::DIMENSION_GROWTH, mood.growth},
            {insights::v1::DIMENSION_WELLBEING, mood.wellbeing},
            {insights::v1::DIMENSION_TRUST_IN_LEADERSHIP, mood.trust},
            {insights::v1::DIMENSION_VISION, mood.vision},
            {insights::v1::DIMENSION_AUTONOMY, mood.autonomy},
            {insights::v1::DIMENSION_COLLABORATION, mood.collaboration}};
        for (const auto& [dimension, mean] : dims) {
          auto* a = s.add_answers();
          a->set_item(absl::StrCat("q", static_cast<int>(dimension), "a"));
          a->set_dimension(dimension);
          a->set_value(Likert(rng, mean + lift));
          // A negatively worded second item, answered consistently.
          auto* b = s.add_answers();
          b->set_item(absl::StrCat("q", static_cast<int>(dimension), "b"));
          b->set_dimension(dimension);
          b->set_reverse_scored(true);
          b->set_value(6 - Likert(rng, mean + lift));
        }
        std::normal_distribution<double> enps(mood.enps + lift, 1.0);
        s.set_enps(std::clamp(static_cast<int>(std::lround(enps(rng))), 0, 10));
        s.set_intent_to_stay(Likert(rng, mood.intent + lift));
      }
    }
  }
  return out;
}

}  // namespace orgpulse::sample
