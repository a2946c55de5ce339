#include "server/net/websocket_session.h"

#include <boost/asio/post.hpp>

#include "common/log.h"
#include "server/net/shared_state.h"

namespace mend::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

WebsocketSession::WebsocketSession(boost::asio::ip::tcp::socket&& socket,
                                   std::shared_ptr<SharedState> state)
    : ws_(std::move(socket)), state_(std::move(state)), id_(state_->NextConnectionId()) {
  context_.connection_id = id_;
}

WebsocketSession::~WebsocketSession() {
  DropQueued(false);
  state_->Leave(id_);
  state_->Disconnected(id_);
  MEND_LOG(kInfo) << "conn " << id_ << " closed";
}

void WebsocketSession::Run(http::request<http::string_body> request) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "mend-server");
    res.set(http::field::sec_websocket_protocol, std::string(codec::kSubprotocol));
  }));
  ws_.read_message_max(kMaxMessageBytes);
  // permessage-deflate stays off (Beast's default): compression of secrets invites CRIME-style
  // attacks and costs memory per connection.
  ws_.async_accept(request,
                   beast::bind_front_handler(&WebsocketSession::OnAccept, shared_from_this()));
}

void WebsocketSession::OnAccept(beast::error_code ec) {
  if (ec) {
    MEND_LOG(kInfo) << "conn " << id_ << " upgrade failed: " << ec.message();
    return;
  }
  context_.outbox = std::weak_ptr<Outbox>(shared_from_this());
  state_->Join(id_, weak_from_this());
  MEND_LOG(kInfo) << "conn " << id_ << " open";
  DoRead();
}

void WebsocketSession::DoRead() {
  if (closing_) return;
  ws_.async_read(buffer_, beast::bind_front_handler(&WebsocketSession::OnRead, shared_from_this()));
}

void WebsocketSession::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      // Beast has already sent close code 1009 (message too big).
      MEND_LOG(kInfo) << "conn " << id_ << " sent a message over 64 KiB; closed with 1009";
    } else if (ec != websocket::error::closed) {
      MEND_LOG(kDebug) << "conn " << id_ << " read ended: " << ec.message();
    }
    closing_ = true;
    return;
  }
  format_ = ws_.got_text() ? codec::Format::kJson : codec::Format::kBinary;
  std::string data = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());

  auto message = codec::DecodeClientMessage(data, format_);
  if (!message.ok()) {
    // The connection stays open: a bad frame costs only its own reply.
    v1::ServerMessage reply;
    ToProto(message.error(), reply.mutable_reply()->mutable_error());
    Enqueue(std::make_shared<const EncodedMessage>(reply));
    DoRead();
    return;
  }
  // Hashing a password or writing to disk must not stall the I/O threads; the next read waits
  // until this message is answered, so a connection's messages are handled in order.
  boost::asio::post(
      state_->blocking(), [self = shared_from_this(), m = std::move(message).value()]() {
        Outcome outcome = self->state_->api().Handle(self->context_, m);
        boost::asio::post(self->ws_.get_executor(), [self, o = std::move(outcome)]() mutable {
          self->OnHandled(std::move(o));
        });
      });
}

void WebsocketSession::OnHandled(Outcome outcome) {
  if (context_.token_digest != bound_digest_) {
    bound_digest_ = context_.token_digest;
    state_->BindAccount(id_, context_.account_id);
  }
  Enqueue(std::make_shared<const EncodedMessage>(outcome.reply));
  for (auto& [account_id, push] : outcome.pushes) state_->PushToAccount(account_id, push);
  if (outcome.close_token_digest) {
    // This connection used that token too: it closes after its reply is written.
    StartClose(CloseReason::kLoggedOut);
    state_->CloseToken(*outcome.close_token_digest);
  }
  DoRead();
}

void WebsocketSession::Send(std::shared_ptr<const EncodedMessage> message) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), m = std::move(message)]() { self->Enqueue(m); });
}

void WebsocketSession::Send(std::shared_ptr<const EncodedMessage> message,
                            std::function<void(bool)> done) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(message),
                                         d = std::move(done)]() { self->Enqueue(m, d); });
}

void WebsocketSession::Close(CloseReason reason) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), reason]() { self->StartClose(reason); });
}

void WebsocketSession::CloseIfToken(const std::string& digest) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), digest]() {
    if (!self->bound_digest_.empty() && self->bound_digest_ == digest) {
      self->StartClose(CloseReason::kLoggedOut);
    }
  });
}

void WebsocketSession::Enqueue(std::shared_ptr<const EncodedMessage> message,
                               std::function<void(bool)> done) {
  if (closing_) {
    if (done) done(false);
    return;
  }
  if (queue_.size() >= kMaxQueued) {
    MEND_LOG(kWarn) << "conn " << id_ << " fell behind by " << queue_.size()
                    << " messages; disconnecting";
    // The message being written must outlive its write.
    DropQueued(writing_);
    if (done) done(false);
    StartClose(CloseReason::kTooSlow);
    return;
  }
  queue_.push_back(Queued{std::move(message), format_, std::move(done)});
  if (!writing_) DoWrite();
}

void WebsocketSession::DropQueued(bool keep_front) {
  auto first = keep_front && !queue_.empty() ? std::next(queue_.begin()) : queue_.begin();
  std::vector<std::function<void(bool)>> told;
  for (auto it = first; it != queue_.end(); ++it) {
    if (it->done) told.push_back(std::move(it->done));
  }
  queue_.erase(first, queue_.end());
  for (auto& done : told) done(false);
}

void WebsocketSession::DoWrite() {
  if (queue_.empty()) {
    writing_ = false;
    if (close_after_writes_) DoClose();
    return;
  }
  writing_ = true;
  const Queued& next = queue_.front();
  bool text = next.format == codec::Format::kJson;
  ws_.text(text);
  const std::string& bytes = text ? next.message->json : next.message->binary;
  ws_.async_write(boost::asio::buffer(bytes),
                  beast::bind_front_handler(&WebsocketSession::OnWrite, shared_from_this()));
}

void WebsocketSession::OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
  auto done = std::move(queue_.front().done);
  queue_.pop_front();
  if (done) done(!ec);
  if (ec) {
    MEND_LOG(kDebug) << "conn " << id_ << " write failed: " << ec.message();
    closing_ = true;
    DropQueued(false);
    writing_ = false;
    return;
  }
  DoWrite();
}

void WebsocketSession::StartClose(CloseReason reason) {
  if (closing_ || close_after_writes_) return;
  close_after_writes_ = reason;
  if (!writing_) DoClose();
}

void WebsocketSession::DoClose() {
  if (closing_) return;
  closing_ = true;
  websocket::close_reason why;
  switch (*close_after_writes_) {
    case CloseReason::kLoggedOut:
      why = websocket::close_reason(static_cast<websocket::close_code>(4001), "logged out");
      break;
    case CloseReason::kServerStopping:
      why = websocket::close_reason(websocket::close_code::going_away, "server stopping");
      break;
    case CloseReason::kTooSlow:
      why = websocket::close_reason(websocket::close_code::try_again_later, "too far behind");
      break;
  }
  ws_.async_close(why, [self = shared_from_this()](beast::error_code) {});
}

}  // namespace mend::net
