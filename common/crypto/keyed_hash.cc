#include "common/crypto/keyed_hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace orgpulse {

absl::StatusOr<KeyedHasher> KeyedHasher::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the secret file ", path));
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  absl::StatusOr<KeyedHasher> hasher = FromSecret(std::move(secret));
  if (!hasher.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the secret in ", path, ": ", hasher.status().message()));
  }
  return hasher;
}

absl::StatusOr<KeyedHasher> KeyedHasher::FromSecret(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at least ", kMinSecretBytes, " bytes"));
  }
  return KeyedHasher(std::move(secret));
}

std::string KeyedHasher::Hash(absl::string_view id) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest,
       &length);
  return std::string(reinterpret_cast<const char*>(digest), 16);
}

}  // namespace orgpulse
