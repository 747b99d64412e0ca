#include "common/server/metrics_basic_auth.h"

#include <openssl/crypto.h>

#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto/digest.h"

namespace orgpulse {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr absl::string_view kFlag = "--metrics_basic_auth_file";

}  // namespace

absl::StatusOr<MetricsBasicAuth::Users> MetricsBasicAuth::Parse(
    absl::string_view text, absl::string_view source) {
  Users users;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_number, ": ", what));
    };
    if (const size_t hash = line.find('#'); hash != line.npos) {
      line = line.substr(0, hash);
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t colon = line.find(':');  // basic auth: no colon in a user
    if (colon == line.npos || colon == 0) {
      return error("expected user:sha256-hex-of-the-password");
    }
    const absl::string_view user = line.substr(0, colon);
    std::optional<std::string> digest = Sha256FromHex(line.substr(colon + 1));
    if (!digest) {
      return error(
          "after the colon: 64 lower-case hex digits (the SHA-256 of the "
          "password, not the password)");
    }
    if (!users.emplace(user, *std::move(digest)).second) {
      return error(absl::StrCat("user \"", user, "\" is listed twice"));
    }
  }
  if (users.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no users"));
  }
  return users;
}

absl::StatusOr<std::unique_ptr<MetricsBasicAuth>> MetricsBasicAuth::FromFile(
    const std::string& path) {
  const std::string source = absl::StrCat(kFlag, " ", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": cannot read the file"));
  }
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad() || text.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": cannot read the file, or larger than ",
                     kMaxFileBytes, " bytes"));
  }
  absl::StatusOr<Users> users = Parse(text, source);
  if (!users.ok()) return users.status();
  return std::unique_ptr<MetricsBasicAuth>(
      new MetricsBasicAuth(path, *std::move(users)));
}

bool MetricsBasicAuth::Check(const std::string& user,
                             const std::string& password) const {
  const std::string digest = Sha256(password);
  // An unknown user is compared against a digest no password has in
  // practice, so the time taken does not say whether the user exists.
  static const std::string kNoDigest(32, '\0');
  absl::MutexLock lock(&mu_);
  auto it = users_.find(user);
  const std::string& expected = it == users_.end() ? kNoDigest : it->second;
  const bool same =
      CRYPTO_memcmp(digest.data(), expected.data(), expected.size()) == 0;
  return same && it != users_.end();
}

absl::Status MetricsBasicAuth::Reload() {
  absl::StatusOr<std::unique_ptr<MetricsBasicAuth>> fresh = FromFile(path_);
  if (!fresh.ok()) return fresh.status();
  Users users;
  {
    absl::MutexLock lock(&(*fresh)->mu_);
    users = std::move((*fresh)->users_);
  }
  absl::MutexLock lock(&mu_);
  users_ = std::move(users);
  return absl::OkStatus();
}

}  // namespace orgpulse
