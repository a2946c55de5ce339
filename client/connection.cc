#include "client/connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "client/reply.h"

namespace mend::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

Result<ServerUrl> ParseServerUrl(const std::string& url) {
  const std::string scheme = "ws://";
  if (url.rfind(scheme, 0) != 0) {
    return MakeError(v1::INVALID_ARGUMENT, "a server URL looks like ws://HOST:PORT");
  }
  std::string rest = url.substr(scheme.size());
  ServerUrl out;
  auto slash = rest.find('/');
  out.path = slash == std::string::npos ? "/ws" : rest.substr(slash);
  if (out.path == "/") out.path = "/ws";
  std::string authority = rest.substr(0, slash);
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  } else {
    out.host = authority;
    out.port = "80";
  }
  if (out.host.size() >= 2 && out.host.front() == '[')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty() || out.port.empty() ||
      out.port.find_first_not_of("0123456789") != std::string::npos) {
    return MakeError(v1::INVALID_ARGUMENT, "a server URL looks like ws://HOST:PORT");
  }
  return out;
}

struct Connection::Impl {
  explicit Impl(ConnectOptions o) : options(std::move(o)), ws(asio::make_strand(ioc)) {}

  ConnectOptions options;
  asio::io_context ioc;
  // Keeps the I/O thread alive after the connection closes, so that posted work still runs.
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  websocket::stream<beast::tcp_stream> ws;
  std::thread thread;
  beast::flat_buffer buffer;

  // Only on the I/O thread.
  std::deque<std::pair<std::string, bool>> out_queue;
  bool writing = false;

  // Shared with callers; guarded by mu.
  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::optional<v1::Reply>> pending;
  std::deque<v1::Reply> unmatched;
  std::deque<v1::Push> pushes;
  std::function<void(const v1::Push&)> push_handler;       // guarded by mu; called outside it
  std::function<void(const v1::ServerMessage&)> observer;  // guarded by mu; called outside it
  std::optional<CloseInfo> closed;
  uint64_t next_request_id = 1;

  Duration Timeout(std::optional<Duration> t) const { return t.value_or(options.timeout); }

  void StartRead() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) { OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      std::lock_guard<std::mutex> lock(mu);
      CloseInfo info;
      auto reason = ws.reason();
      info.code = reason.code != websocket::close_code::none ? reason.code : 1006;
      info.reason = std::string(reason.reason.c_str());
      closed = info;
      cv.notify_all();
      return;
    }
    auto format = ws.got_text() ? codec::Format::kJson : codec::Format::kBinary;
    auto message = codec::DecodeServerMessage(beast::buffers_to_string(buffer.data()), format);
    buffer.consume(buffer.size());
    if (message.ok()) {
      std::unique_lock<std::mutex> lock(mu);
      v1::ServerMessage& m = message.value();
      if (observer) {
        auto see = observer;
        lock.unlock();
        see(m);
        lock.lock();
      }
      if (m.has_push() && push_handler) {
        auto handler = push_handler;
        lock.unlock();
        handler(m.push());
      } else if (m.has_push()) {
        pushes.push_back(std::move(*m.mutable_push()));
      } else {
        auto it = pending.find(m.reply().request_id());
        if (it != pending.end() && !it->second) {
          it->second = std::move(*m.mutable_reply());
        } else {
          unmatched.push_back(std::move(*m.mutable_reply()));
        }
      }
      cv.notify_all();
    }
    StartRead();
  }

  void Write(std::string bytes, bool text) {
    asio::post(ws.get_executor(), [this, b = std::move(bytes), text]() mutable {
      out_queue.emplace_back(std::move(b), text);
      if (!writing) DoWrite();
    });
  }

  void DoWrite() {
    if (out_queue.empty()) {
      writing = false;
      return;
    }
    writing = true;
    ws.text(out_queue.front().second);
    ws.async_write(asio::buffer(out_queue.front().first),
                   [this](beast::error_code ec, std::size_t) {
                     out_queue.pop_front();
                     if (ec) {
                       out_queue.clear();
                       writing = false;
                       return;  // the read side reports the close
                     }
                     DoWrite();
                   });
  }

  template <typename Pred>
  bool WaitFor(std::unique_lock<std::mutex>& lock, Duration timeout, Pred pred) {
    return cv.wait_for(lock, timeout, pred);
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() {
  if (is_open()) Close();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url,
                                                     const ConnectOptions& options) {
  auto parsed = ParseServerUrl(url);
  if (!parsed.ok()) return parsed.error();
  const ServerUrl& u = parsed.value();
  auto impl = std::make_unique<Impl>(options);
  Impl* p = impl.get();

  // Connect and upgrade on the I/O thread; the caller waits for the outcome.
  std::promise<Status> connected;
  auto resolver = std::make_shared<tcp::resolver>(p->ioc);
  auto response = std::make_shared<websocket::response_type>();
  auto fail = [&connected, u](const std::string& what, beast::error_code ec) {
    connected.set_value(MakeError(v1::UNAVAILABLE, "cannot reach ws://" + u.host + ":" + u.port +
                                                       u.path + ": " + what + ": " + ec.message()));
  };
  resolver->async_resolve(
      u.host, u.port,
      [&, p, resolver, response](beast::error_code ec, tcp::resolver::results_type r) {
        if (ec) return fail("resolve", ec);
        beast::get_lowest_layer(p->ws).expires_after(p->options.timeout);
        beast::get_lowest_layer(p->ws).async_connect(r, [&, p, response](beast::error_code ec,
                                                                         tcp::endpoint ep) {
          if (ec) return fail("connect", ec);
          beast::get_lowest_layer(p->ws).expires_never();
          // A move is a small message; Nagle would hold it until the last one is acknowledged.
          beast::error_code ignored;
          beast::get_lowest_layer(p->ws).socket().set_option(tcp::no_delay(true), ignored);
          auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
          timeouts.handshake_timeout = p->options.timeout;
          p->ws.set_option(timeouts);
          p->ws.set_option(websocket::stream_base::decorator([p](websocket::request_type& req) {
            req.set(http::field::user_agent, "mend-client");
            if (!p->options.subprotocol.empty()) {
              req.set(http::field::sec_websocket_protocol, p->options.subprotocol);
            }
            if (!p->options.origin.empty()) req.set(http::field::origin, p->options.origin);
          }));
          // Replies are bounded by the server; accept up to 16 MiB for later history replies.
          p->ws.read_message_max(16 * 1024 * 1024);
          std::string host = u.host + ":" + std::to_string(ep.port());
          p->ws.async_handshake(*response, host, u.path, [&, p, response](beast::error_code ec) {
            if (ec) {
              std::string what = "upgrade";
              if (response->result_int() != 0 &&
                  response->result() != http::status::switching_protocols) {
                what = "the server declined the upgrade (HTTP " +
                       std::to_string(response->result_int()) + ")";
              }
              return fail(what, ec);
            }
            if ((*response)[http::field::sec_websocket_protocol] != codec::kSubprotocol) {
              connected.set_value(
                  MakeError(v1::UNAVAILABLE, "the server does not speak the mend.v1 protocol"));
              return;
            }
            connected.set_value(Status());
            p->StartRead();
          });
        });
      });
  p->thread = std::thread([p] { p->ioc.run(); });
  Status s = connected.get_future().get();
  if (!s.ok()) {
    p->ioc.stop();
    p->thread.join();
    return s;
  }
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

bool Connection::is_open() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return !impl_->closed && impl_->thread.joinable();
}

Result<v1::Reply> Connection::Call(v1::ClientMessage message, std::optional<Duration> timeout) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->closed) {
      return MakeError(v1::UNAVAILABLE, "the connection to the server is closed");
    }
    id = impl_->next_request_id++;
    impl_->pending[id];
  }
  message.set_request_id(id);
  impl_->Write(codec::Encode(message, impl_->options.format),
               impl_->options.format == codec::Format::kJson);
  std::unique_lock<std::mutex> lock(impl_->mu);
  bool done = impl_->WaitFor(lock, impl_->Timeout(timeout), [&] {
    return impl_->pending[id].has_value() || impl_->closed.has_value();
  });
  std::optional<v1::Reply> reply = std::move(impl_->pending[id]);
  impl_->pending.erase(id);
  if (reply) return std::move(*reply);
  if (!done) return MakeError(v1::DEADLINE_EXCEEDED, "the server did not answer in time");
  return MakeError(v1::UNAVAILABLE, "the server closed the connection");
}

Result<v1::Granted> Connection::Register(const std::string& login, const std::string& display_name,
                                         const std::string& password) {
  v1::ClientMessage m;
  auto* cmd = m.mutable_register_();
  cmd->set_login(login);
  cmd->set_display_name(display_name);
  cmd->set_password(password);
  return Expect<v1::Granted>(
      Call(std::move(m)), [](auto& r) { return r.has_granted(); },
      [](auto& r) { return r.granted(); });
}

Result<v1::Granted> Connection::Login(const std::string& login, const std::string& password) {
  v1::ClientMessage m;
  m.mutable_login()->set_login(login);
  m.mutable_login()->set_password(password);
  return Expect<v1::Granted>(
      Call(std::move(m)), [](auto& r) { return r.has_granted(); },
      [](auto& r) { return r.granted(); });
}

Result<v1::Account> Connection::Authenticate(const std::string& token) {
  v1::ClientMessage m;
  m.mutable_authenticate()->set_token(token);
  return Expect<v1::Account>(
      Call(std::move(m)), [](auto& r) { return r.has_account(); },
      [](auto& r) { return r.account(); });
}

Status Connection::Logout() {
  v1::ClientMessage m;
  m.mutable_logout();
  auto r = Expect<v1::Done>(
      Call(std::move(m)), [](auto& r) { return r.has_done(); }, [](auto& r) { return r.done(); });
  return r.status();
}

Result<v1::Account> Connection::WhoAmI() {
  v1::ClientMessage m;
  m.mutable_who_am_i();
  return Expect<v1::Account>(
      Call(std::move(m)), [](auto& r) { return r.has_account(); },
      [](auto& r) { return r.account(); });
}

Result<v1::Invite> Connection::CreateInvite() {
  v1::ClientMessage m;
  m.mutable_create_invite();
  return Expect<v1::Invite>(
      Call(std::move(m)), [](auto& r) { return r.has_invite(); },
      [](auto& r) { return r.invite(); });
}

Result<v1::Couple> Connection::AcceptInvite(const std::string& code) {
  v1::ClientMessage m;
  m.mutable_accept_invite()->set_code(code);
  return Expect<v1::Couple>(
      Call(std::move(m)), [](auto& r) { return r.has_couple(); },
      [](auto& r) { return r.couple(); });
}

Result<v1::Couple> Connection::GetPartner() {
  v1::ClientMessage m;
  m.mutable_get_partner();
  return Expect<v1::Couple>(
      Call(std::move(m)), [](auto& r) { return r.has_couple(); },
      [](auto& r) { return r.couple(); });
}

std::optional<v1::Push> Connection::NextPush(std::optional<Duration> timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->WaitFor(lock, impl_->Timeout(timeout),
                 [&] { return !impl_->pushes.empty() || impl_->closed.has_value(); });
  if (impl_->pushes.empty()) return std::nullopt;
  v1::Push p = std::move(impl_->pushes.front());
  impl_->pushes.pop_front();
  return p;
}

void Connection::SetPushHandler(std::function<void(const v1::Push&)> handler) {
  // Installed on the I/O thread, so that no push slips between the queue and the handler.
  auto install = [p = impl_.get(), handler = std::move(handler)]() {
    std::deque<v1::Push> queued;
    {
      std::lock_guard<std::mutex> lock(p->mu);
      p->push_handler = handler;
      if (handler) queued.swap(p->pushes);
    }
    for (const auto& push : queued) handler(push);
  };
  if (impl_->thread.get_id() == std::this_thread::get_id()) return install();
  std::promise<void> installed;
  asio::post(impl_->ws.get_executor(), [&installed, &install]() {
    install();
    installed.set_value();
  });
  installed.get_future().wait();
}

void Connection::SetObserver(std::function<void(const v1::ServerMessage&)> observer) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->observer = std::move(observer);
}

void Connection::SendRaw(std::string bytes, bool text) { impl_->Write(std::move(bytes), text); }

std::optional<v1::Reply> Connection::NextUnmatchedReply(std::optional<Duration> timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->WaitFor(lock, impl_->Timeout(timeout),
                 [&] { return !impl_->unmatched.empty() || impl_->closed.has_value(); });
  if (impl_->unmatched.empty()) return std::nullopt;
  v1::Reply r = std::move(impl_->unmatched.front());
  impl_->unmatched.pop_front();
  return r;
}

std::optional<CloseInfo> Connection::WaitClosed(std::optional<Duration> timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->WaitFor(lock, impl_->Timeout(timeout), [&] { return impl_->closed.has_value(); });
  return impl_->closed;
}

void Connection::Close() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->closed) return;
  }
  asio::post(impl_->ws.get_executor(), [p = impl_.get()] {
    p->ws.async_close(websocket::close_code::normal, [p](beast::error_code ec) {
      if (ec) {
        // The read side may never see the close; record it here so waiters wake.
        std::lock_guard<std::mutex> lock(p->mu);
        if (!p->closed) p->closed = CloseInfo{1006, ""};
        p->cv.notify_all();
      }
    });
  });
  WaitClosed();
}

Result<std::pair<int, std::string>> HttpGet(const std::string& url, const std::string& target,
                                            Duration timeout) {
  auto parsed = ParseServerUrl(url);
  if (!parsed.ok()) return parsed.error();
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(parsed.value().host, parsed.value().port));
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, parsed.value().host);
    req.set(http::field::user_agent, "mend-client");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return std::make_pair(static_cast<int>(res.result_int()), res.body());
  } catch (const boost::system::system_error& e) {
    return MakeError(v1::UNAVAILABLE, "GET " + target + " failed: " + e.code().message());
  }
}

}  // namespace mend::client
