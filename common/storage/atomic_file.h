// A file replaced whole, for state kept beside a store (a snapshot): written
// to `path`.tmp, synced, renamed over `path`, and the directory synced. A
// crash at any point leaves the previous file or the new one whole, never a
// mix; a leftover .tmp goes with the next write or removal.
//
// Errors name the file: RESOURCE_EXHAUSTED when the disk is full,
// UNAVAILABLE on other I/O errors.
//
// Example:
//   absl::Status s = WriteFileAtomically(dir + "/survey.snapshot", {h, body});
//   absl::StatusOr<std::string> bytes = ReadWholeFile(dir +
//   "/survey.snapshot");
#ifndef ORGPULSE_COMMON_STORAGE_ATOMIC_FILE_H_
#define ORGPULSE_COMMON_STORAGE_ATOMIC_FILE_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orgpulse {

// `parts` one after the other become the file's bytes (mode 0600); on error
// the previous file is kept.
absl::Status WriteFileAtomically(
    const std::string& path, std::initializer_list<absl::string_view> parts);

// NOT_FOUND when there is no file.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Removes `path` and a leftover `path`.tmp, then syncs the directory, so the
// removal is durable when it returns; OK if there was none.
absl::Status RemoveFileDurably(const std::string& path);

// As RemoveFileDurably, for a file that holds personal data: each file's
// bytes are first overwritten with zeros and synced, so the removal does
// not leave them in the blocks the file system frees (what SQLite's
// secure_delete does for the database's pages).
absl::Status ScrubAndRemoveFile(const std::string& path);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_ATOMIC_FILE_H_
