#include "services/ingest/store/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/storage/atomic_file.h"

namespace orgpulse::ingest {
namespace {

constexpr char kMagic[8] = {'o', 'p', 's', 'n', 'a', 'p', 'f', '1'};
constexpr size_t kHeaderBytes =
    sizeof kMagic + 8 + 8;  // magic, epoch, position

absl::Status IoError(absl::string_view what, const std::string& path,
                     int error) {
  const std::string message = absl::StrCat("snapshot: cannot ", what, " ", path,
                                           ": ", std::strerror(error));
  return error == ENOSPC || error == EDQUOT
             ? absl::ResourceExhaustedError(message)
             : absl::UnavailableError(message);
}

}  // namespace

absl::Status SnapshotFile::Save(const LogMark& mark, absl::string_view bytes) {
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, sizeof kMagic);
  std::memcpy(header + 8, &mark.epoch, 8);
  std::memcpy(header + 16, &mark.position, 8);
  return WriteFileAtomically(path_, {{header, sizeof header}, bytes});
}

absl::StatusOr<SnapshotFile::Contents> SnapshotFile::Load() const {
  const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("no snapshot at ", path_));
    }
    return IoError("open", path_, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return IoError("stat", path_, error);
  }
  // The header and the bytes are read apart, so the bytes land where they
  // stay (a snapshot may be hundreds of MB).
  const size_t size = static_cast<size_t>(st.st_size);
  char header[kHeaderBytes];
  Contents out;
  out.bytes.resize(size >= kHeaderBytes ? size - kHeaderBytes : 0);
  auto read_into = [fd](char* to, size_t n) {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = read(fd, to + done, n - done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return r < 0 ? -1 : 0;
      done += static_cast<size_t>(r);
    }
    return 1;
  };
  int rc = size >= kHeaderBytes ? read_into(header, kHeaderBytes) : 1;
  if (rc == 1) rc = read_into(out.bytes.data(), out.bytes.size());
  const int error = errno;
  close(fd);
  if (rc < 0) return IoError("read", path_, error);
  if (rc == 0) {
    return absl::DataLossError(absl::StrCat(path_, " shrank while being read"));
  }
  if (size < kHeaderBytes || std::memcmp(header, kMagic, sizeof kMagic) != 0) {
    return absl::DataLossError(
        absl::StrCat(path_, " is not a snapshot file (", size, " bytes)"));
  }
  std::memcpy(&out.mark.epoch, header + 8, 8);
  std::memcpy(&out.mark.position, header + 16, 8);
  return out;
}

absl::Status SnapshotFile::RemoveLeftover() {
  const std::string temp = path_ + ".tmp";
  if (unlink(temp.c_str()) != 0 && errno != ENOENT) {
    return IoError("remove", temp, errno);
  }
  return absl::OkStatus();
}

absl::Status SnapshotFile::Clear() { return RemoveFileDurably(path_); }

}  // namespace orgpulse::ingest
