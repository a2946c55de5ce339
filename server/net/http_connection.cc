#include "server/net/http_connection.h"

#include <boost/beast/websocket.hpp>

#include "common/codec.h"
#include "server/net/registry.h"
#include "server/net/ws_connection.h"

namespace mend::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

// True if the comma-separated Sec-WebSocket-Protocol list names ours.
bool OffersSubprotocol(beast::string_view offered) {
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto item = offered.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == codec::kSubprotocol) return true;
    if (comma == beast::string_view::npos) break;
    offered.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

HttpConnection::HttpConnection(boost::asio::ip::tcp::socket&& socket,
                               std::shared_ptr<Registry> registry)
    : stream_(std::move(socket)), registry_(std::move(registry)) {}

void HttpConnection::Run() { DoRead(); }

void HttpConnection::DoRead() {
  parser_.emplace();
  parser_->body_limit(8 * 1024);
  parser_->header_limit(8 * 1024);
  stream_.expires_after(std::chrono::seconds(30));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpConnection::OnRead, shared_from_this()));
}

void HttpConnection::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec == http::error::end_of_stream) {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec) return;
  auto& req = parser_->get();
  std::string target(req.target());

  if (websocket::is_upgrade(req)) {
    if (target != "/ws") {
      Respond(http::status::not_found, "the WebSocket endpoint is /ws\n", false);
      return;
    }
    if (!OffersSubprotocol(req[http::field::sec_websocket_protocol])) {
      Respond(http::status::bad_request,
              "this server speaks Sec-WebSocket-Protocol: mend.v1; upgrade your client\n", false);
      return;
    }
    if (!registry_->OriginAllowed(std::string(req[http::field::origin]))) {
      Respond(http::status::forbidden, "this origin may not connect\n", false);
      return;
    }
    stream_.expires_never();  // the WebSocket stream sets its own timeouts
    std::make_shared<WsConnection>(stream_.release_socket(), registry_)->Run(parser_->release());
    return;
  }

  bool keep_alive = req.keep_alive();
  if (target == "/healthz" &&
      (req.method() == http::verb::get || req.method() == http::verb::head)) {
    Respond(http::status::ok, "ok\n", keep_alive);
  } else {
    Respond(http::status::not_found, "not found\n", keep_alive);
  }
}

void HttpConnection::Respond(http::status status, std::string body, bool keep_alive) {
  response_ = std::make_shared<http::response<http::string_body>>(status, 11);
  response_->set(http::field::server, "mend-server");
  response_->set(http::field::content_type, "text/plain; charset=utf-8");
  response_->keep_alive(keep_alive);
  response_->body() = std::move(body);
  response_->prepare_payload();
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&HttpConnection::OnWrite, shared_from_this(), keep_alive));
}

void HttpConnection::OnWrite(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return;
  if (!keep_alive) {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  DoRead();
}

}  // namespace mend::net
