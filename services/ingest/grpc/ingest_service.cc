#include "services/ingest/grpc/ingest_service.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/org/team_id.h"
#include "common/status/grpc_status.h"
#include "services/ingest/grpc/conversion.h"

namespace orgpulse::ingest {
namespace {

void ToProto(const PushResult& result, v1::PushResponse& out) {
  out.set_accepted(result.accepted);
  out.set_duplicates(result.duplicates);
}

// One PushStream call. Reads requests, submits each to the ledger, and
// writes the acknowledgements in request order: commits may complete in any
// order, and a request is acknowledged once it and every one before it are.
class PushStreamReactor final
    : public grpc::ServerBidiReactor<v1::PushRequest, v1::PushResponse> {
 public:
  explicit PushStreamReactor(EventLedger& ledger) : ledger_(ledger) {
    StartRead(&request_);
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
      ++in_flight_;
    }
    const int64_t seq = next_seq_++;
    // Not under mu_: an invalid batch calls back at once, on this thread.
    ledger_.Submit(FromProto(request_),
                   [this, seq](absl::StatusOr<PushResult> r) {
                     OnCommitted(seq, std::move(r));
                   });
    absl::MutexLock lock(&mu_);
    if (failed_) {
      reads_done_ = true;
      MaybeFinish();
    } else if (in_flight_ < IngestService::kMaxInFlightPerStream) {
      StartRead(&request_);
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

  void OnDone() override { delete this; }

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
      ToProto(committed_.begin()->second, responses_.emplace_back());
      committed_.erase(committed_.begin());
      ++next_ack_seq_;
    }
    WriteNext();
    if (read_paused_ && !failed_) {
      read_paused_ = false;
      StartRead(&request_);
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
  void MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || in_flight_ > 0 || writing_ || !responses_.empty()) return;
    if (!reads_done_ && !failed_) return;
    finished_ = true;
    Finish(failed_ ? final_status_ : grpc::Status::OK);
  }

  EventLedger& ledger_;
  v1::PushRequest request_;  // only touched by the read path
  int64_t next_seq_ = 0;     // likewise

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t failed_seq_ ABSL_GUARDED_BY(mu_) = INT64_MAX;
  // Committed requests not yet acknowledged (some before them still wait).
  std::map<int64_t, PushResult> committed_ ABSL_GUARDED_BY(mu_);
  int64_t next_ack_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::PushResponse> responses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* IngestService::Push(
    grpc::CallbackServerContext* context, const v1::PushRequest* request,
    v1::PushResponse* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestPush);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ledger_.Submit(FromProto(*request),
                 [reactor, response](absl::StatusOr<PushResult> result) {
                   if (result.ok()) ToProto(*result, *response);
                   reactor->Finish(ToGrpcStatus(result.status()));
                 });
  return reactor;
}

grpc::ServerBidiReactor<v1::PushRequest, v1::PushResponse>*
IngestService::PushStream(grpc::CallbackServerContext* context) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestPush);
      !s.ok()) {
    return new RefusedStream<v1::PushRequest, v1::PushResponse>(s);
  }
  return new PushStreamReactor(ledger_);
}

grpc::ServerUnaryReactor* IngestService::GetTeamExecution(
    grpc::CallbackServerContext* context,
    const v1::GetTeamExecutionRequest* request, v1::TeamExecution* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestRead);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = ValidateTeamArgument("team", request->team(), true);
  if (status.ok()) {
    absl::StatusOr<TeamExecution> figures =
        ledger_.GetTeamExecution(request->team());
    if (figures.ok()) ToProto(*figures, *response);
    status = figures.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* IngestService::ListTeams(
    grpc::CallbackServerContext* context, const v1::ListTeamsRequest* request,
    v1::ListTeamsResponse* response) {
  if (absl::Status s = authorizer_.Check(*context, Scope::kIngestRead);
      !s.ok()) {
    return RefuseCall(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status =
      ValidateTeamArgument("prefix", request->prefix(), false);
  if (status.ok()) {
    for (const TeamSummary& t : ledger_.ListTeams(request->prefix())) {
      ToProto(t, *response->add_teams());
    }
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace orgpulse::ingest
