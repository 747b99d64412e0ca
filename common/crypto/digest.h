// Plain SHA-256 and random bytes from OpenSSL, for bearer tokens: a token is
// random, so its unkeyed digest is safe to store in place of the token.
//
// Example:
//   std::string token = RandomToken();        // "opk_" + 43 base64url chars
//   std::string stored = Sha256(token);       // 32 raw bytes
#ifndef ORGPULSE_COMMON_CRYPTO_DIGEST_H_
#define ORGPULSE_COMMON_CRYPTO_DIGEST_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace orgpulse {

// 32 raw bytes.
std::string Sha256(absl::string_view data);

// The 32 bytes a SHA-256 digest written as 64 lower-case hex digits stands
// for (as configuration files hold them); nullopt for any other text.
std::optional<std::string> Sha256FromHex(absl::string_view hex);

// A new secret token: "opk_" and 256 random bits in unpadded base64url.
// Aborts if the system has no randomness (there is nothing safe to return).
std::string RandomToken();

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_CRYPTO_DIGEST_H_
