// What every connection of one server shares: the Api, the allowed browser origins, and the
// registry of open WebSocket connections by account.
//
// The registry lets one connection reach others: a pairing is pushed to the inviter's devices,
// a logout closes every connection of that token. Connections register themselves and are held
// weakly, so a closed connection simply drops out.
#ifndef MEND_SERVER_NET_REGISTRY_H_
#define MEND_SERVER_NET_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mend/v1/mend.pb.h"
#include "server/api/api.h"
#include "server/live/replayer.h"
#include "server/live/session_hub.h"

namespace mend::net {

class WsConnection;

class Registry {
 public:
  // REQUIRES: api, hub and replayer outlive the registry.
  Registry(Api& api, SessionHub& hub, Replayer& replayer, std::vector<std::string> origins);

  Api& api() { return api_; }
  uint64_t NextConnectionId() { return ++last_connection_id_; }

  // True if a browser page from `origin` may connect. An empty origin (not a browser) may.
  bool OriginAllowed(const std::string& origin) const;

  // All thread-safe.
  void Join(uint64_t connection_id, const std::weak_ptr<WsConnection>& connection);
  void Leave(uint64_t connection_id);
  void BindAccount(uint64_t connection_id, std::optional<int64_t> account_id);
  // Sends `message` to every connection signed in as `account_id`.
  void PushToAccount(int64_t account_id, const v1::ServerMessage& message);
  // Closes every connection of `account_id` that uses the token with this digest.
  void CloseToken(int64_t account_id, const std::string& digest);
  // Closes every connection (server shutdown).
  void CloseAll();
  // A connection closed: it leaves its sessions and its replays stop.
  void Disconnected(uint64_t connection_id);

 private:
  std::vector<std::shared_ptr<WsConnection>> Live(std::optional<int64_t> account_id);
  // Forgets that `connection_id` is signed in as `account_id`. REQUIRES: mu_ held.
  void Unbind(uint64_t connection_id, std::optional<int64_t> account_id);

  Api& api_;
  SessionHub& hub_;
  Replayer& replayer_;
  const std::vector<std::string> origins_;
  std::atomic<uint64_t> last_connection_id_{0};

  struct Entry {
    std::weak_ptr<WsConnection> connection;
    std::optional<int64_t> account_id;
  };
  std::mutex mu_;
  std::unordered_map<uint64_t, Entry> connections_;
  // Signed-in connections by account, so that a push to one account does not walk them all.
  std::unordered_multimap<int64_t, uint64_t> by_account_;
};

}  // namespace mend::net

#endif  // MEND_SERVER_NET_REGISTRY_H_
