// One client's WebSocket connection: reads ClientMessages, hands each to the Api with a
// completion that comes back to this connection's strand, and writes everything it sends —
// replies and pushes alike — from one ordered, bounded queue, one write in flight.
//
// Up to kMaxInFlight requests are handled at once; past that the connection stops reading until
// one is answered. Commands that change who the connection is (Api::ChangesIdentity) run alone.
// All state is touched only on the strand (the stream's executor); other threads reach the
// connection through Send / Close / CloseIfToken, which post to it.
#ifndef MEND_SERVER_NET_WS_CONNECTION_H_
#define MEND_SERVER_NET_WS_CONNECTION_H_

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "common/codec.h"
#include "server/api/api.h"
#include "server/live/outbox.h"

namespace mend::net {

class Registry;

enum class CloseReason {
  kLoggedOut,       // 4001: the token was revoked
  kServerStopping,  // 1001 going away
  kTooSlow,         // 1013 try again later: the write queue overflowed
};

class WsConnection : public Outbox, public std::enable_shared_from_this<WsConnection> {
 public:
  // Most queued messages a client may fall behind by before it is disconnected.
  static constexpr size_t kMaxQueued = 256;
  static constexpr size_t kMaxMessageBytes = 64 * 1024;
  // Requests handled at once on one connection.
  static constexpr size_t kMaxInFlight = 16;

  WsConnection(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<Registry> registry);
  ~WsConnection() override;

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
  // Starts the waiting requests that may start now.
  void Dispatch();
  void OnHandled(bool changes_identity, Outcome outcome);
  // Tells the registry whom the connection is signed in as, if that changed.
  void SyncBinding();
  void Enqueue(std::shared_ptr<const EncodedMessage> message,
               std::function<void(bool)> done = nullptr);
  // Drops every queued message but the one being written, telling their senders.
  void DropQueued(bool keep_front);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  void StartClose(CloseReason reason);
  void DoClose();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<Registry> registry_;
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

  bool reading_ = false;
  std::deque<v1::ClientMessage> waiting_;  // read, not yet handed to the Api
  size_t in_flight_ = 0;                   // handed to the Api, not yet answered
  bool exclusive_in_flight_ = false;       // one of them changes the identity

  ConnectionContext context_;
  std::optional<int64_t> bound_account_;  // as the registry knows it
};

}  // namespace mend::net

#endif  // MEND_SERVER_NET_WS_CONNECTION_H_
