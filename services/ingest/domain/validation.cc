#include "services/ingest/domain/validation.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/org/team_id.h"

namespace orgpulse::ingest {
namespace {

// Collects violations for one event, prefixing field names. The prefix
// ("events[3].task_created.") is built only for a field that fails: most
// batches have none, and building it per event cost more than the checks.
class Checker {
 public:
  // `event`: the event's index in its batch; -1 for no "events[i]." prefix.
  Checker(std::vector<FieldViolation>& out, int64_t event, absl::Time now)
      : out_(out), event_(event), now_(now) {}

  // Names the later fields as fields of `payload` ("task_created").
  void EnterPayload(const char* payload) { payload_ = payload; }

  void Fail(absl::string_view field, std::string description) {
    std::string name;
    if (event_ >= 0) name = absl::StrCat("events[", event_, "].");
    if (payload_ != nullptr) absl::StrAppend(&name, payload_, ".");
    absl::StrAppend(&name, field);
    out_.push_back({std::move(name), std::move(description)});
  }

  bool IsPrintable(absl::string_view s) {
    for (unsigned char c : s) {
      if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
  }

  // Ids and names: non-empty, bounded, printable ASCII. Never echoed back.
  void Name(absl::string_view field, absl::string_view value, size_t max) {
    if (value.empty()) return Fail(field, "is required");
    if (value.size() > max) {
      return Fail(field, absl::StrCat("longer than ", max, " characters (",
                                      value.size(), ")"));
    }
    if (!IsPrintable(value)) {
      return Fail(field, "may hold only printable ASCII characters");
    }
  }

  void Source(absl::string_view field, absl::string_view value) {
    if (value.empty()) return Fail(field, "is required");
    if (value.size() > kMaxSourceLength) {
      return Fail(field, absl::StrCat("longer than ", kMaxSourceLength,
                                      " characters (", value.size(), ")"));
    }
    for (char c : value) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) {
        return Fail(field,
                    "may hold only lowercase letters, digits, '.', '_', '-'");
      }
    }
  }

  void Time(absl::string_view field, absl::Time t, absl::Duration ahead) {
    if (t == absl::InfinitePast()) return Fail(field, "is required");
    if (t == absl::InfiniteFuture()) {
      return Fail(field, "is not a valid timestamp");
    }
    static const absl::Time kEarliest = EarliestValidTime();
    if (t < kEarliest) {
      return Fail(field, "is before 2000-01-01T00:00:00Z");
    }
    if (t > now_ + ahead) {
      return Fail(field,
                  absl::StrCat("is more than ", absl::FormatDuration(ahead),
                               " after the server's time"));
    }
  }

  // A finite number in [min, max]; `what` describes the range for the error.
  void Number(absl::string_view field, double value, double min, double max,
              bool min_exclusive, absl::string_view what) {
    if (std::isnan(value)) return Fail(field, "is NaN");
    if (std::isinf(value)) return Fail(field, "is infinite");
    if (value < min || (min_exclusive && value == min) || value > max) {
      return Fail(field, absl::StrCat("must be ", what));
    }
  }

  absl::Time now() const { return now_; }

 private:
  std::vector<FieldViolation>& out_;
  int64_t event_;
  const char* payload_ = nullptr;
  absl::Time now_;
};

// Checks a payload's fields; the Checker names them as the payload's.
struct PayloadValidator {
  Checker& c;

  void operator()(const std::monostate&) const {
    c.Fail("payload",
           "exactly one payload (task_created, task_started, ..., kpi_actual) "
           "is required");
  }
  void operator()(const TaskCreated& e) const {
    c.Name("task_id", e.task_id, kMaxItemNameLength);
    c.Time("due_at", e.due_at, kMaxPlanningHorizon);
    c.Number("estimate_hours", e.estimate_hours, 0, 1e6, false,
             "between 0 and 1000000 hours");
  }
  void operator()(const TaskStarted& e) const {
    c.Name("task_id", e.task_id, kMaxItemNameLength);
  }
  void operator()(const TaskCompleted& e) const {
    c.Name("task_id", e.task_id, kMaxItemNameLength);
  }
  void operator()(const TaskCancelled& e) const {
    c.Name("task_id", e.task_id, kMaxItemNameLength);
  }
  void operator()(const TaskDueDateChanged& e) const {
    c.Name("task_id", e.task_id, kMaxItemNameLength);
    c.Time("due_at", e.due_at, kMaxPlanningHorizon);
  }
  void operator()(const ProjectBudgetPlan& e) const {
    c.Name("project", e.project, kMaxLabelNameLength);
    c.Number("budget_at_completion", e.budget_at_completion, 0, kMaxAmount,
             true, "greater than 0 and at most 1e12");
    c.Time("planned_start", e.planned_start, kMaxPlanningHorizon);
    c.Time("planned_end", e.planned_end, kMaxPlanningHorizon);
    // Unset or malformed times are reported above; comparing them would
    // report planned_end twice, or blame it for a bad planned_start.
    const bool both_set = e.planned_start != absl::InfinitePast() &&
                          e.planned_start != absl::InfiniteFuture() &&
                          e.planned_end != absl::InfinitePast() &&
                          e.planned_end != absl::InfiniteFuture();
    if (both_set && e.planned_end <= e.planned_start) {
      c.Fail("planned_end", "must be after planned_start");
    }
  }
  void operator()(const CostActual& e) const {
    c.Name("project", e.project, kMaxLabelNameLength);
    c.Number("amount", e.amount, 0, kMaxAmount, false,
             "between 0 and 1e12 (money cannot be negative)");
  }
  void operator()(const ProjectProgress& e) const {
    c.Name("project", e.project, kMaxLabelNameLength);
    c.Number("percent_complete", e.percent_complete, 0, 100, false,
             "between 0 and 100");
  }
  void operator()(const MilestoneDue& e) const {
    c.Name("project", e.project, kMaxLabelNameLength);
    c.Name("milestone", e.milestone, kMaxItemNameLength);
    c.Time("due_at", e.due_at, kMaxPlanningHorizon);
  }
  void operator()(const MilestoneReached& e) const {
    c.Name("project", e.project, kMaxLabelNameLength);
    c.Name("milestone", e.milestone, kMaxItemNameLength);
  }
  void operator()(const ProcedureCheck& e) const {
    c.Name("procedure", e.procedure, kMaxLabelNameLength);
  }
  void operator()(const KpiMonthlyTarget& e) const {
    c.Name("kpi", e.kpi, kMaxLabelNameLength);
    if (e.year < 2000 || e.year > 2100) {
      c.Fail("year", "must be between 2000 and 2100");
    }
    if (e.month < 1 || e.month > 12) {
      c.Fail("month", "must be between 1 and 12");
    }
    // Actuals are summed in millionths, so a smaller target means nothing,
    // and one far smaller (5e-324) would make the ratios infinite.
    c.Number("target", e.target, kMinKpiTarget, kMaxAmount, false,
             "at least 0.000001 and at most 1e12");
    const int a = static_cast<int>(e.aggregation);
    if (e.aggregation != KpiAggregation::kSum &&
        e.aggregation != KpiAggregation::kLast) {
      c.Fail("aggregation", a == 0
                                ? std::string("must be KPI_AGGREGATION_SUM or "
                                              "KPI_AGGREGATION_LAST")
                                : absl::StrCat("unknown enum value ", a));
    }
  }
  void operator()(const KpiActual& e) const {
    c.Name("kpi", e.kpi, kMaxLabelNameLength);
    c.Number("value", e.value, -kMaxAmount, kMaxAmount, false,
             "between -1e12 and 1e12");
  }
};

}  // namespace

absl::Time EarliestValidTime() {
  return absl::FromCivil(absl::CivilSecond(2000, 1, 1), absl::UTCTimeZone());
}

const char* PayloadFieldName(const Payload& payload) {
  static constexpr const char* kNames[] = {"payload",
                                           "task_created",
                                           "task_started",
                                           "task_completed",
                                           "task_cancelled",
                                           "task_due_date_changed",
                                           "project_budget_plan",
                                           "cost_actual",
                                           "project_progress",
                                           "milestone_due",
                                           "milestone_reached",
                                           "procedure_check",
                                           "kpi_monthly_target",
                                           "kpi_actual"};
  static_assert(std::size(kNames) == std::variant_size_v<Payload>);
  return kNames[payload.index()];
}

std::vector<FieldViolation> ValidateBatch(const EventBatch& batch,
                                          absl::Time now) {
  std::vector<FieldViolation> out;
  if (batch.empty()) {
    out.push_back({"events", "at least one event is required"});
    return out;
  }
  if (batch.size() > kMaxEventsPerBatch) {
    out.push_back({"events", absl::StrCat("at most ", kMaxEventsPerBatch,
                                          " events per request (got ",
                                          batch.size(), ")")});
    return out;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const Event& e = batch[i];
    Checker c(out, static_cast<int64_t>(i), now);
    c.Name("event_id", e.event_id, kMaxEventIdLength);
    c.Source("source", e.source);
    if (std::string why = TeamIdError(e.team); !why.empty()) {
      c.Fail("team", std::move(why));
    }
    c.Time("occurred_at", e.occurred_at, kMaxClockSkew);
    // Without a payload the violation is of "payload" itself.
    if (e.payload.index() != 0) c.EnterPayload(PayloadFieldName(e.payload));
    std::visit(PayloadValidator{c}, e.payload);
  }
  return out;
}

std::vector<FieldViolation> ValidateRemoval(const EventFilter& filter) {
  std::vector<FieldViolation> out;
  Checker c(out, -1, absl::InfiniteFuture());
  c.Source("source", filter.source);
  const bool from_valid = filter.from != absl::InfiniteFuture();
  const bool to_valid = filter.to != absl::InfinitePast();
  if (!from_valid) c.Fail("from", "is not a valid timestamp");
  if (!to_valid) c.Fail("to", "is not a valid timestamp");
  if (from_valid && to_valid && filter.from >= filter.to) {
    c.Fail("to", absl::StrCat("must be after from (",
                              absl::FormatTime(absl::RFC3339_full, filter.from,
                                               absl::UTCTimeZone()),
                              ")"));
  }
  return out;
}

}  // namespace orgpulse::ingest
