#include "server/net/registry.h"

#include <algorithm>

#include "server/net/ws_connection.h"

namespace mend::net {

Registry::Registry(Api& api, SessionHub& hub, Replayer& replayer, std::vector<std::string> origins)
    : api_(api), hub_(hub), replayer_(replayer), origins_(std::move(origins)) {}

bool Registry::OriginAllowed(const std::string& origin) const {
  return origin.empty() || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

void Registry::Unbind(uint64_t connection_id, std::optional<int64_t> account_id) {
  if (!account_id) return;
  auto [first, last] = by_account_.equal_range(*account_id);
  for (auto a = first; a != last; ++a) {
    if (a->second == connection_id) {
      by_account_.erase(a);
      return;
    }
  }
}

void Registry::Join(uint64_t connection_id, const std::weak_ptr<WsConnection>& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_[connection_id] = Entry{connection, std::nullopt};
}

void Registry::Leave(uint64_t connection_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  Unbind(connection_id, it->second.account_id);
  connections_.erase(it);
}

void Registry::BindAccount(uint64_t connection_id, std::optional<int64_t> account_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(connection_id);
  if (it == connections_.end() || it->second.account_id == account_id) return;
  Unbind(connection_id, it->second.account_id);
  it->second.account_id = account_id;
  if (account_id) by_account_.emplace(*account_id, connection_id);
}

std::vector<std::shared_ptr<WsConnection>> Registry::Live(std::optional<int64_t> account_id) {
  std::vector<std::shared_ptr<WsConnection>> out;
  std::lock_guard<std::mutex> lock(mu_);
  if (account_id) {
    auto [first, last] = by_account_.equal_range(*account_id);
    for (auto a = first; a != last; ++a) {
      auto it = connections_.find(a->second);
      if (it == connections_.end()) continue;
      if (auto c = it->second.connection.lock()) out.push_back(std::move(c));
    }
    return out;
  }
  for (auto& [id, entry] : connections_) {
    if (auto c = entry.connection.lock()) out.push_back(std::move(c));
  }
  return out;
}

void Registry::PushToAccount(int64_t account_id, const v1::ServerMessage& message) {
  // Connections are collected under the lock and sent to outside it: a send never holds the
  // registry, so a slow connection cannot hold up the others.
  auto live = Live(account_id);
  if (live.empty()) return;
  auto encoded = std::make_shared<const EncodedMessage>(message);
  for (auto& c : live) c->Send(encoded);
}

void Registry::CloseToken(int64_t account_id, const std::string& digest) {
  for (auto& c : Live(account_id)) c->CloseIfToken(digest);
}

void Registry::Disconnected(uint64_t connection_id) {
  hub_.Disconnected(connection_id);
  replayer_.Disconnected(connection_id);
}

void Registry::CloseAll() {
  for (auto& c : Live(std::nullopt)) c->Close(CloseReason::kServerStopping);
}

}  // namespace mend::net
