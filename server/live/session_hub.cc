#include "server/live/session_hub.h"

#include "common/log.h"
#include "server/store/session_record.h"

namespace mend {

namespace {

Error NotFound() { return MakeError(v1::NOT_FOUND, "there is no such session"); }

}  // namespace

SessionHub::SessionHub(boost::asio::io_context& ioc, SessionLog& log, Writer& writer,
                       const Clock& clock, session::Config config, PushToAccount push)
    : ioc_(ioc),
      log_(log),
      writer_(writer),
      clock_(clock),
      config_(config),
      push_(std::move(push)) {}

std::shared_ptr<LiveSession> SessionHub::Make(SessionRow row, std::vector<v1::SessionEvent> log,
                                              const std::vector<CommandRecord>& commands) {
  auto live =
      std::make_shared<LiveSession>(ioc_, writer_, clock_, config_, std::move(row), std::move(log),
                                    commands, [this](int64_t id) { Closed(id); });
  live->Start();
  return live;
}

Status SessionHub::Recover() {
  auto rows = log_.OpenSessions();
  if (!rows.ok()) return rows.status();
  for (SessionRow& row : rows.value()) {
    auto events = log_.LoadEvents(row.id, 0);
    if (!events.ok()) return events.status();
    auto commands = log_.LoadCommands(row.id);
    if (!commands.ok()) return commands.status();
    if (events.value().empty()) continue;  // cannot happen: a session is created with its event
    int64_t id = row.id, couple = row.couple_id;
    size_t count = events.value().size();
    auto live = Make(std::move(row), std::move(events).value(), commands.value());
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[id] = live;
    open_by_couple_[couple] = id;
    MEND_LOG(kInfo) << "session " << id << " recovered from " << count << " events";
  }
  return Status();
}

void SessionHub::Open(const CoupleRecord& couple, int64_t me, int64_t partner,
                      const v1::Account& me_view, const v1::Account& partner_view,
                      const std::string& topic, std::weak_ptr<Outbox> outbox, Reply reply) {
  TimeMs now = clock_.NowMs();
  // The topic is checked before anything is written.
  if (auto check = session::Open(0, topic, me_view, partner_view, now, config_); !check.ok()) {
    return reply(ErrorReply(check.error()));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = open_by_couple_.find(couple.id);
    if (it != open_by_couple_.end() || opening_.count(couple.id)) {
      Error e = MakeError(v1::SESSION_ALREADY_OPEN, "you already have an open session: join it");
      if (it != open_by_couple_.end()) e.session_id = it->second;
      return reply(ErrorReply(e));
    }
    opening_.insert(couple.id);
  }
  auto opened = std::make_shared<v1::SessionEvent>();
  auto row = std::make_shared<SessionRow>();
  row->couple_id = couple.id;
  row->opened_by = me;
  row->opened_ms = now;
  writer_.Write(
      [=, this](WriteTx& tx) -> Status {
        auto id = tx.InsertSession(couple.id, me, now);
        if (!id.ok()) return id.status();
        row->id = id.value();
        auto event = session::Open(id.value(), topic, me_view, partner_view, now, config_);
        if (!event.ok()) return event.status();
        *opened = event.value();
        if (Status s = tx.InsertEvent(*opened); !s.ok()) return s;
        session::State state;
        session::Apply(state, *opened);
        return RecordFold(tx, couple.id, state, 0, now);
      },
      [=, this](Status s) {
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          opening_.erase(couple.id);
          return reply(ErrorReply(s.error()));
        }
        auto live = Make(*row, {*opened}, {});
        {
          std::lock_guard<std::mutex> lock(mu_);
          opening_.erase(couple.id);
          sessions_[row->id] = live;
          open_by_couple_[couple.id] = row->id;
          if (auto conn = outbox.lock())
            joined_by_connection_[conn->connection_id()].insert(row->id);
        }
        MEND_LOG(kInfo) << "session " << row->id << " opened by account " << me;
        live->Join(me, 0, outbox, reply);
        v1::ServerMessage offer;
        auto* o = offer.mutable_push()->mutable_session_opened();
        o->set_session_id(row->id);
        o->set_topic(opened->opened().topic());
        *o->mutable_by() = me_view;
        push_(partner, offer);
      });
}

std::shared_ptr<LiveSession> SessionHub::Find(int64_t couple_id, int64_t session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_id == 0) {
    auto it = open_by_couple_.find(couple_id);
    if (it == open_by_couple_.end()) return nullptr;
    session_id = it->second;
  }
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second->couple_id() != couple_id) return nullptr;
  return it->second;
}

void SessionHub::Join(int64_t couple_id, int64_t account_id, int64_t session_id, uint64_t after_seq,
                      std::weak_ptr<Outbox> outbox, Reply reply) {
  if (auto live = Find(couple_id, session_id)) {
    if (auto conn = outbox.lock()) {
      std::lock_guard<std::mutex> lock(mu_);
      joined_by_connection_[conn->connection_id()].insert(live->id());
    }
    return live->Join(account_id, after_seq, std::move(outbox), std::move(reply));
  }
  if (session_id == 0) {
    return reply(
        ErrorReply(MakeError(v1::NOT_FOUND, "you have no open session; start one with a topic")));
  }
  // Not open here: a closed session of the couple is read from the log.
  auto row = log_.FindSession(session_id);
  if (!row.ok() || row.value().couple_id != couple_id) return reply(ErrorReply(NotFound()));
  auto events = log_.LoadEvents(session_id, after_seq);
  if (!events.ok()) return reply(ErrorReply(events.error()));
  v1::Reply r;
  auto* joined = r.mutable_joined();
  joined->set_session_id(session_id);
  joined->set_you(account_id == row.value().opened_by ? v1::SIDE_A : v1::SIDE_B);
  for (auto& e : events.value()) *joined->add_events() = std::move(e);
  reply(std::move(r));
}

void SessionHub::Leave(int64_t couple_id, int64_t session_id, uint64_t connection_id, Reply reply) {
  auto live = Find(couple_id, session_id);
  if (!live) {
    // Leaving a session that is closed (or was never joined) is harmless.
    auto row = log_.FindSession(session_id);
    if (!row.ok() || row.value().couple_id != couple_id) return reply(ErrorReply(NotFound()));
    v1::Reply r;
    r.mutable_done();
    return reply(std::move(r));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    joined_by_connection_[connection_id].erase(live->id());
  }
  live->Leave(connection_id, std::move(reply));
}

void SessionHub::Act(int64_t couple_id, int64_t account_id, int64_t session_id,
                     std::string command_id, v1::Move move, Reply reply) {
  if (auto live = Find(couple_id, session_id)) {
    return live->Act(account_id, std::move(command_id), std::move(move), std::move(reply));
  }
  auto row = session_id == 0 ? Result<SessionRow>(NotFound()) : log_.FindSession(session_id);
  if (!row.ok() || row.value().couple_id != couple_id) return reply(ErrorReply(NotFound()));
  Error e = MakeError(v1::SESSION_CLOSED, "this session has ended");
  e.session_id = session_id;
  reply(ErrorReply(e));
}

void SessionHub::Disconnected(uint64_t connection_id) {
  std::vector<std::shared_ptr<LiveSession>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = joined_by_connection_.find(connection_id);
    if (it == joined_by_connection_.end()) return;
    for (int64_t id : it->second) {
      auto s = sessions_.find(id);
      if (s != sessions_.end()) sessions.push_back(s->second);
    }
    joined_by_connection_.erase(it);
  }
  for (auto& s : sessions) s->Leave(connection_id, nullptr);
}

void SessionHub::Closed(int64_t session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  open_by_couple_.erase(it->second->couple_id());
  // Subscribers that are still connected keep the object alive through nothing: the session is
  // read from the log from now on.
  sessions_.erase(it);
  MEND_LOG(kInfo) << "session " << session_id << " closed";
}

void SessionHub::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, live] : sessions_) live->Stop();
}

size_t SessionHub::open_sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace mend
