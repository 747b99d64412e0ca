// The gRPC adapter of the ingest service: authorize -> decode -> call the
// EventLedger -> encode -> map the status. No domain logic lives here.
#ifndef ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVICE_H_
#define ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVICE_H_

#include "common/auth/call_authorizer.h"
#include "orgpulse/ingest/v1/ingest.grpc.pb.h"
#include "services/ingest/domain/event_ledger.h"

namespace orgpulse::ingest {

class IngestService final : public v1::IngestService::CallbackService {
 public:
  // At most this many requests of one PushStream wait for their commit at a
  // time; the stream stops reading until one is acknowledged (back-pressure).
  static constexpr int kMaxInFlightPerStream = 8;

  // Both must outlive the service.
  IngestService(EventLedger& ledger, const CallAuthorizer& authorizer)
      : ledger_(ledger), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* Push(grpc::CallbackServerContext* context,
                                 const v1::PushRequest* request,
                                 v1::PushResponse* response) override;
  grpc::ServerBidiReactor<v1::PushRequest, v1::PushResponse>* PushStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetTeamExecution(
      grpc::CallbackServerContext* context,
      const v1::GetTeamExecutionRequest* request,
      v1::TeamExecution* response) override;
  grpc::ServerUnaryReactor* ListTeams(grpc::CallbackServerContext* context,
                                      const v1::ListTeamsRequest* request,
                                      v1::ListTeamsResponse* response) override;

 private:
  EventLedger& ledger_;
  const CallAuthorizer& authorizer_;
};

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_GRPC_INGEST_SERVICE_H_
