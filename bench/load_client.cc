#include "bench/load_client.h"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "common/codec.h"

namespace mend::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class BeastClient final : public WsClient, public std::enable_shared_from_this<BeastClient> {
 public:
  explicit BeastClient(asio::io_context& io) : ws_(io) {}

  void Open(const tcp::endpoint& server, OnOpen on_open, OnMessage on_message,
            OnClosed on_closed) override {
    on_message_ = std::move(on_message);
    on_closed_ = std::move(on_closed);
    host_ = server.address().to_string() + ":" + std::to_string(server.port());
    ws_.next_layer().async_connect(
        server, [self = shared_from_this(), on_open = std::move(on_open)](beast::error_code ec) {
          if (ec) return on_open("connect: " + ec.message());
          self->Upgrade(std::move(on_open));
        });
  }

  void Send(const v1::ClientMessage& message) override {
    if (closed_) return;
    queue_.push_back(codec::Encode(message, codec::Format::kBinary));
    if (!writing_) Write();
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    ws_.next_layer().close(ignored);  // outstanding handlers see closed_ and stop
  }

  bool open() const override { return open_ && !closed_; }

 private:
  void Upgrade(OnOpen on_open) {
    beast::error_code ec;
    // A move is one small frame: Nagle would hold it back waiting for an ACK.
    ws_.next_layer().set_option(tcp::no_delay(true), ec);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::sec_websocket_protocol, std::string(codec::kSubprotocol));
      request.set(beast::http::field::user_agent, "mend_load");
    }));
    ws_.binary(true);
    ws_.async_handshake(
        host_, "/ws",
        [self = shared_from_this(), on_open = std::move(on_open)](beast::error_code ec) {
          if (ec) return on_open("upgrade: " + ec.message());
          if (self->closed_) return on_open("closed while upgrading");
          self->open_ = true;
          self->Read();
          on_open("");
        });
  }

  void Read() {
    ws_.async_read(buffer_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    auto at = Clock::now();
    if (closed_) return;
    if (ec) {
      std::string why = ec == websocket::error::closed
                            ? "closed " + std::to_string(ws_.reason().code)
                            : ec.message();
      Fail(why);
      return;
    }
    auto data = buffer_.cdata();
    auto message = codec::DecodeServerMessage(
        std::string_view(static_cast<const char*>(data.data()), data.size()),
        ws_.got_text() ? codec::Format::kJson : codec::Format::kBinary);
    buffer_.consume(buffer_.size());
    if (!message.ok()) {
      Fail("undecodable message");
      return;
    }
    on_message_(message.value(), at);
    if (!closed_) Read();  // the handler may have closed this connection
  }

  void Write() {
    writing_ = true;
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      self->queue_.pop_front();
                      if (ec) return self->Fail("write: " + ec.message());
                      if (!self->queue_.empty()) self->Write();
                    });
  }

  void Fail(const std::string& why) {
    bool was_open = open_;
    open_ = false;
    Close();
    if (was_open && on_closed_) on_closed_(why);
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;  // front() is being written while writing_
  bool writing_ = false;
  bool open_ = false;
  bool closed_ = false;
  std::string host_;
  OnMessage on_message_;
  OnClosed on_closed_;
};

}  // namespace

std::shared_ptr<WsClient> WsClient::Create(asio::io_context& io) {
  return std::make_shared<BeastClient>(io);
}

}  // namespace mend::bench
