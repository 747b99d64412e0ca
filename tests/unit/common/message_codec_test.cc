#include "common/server/message_codec.h"

#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse {
namespace {

std::vector<std::string>* logged = nullptr;

void RecordLog(google::protobuf::LogLevel, const char*, int,
               const std::string& message) {
  logged->push_back(message);
}

grpc::ByteBuffer Bytes(const std::string& s) {
  grpc::Slice slice(s);
  return grpc::ByteBuffer(&slice, 1);
}

// One test, since the log handler is installed once per process.
TEST(MessageCodec, NoMessageAtAllIsACancelledCallNotABadRequest) {
  ingest::v1::PushRequest request;
  grpc::ByteBuffer none;  // what a stream reset before its request leaves
  absl::Status s = DecodeMessage(none, request);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_EQ(s.message(), "the call ended before its request arrived");
}

TEST(MessageCodec, DecodesNamesTheInvalidUtf8FieldAndPassesOtherLogsOn) {
  std::vector<std::string> messages;
  logged = &messages;
  google::protobuf::SetLogHandler(&RecordLog);
  InstallDecodeErrorCapture();

  ingest::v1::GetTeamExecutionRequest request;
  request.set_team("eng/ZZ");
  const std::string valid = request.SerializeAsString();
  ingest::v1::GetTeamExecutionRequest decoded;
  ASSERT_TRUE(DecodeMessage(Bytes(valid), decoded).ok());
  EXPECT_EQ(decoded.team(), "eng/ZZ");

  std::string invalid = valid;
  invalid.replace(invalid.find("ZZ"), 2, "\xff\xfe");
  absl::Status status = DecodeMessage(Bytes(invalid), decoded);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "request could not be decoded as "
            "orgpulse.ingest.v1.GetTeamExecutionRequest: invalid UTF-8 in "
            "string field orgpulse.ingest.v1.GetTeamExecutionRequest.team");

  status = DecodeMessage(Bytes("\xff\xff\xff\xff\x0f"), decoded);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "request could not be decoded as "
            "orgpulse.ingest.v1.GetTeamExecutionRequest");
  EXPECT_TRUE(messages.empty());  // the capture kept those to itself

  // Outside DecodeMessage, protobuf's messages reach the previous handler.
  GOOGLE_LOG(WARNING) << "something else";
  EXPECT_FALSE(decoded.ParseFromString(invalid));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "something else");
  EXPECT_NE(messages[1].find("invalid UTF-8"), std::string::npos);

  grpc::ByteBuffer encoded;
  ASSERT_TRUE(EncodeMessage(request, encoded).ok());
  ASSERT_TRUE(DecodeMessage(encoded, decoded).ok());
  EXPECT_EQ(decoded.team(), "eng/ZZ");
}

}  // namespace
}  // namespace orgpulse
