// Replays of stored sessions: each streams a session's events to the connection that asked, in
// order and paced as they happened (common/replay_pacing.h), and can be paused, resumed and
// stopped by that connection alone.
//
// A replay sends the events exactly as stored and at most kWindow messages ahead of what the
// connection has written, so even a full-speed replay of a long session never overflows a
// connection's queue. Time comes from the Clock: tests move a ManualClock instead of sleeping.
// Thread-safe.
#ifndef MEND_SERVER_REPLAYER_H_
#define MEND_SERVER_REPLAYER_H_

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/result.h"
#include "mend/v1/mend.pb.h"
#include "server/live/outbox.h"
#include "server/store/session_log.h"

namespace mend {

class Replayer {
 public:
  static constexpr size_t kWindow = 32;           // messages in flight per replay
  static constexpr size_t kMaxPerConnection = 4;  // replays at once on one connection

  // REQUIRES: log and clock outlive this.
  Replayer(boost::asio::io_context& ioc, SessionLog& log, const Clock& clock);
  ~Replayer();

  // Starts replaying `request.session_id` to `outbox` for `account_id` of `couple_id`. `done`
  // runs before the first event is sent, so a reply it queues precedes the events.
  // NOT_FOUND unless it is that couple's session; INVALID_ARGUMENT for a bad speed; TOO_MANY if
  // the connection runs kMaxPerConnection replays already.
  void Start(int64_t couple_id, int64_t account_id, const v1::StartReplay& request,
             std::weak_ptr<Outbox> outbox, std::function<void(Result<v1::ReplayStarted>)> done);
  // Pauses, resumes, stops or reports a replay of this connection; `done` gets its status.
  // NOT_FOUND for a replay this connection is not running (another's, or one that ended).
  void Control(uint64_t connection_id, const v1::ControlReplay& request,
               std::function<void(Result<v1::ReplayStatus>)> done);
  // The connection closed: its replays stop.
  void Disconnected(uint64_t connection_id);
  // Stops every replay (server shutdown).
  void Stop();

  size_t running() const;

 private:
  class Stream;
  void Ended(uint64_t connection_id, uint64_t replay_id);

  boost::asio::io_context& ioc_;
  SessionLog& log_;
  const Clock& clock_;
  mutable std::mutex mu_;
  uint64_t last_id_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<Stream>> streams_;  // (conn, replay)
};

}  // namespace mend

#endif  // MEND_SERVER_REPLAYER_H_
