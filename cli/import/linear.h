// Ingest events from Linear's CSV export of issues (Settings → Import /
// export → Export CSV): one row per issue. Columns used, by name: ID, Team
// (or the column the caller names), Created, Started, Completed, Canceled
// and Due Date; the others (Title, Status, Estimate in points, Cycle …) are
// ignored. Linear writes times in UTC (2024-05-14T08:53:33.000Z) and due
// dates as dates.
//
// Each issue gives:
//   task_created   (id ID:created) at Created, due at the end of its Due
//                  Date;
//   task_started   (ID:started) at Started, if any;
//   task_completed (ID:completed) at Completed, or task_cancelled
//                  (ID:cancelled) at Canceled.
// Issues without a due date are skipped (and counted) unless a default due
// period is given.
//
// Example:
//   LinearOptions options;
//   options.teams = &teams;
//   CsvRowReader<v1::Event> rows(in, std::make_unique<LinearMapper>(options));
#ifndef ORGPULSE_CLI_IMPORT_LINEAR_H_
#define ORGPULSE_CLI_IMPORT_LINEAR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/import/row_reader.h"
#include "cli/import/team_names.h"
#include "cli/import/values.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::cli {

struct LinearOptions {
  std::string source = "linear";
  // The column that names the team: Linear's own Team by default.
  std::string team_column = "Team";
  // The run's team names. REQUIRES: not null; outlives the mapper.
  TeamNames* teams = nullptr;
  // For times without an offset (Linear writes UTC with one) and the end of
  // a due day.
  absl::TimeZone zone = absl::UTCTimeZone();
  TimeSyntax times;
  // > 0: an issue without a due date is due this many days after creation.
  int default_due_days = 0;
};

class LinearMapper final : public CsvRowMapper<ingest::v1::Event> {
 public:
  explicit LinearMapper(LinearOptions options) : options_(std::move(options)) {}

  absl::Status SetHeader(const csv::CsvHeader& header) override;
  TimeSyntax& times() override { return options_.times; }
  void Map(const std::vector<std::string>& fields, Row& row,
           Items<ingest::v1::Event>& out) override;

 private:
  LinearOptions options_;
  std::optional<size_t> id_, team_, created_, started_, completed_, canceled_,
      due_;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_LINEAR_H_
