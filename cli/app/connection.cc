#include "cli/app/connection.h"

#include <memory>
#include <ostream>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace orgpulse::cli {
namespace {

const char* Name(Service service) {
  return service == Service::kIngest ? "ingest" : "insights";
}

// A DURATION flag: "30s", "2m", or whole seconds.
bool ParseDurationFlag(const ParsedArgs& args, const std::string& name,
                       absl::Duration& value) {
  const std::string& text = args.Get(name);
  int seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    value = absl::Seconds(seconds);
    return true;
  }
  return absl::ParseDuration(text, &value);
}

}  // namespace

const std::vector<FlagSpec>& ConnectionFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {.name = "ingest",
       .value_name = "HOST:PORT",
       .help = "the ingest service",
       .env = "ORGPULSE_INGEST",
       .default_value = "127.0.0.1:50051"},
      {.name = "insights",
       .value_name = "HOST:PORT",
       .help = "the insights service",
       .env = "ORGPULSE_INSIGHTS",
       .default_value = "127.0.0.1:50052"},
      {.name = "tls",
       .help = "use TLS, verifying the server with the system's roots (implied "
               "by --ca-file)",
       .env = "ORGPULSE_TLS"},
      {.name = "ca-file",
       .value_name = "FILE",
       .help = "PEM roots to verify the server with; turns TLS on",
       .env = "ORGPULSE_CA_FILE"},
      {.name = "cert-file",
       .value_name = "FILE",
       .help = "PEM client certificate for mutual TLS (with --key-file)",
       .env = "ORGPULSE_CERT_FILE"},
      {.name = "key-file",
       .value_name = "FILE",
       .help = "PEM private key of --cert-file",
       .env = "ORGPULSE_KEY_FILE"},
      {.name = "token",
       .value_name = "TOKEN",
       .help = "bearer token sent with every call (prefer --token-file: "
               "arguments are visible to other users)",
       .env = "ORGPULSE_TOKEN"},
      {.name = "token-file",
       .value_name = "FILE",
       .help = "file holding the bearer token",
       .env = "ORGPULSE_TOKEN_FILE"},
      {.name = "timeout",
       .value_name = "DURATION",
       .help = "deadline of each call, and of each acknowledgement while "
               "pushing (e.g. 30s, 2m)",
       .env = "ORGPULSE_TIMEOUT",
       .default_value = "30s"},
      {.name = "retries",
       .value_name = "N",
       .help = "attempts per call while the service is unavailable (with "
               "exponential backoff); alone, without --retry-for, the only "
               "limit",
       .env = "ORGPULSE_RETRIES",
       .default_value = "5"},
      {.name = "retry-for",
       .value_name = "DURATION",
       .help = "how long to keep retrying while the service is unavailable "
               "(restarting), at least --retries attempts; 0 to count "
               "attempts only",
       .env = "ORGPULSE_RETRY_FOR",
       .default_value = "60s"},
      {.name = "json", .help = "print JSON instead of text (for scripts)"},
  };
  return *flags;
}

absl::StatusOr<ClientOptions> ClientOptionsFromFlags(const ParsedArgs& args,
                                                     Service service) {
  ClientOptions options;
  options.address = args.Get(Name(service));
  options.tls = args.Flag("tls");
  options.ca_file = args.Get("ca-file");
  options.cert_file = args.Get("cert-file");
  options.key_file = args.Get("key-file");
  options.token = args.Get("token");
  const std::string& token_file = args.Get("token-file");
  if (!token_file.empty()) {
    if (!options.token.empty()) {
      return absl::InvalidArgumentError(
          "give --token or --token-file, not both");
    }
    absl::StatusOr<std::string> token = ReadTokenFile(token_file);
    if (!token.ok()) return token.status();
    options.token = *std::move(token);
  }
  if (!ParseDurationFlag(args, "timeout", options.timeout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout: \"", args.Get("timeout"),
                     "\" is not a duration (e.g. 30s)"));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout must be positive");
  }
  if (!absl::SimpleAtoi(args.Get("retries"), &options.retry.max_attempts) ||
      options.retry.max_attempts < 1) {
    return absl::InvalidArgumentError("--retries must be a whole number >= 1");
  }
  // --retries alone keeps its meaning (that many attempts, then give up);
  // otherwise --retry-for, by default, rides out a restart.
  if (args.IsSet("retries") && !args.IsSet("retry-for")) {
    options.retry.retry_for = absl::ZeroDuration();
  } else if (!ParseDurationFlag(args, "retry-for", options.retry.retry_for) ||
             options.retry.retry_for < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--retry-for: \"", args.Get("retry-for"),
                     "\" is not a duration (e.g. 60s, 0)"));
  }
  return options;
}

void AnnounceRetries(Service service, std::ostream& err,
                     ClientOptions& options) {
  // One pair of lines per outage, however many calls or streams wait it out.
  struct Shared {
    absl::Mutex mu;
    int waiting ABSL_GUARDED_BY(mu) = 0;  // runs of retries under way
  };
  auto shared = std::make_shared<Shared>();
  const std::string who = absl::StrCat(Name(service), " at ", options.address);
  const absl::Duration budget = options.retry.retry_for;
  const int attempts = options.retry.max_attempts;
  options.retry.on_waiting = [shared, who, budget, attempts, &err] {
    absl::MutexLock lock(&shared->mu);
    if (shared->waiting++ > 0) return;
    err << who << " unavailable, retrying "
        << (budget <= absl::ZeroDuration()
                ? absl::StrCat("(", attempts, " attempts in all)")
            : budget % absl::Seconds(1) == absl::ZeroDuration()
                ? absl::StrCat("for up to ", absl::ToInt64Seconds(budget), "s")
                : absl::StrCat("for up to ", absl::FormatDuration(budget)))
        << "\n";
    err.flush();
  };
  options.retry.on_resumed = [shared, who, &err] {
    absl::MutexLock lock(&shared->mu);
    if (shared->waiting == 0 || --shared->waiting > 0) return;
    err << who << " is back, resuming\n";
    err.flush();
  };
}

std::string DescribeServerError(Service service, const std::string& address,
                                const absl::Status& status) {
  const std::string who =
      absl::StrCat("the ", Name(service), " service at ", address);
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return absl::StrCat("cannot reach ", who, " (", message, ")");
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat(who, " did not answer in time (", message, ")");
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return absl::StrCat(who, " refused the credentials: ", message);
    case absl::StatusCode::kResourceExhausted:
      return absl::StrCat(who, " refused the request: ", message);
    default:
      return absl::StrCat(who, ": ", message, " (",
                          absl::StatusCodeToString(status.code()), ")");
  }
}

}  // namespace orgpulse::cli
