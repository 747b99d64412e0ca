// Pseudonymisation of personal ids with a keyed hash (HMAC-SHA-256,
// truncated to 128 bits): the same id always maps to the same value under
// one secret, and without the secret the value says nothing about the id.
//
// Example:
//   absl::StatusOr<KeyedHasher> hasher =
//   KeyedHasher::FromFile("/etc/orgpulse/respondent.key"); std::string
//   pseudonym = hasher->Hash("alice@example.com");  // 16 bytes
#ifndef ORGPULSE_COMMON_CRYPTO_KEYED_HASH_H_
#define ORGPULSE_COMMON_CRYPTO_KEYED_HASH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace orgpulse {

class KeyedHasher {
 public:
  static constexpr size_t kMinSecretBytes = 16;

  // Reads the secret from `path` (trailing newlines ignored). The error
  // names the file and the problem, never the secret.
  static absl::StatusOr<KeyedHasher> FromFile(const std::string& path);
  // INVALID_ARGUMENT if shorter than kMinSecretBytes.
  static absl::StatusOr<KeyedHasher> FromSecret(std::string secret);

  // 16 raw bytes.
  std::string Hash(absl::string_view id) const;

 private:
  explicit KeyedHasher(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_CRYPTO_KEYED_HASH_H_
