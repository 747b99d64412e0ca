#include "services/ingest/grpc/ingest_service.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "common/org/team_id.h"
#include "common/proto/time_conversion.h"
#include "common/server/message_codec.h"
#include "common/status/field_violations.h"
#include "common/status/grpc_status.h"
#include "services/ingest/grpc/conversion.h"

namespace orgpulse::ingest {
namespace {

void ToProto(const PushResult& result, v1::PushResponse& out) {
  out.set_accepted(result.accepted);
  out.set_duplicates(result.duplicates);
  out.set_log_position(result.log_position);
}

// Runs `read()` once the ledger's figures hold `min_log_position` (at once
// when they do, or for 0), else finishes `call` with the ledger's
// UNAVAILABLE. Waits no longer than the call's deadline.
template <typename Call, typename Read>
void ReadAfterPosition(EventLedger& ledger,
                       const grpc::CallbackServerContext& context, Call& call,
                       int64_t min_log_position, Read read) {
  if (min_log_position < 0) {
    call.Finish(InvalidArgumentWithViolations(
        "min_log_position must not be negative",
        {{"min_log_position",
          absl::StrCat("is ", min_log_position,
                       "; 0 (no wait) or a PushResponse's log_position")}}));
    return;
  }
  if (min_log_position == 0) {
    read();
    return;
  }
  const absl::Duration left =
      absl::FromChrono(context.deadline()) - absl::Now();
  ledger.AfterLogPosition(min_log_position, left,
                          [&call, read](absl::Status s) mutable {
                            if (!s.ok()) {
                              call.Finish(s);
                              return;
                            }
                            read();
                          });
}

// "events of source jira from 2026-03-01T00:00:00Z (dry run)", for the log.
std::string RemovalDescription(const v1::RemoveEventsRequest& r) {
  std::string out =
      absl::StrCat("events of source \"", absl::CHexEscape(r.source()), "\"");
  auto time = [](const google::protobuf::Timestamp& t) {
    return absl::FormatTime(absl::RFC3339_sec,
                            absl::FromUnixSeconds(t.seconds()),
                            absl::UTCTimeZone());
  };
  if (r.has_from()) absl::StrAppend(&out, " from ", time(r.from()));
  if (r.has_to()) absl::StrAppend(&out, " to ", time(r.to()));
  if (r.dry_run()) absl::StrAppend(&out, " (dry run)");
  return out;
}

}  // namespace

// One PushStream call. Reads requests, submits each to the ledger, and
// writes the acknowledgements in request order: commits may complete in any
// order, and a request is acknowledged once it and every one before it are.
// A request that does not decode fails like an invalid batch. Registered
// with the service while open, so that a drain can end it.
class IngestService::PushStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  PushStreamReactor(EventLedger& ledger, IngestService& service)
      : ledger_(ledger), service_(service) {
    StartRead(&request_bytes_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed (or went away)
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinish();
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (failed_) {  // a request failed: ignore the rest, end the stream
        reads_done_ = true;
        MaybeFinish();
        return;
      }
      if (draining_) {  // read after the drain began: left to the client
        MaybeFinish();
        return;
      }
      ++in_flight_;
    }
    const int64_t seq = next_seq_++;
    if (absl::Status decoded = DecodeMessage(request_bytes_, request_);
        !decoded.ok()) {
      OnCommitted(seq, decoded);
    } else {
      // Not under mu_: an invalid batch calls back at once, on this thread.
      ledger_.Submit(FromProto(request_),
                     [this, seq](absl::StatusOr<PushResult> r) {
                       OnCommitted(seq, std::move(r));
                     });
    }
    absl::MutexLock lock(&mu_);
    if (failed_) {
      reads_done_ = true;
      MaybeFinish();
    } else if (draining_) {
      MaybeFinish();
    } else if (in_flight_ < IngestService::kMaxInFlightPerStream) {
      StartRead(&request_bytes_);
    } else {
      read_paused_ = true;
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    responses_.pop_front();
    if (!ok) {
      Fail(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"), -1);
    }
    WriteNext();
    MaybeFinish();
  }

  // Stops reading; the stream ends UNAVAILABLE once the requests read so far
  // are answered (unless it ends otherwise first).
  // REQUIRES: service_.streams_mu_ is held (this stream is not done yet).
  void Drain() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    read_paused_ = false;  // if it was paused, no read will start again
    MaybeFinish();
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&service_.streams_mu_);
      service_.streams_.erase(this);
    }
    delete this;
  }

 private:
  void OnCommitted(int64_t seq, absl::StatusOr<PushResult> result) {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    if (result.ok()) {
      committed_.emplace(seq, *result);
    } else {
      Fail(ToGrpcStatus(result.status()), seq);
    }
    // Requests before a failed one are still acknowledged, in order; those
    // after it are not (the client learns of the failure instead).
    while (!committed_.empty() && committed_.begin()->first == next_ack_seq_ &&
           next_ack_seq_ < failed_seq_) {
      v1::PushResponse response;
      ToProto(committed_.begin()->second, response);
      committed_.erase(committed_.begin());
      if (absl::Status s = EncodeMessage(response, responses_.emplace_back());
          !s.ok()) {
        responses_.pop_back();
        Fail(ToGrpcStatus(s), next_ack_seq_);
        break;
      }
      ++next_ack_seq_;
    }
    WriteNext();
    if (read_paused_ && !failed_) {
      read_paused_ = false;
      StartRead(&request_bytes_);
    }
    MaybeFinish();
  }

  // The request numbered `seq` failed (-1: the stream itself failed). The
  // earliest failure is the one reported, whichever completes first.
  void Fail(grpc::Status status, int64_t seq)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (failed_ && seq >= failed_seq_) return;
    failed_ = true;
    failed_seq_ = seq;
    final_status_ = std::move(status);
    if (read_paused_) {  // no read outstanding: nothing more will come
      read_paused_ = false;
      reads_done_ = true;
    }
  }

  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || responses_.empty() || finished_) return;
    writing_ = true;
    StartWrite(&responses_.front());
  }

  // Finishes once nothing is in flight: every commit answered and written.
  // A read may still be outstanding when the stream failed or drains; what
  // it brings is ignored.
  void MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || in_flight_ > 0 || writing_ || !responses_.empty()) return;
    if (!reads_done_ && !failed_ && !draining_) return;
    finished_ = true;
    if (failed_) {
      Finish(final_status_);
    } else if (reads_done_) {  // every request the client sent is answered
      Finish(grpc::Status::OK);
    } else {
      Finish(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
    }
  }

  EventLedger& ledger_;
  IngestService& service_;
  grpc::ByteBuffer request_bytes_;  // only touched by the read path
  v1::PushRequest request_;         // likewise
  int64_t next_seq_ = 0;            // likewise

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t failed_seq_ ABSL_GUARDED_BY(mu_) = INT64_MAX;
  // Committed requests not yet acknowledged (some before them still wait).
  std::map<int64_t, PushResult> committed_ ABSL_GUARDED_BY(mu_);
  int64_t next_ack_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  std::deque<grpc::ByteBuffer> responses_ ABSL_GUARDED_BY(mu_);
};

void IngestService::StartDraining() {
  absl::MutexLock lock(&streams_mu_);
  draining_ = true;
  for (PushStreamReactor* stream : streams_) stream->Drain();
}

grpc::ServerUnaryReactor* IngestService::Push(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestPush);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  return UnaryCall<v1::PushRequest, v1::PushResponse>::Start(
      *request, response, [this](auto& call) {
        ledger_.Submit(FromProto(call.request()),
                       [&call](absl::StatusOr<PushResult> result) {
                         if (result.ok()) ToProto(*result, call.response());
                         call.Finish(result.status());
                       });
      });
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
IngestService::PushStream(grpc::CallbackServerContext* context) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestPush);
      !s.ok()) {
    return new RefusedStream<grpc::ByteBuffer, grpc::ByteBuffer>(s);
  }
  absl::MutexLock lock(&streams_mu_);
  if (draining_) {
    return new RefusedStream<grpc::ByteBuffer, grpc::ByteBuffer>(
        absl::UnavailableError("server shutting down"));
  }
  auto* stream = new PushStreamReactor(ledger_, *this);
  streams_.insert(stream);
  return stream;
}

grpc::ServerUnaryReactor* IngestService::GetTeamExecution(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<Caller> caller =
      authorizer_.Authorize(*context, Scope::kIngestRead);
  if (!caller.ok()) return RefuseCall(context, caller.status());
  return UnaryCall<v1::GetTeamExecutionRequest, v1::TeamExecution>::Start(
      *request, response, [this, context, caller = *caller](auto& call) {
        const std::string& team = call.request().team();
        absl::Status status = ValidateTeamArgument("team", team, true);
        if (status.ok()) status = authorizer_.CheckReadPaths(caller, {team});
        if (!status.ok()) {
          call.Finish(status);
          return;
        }
        ReadAfterPosition(
            ledger_, *context, call, call.request().min_log_position(),
            [this, &call] {
              const v1::GetTeamExecutionRequest& r = call.request();
              absl::StatusOr<TeamExecution> figures =
                  r.has_as_of() ? ledger_.GetTeamExecutionAsOf(
                                      r.team(), FromProtoTime(true, r.as_of()))
                                : ledger_.GetTeamExecution(r.team());
              if (figures.ok()) ToProto(*figures, call.response());
              call.Finish(figures.status());
            });
      });
}

grpc::ServerUnaryReactor* IngestService::ListTeams(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<Caller> caller =
      authorizer_.Authorize(*context, Scope::kIngestRead);
  if (!caller.ok()) return RefuseCall(context, caller.status());
  return UnaryCall<v1::ListTeamsRequest, v1::ListTeamsResponse>::Start(
      *request, response, [this, context, caller = *caller](auto& call) {
        const std::string& prefix = call.request().prefix();
        absl::Status status = ValidateTeamArgument("prefix", prefix, false);
        if (status.ok()) status = authorizer_.CheckReadPaths(caller, {prefix});
        if (!status.ok()) {
          call.Finish(status);
          return;
        }
        ReadAfterPosition(ledger_, *context, call,
                          call.request().min_log_position(), [this, &call] {
                            for (const TeamSummary& t :
                                 ledger_.ListTeams(call.request().prefix())) {
                              ToProto(t, *call.response().add_teams());
                            }
                            call.Finish(absl::OkStatus());
                          });
      });
}

grpc::ServerUnaryReactor* IngestService::RemoveEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestAdmin);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  return UnaryCall<v1::RemoveEventsRequest, v1::RemoveEventsResponse>::Start(
      *request, response, [this](auto& call) {
        // Removals are logged: they take data away for good.
        const std::string what = RemovalDescription(call.request());
        Log(LogLevel::kInfo, "ingest", absl::StrCat("removing ", what));
        // Answered from the ledger's maintenance thread once it is done.
        ledger_.Remove(
            FromProto(call.request()),
            [&call, what](absl::StatusOr<RemovalReport> report) {
              Log(report.ok() ? LogLevel::kInfo : LogLevel::kWarning, "ingest",
                  report.ok()
                      ? absl::StrCat(
                            report->dry_run ? "would remove " : "removed ",
                            report->removed, " ", what, " of ",
                            report->teams.size(), " team(s)")
                      : absl::StrCat("removing ", what,
                                     " failed: ", report.status().ToString()));
              if (report.ok()) ToProto(*report, call.response());
              call.Finish(report.status());
            });
      });
}

grpc::ServerUnaryReactor* IngestService::ListTeamExecutions(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<Caller> caller =
      authorizer_.Authorize(*context, Scope::kIngestRead);
  if (!caller.ok()) return RefuseCall(context, caller.status());
  return UnaryCall<v1::ListTeamExecutionsRequest,
                   v1::ListTeamExecutionsResponse>::
      Start(*request, response, [this, context, caller = *caller](auto& call) {
        const v1::ListTeamExecutionsRequest& r = call.request();
        // The token is the last node id of the previous page.
        absl::Status status =
            ValidateTeamArgument("page_token", r.page_token(), false);
        if (status.ok() && r.page_size() < 0) {
          status = InvalidArgumentWithViolations(
              "page_size must not be negative",
              {{"page_size", absl::StrCat("is ", r.page_size(),
                                          "; 0 (for the default) or more")}});
        }
        // Every team of the organisation: a token limited to a subtree is
        // refused, not served a narrowed list.
        if (status.ok()) status = authorizer_.CheckReadPaths(caller, {""});
        if (!status.ok()) {
          call.Finish(status);
          return;
        }
        ReadAfterPosition(
            ledger_, *context, call, r.min_log_position(), [this, &call] {
              const v1::ListTeamExecutionsRequest& r = call.request();
              const int size = r.page_size() == 0
                                   ? kDefaultPageSize
                                   : std::min(r.page_size(), kMaxPageSize);
              TeamExecutionPage page = ledger_.ListTeamExecutions(
                  static_cast<size_t>(size), r.page_token());
              for (const TeamExecution& f : page.executions) {
                ToProto(f, *call.response().add_executions());
              }
              call.response().set_next_page_token(std::move(page.next_after));
              call.Finish(absl::OkStatus());
            });
      });
}

grpc::ServerUnaryReactor* IngestService::GetTeamTrend(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  absl::StatusOr<Caller> caller =
      authorizer_.Authorize(*context, Scope::kIngestRead);
  if (!caller.ok()) return RefuseCall(context, caller.status());
  return UnaryCall<v1::GetTeamTrendRequest, v1::TeamTrend>::Start(
      *request, response, [this, caller = *caller](auto& call) {
        const v1::GetTeamTrendRequest& r = call.request();
        absl::Status status = ValidateTeamArgument("team", r.team(), true);
        if (status.ok())
          status = authorizer_.CheckReadPaths(caller, {r.team()});
        if (status.ok()) {
          absl::StatusOr<std::vector<TeamExecution>> points =
              ledger_.GetTeamTrend(r.team(), FromProto(r));
          if (points.ok()) ToProto(r.team(), *points, call.response());
          status = points.status();
        }
        call.Finish(status);
      });
}

}  // namespace orgpulse::ingest
