#include "clients/client_options.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace orgpulse {
namespace {

// Responses such as the org-wide ListTeamInsights can exceed gRPC's 4 MiB
// default.
constexpr int kMaxReceiveMessageBytes = 64 << 20;

// A PEM file's content; the error names the file, never its content.
absl::StatusOr<std::string> ReadPemFile(absl::string_view what,
                                        const std::string& path) {
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    const std::string message =
        absl::StrCat(what, " ", path, ": ",
                     error != 0 ? std::strerror(error) : "unreadable");
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  std::string content;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    content.append(buffer, n);
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": read error"));
  }
  if (!absl::StrContains(content, "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " is not a PEM file"));
  }
  return content;
}

bool IsValidHeaderValue(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsLoopbackIpv4(absl::string_view host) {
  if (!absl::ConsumePrefix(&host, "127.")) return false;
  int parts = 1;
  for (absl::string_view rest = host; !rest.empty(); ++parts) {
    const size_t dot = rest.find('.');
    int octet = 0;
    if (!absl::SimpleAtoi(rest.substr(0, dot), &octet) || octet < 0 ||
        octet > 255) {
      return false;
    }
    rest = dot == absl::string_view::npos ? "" : rest.substr(dot + 1);
  }
  return parts == 4;
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  absl::ConsumePrefix(&address, "dns:///");
  absl::ConsumePrefix(&address, "ipv4:");
  absl::ConsumePrefix(&address, "ipv6:");
  absl::string_view host = address;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
    return host == "::1";
  }
  host = host.substr(0, host.rfind(':'));
  return host == "localhost" || IsLoopbackIpv4(host);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateClientChannel(
    const ClientOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("no server address given");
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key and the other way round: give "
        "both or neither");
  }
  const bool tls =
      options.tls || !options.ca_file.empty() || !options.cert_file.empty();
  if (!options.token.empty()) {
    if (!IsValidHeaderValue(options.token)) {
      return absl::InvalidArgumentError(
          "the token holds characters a header may not carry (control "
          "characters, newlines or non-ASCII)");
    }
    if (!tls && !options.token_without_tls &&
        !IsLoopbackAddress(options.address)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a token is sent only over TLS (give a CA file or enable TLS), "
          "except to a loopback address; ",
          options.address, " is not one"));
    }
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the call timeout must be positive");
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadPemFile("CA file", options.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options.cert_file.empty()) {
      absl::StatusOr<std::string> cert =
          ReadPemFile("client certificate file", options.cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key =
          ReadPemFile("client key file", options.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // gRPC's reconnection backoff grows to 120 s by default, and calls fail
  // without trying while it runs: capped like the retries' backoff, so that
  // a service back from a restart is seen within seconds (not below gRPC's
  // initial 1 s).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(
                  std::max(options.retry.max_backoff, absl::Seconds(1)))));
  return grpc::CreateCustomChannel(options.address, credentials, args);
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("token file ", path, " cannot be read"));
  }
  std::string token(absl::StripTrailingAsciiWhitespace(
      std::string(std::istreambuf_iterator<char>(in), {})));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", path, " is empty"));
  }
  return token;
}

void PrepareContext(absl::string_view token, absl::Time deadline,
                    grpc::ClientContext& context) {
  context.set_deadline(absl::ToChronoTime(deadline));
  if (!token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
}

void PrepareContext(const ClientOptions& options, absl::Duration timeout,
                    grpc::ClientContext& context) {
  PrepareContext(options.token, absl::Now() + timeout, context);
}

}  // namespace orgpulse
