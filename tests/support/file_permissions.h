// Makes file permissions bind the test even when it runs as root (as in CI),
// where they otherwise do not: CAP_DAC_OVERRIDE lets root write into a
// directory of mode 0555. As root, drops it (and CAP_DAC_READ_SEARCH) from
// the calling thread's effective capabilities until destruction; the
// permitted set keeps them, so they come back. As another user there is
// nothing to do. File system calls on this thread (and threads it starts
// meanwhile) are then checked against the mode bits.
//
// Example:
//   FilePermissionsBind bind;
//   if (!bind.ok()) GTEST_SKIP() << bind.error();
//   chmod(dir, 0555);  ... expect "not writable" ...
#ifndef ORGPULSE_TESTS_SUPPORT_FILE_PERMISSIONS_H_
#define ORGPULSE_TESTS_SUPPORT_FILE_PERMISSIONS_H_

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace orgpulse::testing {

class FilePermissionsBind {
 public:
  FilePermissionsBind() {
    if (geteuid() != 0) return;
    if (syscall(SYS_capget, &header_, saved_) != 0) {
      error_ = std::string("capget: ") + std::strerror(errno);
      return;
    }
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[0].effective &=
        ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    if (syscall(SYS_capset, &header_, reduced) != 0) {
      error_ = std::string("capset: ") + std::strerror(errno);
      return;
    }
    dropped_ = true;
  }
  ~FilePermissionsBind() {
    if (dropped_) syscall(SYS_capset, &header_, saved_);
  }
  FilePermissionsBind(const FilePermissionsBind&) = delete;
  FilePermissionsBind& operator=(const FilePermissionsBind&) = delete;

  // False if running as root and the capability could not be dropped.
  bool ok() const { return error_.empty(); }
  std::string error() const {
    return "running as root and cannot drop CAP_DAC_OVERRIDE (" + error_ +
           "): file permissions would not apply";
  }

 private:
  __user_cap_header_struct header_ = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2] = {};
  bool dropped_ = false;
  std::string error_;
};

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_FILE_PERMISSIONS_H_
