// The owner of one open session: decides its moves one at a time against committed state, has
// the store commit the events, and only then applies them, answers the author and pushes them to
// both partners' connections.
//
// All state is touched only on the session's strand; the public methods post to it. Replies are
// called exactly once, from the strand or the store's writer thread.
#ifndef MEND_SERVER_LIVE_SESSION_H_
#define MEND_SERVER_LIVE_SESSION_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/session/rules.h"
#include "server/live/outbox.h"
#include "server/store/writer.h"

namespace mend {

// A reply carrying `error`.
v1::Reply ErrorReply(const Error& error);

class LiveSession : public std::enable_shared_from_this<LiveSession> {
 public:
  using Reply = std::function<void(v1::Reply)>;

  // `log` is every event so far; `state` their fold. `on_closed` runs once, on the strand, after
  // the closing event is committed.
  LiveSession(boost::asio::io_context& ioc, Writer& writer, const Clock& clock,
              const session::Config& config, SessionRow row, std::vector<v1::SessionEvent> log,
              const std::vector<CommandRecord>& commands, std::function<void(int64_t)> on_closed);

  // Arms the session's timer (a break's end, the not-resumed deadline). Call once after
  // construction; a deadline that passed while the server was down is acted on at once.
  void Start();
  // Stops the timer for good (server shutdown).
  void Stop();

  int64_t id() const { return row_.id; }
  int64_t couple_id() const { return row_.couple_id; }
  v1::Side SideOf(int64_t account_id) const {
    return account_id == row_.opened_by ? v1::SIDE_A : v1::SIDE_B;
  }

  // Subscribes `outbox` and answers with every event after `after_seq`; the partner is told of
  // the presence. Side B's first join is recorded as an event first.
  void Join(int64_t account_id, uint64_t after_seq, std::weak_ptr<Outbox> outbox, Reply reply);
  // Unsubscribes a connection (LeaveSession, or it closed). `reply` may be empty.
  void Leave(uint64_t connection_id, Reply reply);
  // Decides and commits one move. A command id seen before is answered as the first time.
  void Act(int64_t account_id, std::string command_id, v1::Move move, Reply reply);

 private:
  struct Subscriber {
    v1::Side side;
    std::weak_ptr<Outbox> outbox;
  };

  // Runs `task` now if no commit is in flight, else after the ones queued before it.
  void Enqueue(std::function<void()> task);
  void Done();
  void Commit(std::vector<v1::SessionEvent> events, std::optional<CommandRecord> command,
              std::function<void(Status)> then);
  void DoJoin(int64_t account_id, uint64_t after_seq, std::weak_ptr<Outbox> outbox, Reply reply);
  void DoAct(int64_t account_id, const std::string& command_id, const v1::Move& move, Reply reply);
  // Pushes `events` to each of `audience`.
  void Publish(const std::vector<v1::SessionEvent>& events,
               const std::map<uint64_t, Subscriber>& audience);
  // (Re)arms the timer for the next deadline. Time comes from the Clock, so the wait is capped
  // by Clock::MaxTimerWaitMs.
  void Arm();
  void OnTimer();
  void PushPresence(v1::Side about, v1::Presence::State state);
  bool Present(v1::Side side) const;
  void SendTo(v1::Side side, const std::shared_ptr<const EncodedMessage>& message);

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  Writer& writer_;
  const Clock& clock_;
  const session::Config config_;
  const SessionRow row_;
  std::function<void(int64_t)> on_closed_;

  session::State state_;
  std::vector<v1::SessionEvent> log_;
  // By (account, client command id): looked up on every move, so hashed.
  struct CommandHash {
    size_t operator()(const std::pair<int64_t, std::string>& key) const {
      return std::hash<std::string>{}(key.second) ^
             (std::hash<int64_t>{}(key.first) * 0x9e3779b97f4a7c15ULL);
    }
  };
  std::unordered_map<std::pair<int64_t, std::string>, CommandRecord, CommandHash> commands_;
  std::map<uint64_t, Subscriber> subscribers_;
  bool busy_ = false;
  bool stopped_ = false;
  std::deque<std::function<void()>> waiting_;
};

}  // namespace mend

#endif  // MEND_SERVER_LIVE_SESSION_H_
