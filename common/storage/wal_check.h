// Reads a SQLite write-ahead log (sqlite.org/fileformat2.html#walformat)
// before SQLite opens it, to tell a torn tail from damaged committed data.
//
// SQLite's recovery keeps the frames up to the last commit frame of the
// longest prefix whose checksum chain holds, and silently ignores the rest.
// That is right for a torn tail: the frames of the one transaction being
// written when the process or machine died, which was never acknowledged
// (with synchronous=FULL a commit is acknowledged only after its frames are
// fsynced, and the next transaction starts writing only after that). It is
// wrong when a frame in the middle is damaged: every later commit, each of
// them acknowledged, would vanish without a word.
//
// Each frame header stores the running checksum up to that frame, so every
// frame can be checked on its own, seeded with the previous frame's stored
// value. After the point where SQLite's recovery stops, a frame of the
// current log generation (the header's salts) that checks out on its own and
// marks a commit means a transaction was written completely after the damage:
// committed data would be dropped. Frames of older generations (other salts),
// partial frames and incomplete transactions are what a torn tail and a
// rolled-back commit leave behind, and are ignored, as SQLite does.
//
// One case cannot be told apart from the file alone: damage inside the last
// committed transaction looks like a torn write of it. Then the commit frame
// after the damage counts as intact, and the check refuses (the safe side).
//
// Example:
//   absl::StatusOr<WalReport> r =
//   InspectWal("/var/lib/orgpulse/events.db-wal"); if (r.ok() && r->damaged())
//   ... r->Describe() ...
#ifndef ORGPULSE_COMMON_STORAGE_WAL_CHECK_H_
#define ORGPULSE_COMMON_STORAGE_WAL_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace orgpulse {

struct WalReport {
  std::string path;
  int64_t file_bytes = 0;
  int64_t page_size = 0;
  int64_t frames = 0;  // whole frames in the file
  // What SQLite's recovery keeps: frames up to its last valid commit frame,
  // and how many commits they hold.
  int64_t recovered_frames = 0;
  int64_t recovered_commits = 0;
  // Where that recovery stops: the byte offset of the first frame (or the
  // header, at offset 0) that fails its check; -1 if every frame checks out.
  int64_t break_offset = -1;
  // Commit frames of the current generation after break_offset that check
  // out on their own: transactions written completely after the damage.
  int64_t intact_commits_after_break = 0;
  int64_t last_intact_commit_offset = -1;

  // Committed transactions would be dropped by SQLite's recovery.
  bool damaged() const { return intact_commits_after_break > 0; }
  // One line for logs and errors, naming the file and the offsets.
  std::string Describe() const;
};

// Reads the write-ahead log at `path`. A missing or empty file is a clean
// report; UNAVAILABLE if it cannot be read.
absl::StatusOr<WalReport> InspectWal(const std::string& path);

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_WAL_CHECK_H_
