// Envelopes on the wire: one protobuf message per WebSocket message.
//
// Binary frames carry the protobuf encoding, text frames the proto3 JSON mapping of the same
// message (unknown JSON fields are ignored, so older servers accept newer clients' JSON).
// Used by both ends: the server decodes ClientMessage and encodes ServerMessage, the client the
// other way round.
#ifndef MEND_COMMON_CODEC_H_
#define MEND_COMMON_CODEC_H_

#include <string>
#include <string_view>

#include "common/result.h"
#include "mend/v1/mend.pb.h"

namespace mend::codec {

// The subprotocol both ends name on the WebSocket upgrade.
inline constexpr std::string_view kSubprotocol = "mend.v1";

enum class Format { kBinary, kJson };

// BAD_MESSAGE if `data` does not parse as a ClientMessage. A message without a command parses
// (so that the reply can name its request id); the caller refuses it.
Result<v1::ClientMessage> DecodeClientMessage(std::string_view data, Format format);
// BAD_MESSAGE if `data` does not parse as a ServerMessage or carries nothing.
Result<v1::ServerMessage> DecodeServerMessage(std::string_view data, Format format);

std::string Encode(const v1::ClientMessage& message, Format format);
std::string Encode(const v1::ServerMessage& message, Format format);

}  // namespace mend::codec

#endif  // MEND_COMMON_CODEC_H_
