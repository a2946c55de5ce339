#include "server/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "common/crypto.h"
#include "common/log.h"
#include "server/api/hash_pool.h"
#include "server/live/replayer.h"
#include "server/live/session_hub.h"
#include "server/net/listener.h"
#include "server/net/registry.h"
#include "server/store/store.h"

namespace mend {
namespace {

namespace asio = boost::asio;

// The layers wired together: store <- live sessions and replays <- api <- network.
class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, std::unique_ptr<Store> store, const Clock& clock)
      : options_(options),
        store_(std::move(store)),
        hashes_(options.hash_threads, options.hash_queue),
        hub_(ioc_, store_->log(), store_->writer(), clock, options.session,
             [this](int64_t account, const v1::ServerMessage& m) {
               registry_->PushToAccount(account, m);
             }),
        replayer_(ioc_, store_->log(), clock),
        api_(*store_, hashes_, clock, options.api, &hub_, &replayer_),
        registry_(std::make_shared<net::Registry>(api_, hub_, replayer_, options.allowed_origins)) {
  }

  ~ServerImpl() override { Stop(); }

  Status Recover() { return hub_.Recover(); }

  Status Listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return MakeError(v1::INTERNAL, "not an IP address: " + options_.host);
    try {
      listener_ = std::make_shared<net::Listener>(
          ioc_, asio::ip::tcp::endpoint(address, options_.port), registry_);
    } catch (const boost::system::system_error& e) {
      return MakeError(v1::INTERNAL, "cannot listen on " + options_.host + ":" +
                                         std::to_string(options_.port) + ": " + e.code().message());
    }
    port_ = listener_->local_endpoint().port();
    listener_->Run();
    for (int i = 0; i < options_.io_threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return Status();
  }

  std::string host() const override { return options_.host; }
  uint16_t port() const override { return port_; }

  void Stop() override {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    if (listener_) listener_->Stop();
    registry_->CloseAll();
    hub_.Stop();
    replayer_.Stop();
    // Sign-ins still waiting for a hash are dropped (their connections are closing); every
    // write already queued is committed and answered, so nothing acknowledged is lost.
    hashes_.Stop();
    store_->writer().Flush();
    work_.reset();
    // Clients get a moment to answer the close handshake; then the loop is stopped regardless
    // (an idle HTTP keep-alive connection would otherwise hold it for its 30 s timeout).
    auto joined = std::async(std::launch::async, [this] {
      for (auto& t : threads_) t.join();
    });
    if (joined.wait_for(std::chrono::seconds(2)) == std::future_status::timeout) ioc_.stop();
    joined.wait();
    threads_.clear();
    // Whatever the last messages queued meanwhile; nothing queues any more.
    store_->writer().Flush();
    MEND_LOG(kInfo) << "server stopped";
  }

 private:
  ServerOptions options_;
  asio::io_context ioc_;
  std::unique_ptr<Store> store_;
  HashPool hashes_;
  SessionHub hub_;
  Replayer replayer_;
  Api api_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  std::shared_ptr<net::Registry> registry_;
  std::shared_ptr<net::Listener> listener_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  static SystemClock system_clock;
  if (!crypto::Init()) return MakeError(v1::INTERNAL, "libsodium failed to initialise");
  std::filesystem::path db_path(options.db_path);
  if (db_path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(db_path.parent_path(), ec);
    if (ec) {
      return MakeError(v1::INTERNAL,
                       "cannot create " + db_path.parent_path().string() + ": " + ec.message());
    }
  }
  auto store = OpenSqliteStore(options.db_path);
  if (!store.ok()) return store.error();
  const Clock& clock = options.clock ? *options.clock : system_clock;
  auto server = std::make_unique<ServerImpl>(options, std::move(store).value(), clock);
  if (Status s = server->Recover(); !s.ok()) return s;
  if (Status s = server->Listen(); !s.ok()) return s;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace mend
