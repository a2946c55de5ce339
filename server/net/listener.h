// Accepts TCP connections (with TCP_NODELAY) and gives each its own strand and an HttpConnection.
#ifndef MEND_SERVER_NET_LISTENER_H_
#define MEND_SERVER_NET_LISTENER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>

namespace mend::net {

class Registry;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds `endpoint` (port 0 picks a free port). Throws boost::system::system_error on failure.
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           std::shared_ptr<Registry> registry);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void Run();
  // Stops accepting. Thread-safe.
  void Stop();

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Registry> registry_;
};

}  // namespace mend::net

#endif  // MEND_SERVER_NET_LISTENER_H_
