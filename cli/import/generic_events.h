// The generic import format of ingest events, as CSV (one event per row,
// columns named after the API's fields) or as JSON Lines (one
// orgpulse.ingest.v1.Event per line in protobuf's JSON mapping). docs/cli.md
// lists the columns of each kind.
//
//   kind,event_id,source,team,occurred_at,task_id,due_at,amount,project
//   task_created,,jira,eng/payments,2026-03-02T09:00:00Z,PAY-1,2026-03-09,,
//   cost_actual,,erp,eng/payments,2026-03-03,,,1250.50,checkout
//
// A row without an event_id gets one derived from everything else in it
// (DeriveId over the event's contents), so the same row always makes the
// same event; give ids when two identical rows are distinct events.
#ifndef ORGPULSE_CLI_IMPORT_GENERIC_EVENTS_H_
#define ORGPULSE_CLI_IMPORT_GENERIC_EVENTS_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/import/row_reader.h"
#include "cli/import/values.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::cli {

struct GenericEventOptions {
  // For rows (or lines) without a source.
  std::string default_source;
  // For times without an offset.
  absl::TimeZone zone = absl::UTCTimeZone();
  TimeSyntax times;
};

class GenericEventMapper final : public CsvRowMapper<ingest::v1::Event> {
 public:
  explicit GenericEventMapper(GenericEventOptions options)
      : options_(std::move(options)) {}

  absl::Status SetHeader(const csv::CsvHeader& header) override;
  TimeSyntax& times() override { return options_.times; }
  void Map(const std::vector<std::string>& fields, Row& row,
           Items<ingest::v1::Event>& out) override;

  // The columns of the format, in documentation order.
  static const std::vector<std::string>& ColumnNames();

 private:
  GenericEventOptions options_;
  std::vector<std::optional<size_t>> columns_;  // by ColumnNames() index
};

// Fills what a JSON line may leave out: the source (options.default_source)
// and the event id (derived as for CSV rows).
void CompleteJsonEvent(const GenericEventOptions& options,
                       ingest::v1::Event& event, Row& row);

// The id of an event without one: DeriveId over its serialized contents.
std::string DeriveEventId(const ingest::v1::Event& event);

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_GENERIC_EVENTS_H_
