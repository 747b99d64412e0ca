// The events of one task in a tracker's export (Jira, GitHub, Linear), made
// the same way by every importer.
#ifndef ORGPULSE_CLI_IMPORT_TASK_EVENTS_H_
#define ORGPULSE_CLI_IMPORT_TASK_EVENTS_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/import/row_reader.h"
#include "common/proto/time_conversion.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::cli {

// Adds an event of `task` to `out` with the id "TASK:WHAT" (so importing the
// same export again gives duplicates), the import's source and the team; the
// caller sets the payload.
inline ingest::v1::Event& AddTaskEvent(Items<ingest::v1::Event>& out,
                                       absl::string_view task,
                                       absl::string_view what,
                                       absl::string_view source,
                                       absl::string_view team, absl::Time at) {
  ingest::v1::Event& e = *out.Add();
  e.set_event_id(absl::StrCat(task, ":", what));
  e.set_source(std::string(source));
  e.set_team(std::string(team));
  ToProtoTime(at, *e.mutable_occurred_at());
  return e;
}

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_TASK_EVENTS_H_
