#include "common/storage/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace orgpulse {
namespace {

absl::Status IoError(absl::string_view what, const std::string& path,
                     int error) {
  const std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  return error == ENOSPC || error == EDQUOT
             ? absl::ResourceExhaustedError(message)
             : absl::UnavailableError(message);
}

absl::Status WriteAll(int fd, absl::string_view bytes,
                      const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("write", path, n < 0 ? errno : EIO);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& path) {
  const std::filesystem::path parent =
      std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open the directory", dir, errno);
  const int rc = fsync(fd);
  const int error = errno;
  close(fd);
  if (rc != 0) return IoError("sync the directory", dir, error);
  return absl::OkStatus();
}

// Writes a large file without flooding the disk's queue. Left to the page
// cache, hundreds of MB of dirty pages reach the disk at the final fsync (or
// whenever the kernel flushes), and the small synchronous writes of a log
// on the same disk (a commit's fsync) queue behind them for 100 ms and more.
// Here each piece is sent to the disk as soon as it is written, and the
// writer waits for the piece before it, so at most two pieces are in
// flight. Where the file system cannot (tmpfs), it is a plain write.
class PacedWriter {
 public:
  PacedWriter(int fd, const std::string& path) : fd_(fd), path_(path) {}

  absl::Status Write(absl::string_view bytes) {
    while (!bytes.empty()) {
      const size_t n = std::min(bytes.size(), kPiece - unsent_);
      if (absl::Status s = WriteAll(fd_, bytes.substr(0, n), path_); !s.ok()) {
        return s;
      }
      bytes.remove_prefix(n);
      unsent_ += n;
      if (unsent_ == kPiece) Send();
    }
    return absl::OkStatus();
  }

 private:
  static constexpr size_t kPiece = size_t{1} << 20;

  void Send() {
    // Errors surface at the final fsync: these calls only schedule.
    sync_file_range(fd_, written_, static_cast<off_t>(unsent_),
                    SYNC_FILE_RANGE_WRITE);
    if (written_ >= static_cast<off_t>(kPiece)) {
      sync_file_range(fd_, written_ - static_cast<off_t>(kPiece),
                      static_cast<off_t>(kPiece),
                      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                          SYNC_FILE_RANGE_WAIT_AFTER);
    }
    written_ += static_cast<off_t>(unsent_);
    unsent_ = 0;
  }

  const int fd_;
  const std::string& path_;
  off_t written_ = 0;  // bytes handed to the disk (all but `unsent_`)
  size_t unsent_ = 0;
};

}  // namespace

absl::Status WriteFileAtomically(
    const std::string& path, std::initializer_list<absl::string_view> parts) {
  const std::string temp = path + ".tmp";
  const int fd =
      open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create", temp, errno);
  PacedWriter writer(fd, temp);
  absl::Status s;
  for (absl::string_view part : parts) {
    if (s.ok()) s = writer.Write(part);
  }
  if (s.ok() && fsync(fd) != 0) s = IoError("sync", temp, errno);
  close(fd);
  if (s.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    s = IoError("rename to", path, errno);
  }
  if (!s.ok()) {
    unlink(temp.c_str());
    return s;
  }
  // The rename is durable only once the directory is.
  return SyncDirectory(path);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no ", path));
    return IoError("open", path, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return IoError("stat", path, error);
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      close(fd);
      return IoError("read", path, error);
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return out;
}

namespace {

absl::Status OverwriteWithZeros(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? absl::OkStatus()
                           : IoError("open to overwrite", path, errno);
  }
  struct stat st;
  absl::Status s;
  if (fstat(fd, &st) != 0) s = IoError("stat", path, errno);
  const std::string zeros(size_t{1} << 20, '\0');
  for (off_t done = 0; s.ok() && done < st.st_size;) {
    const size_t n = static_cast<size_t>(
        std::min<off_t>(st.st_size - done, static_cast<off_t>(zeros.size())));
    s = WriteAll(fd, absl::string_view(zeros.data(), n), path);
    done += static_cast<off_t>(n);
  }
  if (s.ok() && fdatasync(fd) != 0) s = IoError("sync", path, errno);
  close(fd);
  return s;
}

}  // namespace

absl::Status ScrubAndRemoveFile(const std::string& path) {
  for (const std::string& p : {path + ".tmp", path}) {
    if (absl::Status s = OverwriteWithZeros(p); !s.ok()) return s;
  }
  return RemoveFileDurably(path);
}

absl::Status RemoveFileDurably(const std::string& path) {
  for (const std::string& p : {path + ".tmp", path}) {
    if (unlink(p.c_str()) != 0 && errno != ENOENT) {
      return IoError("remove", p, errno);
    }
  }
  return SyncDirectory(path);
}

}  // namespace orgpulse
