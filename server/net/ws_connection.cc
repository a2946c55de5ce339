#include "server/net/ws_connection.h"

#include <boost/asio/post.hpp>

#include "common/log.h"
#include "server/net/registry.h"

namespace mend::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

WsConnection::WsConnection(boost::asio::ip::tcp::socket&& socket,
                           std::shared_ptr<Registry> registry)
    : ws_(std::move(socket)), registry_(std::move(registry)), id_(registry_->NextConnectionId()) {
  context_.connection_id = id_;
}

WsConnection::~WsConnection() {
  DropQueued(false);
  registry_->Leave(id_);
  registry_->Disconnected(id_);
  MEND_LOG(kDebug) << "conn " << id_ << " closed";
}

void WsConnection::Run(http::request<http::string_body> request) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "mend-server");
    res.set(http::field::sec_websocket_protocol, std::string(codec::kSubprotocol));
  }));
  ws_.read_message_max(kMaxMessageBytes);
  // permessage-deflate stays off (Beast's default): compression of secrets invites CRIME-style
  // attacks and costs memory per connection.
  ws_.async_accept(request, beast::bind_front_handler(&WsConnection::OnAccept, shared_from_this()));
}

void WsConnection::OnAccept(beast::error_code ec) {
  if (ec) {
    MEND_LOG(kInfo) << "conn " << id_ << " upgrade failed: " << ec.message();
    return;
  }
  context_.outbox = std::weak_ptr<Outbox>(shared_from_this());
  registry_->Join(id_, weak_from_this());
  MEND_LOG(kDebug) << "conn " << id_ << " open";
  DoRead();
}

void WsConnection::DoRead() {
  if (closing_ || close_after_writes_ || reading_) return;
  if (in_flight_ + waiting_.size() >= kMaxInFlight) return;  // an answer reads again
  reading_ = true;
  ws_.async_read(buffer_, beast::bind_front_handler(&WsConnection::OnRead, shared_from_this()));
}

void WsConnection::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      // Beast has already sent close code 1009 (message too big).
      MEND_LOG(kInfo) << "conn " << id_ << " sent a message over 64 KiB; closed with 1009";
    } else if (ec != websocket::error::closed) {
      MEND_LOG(kDebug) << "conn " << id_ << " read ended: " << ec.message();
    }
    closing_ = true;
    waiting_.clear();
    return;
  }
  format_ = ws_.got_text() ? codec::Format::kJson : codec::Format::kBinary;
  auto data = buffer_.data();
  auto message = codec::DecodeClientMessage(
      std::string_view(static_cast<const char*>(data.data()), data.size()), format_);
  buffer_.consume(buffer_.size());
  if (!message.ok()) {
    // The connection stays open: a bad frame costs only its own reply.
    v1::ServerMessage reply;
    ToProto(message.error(), reply.mutable_reply()->mutable_error());
    Enqueue(std::make_shared<const EncodedMessage>(std::move(reply)));
  } else {
    waiting_.push_back(std::move(message).value());
    Dispatch();
  }
  DoRead();
}

void WsConnection::Dispatch() {
  while (!waiting_.empty() && !exclusive_in_flight_ && !closing_ && !close_after_writes_) {
    bool exclusive = Api::ChangesIdentity(waiting_.front());
    if (exclusive && in_flight_ > 0) return;  // it starts when the others are answered
    v1::ClientMessage message = std::move(waiting_.front());
    waiting_.pop_front();
    ++in_flight_;
    exclusive_in_flight_ = exclusive;
    // The completion may come from any thread (a session's strand, the writer, the hash pool);
    // it is posted to this strand, so everything sent here leaves through one queue, in the
    // order it was posted.
    registry_->api().Handle(context_, message, [self = shared_from_this(), exclusive](Outcome o) {
      boost::asio::post(self->ws_.get_executor(), [self, exclusive, o = std::move(o)]() mutable {
        self->OnHandled(exclusive, std::move(o));
      });
    });
    SyncBinding();  // an expired token signs the connection out at once
  }
}

void WsConnection::SyncBinding() {
  if (context_.identity.account_id == bound_account_) return;
  bound_account_ = context_.identity.account_id;
  registry_->BindAccount(id_, bound_account_);
}

void WsConnection::OnHandled(bool changes_identity, Outcome outcome) {
  --in_flight_;
  if (changes_identity) exclusive_in_flight_ = false;
  std::optional<int64_t> account_before = context_.identity.account_id;
  if (outcome.identity) context_.identity = std::move(*outcome.identity);
  if (outcome.couple && context_.identity.account_id) context_.identity.couple = outcome.couple;
  SyncBinding();
  Enqueue(std::make_shared<const EncodedMessage>(std::move(outcome.reply)));
  for (auto& [account_id, push] : outcome.pushes) registry_->PushToAccount(account_id, push);
  if (outcome.close_token_digest) {
    // This connection used that token too: it closes after its reply is written.
    StartClose(CloseReason::kLoggedOut);
    if (account_before) registry_->CloseToken(*account_before, *outcome.close_token_digest);
  }
  Dispatch();
  DoRead();
}

void WsConnection::Send(std::shared_ptr<const EncodedMessage> message) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), m = std::move(message)]() { self->Enqueue(m); });
}

void WsConnection::Send(std::shared_ptr<const EncodedMessage> message,
                        std::function<void(bool)> done) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(message),
                                         d = std::move(done)]() { self->Enqueue(m, d); });
}

void WsConnection::Close(CloseReason reason) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), reason]() { self->StartClose(reason); });
}

void WsConnection::CloseIfToken(const std::string& digest) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), digest]() {
    const std::string& mine = self->context_.identity.token_digest;
    if (!mine.empty() && mine == digest) self->StartClose(CloseReason::kLoggedOut);
  });
}

void WsConnection::Enqueue(std::shared_ptr<const EncodedMessage> message,
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

void WsConnection::DropQueued(bool keep_front) {
  auto first = keep_front && !queue_.empty() ? std::next(queue_.begin()) : queue_.begin();
  std::vector<std::function<void(bool)>> told;
  for (auto it = first; it != queue_.end(); ++it) {
    if (it->done) told.push_back(std::move(it->done));
  }
  queue_.erase(first, queue_.end());
  for (auto& done : told) done(false);
}

void WsConnection::DoWrite() {
  if (queue_.empty()) {
    writing_ = false;
    if (close_after_writes_) DoClose();
    return;
  }
  writing_ = true;
  const Queued& next = queue_.front();
  ws_.text(next.format == codec::Format::kJson);
  ws_.async_write(boost::asio::buffer(next.message->bytes(next.format)),
                  beast::bind_front_handler(&WsConnection::OnWrite, shared_from_this()));
}

void WsConnection::OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
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

void WsConnection::StartClose(CloseReason reason) {
  if (closing_ || close_after_writes_) return;
  close_after_writes_ = reason;
  waiting_.clear();
  if (!writing_) DoClose();
}

void WsConnection::DoClose() {
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
