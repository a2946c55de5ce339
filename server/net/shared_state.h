// What every connection of one server shares: the Api, the pool that runs blocking work, the
// allowed browser origins, and the registry of live WebSocket sessions by account.
//
// The registry lets one connection reach others: a pairing is pushed to the inviter's devices,
// a logout closes every connection of that token. Sessions register themselves and are held
// weakly, so a closed connection simply drops out.
#ifndef MEND_SERVER_NET_SHARED_STATE_H_
#define MEND_SERVER_NET_SHARED_STATE_H_

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mend/v1/mend.pb.h"
#include "server/api.h"
#include "server/replayer.h"
#include "server/session_hub.h"

namespace mend::net {

class WebsocketSession;

class SharedState {
 public:
  SharedState(Api& api, boost::asio::thread_pool& blocking, std::vector<std::string> origins);

  Api& api() { return api_; }
  // Set once before serving.
  void set_hub(SessionHub* hub) { hub_ = hub; }
  void set_replayer(Replayer* replayer) { replayer_ = replayer; }
  boost::asio::thread_pool& blocking() { return blocking_; }
  uint64_t NextConnectionId() { return ++last_connection_id_; }

  // True if a browser page from `origin` may connect. An empty origin (not a browser) may.
  bool OriginAllowed(const std::string& origin) const;

  // All thread-safe.
  void Join(uint64_t connection_id, const std::weak_ptr<WebsocketSession>& session);
  void Leave(uint64_t connection_id);
  void BindAccount(uint64_t connection_id, std::optional<int64_t> account_id);
  // Sends `message` to every connection signed in as `account_id`.
  void PushToAccount(int64_t account_id, const v1::ServerMessage& message);
  // Closes every connection that uses the token with this digest.
  void CloseToken(const std::string& digest);
  // Closes every connection (server shutdown).
  void CloseAll();
  // A connection closed: it leaves its sessions and its replays stop.
  void Disconnected(uint64_t connection_id);

 private:
  std::vector<std::shared_ptr<WebsocketSession>> Live(std::optional<int64_t> account_id);

  Api& api_;
  SessionHub* hub_ = nullptr;
  Replayer* replayer_ = nullptr;
  boost::asio::thread_pool& blocking_;
  const std::vector<std::string> origins_;
  std::atomic<uint64_t> last_connection_id_{0};

  struct Entry {
    std::weak_ptr<WebsocketSession> session;
    std::optional<int64_t> account_id;
  };
  std::mutex mu_;
  std::unordered_map<uint64_t, Entry> sessions_;
};

}  // namespace mend::net

#endif  // MEND_SERVER_NET_SHARED_STATE_H_
