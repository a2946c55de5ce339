#include "server/net/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "common/log.h"
#include "server/net/http_session.h"

namespace mend::net {

Listener::Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
                   std::shared_ptr<SharedState> state)
    : ioc_(ioc), acceptor_(boost::asio::make_strand(ioc)), state_(std::move(state)) {
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
    std::make_shared<HttpSession>(std::move(socket), state_)->Run();
  }
  DoAccept();
}

}  // namespace mend::net
