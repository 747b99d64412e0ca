// A real CallAuthorizer for adapter tests, over a tokens file written for the
// test: each client is granted its scopes, and its bearer token is
// TokenOf(name).
//
// Example:
//   TestAuthorizer auth({{"pusher", {Scope::kIngestPush}}});
//   IngestService service(ledger, auth.authorizer());
//   context.AddMetadata("authorization", TestAuthorizer::Bearer("pusher"));
#ifndef ORGPULSE_TESTS_SUPPORT_TEST_AUTHORIZER_H_
#define ORGPULSE_TESTS_SUPPORT_TEST_AUTHORIZER_H_

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/call_authorizer.h"
#include "common/auth/token_table.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace orgpulse::testing {

class TestAuthorizer {
 public:
  struct Client {
    std::string name;
    std::vector<Scope> scopes;
    std::string subtree = "";  // empty: reads every team
  };

  explicit TestAuthorizer(const std::vector<Client>& clients) {
    std::string dir =
        (std::filesystem::temp_directory_path() / "orgpulse-tokens.XXXXXX")
            .string();
    if (mkdtemp(dir.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    const std::string path = dir + "/tokens";
    {
      std::ofstream out(path);
      for (const Client& c : clients) {
        out << TokenFileLine(c.name, c.scopes, TokenOf(c.name), c.subtree)
            << "\n";
      }
    }
    absl::StatusOr<std::unique_ptr<CallAuthorizer>> authorizer =
        CallAuthorizer::Create({.token_file = path}, registry_);
    std::filesystem::remove_all(dir);  // read once; never reloaded here
    if (!authorizer.ok()) {
      ADD_FAILURE() << authorizer.status();
      return;
    }
    authorizer_ = *std::move(authorizer);
  }

  const CallAuthorizer& authorizer() const { return *authorizer_; }
  // orgpulse_auth_refused_calls_total{reason=`reason`} so far.
  double Refusals(const std::string& reason) const {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name != "orgpulse_auth_refused_calls_total") continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        for (const prometheus::ClientMetric::Label& label : metric.label) {
          if (label.name == "reason" && label.value == reason) {
            return metric.counter.value;
          }
        }
      }
    }
    ADD_FAILURE() << "no refusal counter for reason " << reason;
    return -1;
  }

  static std::string TokenOf(const std::string& name) {
    return absl::StrCat(name, "-token");
  }
  // The value of the "authorization" metadata for `name`.
  static std::string Bearer(const std::string& name) {
    return absl::StrCat("Bearer ", TokenOf(name));
  }

 private:
  prometheus::Registry registry_;
  std::unique_ptr<CallAuthorizer> authorizer_;
};

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_TEST_AUTHORIZER_H_
