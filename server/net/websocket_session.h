// One client's WebSocket connection: reads ClientMessages one at a time, has the Api handle
// each off the I/O threads, and writes replies and pushes from a bounded queue.
//
// All of a session's state is touched only on its strand (the stream's executor). Other threads
// reach it through Send / Close / CloseIfToken, which post to that strand.
#ifndef MEND_SERVER_NET_WEBSOCKET_SESSION_H_
#define MEND_SERVER_NET_WEBSOCKET_SESSION_H_

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "common/codec.h"
#include "server/api.h"
#include "server/outbox.h"

namespace mend::net {

class SharedState;

enum class CloseReason {
  kLoggedOut,       // 4001: the token was revoked
  kServerStopping,  // 1001 going away
  kTooSlow,         // 1013 try again later: the write queue overflowed
};

class WebsocketSession : public Outbox, public std::enable_shared_from_this<WebsocketSession> {
 public:
  // Most queued messages a client may fall behind by before it is disconnected.
  static constexpr size_t kMaxQueued = 256;
  static constexpr size_t kMaxMessageBytes = 64 * 1024;

  WebsocketSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<SharedState> state);
  ~WebsocketSession() override;

  // Completes the upgrade for `request` and starts reading.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request);

  // Thread-safe.
  uint64_t connection_id() const override { return id_; }
  void Send(std::shared_ptr<const EncodedMessage> message) override;
  void Send(std::shared_ptr<const EncodedMessage> message,
            std::function<void(bool written)> done) override;
  void Close(CloseReason reason);
  void CloseIfToken(const std::string& digest);

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void OnHandled(Outcome outcome);
  void Enqueue(std::shared_ptr<const EncodedMessage> message,
               std::function<void(bool)> done = nullptr);
  // Drops every queued message but the one being written, telling their senders.
  void DropQueued(bool keep_front);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  void StartClose(CloseReason reason);
  void DoClose();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<SharedState> state_;
  const uint64_t id_;
  boost::beast::flat_buffer buffer_;
  // Replies and pushes go out in the format the client last spoke (binary until it sends text).
  codec::Format format_ = codec::Format::kBinary;

  struct Queued {
    std::shared_ptr<const EncodedMessage> message;
    codec::Format format;
    std::function<void(bool)> done;  // may be empty
  };
  std::deque<Queued> queue_;
  bool writing_ = false;
  std::optional<CloseReason> close_after_writes_;
  bool closing_ = false;

  // Touched only by the blocking pool while a message is handled (one at a time), and by the
  // strand otherwise; the hand-over through post orders the two.
  ConnectionContext context_;
  // The token digest as last seen on the strand, for CloseIfToken.
  std::string bound_digest_;
};

}  // namespace mend::net

#endif  // MEND_SERVER_NET_WEBSOCKET_SESSION_H_
