// The load tool's WebSocket client: asynchronous on a caller's io_context (one thread runs all of
// them), so that 20,000 of them cost sockets and buffers, not threads. Binary protobuf frames,
// subprotocol mend.v1, TCP_NODELAY, one write in flight with a queue of its own.
//
// Not thread-safe: everything runs on the io_context's one thread.
#ifndef MEND_BENCH_LOAD_CLIENT_H_
#define MEND_BENCH_LOAD_CLIENT_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "bench/load_stats.h"
#include "mend/v1/mend.pb.h"

namespace mend::bench {

class WsClient {
 public:
  // `at` is when the frame was read, before it was decoded.
  using OnMessage = std::function<void(const v1::ServerMessage& message, Clock::time_point at)>;
  // The connection ended (read error or close frame): why, for the error counts.
  using OnClosed = std::function<void(const std::string& why)>;
  // Empty on success, else what failed ("connect: Connection refused").
  using OnOpen = std::function<void(const std::string& error)>;

  static std::shared_ptr<WsClient> Create(boost::asio::io_context& io);
  virtual ~WsClient() = default;

  // Connects, upgrades at /ws and then reads until closed, handing every message to `on_message`.
  virtual void Open(const boost::asio::ip::tcp::endpoint& server, OnOpen on_open,
                    OnMessage on_message, OnClosed on_closed) = 0;
  // Queues one message; written once the ones before it are. REQUIRES: opened.
  virtual void Send(const v1::ClientMessage& message) = 0;
  // Drops the connection at once (no close handshake), without calling on_closed.
  virtual void Close() = 0;
  virtual bool open() const = 0;
};

}  // namespace mend::bench

#endif  // MEND_BENCH_LOAD_CLIENT_H_
