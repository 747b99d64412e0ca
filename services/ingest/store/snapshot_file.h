// The latest snapshot of ingest's folded state as one file beside the event
// log, replaced atomically (common/storage/atomic_file.h: written to
// `path`.tmp at a pace the log's commits can live with, synced, renamed over
// `path`, and the directory synced). A crash at any point leaves the
// previous file or the new one whole, never a mix; a leftover .tmp is
// removed at the next Save, Clear or RemoveLeftover.
//
// The file holds the log mark the snapshot was taken at (epoch, position),
// then the snapshot's bytes (which carry their own checksum).
//
// Not thread-safe: one caller at a time.
//
// Example:
//   SnapshotFile file(dir + "/events.snapshot");
//   absl::Status s = file.Save({.position = 42, .epoch = e}, bytes);
//   absl::StatusOr<SnapshotFile::Contents> c = file.Load();
#ifndef ORGPULSE_SERVICES_INGEST_STORE_SNAPSHOT_FILE_H_
#define ORGPULSE_SERVICES_INGEST_STORE_SNAPSHOT_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/ingest/domain/event_store.h"

namespace orgpulse::ingest {

class SnapshotFile {
 public:
  explicit SnapshotFile(std::string path) : path_(std::move(path)) {}

  struct Contents {
    LogMark mark;
    std::string bytes;
  };

  // RESOURCE_EXHAUSTED when the disk is full, UNAVAILABLE on other I/O
  // errors, naming the file; the previous file is kept then.
  absl::Status Save(const LogMark& mark, absl::string_view bytes);
  // NOT_FOUND when there is no file; DATA_LOSS when it is too short to hold
  // a mark or is not a snapshot file; UNAVAILABLE when it cannot be read.
  absl::StatusOr<Contents> Load() const;
  // Removes the file (and a leftover .tmp); OK if there was none.
  absl::Status Clear();
  // Removes the .tmp of a Save that a crash interrupted (it may be as large
  // as a snapshot); OK if there was none.
  absl::Status RemoveLeftover();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_STORE_SNAPSHOT_FILE_H_
