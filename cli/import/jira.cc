#include "cli/import/jira.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/import/task_events.h"
#include "common/proto/time_conversion.h"

namespace orgpulse::cli {
namespace {

namespace v1 = ingest::v1;

bool Contains(const std::vector<std::string>& statuses,
              absl::string_view status) {
  const std::string s = absl::AsciiStrToLower(status);
  return std::any_of(
      statuses.begin(), statuses.end(),
      [&](const std::string& x) { return absl::AsciiStrToLower(x) == s; });
}

}  // namespace

JiraMapper::JiraMapper(JiraOptions options) : options_(std::move(options)) {}

absl::Status JiraMapper::SetHeader(const csv::CsvHeader& header) {
  key_ = header.Find("Issue key");
  status_ = header.Find("Status");
  created_ = header.Find("Created");
  resolved_ = header.Find("Resolved");
  updated_ = header.Find("Updated");
  due_ = header.Find("Due date");
  estimate_ = header.Find("Original Estimate");
  team_ = header.Find(options_.team_column);
  std::vector<std::string> missing;
  if (!key_) missing.push_back("Issue key");
  if (!status_) missing.push_back("Status");
  if (!created_) missing.push_back("Created");
  if (!team_)
    missing.push_back(absl::StrCat(options_.team_column, " (the team column)"));
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a Jira export with the columns needed: missing ",
                     absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

void JiraMapper::Map(const std::vector<std::string>& fields, Row& row,
                     Items<v1::Event>& out) {
  auto cell = [&](std::optional<size_t> column) {
    return absl::StripAsciiWhitespace(csv::FieldAt(fields, column));
  };
  std::vector<std::string> problems;
  const absl::string_view key = cell(key_);
  if (key.empty()) problems.push_back("Issue key is empty");
  absl::StatusOr<std::string> team = options_.teams->Resolve(cell(team_));
  if (!team.ok()) {
    problems.push_back(
        absl::StrCat(options_.team_column, ": ", team.status().message()));
  }
  absl::Time created;
  if (cell(created_).empty()) {
    problems.push_back("Created is empty");
  } else if (auto t = ParseTime(cell(created_), options_.zone, options_.times);
             t.ok()) {
    created = t->time;
  } else {
    problems.push_back(absl::StrCat("Created: ", t.status().message()));
  }
  std::optional<absl::Time> due;
  if (!cell(due_).empty()) {
    absl::StatusOr<absl::Time> t =
        ParseDueTime(cell(due_), options_.zone, options_.times);
    if (t.ok()) {
      due = *t;
    } else {
      problems.push_back(absl::StrCat("Due date: ", t.status().message()));
    }
  }
  double estimate_hours = 0;
  if (!cell(estimate_).empty()) {
    absl::StatusOr<double> seconds = ParseNumber(cell(estimate_));
    if (seconds.ok()) {
      estimate_hours = *seconds / 3600;
    } else {
      problems.push_back(
          absl::StrCat("Original Estimate: ", seconds.status().message()));
    }
  }
  const absl::string_view status = cell(status_);
  const bool done = Contains(options_.done_statuses, status);
  const bool cancelled = !done && Contains(options_.cancelled_statuses, status);
  std::optional<absl::Time> finished;
  if (done || cancelled) {
    const bool resolved = !cell(resolved_).empty();
    const absl::string_view when = resolved ? cell(resolved_) : cell(updated_);
    if (when.empty()) {
      problems.push_back(
          absl::StrCat("status \"", Excerpt(status),
                       "\" but Resolved (and Updated) is empty"));
    } else if (auto t = ParseTime(when, options_.zone, options_.times);
               t.ok()) {
      finished = t->time;
    } else {
      problems.push_back(absl::StrCat(resolved ? "Resolved: " : "Updated: ",
                                      t.status().message()));
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
    due = created + absl::Hours(24 * options_.default_due_days);
  }

  auto add = [&](absl::string_view what, absl::Time at) -> v1::Event& {
    return AddTaskEvent(out, key, what, options_.source, *team, at);
  };
  auto& task = *add("created", created).mutable_task_created();
  task.set_task_id(std::string(key));
  ToProtoTime(*due, *task.mutable_due_at());
  task.set_estimate_hours(estimate_hours);
  if (done) {
    add("completed", *finished)
        .mutable_task_completed()
        ->set_task_id(std::string(key));
  } else if (cancelled) {
    add("cancelled", *finished)
        .mutable_task_cancelled()
        ->set_task_id(std::string(key));
  }
}

}  // namespace orgpulse::cli
