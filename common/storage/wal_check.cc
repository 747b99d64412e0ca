#include "common/storage/wal_check.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace orgpulse {
namespace {

constexpr int64_t kHeaderBytes = 32;
constexpr int64_t kFrameHeaderBytes = 24;
constexpr uint32_t kMagic = 0x377f0682;  // | 1: checksums of big-endian words
constexpr uint32_t kVersion = 3007000;

uint32_t Big32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
uint32_t Little32(const unsigned char* p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) |
         (uint32_t{p[1]} << 8) | uint32_t{p[0]};
}

struct Checksum {
  uint32_t s1 = 0;
  uint32_t s2 = 0;
  bool operator==(const Checksum& o) const { return s1 == o.s1 && s2 == o.s2; }
};

// SQLite's WAL checksum (walChecksumBytes): over 32-bit words, two at a
// time, in the byte order the log's magic number names. `n` is a multiple
// of 8.
void Accumulate(const unsigned char* p, size_t n, bool big_endian,
                Checksum& c) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint32_t x0 = big_endian ? Big32(p + i) : Little32(p + i);
    const uint32_t x1 = big_endian ? Big32(p + i + 4) : Little32(p + i + 4);
    c.s1 += x0 + c.s2;
    c.s2 += x1 + c.s1;
  }
}

bool ValidPageSize(uint32_t size) {
  return size >= 512 && size <= 65536 && (size & (size - 1)) == 0;
}

}  // namespace

std::string WalReport::Describe() const {
  if (damaged()) {
    return absl::StrCat(
        path, ": the ", break_offset == 0 ? "header" : "frame",
        " at byte offset ", break_offset, " fails its checksum, yet ",
        intact_commits_after_break,
        " complete commit(s) follow it (the last at byte offset ",
        last_intact_commit_offset,
        "): SQLite would silently drop them and keep only the first ",
        recovered_commits, " commit(s) of the log");
  }
  if (break_offset >= 0) {
    return absl::StrCat(path, ": ", recovered_commits, " commit(s) in ",
                        recovered_frames, " frame(s) intact; from byte offset ",
                        break_offset, " to the end (", file_bytes,
                        " bytes) a torn tail or stale frames, no complete "
                        "commit");
  }
  return absl::StrCat(path, ": ", recovered_commits, " commit(s) in ", frames,
                      " frame(s), all intact");
}

absl::StatusOr<WalReport> InspectWal(const std::string& path) {
  WalReport report;
  report.path = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return report;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::UnavailableError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  in.seekg(0, std::ios::end);
  report.file_bytes = static_cast<int64_t>(in.tellg());
  in.seekg(0);
  // Shorter than a header: a log whose first write was torn; SQLite ignores
  // it, and nothing was committed to it.
  if (report.file_bytes < kHeaderBytes) return report;

  std::array<unsigned char, kHeaderBytes> header;
  in.read(reinterpret_cast<char*>(header.data()), kHeaderBytes);
  const uint32_t magic = Big32(&header[0]);
  const uint32_t stored_page_size = Big32(&header[8]);
  const Checksum header_stored{Big32(&header[24]), Big32(&header[28])};
  bool header_ok = (magic & ~1u) == kMagic && Big32(&header[4]) == kVersion &&
                   ValidPageSize(stored_page_size);
  // With a damaged magic number the byte order is unknown; try both.
  std::vector<bool> orders;
  if ((magic & ~1u) == kMagic) {
    orders = {(magic & 1) != 0};
  } else {
    orders = {false, true};
  }
  if (header_ok) {
    Checksum c;
    Accumulate(header.data(), 24, orders[0], c);
    header_ok = c == header_stored;
  }
  // A damaged header hides the page size too: assume SQLite's default.
  report.page_size = ValidPageSize(stored_page_size) ? stored_page_size : 4096;
  const int64_t frame_bytes = kFrameHeaderBytes + report.page_size;
  report.frames = (report.file_bytes - kHeaderBytes) / frame_bytes;
  if (!header_ok) report.break_offset = 0;

  std::vector<unsigned char> frame(static_cast<size_t>(frame_bytes));
  // The log's generation: the header's salts, or (header damaged) the first
  // frame's.
  uint32_t salt1 = Big32(&header[16]);
  uint32_t salt2 = Big32(&header[20]);
  for (bool big_endian : orders) {
    in.clear();
    in.seekg(kHeaderBytes);
    Checksum previous = header_stored;  // each frame's seed: the stored value
    bool in_prefix = header_ok;
    int64_t intact_after = 0;
    int64_t last_intact = -1;
    for (int64_t i = 0; i < report.frames; ++i) {
      const int64_t offset = kHeaderBytes + i * frame_bytes;
      if (!in.read(reinterpret_cast<char*>(frame.data()), frame_bytes)) {
        return absl::UnavailableError(
            absl::StrCat("cannot read ", path, " at byte offset ", offset));
      }
      if (i == 0 && !header_ok) {
        salt1 = Big32(&frame[8]);
        salt2 = Big32(&frame[12]);
      }
      const Checksum stored{Big32(&frame[16]), Big32(&frame[20])};
      Checksum computed = previous;
      Accumulate(frame.data(), 8, big_endian, computed);
      Accumulate(frame.data() + kFrameHeaderBytes,
                 static_cast<size_t>(report.page_size), big_endian, computed);
      const bool current =
          Big32(&frame[8]) == salt1 && Big32(&frame[12]) == salt2;
      const bool intact =
          current && Big32(&frame[0]) != 0 && computed == stored;
      const bool commit = Big32(&frame[4]) != 0;
      previous = stored;
      if (in_prefix) {
        if (!intact) {
          in_prefix = false;
          report.break_offset = offset;
          continue;
        }
        if (commit) {
          report.recovered_frames = i + 1;
          ++report.recovered_commits;
        }
      } else if (intact && commit) {
        ++intact_after;
        last_intact = offset;
      }
    }
    if (intact_after > report.intact_commits_after_break) {
      report.intact_commits_after_break = intact_after;
      report.last_intact_commit_offset = last_intact;
    }
  }
  // A partial frame at the end is a torn write: recovery stops there too.
  if (report.break_offset < 0 &&
      kHeaderBytes + report.frames * frame_bytes < report.file_bytes) {
    report.break_offset = kHeaderBytes + report.frames * frame_bytes;
  }
  return report;
}

}  // namespace orgpulse
