// The gRPC adapter of the ingest service: authorize -> decode -> call the
// EventLedger -> encode -> map the status. No domain logic lives here.
#ifndef ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVICE_H_
#define ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVICE_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/call_authorizer.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/domain/event_ledger.h"

namespace orgpulse::ingest {

// Every method registered raw (bytes in and out), decoded by the handlers
// through common/server/message_codec.h: a request that does not decode is
// answered INVALID_ARGUMENT (gRPC's typed handlers say UNIMPLEMENTED).
using RawIngestService = v1::IngestService::WithRawCallbackMethod_Push<
    v1::IngestService::WithRawCallbackMethod_PushStream<
        v1::IngestService::WithRawCallbackMethod_GetTeamExecution<
            v1::IngestService::WithRawCallbackMethod_ListTeams<
                v1::IngestService::WithRawCallbackMethod_RemoveEvents<
                    v1::IngestService::WithRawCallbackMethod_ListTeamExecutions<
                        v1::IngestService::WithRawCallbackMethod_GetTeamTrend<
                            v1::IngestService::Service>>>>>>>;

class IngestService final : public RawIngestService {
 public:
  // At most this many requests of one PushStream wait for their commit at a
  // time; the stream stops reading until one is acknowledged (back-pressure).
  static constexpr int kMaxInFlightPerStream = 8;

  // Both must outlive the service.
  IngestService(EventLedger& ledger, const CallAuthorizer& authorizer)
      : ledger_(ledger), authorizer_(authorizer) {}

  // On shutdown, before the server's drain: every open PushStream stops
  // reading, answers the requests it has read, then ends UNAVAILABLE
  // ("server shutting down") so that its client resends the rest elsewhere;
  // a PushStream opened later ends so at once. Thread-safe.
  void StartDraining();

  // PushRequest -> PushResponse
  grpc::ServerUnaryReactor* Push(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  // stream of PushRequest -> stream of PushResponse
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* PushStream(
      grpc::CallbackServerContext* context) override;
  // GetTeamExecutionRequest -> TeamExecution
  grpc::ServerUnaryReactor* GetTeamExecution(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  // ListTeamsRequest -> ListTeamsResponse
  grpc::ServerUnaryReactor* ListTeams(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  // RemoveEventsRequest -> RemoveEventsResponse
  grpc::ServerUnaryReactor* RemoveEvents(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

  // ListTeamExecutionsRequest -> ListTeamExecutionsResponse
  grpc::ServerUnaryReactor* ListTeamExecutions(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

  // GetTeamTrendRequest -> TeamTrend
  grpc::ServerUnaryReactor* GetTeamTrend(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

  // ListTeamExecutions' page size when the request gives none, and the most
  // it serves.
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;

 private:
  class PushStreamReactor;

  EventLedger& ledger_;
  const CallAuthorizer& authorizer_;

  absl::Mutex streams_mu_;
  bool draining_ ABSL_GUARDED_BY(streams_mu_) = false;
  // Open PushStreams; each removes itself when done.
  absl::flat_hash_set<PushStreamReactor*> streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVICE_H_
