#include "cli/import/linear.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/import/task_events.h"
#include "common/proto/time_conversion.h"

namespace orgpulse::cli {

namespace v1 = ingest::v1;

absl::Status LinearMapper::SetHeader(const csv::CsvHeader& header) {
  id_ = header.Find("ID");
  team_ = header.Find(options_.team_column);
  created_ = header.Find("Created");
  started_ = header.Find("Started");
  completed_ = header.Find("Completed");
  canceled_ = header.Find("Canceled");
  due_ = header.Find("Due Date");
  std::vector<std::string> missing;
  if (!id_) missing.push_back("ID");
  if (!team_) missing.push_back(options_.team_column);
  if (!created_) missing.push_back("Created");
  if (!completed_) missing.push_back("Completed");
  if (!canceled_) missing.push_back("Canceled");
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a Linear export with the columns needed: missing ",
                     absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

void LinearMapper::Map(const std::vector<std::string>& fields, Row& row,
                       Items<v1::Event>& out) {
  std::vector<std::string> problems;
  auto cell = [&](std::optional<size_t> column) {
    return absl::StripAsciiWhitespace(csv::FieldAt(fields, column));
  };
  // An optional time; `name` names the column in errors.
  auto time = [&](std::optional<size_t> column,
                  absl::string_view name) -> std::optional<absl::Time> {
    if (cell(column).empty()) return std::nullopt;
    absl::StatusOr<ParsedTime> t =
        ParseTime(cell(column), options_.zone, options_.times);
    if (!t.ok()) {
      problems.push_back(absl::StrCat(name, ": ", t.status().message()));
      return std::nullopt;
    }
    return t->time;
  };
  const absl::string_view id = cell(id_);
  if (id.empty()) problems.push_back("ID is empty");
  absl::StatusOr<std::string> team = options_.teams->Resolve(cell(team_));
  if (!team.ok()) {
    problems.push_back(
        absl::StrCat(options_.team_column, ": ", team.status().message()));
  }
  const std::optional<absl::Time> created = time(created_, "Created");
  if (cell(created_).empty()) problems.push_back("Created is empty");
  const std::optional<absl::Time> started = time(started_, "Started");
  const std::optional<absl::Time> completed = time(completed_, "Completed");
  const std::optional<absl::Time> canceled = time(canceled_, "Canceled");
  if (completed && canceled) {
    problems.push_back("both Completed and Canceled are set");
  }
  std::optional<absl::Time> due;
  if (!cell(due_).empty()) {
    absl::StatusOr<absl::Time> t =
        ParseDueTime(cell(due_), options_.zone, options_.times);
    if (t.ok()) {
      due = *t;
    } else {
      problems.push_back(absl::StrCat("Due Date: ", t.status().message()));
    }
  }
  if (!problems.empty()) {
    row.error = absl::StrJoin(problems, "; ");
    return;
  }
  if (!due) {
    if (options_.default_due_days <= 0) {
      row.skipped = "no due date";
      return;
    }
    due = *created + absl::Hours(24 * options_.default_due_days);
  }
  const std::string task(id);
  auto add = [&](absl::string_view what, absl::Time at) -> v1::Event& {
    return AddTaskEvent(out, task, what, options_.source, *team, at);
  };
  auto& created_event = *add("created", *created).mutable_task_created();
  created_event.set_task_id(task);
  ToProtoTime(*due, *created_event.mutable_due_at());
  if (started)
    add("started", *started).mutable_task_started()->set_task_id(task);
  if (completed) {
    add("completed", *completed).mutable_task_completed()->set_task_id(task);
  } else if (canceled) {
    add("cancelled", *canceled).mutable_task_cancelled()->set_task_id(task);
  }
}

}  // namespace orgpulse::cli
