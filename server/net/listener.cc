#include "server/net/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "common/log.h"
#include "server/net/http_connection.h"

namespace mend::net {

Listener::Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
                   std::shared_ptr<Registry> registry)
    : ioc_(ioc), acceptor_(boost::asio::make_strand(ioc)), registry_(std::move(registry)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(boost::asio::socket_base::max_listen_connections);
}

void Listener::Run() { DoAccept(); }

void Listener::Stop() {
  boost::asio::post(acceptor_.get_executor(), [self = shared_from_this()]() {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::DoAccept() {
  acceptor_.async_accept(boost::asio::make_strand(ioc_),
                         [self = shared_from_this()](boost::beast::error_code ec,
                                                     boost::asio::ip::tcp::socket socket) {
                           self->OnAccept(ec, std::move(socket));
                         });
}

void Listener::OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
  if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Running out of descriptors must not stop the server accepting once some close.
    MEND_LOG(kWarn) << "accept failed: " << ec.message();
  } else {
    // Small messages go out at once: Nagle's wait for the peer's ACK would hold a reply back
    // behind the push before it (tens of milliseconds on every move).
    boost::system::error_code ignored;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    std::make_shared<HttpConnection>(std::move(socket), registry_)->Run();
  }
  DoAccept();
}

}  // namespace mend::net
