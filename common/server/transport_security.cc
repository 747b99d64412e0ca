#include "common/server/transport_security.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace orgpulse {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view flag,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  }
  std::string content(std::istreambuf_iterator<char>(in), {});
  if (!absl::StrContains(content, "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " is not a PEM file"));
  }
  return content;
}

// The certificate must parse and the key must be its private key; gRPC
// itself would only fail at the first handshake.
absl::Status CheckKeyPair(absl::string_view cert_flag,
                          const std::string& cert_file,
                          absl::string_view key_flag,
                          const std::string& key_file, const std::string& cert,
                          const std::string& key) {
  BIO* cert_bio = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
  X509* x509 = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  if (x509 == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_flag, ": ", cert_file, " holds no PEM certificate"));
  }
  BIO* key_bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  absl::Status status;
  if (pkey == nullptr) {
    status = absl::InvalidArgumentError(absl::StrCat(
        key_flag, ": ", key_file, " holds no unencrypted PEM private key"));
  } else if (X509_check_private_key(x509, pkey) != 1) {
    status = absl::InvalidArgumentError(
        absl::StrCat(key_flag, ": ", key_file,
                     " is not the key of the certificate in ", cert_file));
  }
  EVP_PKEY_free(pkey);
  X509_free(x509);
  return status;
}

}  // namespace

absl::Status CheckCertificateAndKey(absl::string_view cert_flag,
                                    const std::string& cert_file,
                                    absl::string_view key_flag,
                                    const std::string& key_file) {
  absl::StatusOr<std::string> cert = ReadPem(cert_flag, cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(key_flag, key_file);
  if (!key.ok()) return key.status();
  return CheckKeyPair(cert_flag, cert_file, key_flag, key_file, *cert, *key);
}

const char* TransportName(const TransportSecurity& security) {
  if (security.plaintext) return "plaintext";
  return security.client_ca_file.empty() ? "tls" : "mtls";
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TransportSecurity& s) {
  const bool any_file =
      !s.cert_file.empty() || !s.key_file.empty() || !s.client_ca_file.empty();
  if (s.plaintext) {
    if (any_file) {
      return absl::InvalidArgumentError(
          "--plaintext excludes --tls_cert_file, --tls_key_file and "
          "--tls_client_ca_file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (s.cert_file.empty() || s.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs --tls_cert_file and --tls_key_file; pass --plaintext to "
        "serve without TLS");
  }
  if (absl::Status k = CheckCertificateAndKey("--tls_cert_file", s.cert_file,
                                              "--tls_key_file", s.key_file);
      !k.ok()) {
    return k;
  }

  if (!s.client_ca_file.empty()) {
    if (absl::Status ca =
            ReadPem("--tls_client_ca_file", s.client_ca_file).status();
        !ca.ok()) {
      return ca;
    }
  }
  const auto interval = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(s.reload_interval)));
  // Checked above; from here on gRPC re-reads the files itself (and keeps
  // the last good pair when a new one does not load).
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          s.key_file, s.cert_file, s.client_ca_file, interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!s.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace orgpulse
