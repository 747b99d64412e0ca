// Who may read /metrics: HTTP basic auth against a file of user names and
// the SHA-256 of their passwords, never the passwords themselves.
//
// The file has one user per line, the name and the lower-case hex SHA-256 of
// the password separated by a colon. Blank lines and '#' comments are
// ignored. Since the digest is unsalted, the password must be random (as a
// bearer token is), not one a person chose:
//
//   # user:sha256 of the password
//   prometheus:a8c781b18d67421f5cdb48be064ae5e42b48c7ca2eeed63ce7aaa052d42eea85
//
//   password=$(openssl rand -hex 32)
//   echo "prometheus:$(printf %s "$password" | sha256sum | cut -d' ' -f1)"
//
// Thread-safe: Check runs on the HTTP server's threads while Reload (SIGHUP)
// swaps the table.
//
// Example:
//   absl::StatusOr<std::unique_ptr<MetricsBasicAuth>> auth =
//       MetricsBasicAuth::FromFile(path);
//   bool ok = (*auth)->Check(user, password);
#ifndef ORGPULSE_COMMON_SERVER_METRICS_BASIC_AUTH_H_
#define ORGPULSE_COMMON_SERVER_METRICS_BASIC_AUTH_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace orgpulse {

class MetricsBasicAuth {
 public:
  // User name -> SHA-256 of the password (32 raw bytes).
  using Users = absl::flat_hash_map<std::string, std::string>;

  // INVALID_ARGUMENT naming `source` and the line of the first problem
  // (never a digest); at least one user is required.
  static absl::StatusOr<Users> Parse(absl::string_view text,
                                     absl::string_view source);
  // INVALID_ARGUMENT naming --metrics_basic_auth_file and `path` when the
  // file cannot be read or parsed.
  static absl::StatusOr<std::unique_ptr<MetricsBasicAuth>> FromFile(
      const std::string& path);

  // True if `user` is listed with the digest of `password`. The digests are
  // compared in constant time, and an unknown user costs the same.
  bool Check(const std::string& user, const std::string& password) const;

  // Reads the file again; on error the previous users stay.
  absl::Status Reload();

 private:
  MetricsBasicAuth(std::string path, Users users)
      : path_(std::move(path)), users_(std::move(users)) {}

  const std::string path_;
  mutable absl::Mutex mu_;
  Users users_ ABSL_GUARDED_BY(mu_);
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_METRICS_BASIC_AUTH_H_
