// A realistic sample organisation's manager-view history, as API events:
// three departments, seven teams, four months (or `history_days`) of tasks,
// projects (some over budget, some late), milestones, procedure checks and
// monthly KPIs. The demo pushes it; integration tests use it as realistic
// input.
//
// Deterministic for a given (now, seed); every occurred_at is before `now`.
//
// Example:
//   std::vector<v1::Event> events = SampleOrganisation(absl::Now(), 1);
#ifndef ORGPULSE_TOOLS_SAMPLE_ORG_SAMPLE_ORG_H_
#define ORGPULSE_TOOLS_SAMPLE_ORG_SAMPLE_ORG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::sample {

// How a sample team behaves; the story the demo tells about it.
struct TeamProfile {
  std::string team;
  std::string story;
  double tasks_per_day;
  double on_time_probability;  // of a completed task
  double mean_cycle_days;
  double cost_overrun;         // actual spend / planned spend
  double schedule_factor;      // progress / planned progress
  double milestone_slip_days;  // mean lateness of milestones
  double procedure_pass_rate;
  std::string kpi;  // empty: none
  double kpi_monthly_target;
  double kpi_attainment;  // typical actual / target
};

const std::vector<TeamProfile>& SampleTeams();

// The default history: four months.
inline constexpr int kDefaultHistoryDays = 120;

// REQUIRES: history_days >= 30.
std::vector<ingest::v1::Event> SampleOrganisation(
    absl::Time now, uint32_t seed = 1, int history_days = kDefaultHistoryDays);

}  // namespace orgpulse::sample

#endif  // ORGPULSE_TOOLS_SAMPLE_ORG_SAMPLE_ORG_H_
