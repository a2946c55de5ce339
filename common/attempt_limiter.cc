#include "common/attempt_limiter.h"

namespace mend {

AttemptLimiter::AttemptLimiter(int max_failures, TimeMs window_ms)
    : max_failures_(max_failures), window_ms_(window_ms) {}

void AttemptLimiter::PruneLocked(std::deque<TimeMs>& failures, TimeMs now) const {
  while (!failures.empty() && failures.front() + window_ms_ <= now) failures.pop_front();
}

std::optional<TimeMs> AttemptLimiter::RetryAfterMs(const std::string& key, TimeMs now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return std::nullopt;
  PruneLocked(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return std::nullopt;
  }
  if (static_cast<int>(it->second.size()) < max_failures_) return std::nullopt;
  return it->second.front() + window_ms_ - now;
}

void AttemptLimiter::RecordFailure(const std::string& key, TimeMs now) {
  std::lock_guard<std::mutex> lock(mu_);
  // Keys of attackers that gave up would otherwise stay forever.
  if (failures_.size() > 100'000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      PruneLocked(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
  }
  auto& list = failures_[key];
  PruneLocked(list, now);
  list.push_back(now);
  while (static_cast<int>(list.size()) > max_failures_) list.pop_front();
}

void AttemptLimiter::Clear(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

}  // namespace mend
