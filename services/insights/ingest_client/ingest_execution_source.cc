#include "services/insights/ingest_client/ingest_execution_source.h"

#include <set>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/org/team_id.h"
#include "services/insights/ingest_client/execution_conversion.h"

namespace orgpulse::insights {
namespace {

namespace v1 = ::orgpulse::ingest::v1;

constexpr absl::string_view kLogComponent = "insights";
// Nodes per ListTeamExecutions page: about 100 KB of figures.
constexpr int kPageSize = 200;
// Error texts end up in logs and in API answers: keep them short.
constexpr size_t kMaxErrorMessageLength = 200;

// The same code, with the message "<method>: <CODE>: <message>" in
// printable ASCII only.
absl::Status RoundError(absl::string_view method, const absl::Status& status) {
  std::string message(status.message().substr(0, kMaxErrorMessageLength));
  for (char& c : message) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return absl::Status(
      status.code(),
      absl::StrCat(method, ": ", absl::StatusCodeToString(status.code()), ": ",
                   message));
}

// The client as the source uses it: one attempt per call (a failed round is
// retried as a whole), with the source's deadline and token.
ClientOptions SourceClientOptions(const IngestSourceOptions& options,
                                  absl::Duration deadline) {
  ClientOptions client;
  client.timeout = deadline;
  client.token = options.bearer_token;
  client.retry.max_attempts = 1;
  return client;
}

}  // namespace

IngestExecutionSource::IngestExecutionSource(
    std::shared_ptr<grpc::Channel> channel, const Clock& clock,
    IngestSourceOptions options)
    : client_(std::make_unique<IngestClient>(
          channel, SourceClientOptions(options, options.call_deadline))),
      history_client_(std::make_unique<IngestClient>(
          std::move(channel),
          SourceClientOptions(options, options.history_deadline))),
      clock_(clock),
      options_(std::move(options)),
      backoff_{.initial_backoff = options_.initial_backoff,
               .max_backoff = options_.max_backoff,
               .multiplier = 2.0,
               .jitter = 0.2} {
  absl::MutexLock lock(&mu_);
  health_.last_success = absl::InfinitePast();
  health_.last_error = "not fetched yet";
}

IngestExecutionSource::~IngestExecutionSource() { Stop(); }

void IngestExecutionSource::Start() {
  {
    absl::MutexLock lock(&mu_);
    running_ = true;
  }
  thread_ = std::thread([this] { Run(); });
}

void IngestExecutionSource::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  client_->CancelAll();
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

absl::Status IngestExecutionSource::RefreshNow(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (!running_ || stopping_) {
    return absl::FailedPreconditionError("the refresh thread is not running");
  }
  const uint64_t ticket = ++requested_;
  auto done = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || completed_ >= ticket;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  if (completed_ >= ticket) return last_round_;
  if (stopping_) return absl::CancelledError("the source was stopped");
  return absl::DeadlineExceededError(
      absl::StrCat("no refresh ended within ", absl::FormatDuration(timeout)));
}

std::optional<ExecutionSnapshot> IngestExecutionSource::Get(
    absl::string_view node) const {
  absl::MutexLock lock(&mu_);
  auto it = snapshots_.find(node);
  if (it == snapshots_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> IngestExecutionSource::Teams() const {
  absl::MutexLock lock(&mu_);
  return teams_;
}

SourceHealth IngestExecutionSource::Health() const {
  absl::MutexLock lock(&mu_);
  return health_;
}

void IngestExecutionSource::Run() {
  absl::BitGen gen;
  int failures = 0;
  while (true) {
    uint64_t ticket;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      ticket = requested_;
    }

    Round round;
    const absl::Status status = Fetch(round);
    const absl::Time now = clock_.Now();
    const size_t team_count = round.teams.size();
    bool was_reachable;
    {
      absl::MutexLock lock(&mu_);
      // A round cut short by Stop says nothing about ingest.
      if (stopping_) return;
      was_reachable = health_.reachable;
      if (status.ok()) {
        snapshots_ = std::move(round.snapshots);
        teams_ = std::move(round.teams);
        health_.reachable = true;
        health_.last_success = now;
        health_.last_error.clear();
      } else {
        if (round.partial) {
          for (auto& [node, snapshot] : round.snapshots) {
            snapshots_.insert_or_assign(node, std::move(snapshot));
          }
          std::set<std::string> teams(teams_.begin(), teams_.end());
          teams.insert(round.teams.begin(), round.teams.end());
          teams_.assign(teams.begin(), teams.end());
          ++health_.partial_reads;
        }
        health_.reachable = false;
        health_.last_error = std::string(status.message());
      }
      last_round_ = status;
      completed_ = ticket;
    }

    absl::Duration wait;
    if (status.ok()) {
      if (!was_reachable) {
        Log(LogLevel::kInfo, kLogComponent,
            absl::StrCat("ingest reachable, ", team_count, " teams (after ",
                         failures, " failed refreshes)"));
      }
      failures = 0;
      wait = options_.refresh_interval;
    } else {
      if (round.partial) {
        Log(LogLevel::kWarning, kLogComponent,
            absl::StrCat("read ", round.snapshots.size(),
                         " figures from ingest, then: ", status.message(),
                         "; kept them, the other nodes' are older"));
      } else if (failures == 0) {
        // Log the transition only; the health gauge tells the rest.
        Log(LogLevel::kWarning, kLogComponent,
            absl::StrCat("ingest unreachable, serving last known figures: ",
                         status.message()));
      }
      ++failures;
      wait = RetryBackoff(backoff_, failures, gen);
      paged_ = true;
    }

    absl::MutexLock lock(&mu_);
    auto wake = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || requested_ > ticket;
    };
    mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
  }
}

absl::Status IngestExecutionSource::Fetch(Round& round) {
  // An id that is not a valid team id would become a metric label and a map
  // key downstream: leave it out rather than trust the server.
  if (!paged_) return FetchNodeByNode(round);
  std::set<std::string> teams;
  std::string token;
  absl::Status status;
  do {
    absl::StatusOr<v1::ListTeamExecutionsResponse> page =
        client_->ListTeamExecutions(kPageSize, token);
    if (token.empty() && absl::IsUnimplemented(page.status())) {
      paged_ = false;
      return FetchNodeByNode(round);
    }
    if (!page.ok()) {
      status = RoundError("ListTeamExecutions", page.status());
      break;
    }
    const absl::Time now = clock_.Now();
    for (const v1::TeamExecution& figures : page->executions()) {
      if (!IsValidTeamId(figures.team())) continue;
      for (const std::string& team : figures.teams()) {
        if (IsValidTeamId(team)) teams.insert(team);
      }
      round.snapshots.insert_or_assign(figures.team(),
                                       ToExecutionSnapshot(figures, now));
    }
    // Tokens are node ids, in order: one that does not advance would
    // loop for ever.
    if (!page->next_page_token().empty() && page->next_page_token() <= token) {
      status = absl::InternalError(
          "ListTeamExecutions: the next page token does not advance");
      break;
    }
    token = page->next_page_token();
  } while (!token.empty());
  round.teams.assign(teams.begin(), teams.end());
  round.partial = !status.ok() && !round.snapshots.empty();
  return status;
}

absl::Status IngestExecutionSource::FetchNodeByNode(Round& round) {
  absl::StatusOr<v1::ListTeamsResponse> listed = client_->ListTeams("");
  if (!listed.ok()) return RoundError("ListTeams", listed.status());

  // An id that is not a valid team id would become a metric label and a map
  // key downstream: leave it out rather than trust the server.
  std::set<std::string> teams;
  for (const v1::TeamSummary& summary : listed->teams()) {
    if (IsValidTeamId(summary.team())) teams.insert(summary.team());
  }
  round.teams.assign(teams.begin(), teams.end());

  for (const std::string& node : TeamsAndPrefixes(round.teams)) {
    absl::StatusOr<v1::TeamExecution> figures = client_->GetTeamExecution(node);
    // Ingest never forgets a team, but a replaced data directory can make
    // a listed team vanish: then its node simply has no figures.
    if (absl::IsNotFound(figures.status())) continue;
    if (!figures.ok()) return RoundError("GetTeamExecution", figures.status());
    round.snapshots.emplace(node, ToExecutionSnapshot(*figures, clock_.Now()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ExecutionSnapshot>> IngestExecutionSource::GetAsOf(
    absl::string_view node, absl::Time as_of) const {
  v1::GetTeamExecutionRequest request;
  request.set_team(std::string(node));
  const timespec t = absl::ToTimespec(as_of);
  request.mutable_as_of()->set_seconds(t.tv_sec);
  request.mutable_as_of()->set_nanos(static_cast<int32_t>(t.tv_nsec));
  absl::StatusOr<v1::TeamExecution> figures =
      history_client_->GetTeamExecution(request);
  if (absl::IsNotFound(figures.status())) {
    return std::optional<ExecutionSnapshot>();  // no event under node by then
  }
  if (!figures.ok()) return figures.status();
  return ToExecutionSnapshot(*figures, clock_.Now());
}

void IngestExecutionSource::SetBearerToken(std::string token) {
  history_client_->SetToken(token);
  client_->SetToken(std::move(token));
  absl::MutexLock lock(&mu_);
  ++requested_;  // try it now rather than after the backoff
}

}  // namespace orgpulse::insights
