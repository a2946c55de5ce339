// A connection as the session layer sees it: somewhere to send messages, whatever the transport.
#ifndef MEND_SERVER_OUTBOX_H_
#define MEND_SERVER_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/codec.h"
#include "mend/v1/mend.pb.h"

namespace mend {

// A server message encoded once for every receiver, in both wire formats.
struct EncodedMessage {
  explicit EncodedMessage(const v1::ServerMessage& message)
      : binary(codec::Encode(message, codec::Format::kBinary)),
        json(codec::Encode(message, codec::Format::kJson)) {}
  std::string binary;
  std::string json;
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual uint64_t connection_id() const = 0;
  // Queues `message` for the connection. Thread-safe; never blocks. A connection that falls too
  // far behind is disconnected (it resumes later), so one slow phone never holds up its partner.
  virtual void Send(std::shared_ptr<const EncodedMessage> message) = 0;
  // As Send; then `done` runs once: true when the message has been written to the socket, false
  // if it was dropped (the connection closed or fell behind). A long stream (a replay) sends its
  // next message only as earlier ones leave, so it never overflows the queue.
  virtual void Send(std::shared_ptr<const EncodedMessage> message,
                    std::function<void(bool written)> done) = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_OUTBOX_H_
