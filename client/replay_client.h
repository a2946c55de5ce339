// Replaying a past session: the server streams its stored events, paced as they happened; this
// client folds them with the same rules used live (common/session/rules.h), so it rebuilds the
// session turn by turn.
//
//   ReplayClient replay(*conn);
//   auto started = replay.Start(session_id, /*speed=*/10);
//   replay.Pause(); ... replay.Resume();
//   auto ended = replay.WaitEnded(std::chrono::minutes(5));
//   session::State end = replay.state();
//
// One replay at a time per ReplayClient. Events arrive on the connection's I/O thread. Thread-safe.
#ifndef MEND_CLIENT_REPLAY_CLIENT_H_
#define MEND_CLIENT_REPLAY_CLIENT_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "client/connection.h"
#include "common/session/rules.h"

namespace mend::client {

class ReplayClient {
 public:
  // Takes over `conn`'s pushes (Connection::SetPushHandler) until destroyed; pushes that are not
  // this replay's are dropped. REQUIRES: conn outlives this.
  explicit ReplayClient(Connection& conn);
  ~ReplayClient();
  ReplayClient(const ReplayClient&) = delete;
  ReplayClient& operator=(const ReplayClient&) = delete;

  // Starts replaying `session_id` at `speed` (0: as fast as possible); pauses longer than
  // `max_pause_seconds` (after speed) are shortened to it, if it is not 0. Stops and forgets any
  // earlier replay of this client.
  Result<v1::ReplayStarted> Start(int64_t session_id, double speed, uint32_t max_pause_seconds = 0);
  Result<v1::ReplayStatus> Pause();
  Result<v1::ReplayStatus> Resume();
  Result<v1::ReplayStatus> Stop();
  // Where the server is: how many events it has sent, playing or paused.
  Result<v1::ReplayStatus> Progress();

  // Waits until `count` events are folded; false on timeout.
  bool WaitForEvents(size_t count, Duration timeout = Duration(15000));
  // Waits until the server says the replay ended (finished or stopped) and every event it sent
  // has been folded; nullopt on timeout.
  std::optional<v1::ReplayStatus> WaitEnded(Duration timeout = Duration(60000));

  session::State state() const;
  std::vector<v1::SessionEvent> events() const;
  // An error if the stream was not the session's log in order (a gap, a repeat, another session).
  Status integrity() const;
  // Called on the I/O thread, outside the lock, for every event folded; `before` is the state
  // before it (for rendering).
  void OnEvent(std::function<void(const session::State& before, const v1::SessionEvent&)> on_event);

 private:
  void HandlePush(const v1::Push& push);
  // Folds `push` if it is this replay's; what to hand to OnEvent goes to `folded`.
  // REQUIRES: mu_ held.
  void TakeLocked(const v1::Push& push,
                  std::vector<std::pair<session::State, v1::SessionEvent>>& folded);
  void Deliver(const std::vector<std::pair<session::State, v1::SessionEvent>>& folded);
  Result<v1::ReplayStatus> Control(v1::ControlReplay::Action action);

  Connection& conn_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t replay_id_ = 0;
  int64_t session_id_ = 0;
  session::State state_;
  std::vector<v1::SessionEvent> events_;
  std::optional<v1::ReplayStatus> ended_;
  bool awaiting_id_ = false;  // a Start awaits its reply
  std::vector<v1::Push> unclaimed_;
  Status integrity_;
  std::function<void(const session::State&, const v1::SessionEvent&)> on_event_;
};

}  // namespace mend::client

#endif  // MEND_CLIENT_REPLAY_CLIENT_H_
