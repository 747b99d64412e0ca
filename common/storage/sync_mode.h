// How durable a store's commits are: the `--sync` flag of both services and
// the `synchronous` option of their stores.
//
// Example:
//   ABSL_FLAG(orgpulse::SyncMode, sync, orgpulse::SyncMode::kFull, "...");
//   options.synchronous = absl::GetFlag(FLAGS_sync);
#ifndef ORGPULSE_COMMON_STORAGE_SYNC_MODE_H_
#define ORGPULSE_COMMON_STORAGE_SYNC_MODE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace orgpulse {

enum class SyncMode {
  // fsync on every commit: an acknowledged commit survives power loss.
  kFull,
  // The write-ahead log is synced at checkpoints: an acknowledged commit
  // survives a crash of the process, not of the machine.
  kNormal,
};

// "full" or "normal": the flag's spelling, and SQLite's.
absl::string_view SyncModeName(SyncMode mode);

// For ABSL_FLAG: accepts exactly "full" and "normal".
bool AbslParseFlag(absl::string_view text, SyncMode* mode, std::string* error);
std::string AbslUnparseFlag(SyncMode mode);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_SYNC_MODE_H_
