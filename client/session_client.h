// A live session as a client sees it: open or join, send moves, and the session's current state
// folded from the events with the same rules the server uses (common/session/rules.h).
//
//   SessionClient session(*conn);
//   auto joined = session.Join();                    // the couple's open session
//   session.Act(Statement("hurt", "...", "...", "..."));
//   session.WaitForSeq(joined.value().events_size() + 1);
//   session::State now = session.state();
//
// Events arrive as pushes on the connection's I/O thread; they are folded in seq order (an event
// that arrives early waits for the ones before it; one seen twice is folded once). Thread-safe.
#ifndef MEND_CLIENT_SESSION_CLIENT_H_
#define MEND_CLIENT_SESSION_CLIENT_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "client/connection.h"
#include "common/session/moves.h"
#include "common/session/rules.h"

namespace mend::client {

class SessionClient {
 public:
  // Takes over `conn`'s pushes (see Connection::SetPushHandler). REQUIRES: conn outlives this,
  // or Resume moves it to another connection first.
  explicit SessionClient(Connection& conn);
  ~SessionClient();

  // Opens a session about `topic` (you are side A) and folds its first event.
  Result<v1::SessionJoined> Open(const std::string& topic);
  // Joins `session_id` (0: the couple's open session), receiving what this client lacks.
  Result<v1::SessionJoined> Join(int64_t session_id = 0);
  // Moves to a new connection (after the old one dropped) and rejoins after the last seq held.
  Result<v1::SessionJoined> Resume(Connection& conn);
  Status Leave();

  // Sends a move with a fresh client command id; returns once its events are folded.
  Result<v1::Accepted> Act(const v1::Move& move);
  // Sends a move with the given command id (a resend after a reconnect uses the same id).
  Result<v1::Accepted> Act(const v1::Move& move, const std::string& command_id);

  // Waits until every event up to `seq` is folded; false on timeout or a closed connection.
  bool WaitForSeq(uint64_t seq, Duration timeout = Duration(15000));
  // Waits until the partner's latest presence is `presence`.
  bool WaitForPresence(v1::Presence::State presence, Duration timeout = Duration(15000));
  // Waits until `pred(state)` holds. `pred` runs under the client's lock: it must not call
  // this client.
  bool WaitUntil(const std::function<bool(const session::State&)>& pred,
                 Duration timeout = Duration(15000));

  int64_t session_id() const;
  v1::Side side() const;
  session::State state() const;
  std::vector<v1::SessionEvent> events() const;
  std::vector<v1::Presence> presence() const;
  // Called (on the I/O thread, outside the lock) for every event folded, and every presence
  // change; for interactive clients.
  void OnEvent(std::function<void(const v1::SessionEvent&)> on_event);
  void OnPresence(std::function<void(const v1::Presence&)> on_presence);
  // Called (on the I/O thread) for pushes that are not this session's: a commitment updated by
  // the partner, a new session offered.
  void OnOtherPush(std::function<void(const v1::Push&)> on_other);

 private:
  void Attach(Connection& conn);
  void HandlePush(const v1::Push& push);
  // Folds `events` (any order, duplicates allowed). REQUIRES: mu_ held.
  std::vector<v1::SessionEvent> FoldLocked(const std::vector<v1::SessionEvent>& events);
  Result<v1::SessionJoined> Joined(Result<v1::Reply> reply);

  Connection* conn_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t session_id_ = 0;
  v1::Side side_ = v1::SIDE_UNSPECIFIED;
  session::State state_;
  std::vector<v1::SessionEvent> events_;
  std::map<uint64_t, v1::SessionEvent> early_;  // arrived before an event they follow
  // While an Open or Join(0) awaits its reply, the session's id is not known yet: events pushed
  // meanwhile wait here (the reply and the pushes race on two threads).
  bool awaiting_id_ = false;
  std::vector<v1::SessionEvent> unclaimed_;
  std::vector<v1::Presence> presence_;
  std::function<void(const v1::SessionEvent&)> on_event_;
  std::function<void(const v1::Presence&)> on_presence_;
  std::function<void(const v1::Push&)> on_other_;
};

// Move builders (common/session/moves.h), as client::moves.
namespace moves = ::mend::session::moves;

}  // namespace mend::client

#endif  // MEND_CLIENT_SESSION_CLIENT_H_
