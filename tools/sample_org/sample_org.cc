#include "tools/sample_org/sample_org.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace orgpulse::sample {
namespace {

using ingest::v1::Event;

void SetTime(absl::Time t, google::protobuf::Timestamp& out) {
  out.set_seconds(absl::ToUnixSeconds(t));
}

class Builder {
 public:
  Builder(const TeamProfile& p, absl::Time now, int history_days,
          std::mt19937& rng)
      : p_(p),
        now_(now),
        history_days_(history_days),
        rng_(rng),
        slug_(absl::StrReplaceAll(p.team, {{"/", "-"}})) {}

  void Build(std::vector<Event>& out) {
    out_ = &out;
    Tasks();
    Project();
    Milestones();
    Kpis();
  }

 private:
  double Uniform(double a, double b) {
    return std::uniform_real_distribution<double>(a, b)(rng_);
  }
  bool Chance(double p) { return Uniform(0, 1) < p; }

  Event& Add(const std::string& source, absl::Time at) {
    Event& e = out_->emplace_back();
    e.set_event_id(absl::StrCat(slug_, "-", ++serial_));
    e.set_source(source);
    e.set_team(p_.team);
    SetTime(std::min(at, now_ - absl::Minutes(1)), *e.mutable_occurred_at());
    return e;
  }

  void Tasks() {
    const absl::Time start = now_ - absl::Hours(24 * history_days_);
    std::poisson_distribution<int> per_day(p_.tasks_per_day);
    std::exponential_distribution<double> cycle(1.0 / p_.mean_cycle_days);
    static const char* kProcedures[] = {"code-review", "change-approval",
                                        "security-scan"};
    for (int day = 0; day < history_days_; ++day) {
      const int n = per_day(rng_);
      for (int i = 0; i < n; ++i) {
        const std::string id = absl::StrCat(slug_, "-T", ++task_serial_);
        const absl::Time created =
            start + absl::Hours(24 * day) + absl::Minutes(Uniform(480, 1080));
        const double plan_days =
            std::max(2.0, p_.mean_cycle_days * 1.3 + Uniform(-1, 3));
        const absl::Time due = created + absl::Hours(24 * plan_days);
        auto& c = *Add("jira", created).mutable_task_created();
        c.set_task_id(id);
        SetTime(due, *c.mutable_due_at());
        c.set_estimate_hours(std::round(Uniform(2, 24)));

        if (Chance(0.03)) {  // dropped
          Add("jira", created + absl::Hours(24 * Uniform(1, 5)))
              .mutable_task_cancelled()
              ->set_task_id(id);
          continue;
        }
        const absl::Time started = created + absl::Hours(Uniform(1, 36));
        if (started >= now_) continue;
        Add("jira", started).mutable_task_started()->set_task_id(id);

        absl::Time effective_due = due;
        if (Chance(0.06)) {  // re-planned
          effective_due = due + absl::Hours(24 * Uniform(2, 7));
          auto& d = *Add("jira", started + absl::Hours(24))
                         .mutable_task_due_date_changed();
          d.set_task_id(id);
          SetTime(effective_due, *d.mutable_due_at());
        }
        const bool on_time = Chance(p_.on_time_probability);
        absl::Time done;
        if (on_time) {
          const double span = absl::ToDoubleHours(effective_due - started);
          done = started +
                 absl::Hours(std::min(span * 0.95, 24 * cycle(rng_) + 2));
        } else {
          done = effective_due +
                 absl::Hours(24 * Uniform(0.5, 2 * p_.mean_cycle_days));
        }
        if (done >= now_) continue;  // still open
        Add("jira", done).mutable_task_completed()->set_task_id(id);
        for (const char* procedure : kProcedures) {
          if (procedure[0] == 's' && !Chance(0.3)) continue;  // scans on some
          auto& check = *Add("ci", done).mutable_procedure_check();
          check.set_procedure(procedure);
          check.set_passed(Chance(p_.procedure_pass_rate));
        }
      }
    }
  }

  void Project() {
    project_ = absl::StrCat(p_.team.substr(p_.team.find('/') + 1), "-roadmap");
    const absl::Time start = now_ - absl::Hours(24 * (history_days_ - 5));
    const absl::Time end = now_ + absl::Hours(24 * 60);
    const double bac = 250'000 + 50'000 * (task_serial_ % 7);
    auto& plan = *Add("finance-erp", start).mutable_project_budget_plan();
    plan.set_project(project_);
    plan.set_budget_at_completion(bac);
    SetTime(start, *plan.mutable_planned_start());
    SetTime(end, *plan.mutable_planned_end());
    const double total_days = absl::ToDoubleHours(end - start) / 24;
    for (absl::Time week = start + absl::Hours(24 * 7); week < now_;
         week += absl::Hours(24 * 7)) {
      const double planned_fraction =
          absl::ToDoubleHours(week - start) / 24 / total_days;
      auto& cost = *Add("finance-erp", week).mutable_cost_actual();
      cost.set_project(project_);
      cost.set_amount(std::round(bac * 7 / total_days * p_.cost_overrun *
                                 Uniform(0.85, 1.15)));
      auto& progress = *Add("jira", week).mutable_project_progress();
      progress.set_project(project_);
      progress.set_percent_complete(std::min(
          100.0, std::round(planned_fraction * 100 * p_.schedule_factor)));
    }
  }

  void Milestones() {
    static const char* kNames[] = {"design-review", "beta", "launch", "ga"};
    const absl::Time start = now_ - absl::Hours(24 * (history_days_ - 5));
    for (int i = 0; i < 4; ++i) {
      const absl::Time due = start + absl::Hours(24 * (30 + 45 * i));
      auto& m = *Add("jira", start).mutable_milestone_due();
      m.set_project(project_);
      m.set_milestone(kNames[i]);
      SetTime(due, *m.mutable_due_at());
      const absl::Time reached =
          due +
          absl::Hours(24 * (p_.milestone_slip_days * Uniform(0.5, 1.5) - 1));
      if (reached < now_) {
        auto& r = *Add("jira", reached).mutable_milestone_reached();
        r.set_project(project_);
        r.set_milestone(kNames[i]);
      }
    }
  }

  void Kpis() {
    if (p_.kpi.empty()) return;
    const absl::TimeZone utc = absl::UTCTimeZone();
    const absl::CivilMonth last = absl::ToCivilMonth(now_, utc);
    for (absl::CivilMonth m = last - history_days_ / 30; m <= last; ++m) {
      const absl::Time month_start = absl::FromCivil(m, utc);
      auto& t = *Add("bi", std::max(month_start,
                                    now_ - absl::Hours(24 * history_days_)))
                     .mutable_kpi_monthly_target();
      t.set_kpi(p_.kpi);
      t.set_year(static_cast<int>(m.year()));
      t.set_month(m.month());
      t.set_target(p_.kpi_monthly_target);
      t.set_aggregation(ingest::v1::KPI_AGGREGATION_SUM);
      const absl::Time month_end = absl::FromCivil(m + 1, utc);
      const double days = absl::ToDoubleHours(month_end - month_start) / 24;
      for (absl::Time day = month_start + absl::Hours(12);
           day < month_end && day < now_; day += absl::Hours(24)) {
        auto& a = *Add("bi", day).mutable_kpi_actual();
        a.set_kpi(p_.kpi);
        a.set_value(std::round(p_.kpi_monthly_target / days *
                               p_.kpi_attainment * Uniform(0.7, 1.3)));
      }
    }
  }

  const TeamProfile& p_;
  absl::Time now_;
  int history_days_;
  std::mt19937& rng_;
  std::string slug_;
  std::vector<Event>* out_ = nullptr;
  std::string project_;
  int serial_ = 0;
  int task_serial_ = 0;
};

}  // namespace

const std::vector<TeamProfile>& SampleTeams() {
  static const auto* teams = new std::vector<TeamProfile>{
      {"eng/payments", "delivers: on time, on budget, every milestone met", 3.0,
       0.93, 3.0, 0.98, 1.02, 0.0, 0.97, "deploys", 60, 1.05},
      {"eng/search",
       "misses deadlines: late tasks, slipping milestones, over budget", 2.5,
       0.45, 6.0, 1.35, 0.70, 12.0, 0.80, "deploys", 40, 0.6},
      {"eng/platform", "steady: mostly on time, on budget", 2.0, 0.85, 4.0,
       1.02, 0.97, 1.0, 0.95, "", 0, 0},
      {"sales/emea", "under target this month", 1.0, 0.75, 2.0, 1.10, 0.95, 3.0,
       0.90, "revenue", 400'000, 0.82},
      {"sales/na", "beats its numbers", 1.2, 0.88, 2.0, 0.95, 1.05, 0.0, 0.93,
       "revenue", 550'000, 1.08},
      {"ops/support", "a small team, mostly on time", 4.0, 0.80, 1.0, 1.0, 1.0,
       2.0, 0.88, "tickets-closed", 300, 0.95},
      {"ops/sre", "follows procedure less than it should", 1.5, 0.82, 2.5, 1.05,
       0.92, 4.0, 0.70, "", 0, 0},
  };
  return *teams;
}

std::vector<ingest::v1::Event> SampleOrganisation(absl::Time now, uint32_t seed,
                                                  int history_days) {
  std::mt19937 rng(seed);
  std::vector<Event> out;
  for (const TeamProfile& p : SampleTeams()) {
    Builder(p, now, history_days, rng).Build(out);
  }
  return out;
}

}  // namespace orgpulse::sample
