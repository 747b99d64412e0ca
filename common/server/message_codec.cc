#include "common/server/message_codec.h"

#include <string>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace orgpulse {
namespace {

// While DecodeMessage runs on a thread: where the log handler puts the field
// protobuf names as not valid UTF-8.
thread_local std::string* utf8_error_field = nullptr;
google::protobuf::LogHandler* previous_log_handler = nullptr;

// protobuf 3.21, wire_format_lite.cc: "String field 'pkg.Message.field'
// contains invalid UTF-8 data when parsing a protocol buffer. ..."
void CaptureUtf8Error(google::protobuf::LogLevel level, const char* filename,
                      int line, const std::string& message) {
  constexpr absl::string_view kPrefix = "String field '";
  if (utf8_error_field != nullptr &&
      level == google::protobuf::LOGLEVEL_ERROR &&
      absl::StartsWith(message, kPrefix) &&
      absl::StrContains(message, "invalid UTF-8 data when parsing")) {
    const size_t end = message.find('\'', kPrefix.size());
    *utf8_error_field = message.substr(kPrefix.size(), end - kPrefix.size());
    return;  // answered to the caller instead; not worth a log line each
  }
  if (previous_log_handler != nullptr) {
    previous_log_handler(level, filename, line, message);
  }
}

}  // namespace

void InstallDecodeErrorCapture() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    previous_log_handler = google::protobuf::SetLogHandler(&CaptureUtf8Error);
  });
}

absl::Status DecodeMessage(const grpc::ByteBuffer& bytes,
                           google::protobuf::Message& message) {
  message.Clear();
  if (!bytes.Valid()) {
    // No message at all: the client ended the call (RST_STREAM) before its
    // request arrived. Counted as such, not as a bad request: a flood of
    // them is the mark of an HTTP/2 rapid-reset attack (docs/hardening.md).
    return absl::CancelledError("the call ended before its request arrived");
  }
  grpc::ByteBuffer copy(bytes);  // the reader needs a mutable buffer; slices
                                 // are shared, not copied
  grpc::ProtoBufferReader reader(&copy);
  std::string utf8_field;
  utf8_error_field = &utf8_field;
  const bool parsed =
      reader.status().ok() && message.ParseFromZeroCopyStream(&reader);
  utf8_error_field = nullptr;
  if (parsed) return absl::OkStatus();
  std::string error = absl::StrCat("request could not be decoded as ",
                                   message.GetDescriptor()->full_name());
  if (!utf8_field.empty()) {
    absl::StrAppend(&error, ": invalid UTF-8 in string field ", utf8_field);
  }
  return absl::InvalidArgumentError(error);
}

absl::Status EncodeMessage(const google::protobuf::Message& message,
                           grpc::ByteBuffer& bytes) {
  bool own_buffer = false;
  grpc::Status status = grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                               google::protobuf::Message>(
      message, &bytes, &own_buffer);
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("cannot encode ", message.GetDescriptor()->full_name()));
}

}  // namespace orgpulse
