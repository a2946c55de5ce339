#include "common/codec.h"

#include <google/protobuf/util/json_util.h>

namespace mend::codec {
namespace {

bool Parse(std::string_view data, Format format, google::protobuf::Message* out) {
  if (format == Format::kBinary)
    return out->ParseFromArray(data.data(), static_cast<int>(data.size()));
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(std::string(data), out, options).ok();
}

std::string Serialize(const google::protobuf::Message& message, Format format) {
  std::string out;
  if (format == Format::kBinary) {
    message.SerializeToString(&out);
  } else {
    (void)google::protobuf::util::MessageToJsonString(message, &out);
  }
  return out;
}

}  // namespace

Result<v1::ClientMessage> DecodeClientMessage(std::string_view data, Format format) {
  v1::ClientMessage message;
  if (!Parse(data, format, &message)) {
    return MakeError(v1::BAD_MESSAGE, format == Format::kJson
                                          ? "the text frame is not a ClientMessage in JSON"
                                          : "the binary frame is not a ClientMessage");
  }
  return message;
}

Result<v1::ServerMessage> DecodeServerMessage(std::string_view data, Format format) {
  v1::ServerMessage message;
  if (!Parse(data, format, &message) || message.kind_case() == v1::ServerMessage::KIND_NOT_SET) {
    return MakeError(v1::BAD_MESSAGE, "the frame is not a ServerMessage");
  }
  return message;
}

std::string Encode(const v1::ClientMessage& message, Format format) {
  return Serialize(message, format);
}
std::string Encode(const v1::ServerMessage& message, Format format) {
  return Serialize(message, format);
}

}  // namespace mend::codec
