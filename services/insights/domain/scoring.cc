#include "services/insights/domain/scoring.h"

#include <algorithm>
#include <map>

namespace orgpulse::insights {
namespace {

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

struct Practice {
  const char* practice;
  const char* detail;
};

// The seed article's practices, tied to what they answer.
const std::map<std::string, Practice>& Practices() {
  static const auto* practices = new std::map<std::string, Practice>{
      {"psychological_safety",
       {"hold 1:1s and listen actively",
        "Regular one-to-ones where the leader listens more than talks; "
        "thank people for bad news."}},
      {"feedback",
       {"ask for feedback",
        "Ask the team what to start, stop and continue; act visibly on one "
        "item before the next round."}},
      {"recognition",
       {"recognise work",
        "Name specific contributions in team meetings and reviews; make "
        "effort visible, not only outcomes."}},
      {"growth",
       {"mentor and grow people",
        "Agree a growth goal with each person in their 1:1s; pair junior "
        "and senior people on real work."}},
      {"wellbeing",
       {"protect workload",
        "Cut or defer work in progress, protect focus time and watch "
        "overtime; a delivering team can still be burning out."}},
      {"trust_in_leadership",
       {"explain decisions",
        "Share the reasons behind decisions and follow through on "
        "commitments; trust follows consistency."}},
      {"vision",
       {"clarify the vision",
        "Restate where the team is going and why its work matters; tie "
        "each project to that goal."}},
      {"autonomy",
       {"trust the team with the how",
        "Agree outcomes and constraints, then let the team choose how; "
        "avoid approving every step."}},
      {"collaboration",
       {"build collaboration",
        "Make shared goals explicit and create space for cross-team "
        "work and help."}},
      {"enps",
       {"ask for feedback",
        "Low advocacy: ask people what would make this a team they "
        "recommend, and act on it."}},
      {"intent_to_stay",
       {"hold 1:1s on careers",
        "People do not see a future here: discuss career paths and what "
        "would keep them."}},
      {"on_time_ratio",
       {"re-plan with the team",
        "Tasks finish late: size work smaller, limit work in progress and "
        "re-estimate with the people doing it."}},
      {"cost_performance_index",
       {"review spend against scope",
        "The project spends more than it earns: check scope creep and "
        "re-baseline the budget."}},
      {"schedule_performance_index",
       {"re-baseline the schedule",
        "Progress lags the plan: remove blockers and reset milestones the "
        "team believes in."}},
      {"milestone_hit_ratio",
       {"protect milestones",
        "Milestones slip: make them smaller and visible, and review risks "
        "before they are due."}},
      {"procedure_compliance_ratio",
       {"make procedures easy to follow",
        "Checks fail: find out which steps people skip and why; automate "
        "or simplify them."}},
      {"kpi_forecast_attainment_ratio",
       {"focus on the monthly numbers",
        "The month will end below target: agree the few actions that move "
        "the number."}},
  };
  return *practices;
}

}  // namespace

std::optional<double> ExecutionScore(const ExecutionInputs& in) {
  double sum = 0, weight = 0;
  auto add = [&](const std::optional<double>& v, double w, bool cap) {
    if (!v) return;
    sum += w * 100 * Clamp01(cap ? std::min(*v, 1.0) : *v);
    weight += w;
  };
  add(in.on_time_ratio, 0.25, false);
  add(in.cost_performance_index, 0.15, true);
  add(in.schedule_performance_index, 0.15, true);
  add(in.milestone_hit_ratio, 0.15, false);
  add(in.procedure_compliance_ratio, 0.15, false);
  add(in.kpi_forecast_attainment_ratio, 0.15, true);
  if (weight == 0) return std::nullopt;
  return sum / weight;
}

double PeopleScore(const PeopleInputs& in) {
  double mean = 0;
  for (double d : in.dimensions) mean += d;
  mean /= kDimensionCount;
  return 0.7 * mean + 0.15 * in.intent_to_stay + 0.15 * (in.enps + 100) / 2;
}

Quadrant QuadrantOf(std::optional<double> execution,
                    std::optional<double> people) {
  if (!execution || !people) return Quadrant::kInsufficientData;
  const bool delivers = *execution >= kQuadrantThreshold;
  const bool spirited = *people >= kQuadrantThreshold;
  if (delivers && spirited) return Quadrant::kThriving;
  if (delivers) return Quadrant::kBurnoutRisk;
  if (spirited) return Quadrant::kExecutionGap;
  return Quadrant::kAtRisk;
}

double BurnoutRisk(const PeopleInputs& p, const ExecutionInputs* execution) {
  auto low = [&](Dimension d) {
    return 1 - p.dimensions[DimensionIndex(d)] / 100;
  };
  double pressure = 0;
  if (execution && execution->open_tasks > 0) {
    pressure =
        static_cast<double>(execution->overdue_tasks) / execution->open_tasks;
  }
  return Clamp01(0.5 * low(Dimension::kWellbeing) +
                 0.2 * low(Dimension::kRecognition) +
                 0.15 * low(Dimension::kAutonomy) + 0.15 * Clamp01(pressure));
}

double TurnoverRisk(const PeopleInputs& p) {
  auto low = [&](Dimension d) {
    return 1 - p.dimensions[DimensionIndex(d)] / 100;
  };
  return Clamp01(0.45 * (1 - p.intent_to_stay / 100) +
                 0.2 * (100 - p.enps) / 200 + 0.15 * low(Dimension::kGrowth) +
                 0.2 * low(Dimension::kTrustInLeadership));
}

Assessment Assess(const std::optional<PeopleInputs>& people,
                  const std::optional<ExecutionInputs>& execution) {
  Assessment out;
  if (execution) out.execution_score = ExecutionScore(*execution);
  if (people) {
    out.people_score = PeopleScore(*people);
    out.burnout_risk = BurnoutRisk(*people, execution ? &*execution : nullptr);
    out.turnover_risk = TurnoverRisk(*people);
  }
  out.quadrant = QuadrantOf(out.execution_score, out.people_score);

  // Drivers: inputs below their threshold, ranked by relative shortfall.
  struct Ranked {
    Driver driver;
    double shortfall;
  };
  std::vector<Ranked> ranked;
  auto consider = [&](Driver::Score score, std::string name, double value,
                      double threshold, double scale) {
    if (value >= threshold) return;
    ranked.push_back({{score, std::move(name), value, threshold},
                      (threshold - value) / scale});
  };
  if (people) {
    for (int i = 0; i < kDimensionCount; ++i) {
      consider(Driver::Score::kPeople, DimensionName(DimensionAt(i)),
               people->dimensions[i], 60, 100);
    }
    consider(Driver::Score::kPeople, "enps", people->enps, 0, 200);
    consider(Driver::Score::kPeople, "intent_to_stay", people->intent_to_stay,
             60, 100);
  }
  if (execution) {
    const ExecutionInputs& e = *execution;
    auto opt = [&](const char* name, const std::optional<double>& v, double t) {
      if (v) consider(Driver::Score::kExecution, name, *v, t, 1);
    };
    opt("on_time_ratio", e.on_time_ratio, 0.8);
    opt("cost_performance_index", e.cost_performance_index, 0.95);
    opt("schedule_performance_index", e.schedule_performance_index, 0.95);
    opt("milestone_hit_ratio", e.milestone_hit_ratio, 0.8);
    opt("procedure_compliance_ratio", e.procedure_compliance_ratio, 0.9);
    opt("kpi_forecast_attainment_ratio", e.kpi_forecast_attainment_ratio, 0.95);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) {
                     return a.shortfall > b.shortfall;
                   });
  for (size_t i = 0; i < ranked.size() && i < kMaxDrivers; ++i) {
    out.drivers.push_back(ranked[i].driver);
    const Practice& p = Practices().at(ranked[i].driver.name);
    out.recommendations.push_back(
        {ranked[i].driver.name, p.practice, p.detail});
  }
  return out;
}

}  // namespace orgpulse::insights
