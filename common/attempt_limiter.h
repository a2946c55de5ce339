// Counts failed attempts per key in a sliding window and refuses further attempts once a limit
// is reached: ten wrong passwords for one account in ten minutes, ten unknown invite codes from
// one account or one connection.
//
//   AttemptLimiter logins(10, 10 * 60 * 1000);
//   if (auto wait = logins.RetryAfterMs(login, now)) return RateLimited(*wait);
//   if (!password_ok) logins.RecordFailure(login, now);
#ifndef MEND_COMMON_ATTEMPT_LIMITER_H_
#define MEND_COMMON_ATTEMPT_LIMITER_H_

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace mend {

class AttemptLimiter {
 public:
  // REQUIRES: max_failures > 0, window_ms > 0.
  AttemptLimiter(int max_failures, TimeMs window_ms);

  // If `key` has had max_failures failures within the window before `now`, how long until one
  // of them leaves the window; otherwise nullopt. Thread-safe.
  std::optional<TimeMs> RetryAfterMs(const std::string& key, TimeMs now);

  // Records a failure for `key` at `now`. Thread-safe.
  void RecordFailure(const std::string& key, TimeMs now);

  // Forgets the failures of `key` (after a success). Thread-safe.
  void Clear(const std::string& key);

 private:
  void PruneLocked(std::deque<TimeMs>& failures, TimeMs now) const;

  const int max_failures_;
  const TimeMs window_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<TimeMs>> failures_;
};

}  // namespace mend

#endif  // MEND_COMMON_ATTEMPT_LIMITER_H_
