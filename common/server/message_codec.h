// Decoding and encoding for gRPC methods registered raw (bytes in, bytes
// out), so that a request that does not parse as its method's message is
// answered INVALID_ARGUMENT "request could not be decoded as <type>", naming
// the field when protobuf says which (gRPC 1.51's typed callback handlers
// answer such a request UNIMPLEMENTED with no message). The handlers stay
// typed: UnaryCall hands them the decoded request and encodes their response.
//
// Example (a raw method of a service derived from the generated
// WithRawCallbackMethod_GetThing<...>):
//   grpc::ServerUnaryReactor* GetThing(grpc::CallbackServerContext* context,
//                                      const grpc::ByteBuffer* request,
//                                      grpc::ByteBuffer* response) override {
//     return UnaryCall<v1::GetThingRequest, v1::Thing>::Start(
//         *request, response, [this](auto& call) {
//           absl::StatusOr<Thing> thing = things_.Get(call.request().id());
//           if (thing.ok()) ToProto(*thing, call.response());
//           call.Finish(thing.status());
//         });
//   }
#ifndef ORGPULSE_COMMON_SERVER_MESSAGE_CODEC_H_
#define ORGPULSE_COMMON_SERVER_MESSAGE_CODEC_H_

#include <utility>

#include "absl/status/status.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"

namespace orgpulse {

// Parses `bytes` into `message` (cleared first). On failure INVALID_ARGUMENT
// "request could not be decoded as <full message name>", followed by
// ": invalid UTF-8 in string field <full field name>" when that is why.
// CANCELLED when `bytes` holds no message at all (the call was reset before
// its request arrived). Thread-safe.
[[nodiscard]] absl::Status DecodeMessage(const grpc::ByteBuffer& bytes,
                                         google::protobuf::Message& message);

// Serializes `message` into `bytes`; INTERNAL if protobuf refuses it.
[[nodiscard]] absl::Status EncodeMessage(
    const google::protobuf::Message& message, grpc::ByteBuffer& bytes);

// Protobuf reports the field with invalid UTF-8 only through its log
// handler; this installs one (once) that hands such a report to the
// DecodeMessage running on the same thread and passes every other message
// on to the handler that was there before. Call at start-up, before serving
// (protobuf's SetLogHandler is not synchronized with logging). Without it,
// DecodeMessage still fails but names no field.
void InstallDecodeErrorCapture();

// One call of a raw unary method, typed. Created by Start; the handler reads
// request(), fills response() and calls Finish exactly once, then or later,
// from any thread. The call deletes itself when gRPC is done with it.
template <typename Request, typename Response>
class UnaryCall final : private grpc::ServerUnaryReactor {
 public:
  // Decodes `request` and runs `handle(call)`; if the request does not
  // decode, finishes the call with that INVALID_ARGUMENT instead. Returns the
  // reactor for the raw method to return. `response` is the raw method's.
  template <typename Handler>
  static grpc::ServerUnaryReactor* Start(const grpc::ByteBuffer& request,
                                         grpc::ByteBuffer* response,
                                         Handler&& handle) {
    auto* call = new UnaryCall(response);
    if (absl::Status decoded = DecodeMessage(request, call->request_);
        !decoded.ok()) {
      call->Finish(decoded);
    } else {
      std::forward<Handler>(handle)(*call);
    }
    return call;
  }

  const Request& request() const { return request_; }
  Response& response() { return response_; }

  // Finishes the call with `status`, sending response() when it is OK.
  void Finish(const absl::Status& status) {
    absl::Status result = status;
    if (result.ok()) result = EncodeMessage(response_, *response_bytes_);
    grpc::ServerUnaryReactor::Finish(ToGrpcStatus(result));
  }

 private:
  explicit UnaryCall(grpc::ByteBuffer* response_bytes)
      : response_bytes_(response_bytes) {}
  void OnDone() override { delete this; }

  Request request_;
  Response response_;
  grpc::ByteBuffer* const response_bytes_;  // owned by gRPC's call
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_SERVER_MESSAGE_CODEC_H_
