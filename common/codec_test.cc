#include "common/codec.h"

#include <string>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace mend::codec {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::ClientMessage SampleClientMessage() {
  v1::ClientMessage m;
  m.set_request_id(18'446'744'073'709'551'615ULL);  // uint64 max survives JSON's string form
  m.set_client_command_id("cmd-1");
  auto* reg = m.mutable_register_();
  reg->set_login("alice");
  reg->set_display_name("Alice \xC3\xA9");
  reg->set_password("correct horse");
  return m;
}

v1::ServerMessage SampleReply() {
  v1::ServerMessage m;
  auto* reply = m.mutable_reply();
  reply->set_request_id(42);
  auto* granted = reply->mutable_granted();
  granted->set_token("tok_abc");
  granted->mutable_account()->set_login("alice");
  granted->mutable_account()->set_display_name("Alice");
  granted->mutable_account()->set_paired(true);
  return m;
}

v1::ServerMessage SampleError() {
  v1::ServerMessage m;
  auto* err = m.mutable_reply()->mutable_error();
  m.mutable_reply()->set_request_id(3);
  err->set_code(v1::RATE_LIMITED);
  err->set_message("slow down");
  err->set_retry_after_seconds(60);
  return m;
}

v1::ServerMessage SamplePush() {
  v1::ServerMessage m;
  auto* paired = m.mutable_push()->mutable_paired();
  paired->mutable_partner()->set_login("bob");
  paired->set_paired_at_unix(1'700'000'000);
  return m;
}

class CodecFormatTest : public testing::TestWithParam<Format> {};

TEST_P(CodecFormatTest, ClientMessageRoundTrips) {
  v1::ClientMessage sent = SampleClientMessage();
  Result<v1::ClientMessage> got = DecodeClientMessage(Encode(sent, GetParam()), GetParam());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(MessageDifferencer::Equals(got.value(), sent)) << got.value().DebugString();
}

TEST_P(CodecFormatTest, ServerMessagesRoundTrip) {
  for (const v1::ServerMessage& sent : {SampleReply(), SampleError(), SamplePush()}) {
    SCOPED_TRACE(sent.ShortDebugString());
    Result<v1::ServerMessage> got = DecodeServerMessage(Encode(sent, GetParam()), GetParam());
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_TRUE(MessageDifferencer::Equals(got.value(), sent)) << got.value().DebugString();
  }
}

TEST_P(CodecFormatTest, ClientMessageWithoutCommandKeepsRequestId) {
  v1::ClientMessage sent;
  sent.set_request_id(7);
  Result<v1::ClientMessage> got = DecodeClientMessage(Encode(sent, GetParam()), GetParam());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().command_case(), v1::ClientMessage::COMMAND_NOT_SET);
  EXPECT_EQ(got.value().request_id(), 7u);
}

TEST_P(CodecFormatTest, EmptyServerMessageIsRefused) {
  Result<v1::ServerMessage> got =
      DecodeServerMessage(Encode(v1::ServerMessage(), GetParam()), GetParam());
  EXPECT_EQ(got.code(), v1::BAD_MESSAGE);
}

INSTANTIATE_TEST_SUITE_P(BothFormats, CodecFormatTest,
                         testing::Values(Format::kBinary, Format::kJson),
                         [](const testing::TestParamInfo<Format>& info) {
                           return info.param == Format::kBinary ? "Binary" : "Json";
                         });

TEST(CodecJsonTest, UsesLowerCamelCaseNames) {
  Result<v1::ClientMessage> got =
      DecodeClientMessage(R"({"requestId":"7","whoAmI":{}})", Format::kJson);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().request_id(), 7u);
  EXPECT_EQ(got.value().command_case(), v1::ClientMessage::kWhoAmI);

  v1::ClientMessage m;
  m.set_request_id(9);
  m.mutable_accept_invite()->set_code("7KQ2M-X9D4R");
  std::string json = Encode(m, Format::kJson);
  EXPECT_NE(json.find("\"requestId\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"acceptInvite\""), std::string::npos) << json;
}

TEST(CodecJsonTest, AcceptsUnknownFields) {
  Result<v1::ClientMessage> got = DecodeClientMessage(
      R"({"requestId":"5","futureField":{"x":[1,2]},"login":{"login":"alice","password":"pw",)"
      R"("otp":"123456"}})",
      Format::kJson);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got.value().request_id(), 5u);
  ASSERT_EQ(got.value().command_case(), v1::ClientMessage::kLogin);
  EXPECT_EQ(got.value().login().login(), "alice");
  EXPECT_EQ(got.value().login().password(), "pw");

  Result<v1::ServerMessage> server =
      DecodeServerMessage(R"({"reply":{"requestId":"1","done":{},"extra":true}})", Format::kJson);
  ASSERT_TRUE(server.ok()) << server.error().message;
  EXPECT_TRUE(server.value().reply().has_done());
}

TEST(CodecJsonTest, GarbageIsBadMessage) {
  for (std::string garbage : {"", "not json", "{", "[1,2,3]", R"({"requestId":"x"})",
                              R"({"requestId":"1","whoAmI":5})"}) {
    SCOPED_TRACE(garbage);
    EXPECT_EQ(DecodeClientMessage(garbage, Format::kJson).code(), v1::BAD_MESSAGE);
    EXPECT_EQ(DecodeServerMessage(garbage, Format::kJson).code(), v1::BAD_MESSAGE);
  }
}

TEST(CodecBinaryTest, GarbageIsBadMessage) {
  // Field 10 (register), length-delimited, claims 16 bytes but carries 2.
  const std::string truncated(
      "\x52\x10"
      "ab",
      4);
  EXPECT_EQ(DecodeClientMessage(truncated, Format::kBinary).code(), v1::BAD_MESSAGE);
  // A varint that never ends.
  const std::string endless_varint("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12);
  EXPECT_EQ(DecodeClientMessage(endless_varint, Format::kBinary).code(), v1::BAD_MESSAGE);
  // Field 1 (reply), length-delimited, truncated.
  const std::string truncated_reply(
      "\x0a\x10"
      "ab",
      4);
  EXPECT_EQ(DecodeServerMessage(truncated_reply, Format::kBinary).code(), v1::BAD_MESSAGE);
}

}  // namespace
}  // namespace mend::codec
