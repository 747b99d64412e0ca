#include "cli/app/remove.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/app/command.h"
#include "cli/app/connect_client.h"
#include "cli/app/connection.h"
#include "cli/app/time_flags.h"
#include "cli/import/values.h"
#include "cli/output/views.h"
#include "clients/ingest_client.h"
#include "common/proto/time_conversion.h"
#include "common/status/field_violations.h"

namespace orgpulse::cli {

int RunRemove(const std::vector<std::string>& args, const CliContext& context) {
  static const auto* command = new CommandSpec{
      .name = "remove",
      .usage = "remove --source=SOURCE [--from=TIME] [--to=TIME] [--dry-run]",
      .description =
          "Undoes an import: removes from the ingest service every stored\n"
          "event of SOURCE (the source the events were pushed with, e.g.\n"
          "jira), optionally only those whose occurred_at is in [--from,\n"
          "--to). Afterwards every figure is as if they had never been\n"
          "pushed, and they may be pushed again. Running it twice is\n"
          "harmless. --dry-run shows what would change (events, teams and\n"
          "their figures before -> after) and changes nothing. Needs a token\n"
          "with the scope ingest:admin. A removal replays the service's store\n"
          "(a few seconds per million events): on a large store raise\n"
          "--timeout; a removal cut off by it still completes on the server.",
      .flags = {
          {.name = "source",
           .value_name = "SOURCE",
           .help = "the events' source (required)"},
          TimeFlag("from",
                   "only events that occurred at or after TIME "
                   "(2026-03-01 or 2026-03-01T09:00:00Z)"),
          TimeFlag("to", "only events that occurred before TIME"),
          TimeZoneFlag(),
          {.name = "dry-run", .help = "only show what would be removed"}}};
  ParsedArgs parsed;
  if (std::optional<int> done = ParseCommand(*command, args, context, parsed)) {
    return *done;
  }
  if (!parsed.positionals().empty()) {
    return UsageError(
        *command, context,
        absl::StrCat("unexpected argument \"", parsed.positionals()[0], "\""));
  }
  if (parsed.Get("source").empty()) {
    return UsageError(*command, context,
                      "which source? (orgpulse remove --source=SOURCE)");
  }
  ingest::v1::RemoveEventsRequest request;
  request.set_source(parsed.Get("source"));
  request.set_dry_run(parsed.Flag("dry-run"));
  if (auto done = ParseTimeRange(*command, parsed, context, request)) {
    return *done;
  }

  std::unique_ptr<IngestClient> client;
  std::string address;
  if (std::optional<int> done =
          ConnectClient(parsed, Service::kIngest, context, client, address)) {
    return *done;
  }
  absl::StatusOr<ingest::v1::RemoveEventsResponse> removed =
      client->RemoveEvents(request);
  if (!removed.ok()) {
    std::string why =
        DescribeServerError(Service::kIngest, address, removed.status());
    for (const FieldViolation& v : GetFieldViolations(removed.status())) {
      absl::StrAppend(&why, "\n  --", v.field, ": ", v.description);
    }
    return Fail(context, ExitCodeForServerStatus(removed.status()), why);
  }
  *context.out << (parsed.Flag("json")
                       ? ToJson(*removed)
                       : FormatRemoval(request.source(), *removed));
  return kExitOk;
}

}  // namespace orgpulse::cli
