#include "common/server/metrics_tls.h"

#include <dlfcn.h>
#include <openssl/ssl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/str_cat.h"
#include "common/server/transport_security.h"

// The stand-in libraries (metrics_tls.h), embedded at build time
// (cmake/embed_file.cmake).
extern const unsigned char kCivetwebLibsslShim[];
extern const size_t kCivetwebLibsslShim_size;
extern const unsigned char kCivetwebLibcryptoShim[];
extern const size_t kCivetwebLibcryptoShim_size;

namespace orgpulse {
namespace {

// Loads an embedded shared library from memory; it stays loaded for the
// life of the process (civetweb may dlopen it again at any later start).
absl::Status LoadEmbedded(const char* name, const unsigned char* bytes,
                          size_t size) {
  const int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("metrics TLS: memfd_create failed for ", name));
  }
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, bytes + written, size - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  void* handle = nullptr;
  if (written == size) {
    handle = dlopen(absl::StrCat("/proc/self/fd/", fd).c_str(),
                    RTLD_NOW | RTLD_LOCAL);
  }
  if (handle == nullptr) {
    const char* why = written == size ? dlerror() : "short write";
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("metrics TLS: cannot load the ", name,
                     " stand-in for civetweb: ", why ? why : "unknown"));
  }
  // fd stays open: the loader knows the library by its path, and were the
  // number reused, a dlopen of that path would return this library instead
  // of opening the new file.
  return absl::OkStatus();
}

// Once per process: what the loader has loaded is process-wide too.
absl::Status PrepareCivetwebOpenSsl() {
  static const absl::Status* const status = [] {
    absl::Status s = LoadEmbedded("libcrypto.so", kCivetwebLibcryptoShim,
                                  kCivetwebLibcryptoShim_size);
    if (s.ok()) {
      s = LoadEmbedded("libssl.so", kCivetwebLibsslShim,
                       kCivetwebLibsslShim_size);
    }
    return new absl::Status(std::move(s));
  }();
  return *status;
}

// civetweb calls init_ssl synchronously inside CivetServer's constructor,
// with its own user data (the CivetServer), so the files travel in this
// thread's variable for the length of that constructor.
thread_local const MetricsTls* tls_being_started = nullptr;

int UseCertificateAndKey(void* ssl_ctx, void* /*civetweb's user data*/) {
  const MetricsTls* tls = tls_being_started;
  SSL_CTX* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (tls == nullptr ||
      SSL_CTX_use_certificate_chain_file(ctx, tls->cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, tls->key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1 ||
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return -1;  // civetweb fails to start; CivetServer throws
  }
  return 1;  // certificate set: civetweb loads no file itself
}

}  // namespace

absl::Status CheckMetricsTls(const MetricsTls& tls) {
  if (!tls.enabled()) return absl::OkStatus();
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS for /metrics needs both --metrics_tls_cert_file and "
        "--metrics_tls_key_file");
  }
  return CheckCertificateAndKey("--metrics_tls_cert_file", tls.cert_file,
                                "--metrics_tls_key_file", tls.key_file);
}

absl::StatusOr<std::unique_ptr<CivetServer>> StartTlsCivetServer(
    const std::string& address, const MetricsTls& tls) {
  if (absl::Status s = PrepareCivetwebOpenSsl(); !s.ok()) return s;
  CivetCallbacks callbacks;
  callbacks.init_ssl = &UseCertificateAndKey;
  // The trailing "s" makes the port HTTPS only.
  std::vector<std::string> options = {"listening_ports", address + "s",
                                      "num_threads", "2"};
  tls_being_started = &tls;
  std::unique_ptr<CivetServer> server;
  std::string error;
  try {
    server = std::make_unique<CivetServer>(options, &callbacks);
  } catch (const std::exception& e) {
    error = e.what();
  }
  tls_being_started = nullptr;
  if (server == nullptr) return absl::UnavailableError(error);
  return server;
}

}  // namespace orgpulse
