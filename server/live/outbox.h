// A connection as the session layer sees it: somewhere to send messages, whatever the transport.
#ifndef MEND_SERVER_OUTBOX_H_
#define MEND_SERVER_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/codec.h"
#include "mend/v1/mend.pb.h"

namespace mend {

// A server message encoded at most once per wire format, however many receive it. Each format
// is encoded the first time a receiver asks for it: most clients speak binary, and the JSON
// mapping costs several times as much, so nobody pays for a format nobody reads. Thread-safe.
class EncodedMessage {
 public:
  explicit EncodedMessage(v1::ServerMessage message) : message_(std::move(message)) {}
  EncodedMessage(const EncodedMessage&) = delete;
  EncodedMessage& operator=(const EncodedMessage&) = delete;

  const std::string& bytes(codec::Format format) const {
    bool json = format == codec::Format::kJson;
    std::call_once(json ? json_once_ : binary_once_,
                   [&] { (json ? json_ : binary_) = codec::Encode(message_, format); });
    return json ? json_ : binary_;
  }

 private:
  const v1::ServerMessage message_;
  mutable std::once_flag binary_once_, json_once_;
  mutable std::string binary_, json_;
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
