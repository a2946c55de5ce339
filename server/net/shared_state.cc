#include "server/net/shared_state.h"

#include <algorithm>

#include "server/net/websocket_session.h"

namespace mend::net {

SharedState::SharedState(Api& api, boost::asio::thread_pool& blocking,
                         std::vector<std::string> origins)
    : api_(api), blocking_(blocking), origins_(std::move(origins)) {}

bool SharedState::OriginAllowed(const std::string& origin) const {
  return origin.empty() || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

void SharedState::Join(uint64_t connection_id, const std::weak_ptr<WebsocketSession>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[connection_id] = Entry{session, std::nullopt};
}

void SharedState::Leave(uint64_t connection_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(connection_id);
}

void SharedState::BindAccount(uint64_t connection_id, std::optional<int64_t> account_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(connection_id);
  if (it != sessions_.end()) it->second.account_id = account_id;
}

std::vector<std::shared_ptr<WebsocketSession>> SharedState::Live(
    std::optional<int64_t> account_id) {
  std::vector<std::shared_ptr<WebsocketSession>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, entry] : sessions_) {
    if (account_id && entry.account_id != account_id) continue;
    if (auto s = entry.session.lock()) out.push_back(std::move(s));
  }
  return out;
}

void SharedState::PushToAccount(int64_t account_id, const v1::ServerMessage& message) {
  // Sessions are collected under the lock and sent to outside it: a send never holds the
  // registry, so a slow connection cannot hold up the others.
  auto encoded = std::make_shared<const EncodedMessage>(message);
  for (auto& s : Live(account_id)) s->Send(encoded);
}

void SharedState::CloseToken(const std::string& digest) {
  for (auto& s : Live(std::nullopt)) s->CloseIfToken(digest);
}

void SharedState::Disconnected(uint64_t connection_id) {
  if (hub_) hub_->Disconnected(connection_id);
  if (replayer_) replayer_->Disconnected(connection_id);
}

void SharedState::CloseAll() {
  for (auto& s : Live(std::nullopt)) s->Close(CloseReason::kServerStopping);
}

}  // namespace mend::net
