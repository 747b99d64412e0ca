// Stands in for "libcrypto.so" when Debian's civetweb 1.15 loads OpenSSL at
// run time (see common/server/metrics_tls.h): every function it asks for is
// found in OpenSSL 3's libcrypto.so.3, which this library needs. Only the
// name is missing where libssl-dev is not installed.
#include <openssl/crypto.h>

// Keeps the link to libcrypto.so.3 however the linker treats unused ones.
extern "C" __attribute__((visibility("default"))) unsigned long
OrgpulseCryptoShimVersion() {
  return OpenSSL_version_num();
}
