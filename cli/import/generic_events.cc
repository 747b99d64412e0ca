#include "cli/import/generic_events.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/import/values.h"
#include "common/proto/time_conversion.h"

namespace orgpulse::cli {
namespace {

namespace v1 = ingest::v1;

enum Column {
  kKind,
  kEventId,
  kSource,
  kTeam,
  kOccurredAt,
  kTaskId,
  kDueAt,
  kEstimateHours,
  kProject,
  kBudgetAtCompletion,
  kPlannedStart,
  kPlannedEnd,
  kAmount,
  kPercentComplete,
  kMilestone,
  kProcedure,
  kPassed,
  kKpi,
  kYear,
  kMonth,
  kTarget,
  kAggregation,
  kValue,
  kColumnCount,
};

// Reads the cells of one row for one kind, collecting every problem.
class RowContext {
 public:
  RowContext(const std::vector<std::string>& fields,
             const std::vector<std::optional<size_t>>& columns,
             const absl::TimeZone& zone, const TimeSyntax& times)
      : fields_(fields), columns_(columns), zone_(zone), times_(times) {}

  void set_kind(absl::string_view kind) { kind_ = kind; }

  absl::string_view Cell(Column c) {
    used_ |= uint64_t{1} << c;
    return absl::StripAsciiWhitespace(csv::FieldAt(fields_, columns_[c]));
  }
  bool Has(Column c) { return !Cell(c).empty(); }

  // A required cell.
  absl::string_view Required(Column c) {
    absl::string_view cell = Cell(c);
    if (cell.empty()) {
      Fail(
          absl::StrCat(kind_, " needs ", GenericEventMapper::ColumnNames()[c]));
    }
    return cell;
  }
  std::string Text(Column c) { return std::string(Required(c)); }
  void Time(Column c, google::protobuf::Timestamp* out, bool due = false) {
    absl::string_view cell = Required(c);
    if (cell.empty()) return;
    absl::StatusOr<absl::Time> t = due ? ParseDueTime(cell, zone_, times_)
                                       : [&]() -> absl::StatusOr<absl::Time> {
      absl::StatusOr<ParsedTime> parsed = ParseTime(cell, zone_, times_);
      if (!parsed.ok()) return parsed.status();
      return parsed->time;
    }();
    if (!t.ok()) return Fail(Named(c, t.status()));
    ToProtoTime(*t, *out);
  }
  double Number(Column c) {
    absl::string_view cell = Required(c);
    if (cell.empty()) return 0;
    absl::StatusOr<double> v = ParseNumber(cell);
    if (!v.ok()) Fail(Named(c, v.status()));
    return v.value_or(0);
  }
  int Integer(Column c) {
    absl::string_view cell = Required(c);
    if (cell.empty()) return 0;
    absl::StatusOr<int> v = ParseInteger(cell);
    if (!v.ok()) Fail(Named(c, v.status()));
    return v.value_or(0);
  }
  bool Bool(Column c) {
    absl::string_view cell = Required(c);
    if (cell.empty()) return false;
    absl::StatusOr<bool> v = ParseBool(cell);
    if (!v.ok()) Fail(Named(c, v.status()));
    return v.value_or(false);
  }

  void Fail(std::string problem) { problems_.push_back(std::move(problem)); }

  // Cells of columns this kind does not use must be empty: a value there is
  // most likely a shifted or misread row.
  void CheckUnused() {
    for (int c = kTaskId; c < kColumnCount; ++c) {
      if ((used_ >> c) & 1) continue;
      if (!absl::StripAsciiWhitespace(csv::FieldAt(fields_, columns_[c]))
               .empty()) {
        Fail(absl::StrCat(GenericEventMapper::ColumnNames()[c],
                          " does not apply to ", kind_));
      }
    }
  }

  std::string Error() const { return absl::StrJoin(problems_, "; "); }

 private:
  static std::string Named(Column c, const absl::Status& s) {
    return absl::StrCat(GenericEventMapper::ColumnNames()[c], ": ",
                        s.message());
  }

  const std::vector<std::string>& fields_;
  const std::vector<std::optional<size_t>>& columns_;
  const absl::TimeZone& zone_;
  const TimeSyntax& times_;
  absl::string_view kind_;
  uint64_t used_ = 0;
  std::vector<std::string> problems_;
};

v1::KpiAggregation Aggregation(RowContext& row) {
  const std::string a = absl::AsciiStrToLower(row.Required(kAggregation));
  if (a.empty()) return v1::KPI_AGGREGATION_UNSPECIFIED;
  if (a == "sum" || a == "kpi_aggregation_sum") return v1::KPI_AGGREGATION_SUM;
  if (a == "last" || a == "kpi_aggregation_last") {
    return v1::KPI_AGGREGATION_LAST;
  }
  row.Fail("aggregation: must be sum or last");
  return v1::KPI_AGGREGATION_UNSPECIFIED;
}

// Sets the payload of `kind`; false for an unknown kind.
bool SetPayload(absl::string_view kind, RowContext& row, v1::Event& e) {
  if (kind == "task_created") {
    auto& p = *e.mutable_task_created();
    p.set_task_id(row.Text(kTaskId));
    row.Time(kDueAt, p.mutable_due_at(), /*due=*/true);
    if (row.Has(kEstimateHours))
      p.set_estimate_hours(row.Number(kEstimateHours));
  } else if (kind == "task_started") {
    e.mutable_task_started()->set_task_id(row.Text(kTaskId));
  } else if (kind == "task_completed") {
    e.mutable_task_completed()->set_task_id(row.Text(kTaskId));
  } else if (kind == "task_cancelled") {
    e.mutable_task_cancelled()->set_task_id(row.Text(kTaskId));
  } else if (kind == "task_due_date_changed") {
    auto& p = *e.mutable_task_due_date_changed();
    p.set_task_id(row.Text(kTaskId));
    row.Time(kDueAt, p.mutable_due_at(), /*due=*/true);
  } else if (kind == "project_budget_plan") {
    auto& p = *e.mutable_project_budget_plan();
    p.set_project(row.Text(kProject));
    p.set_budget_at_completion(row.Number(kBudgetAtCompletion));
    row.Time(kPlannedStart, p.mutable_planned_start());
    row.Time(kPlannedEnd, p.mutable_planned_end());
  } else if (kind == "cost_actual") {
    auto& p = *e.mutable_cost_actual();
    p.set_project(row.Text(kProject));
    p.set_amount(row.Number(kAmount));
  } else if (kind == "project_progress") {
    auto& p = *e.mutable_project_progress();
    p.set_project(row.Text(kProject));
    p.set_percent_complete(row.Number(kPercentComplete));
  } else if (kind == "milestone_due") {
    auto& p = *e.mutable_milestone_due();
    p.set_project(row.Text(kProject));
    p.set_milestone(row.Text(kMilestone));
    row.Time(kDueAt, p.mutable_due_at(), /*due=*/true);
  } else if (kind == "milestone_reached") {
    auto& p = *e.mutable_milestone_reached();
    p.set_project(row.Text(kProject));
    p.set_milestone(row.Text(kMilestone));
  } else if (kind == "procedure_check") {
    auto& p = *e.mutable_procedure_check();
    p.set_procedure(row.Text(kProcedure));
    p.set_passed(row.Bool(kPassed));
  } else if (kind == "kpi_monthly_target") {
    auto& p = *e.mutable_kpi_monthly_target();
    p.set_kpi(row.Text(kKpi));
    p.set_year(row.Integer(kYear));
    p.set_month(row.Integer(kMonth));
    p.set_target(row.Number(kTarget));
    p.set_aggregation(Aggregation(row));
  } else if (kind == "kpi_actual") {
    auto& p = *e.mutable_kpi_actual();
    p.set_kpi(row.Text(kKpi));
    p.set_value(row.Number(kValue));
  } else {
    return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& GenericEventMapper::ColumnNames() {
  static const auto* names =
      new std::vector<std::string>{"kind",          "event_id",
                                   "source",        "team",
                                   "occurred_at",   "task_id",
                                   "due_at",        "estimate_hours",
                                   "project",       "budget_at_completion",
                                   "planned_start", "planned_end",
                                   "amount",        "percent_complete",
                                   "milestone",     "procedure",
                                   "passed",        "kpi",
                                   "year",          "month",
                                   "target",        "aggregation",
                                   "value"};
  return *names;
}

absl::Status GenericEventMapper::SetHeader(const csv::CsvHeader& header) {
  const std::vector<std::string>& names = ColumnNames();
  columns_.assign(kColumnCount, std::nullopt);
  for (int c = 0; c < kColumnCount; ++c) columns_[c] = header.Find(names[c]);
  for (const std::string& name : header.names()) {
    bool known = false;
    for (const std::string& n : names) {
      known =
          known || absl::AsciiStrToLower(absl::StripAsciiWhitespace(name)) == n;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown column \"", Excerpt(name), "\" (the columns are ",
          absl::StrJoin(names, ", "), ")"));
    }
  }
  std::vector<std::string> missing;
  for (Column c : {kKind, kTeam, kOccurredAt}) {
    if (!columns_[c]) missing.push_back(names[c]);
  }
  if (!columns_[kSource] && options_.default_source.empty()) {
    missing.push_back("source (or give --source)");
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing column ", absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

void GenericEventMapper::Map(const std::vector<std::string>& fields, Row& row,
                             Items<v1::Event>& out) {
  RowContext cells(fields, columns_, options_.zone, options_.times);
  const std::string kind = absl::AsciiStrToLower(cells.Cell(kKind));
  cells.set_kind(kind);
  v1::Event& e = *out.Add();
  e.set_team(std::string(cells.Required(kTeam)));
  const absl::string_view source = cells.Cell(kSource);
  e.set_source(source.empty() ? options_.default_source : std::string(source));
  if (source.empty() && options_.default_source.empty()) {
    cells.Fail("source is empty (or give --source)");
  }
  cells.Time(kOccurredAt, e.mutable_occurred_at());
  if (kind.empty()) {
    cells.Fail("kind is empty");
  } else if (!SetPayload(kind, cells, e)) {
    cells.Fail(absl::StrCat("unknown kind \"", Excerpt(kind), "\""));
  } else {
    cells.CheckUnused();
  }
  row.error = cells.Error();
  if (!row.error.empty()) return;
  const absl::string_view id = cells.Cell(kEventId);
  e.set_event_id(id.empty() ? DeriveEventId(e) : std::string(id));
}

void CompleteJsonEvent(const GenericEventOptions& options, v1::Event& event,
                       Row& row) {
  if (event.source().empty()) {
    if (options.default_source.empty()) {
      row.error = "source is missing (or give --source)";
      return;
    }
    event.set_source(options.default_source);
  }
  if (event.event_id().empty()) event.set_event_id(DeriveEventId(event));
}

std::string DeriveEventId(const v1::Event& event) {
  thread_local std::string bytes;  // keeps its capacity from row to row
  event.SerializeToString(&bytes);
  return DeriveId({"event", bytes});
}

}  // namespace orgpulse::cli
