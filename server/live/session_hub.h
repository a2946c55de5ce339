// Every open session of this server, by id and by couple; the way in for open, join, leave and
// act, and the recovery of open sessions at start-up.
//
// The hub checks that a session belongs to the asking couple: to anyone else a session does not
// exist (NOT_FOUND, never a hint). Thread-safe.
#ifndef MEND_SERVER_SESSION_HUB_H_
#define MEND_SERVER_SESSION_HUB_H_

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "server/live/live_session.h"
#include "server/store/session_log.h"

namespace mend {

class SessionHub {
 public:
  using Reply = LiveSession::Reply;
  // Delivers a message to every connection of an account (the partner hears of a new session).
  using PushToAccount = std::function<void(int64_t account_id, const v1::ServerMessage&)>;

  SessionHub(boost::asio::io_context& ioc, SessionLog& log, Writer& writer, const Clock& clock,
             session::Config config, PushToAccount push);

  // Rebuilds every open session from its events. Call once, before serving.
  Status Recover();

  // Opens a session for `couple` by `me` (side A) with `partner`; subscribes `outbox`.
  // SESSION_ALREADY_OPEN (with its id) if the couple has one.
  void Open(const CoupleRecord& couple, int64_t me, int64_t partner, const v1::Account& me_view,
            const v1::Account& partner_view, const std::string& topic, std::weak_ptr<Outbox> outbox,
            Reply reply);
  // session_id 0: the couple's open session. A closed session of the couple is answered with
  // its events (nothing live follows).
  void Join(int64_t couple_id, int64_t account_id, int64_t session_id, uint64_t after_seq,
            std::weak_ptr<Outbox> outbox, Reply reply);
  void Leave(int64_t couple_id, int64_t session_id, uint64_t connection_id, Reply reply);
  void Act(int64_t couple_id, int64_t account_id, int64_t session_id, std::string command_id,
           v1::Move move, Reply reply);
  // A connection closed: it leaves every session it joined.
  void Disconnected(uint64_t connection_id);

  size_t open_sessions() const;
  // Stops every session's timer (server shutdown).
  void Stop();

 private:
  std::shared_ptr<LiveSession> Find(int64_t couple_id, int64_t session_id);
  std::shared_ptr<LiveSession> Make(SessionRow row, std::vector<v1::SessionEvent> log,
                                    const std::vector<CommandRecord>& commands);
  void Closed(int64_t session_id);

  boost::asio::io_context& ioc_;
  SessionLog& log_;
  Writer& writer_;
  const Clock& clock_;
  const session::Config config_;
  PushToAccount push_;

  mutable std::mutex mu_;
  std::map<int64_t, std::shared_ptr<LiveSession>> sessions_;  // open sessions by id
  std::map<int64_t, int64_t> open_by_couple_;                 // couple id -> session id
  std::set<int64_t> opening_;                                 // couples with an Open in flight
  std::map<uint64_t, std::set<int64_t>> joined_by_connection_;
};

}  // namespace mend

#endif  // MEND_SERVER_SESSION_HUB_H_
