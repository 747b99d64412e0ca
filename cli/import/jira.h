// Ingest events from a Jira CSV export ("Export Excel CSV (all fields)" or
// "current fields"): one row per issue. Columns used, by name: Issue key,
// Status, Created, Resolved, Updated, Due date, Original Estimate (seconds,
// as Jira exports it), and the team column chosen by the caller.
//
// Each issue gives:
//   task_created  (id KEY:created) at Created, due at the Due date (a date
//                 alone means the end of that day);
//   task_completed (KEY:completed) at Resolved (else Updated) when its status
//                 is a done status, or task_cancelled (KEY:cancelled) when it
//                 is a cancelled status.
// Issues without a due date are skipped (and counted) unless a default due
// period is given. Event ids come from the issue key, so re-importing an
// export, or a later export of the same project, adds only what changed.
//
// Example:
//   JiraOptions options;
//   options.team_column = "Team";
//   CsvRowReader<v1::Event> rows(in, std::make_unique<JiraMapper>(options));
#ifndef ORGPULSE_CLI_IMPORT_JIRA_H_
#define ORGPULSE_CLI_IMPORT_JIRA_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/import/row_reader.h"
#include "cli/import/team_names.h"
#include "cli/import/values.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::cli {

struct JiraOptions {
  std::string source = "jira";
  // The column that names the team (a custom field, Components, a
  // label column...). Required.
  std::string team_column;
  // The run's team names. REQUIRES: not null; outlives the mapper.
  TeamNames* teams = nullptr;
  // Jira exports times in the exporting user's zone, without an offset.
  absl::TimeZone zone = absl::UTCTimeZone();
  TimeSyntax times;
  // Compared ignoring case.
  std::vector<std::string> done_statuses = {"done", "closed", "resolved"};
  std::vector<std::string> cancelled_statuses = {
      "won't do", "wont do",  "cancelled", "canceled",
      "declined", "rejected", "duplicate", "abandoned"};
  // > 0: an issue without a due date is due this many days after creation.
  int default_due_days = 0;
};

class JiraMapper final : public CsvRowMapper<ingest::v1::Event> {
 public:
  explicit JiraMapper(JiraOptions options);

  absl::Status SetHeader(const csv::CsvHeader& header) override;
  TimeSyntax& times() override { return options_.times; }
  void Map(const std::vector<std::string>& fields, Row& row,
           Items<ingest::v1::Event>& out) override;

 private:
  JiraOptions options_;
  std::optional<size_t> key_, status_, created_, resolved_, updated_, due_,
      estimate_, team_;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_JIRA_H_
