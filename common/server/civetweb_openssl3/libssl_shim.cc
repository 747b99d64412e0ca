// Stands in for "libssl.so" when Debian's civetweb 1.15 loads OpenSSL at
// run time (see common/server/metrics_tls.h): everything resolves to
// OpenSSL 3's libssl.so.3, which this library needs, except the one function
// civetweb's OpenSSL 1.1 table asks for that OpenSSL 3 turned into a macro.
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

extern "C" __attribute__((visibility("default"))) X509*
SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
