// Serves plain HTTP on the server's one port (GET /healthz) and hands WebSocket upgrades of
// /ws to a WsConnection once the subprotocol and the browser origin check out.
#ifndef MEND_SERVER_NET_HTTP_CONNECTION_H_
#define MEND_SERVER_NET_HTTP_CONNECTION_H_

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

namespace mend::net {

class Registry;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<Registry> registry);
  void Run();

 private:
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void Respond(boost::beast::http::status status, std::string body, bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<Registry> registry_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
};

}  // namespace mend::net

#endif  // MEND_SERVER_NET_HTTP_CONNECTION_H_
