#include "server/live/live_session.h"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "common/log.h"
#include "server/store/session_record.h"

namespace mend {

v1::Reply ErrorReply(const Error& error) {
  v1::Reply r;
  ToProto(error, r.mutable_error());
  return r;
}

namespace {

v1::Reply AcceptedReply(int64_t session_id, uint64_t first, uint64_t last) {
  v1::Reply r;
  auto* a = r.mutable_accepted();
  a->set_session_id(session_id);
  a->set_first_seq(first);
  a->set_last_seq(last);
  return r;
}

}  // namespace

LiveSession::LiveSession(boost::asio::io_context& ioc, Writer& writer, const Clock& clock,
                         const session::Config& config, SessionRow row,
                         std::vector<v1::SessionEvent> log,
                         const std::vector<CommandRecord>& commands,
                         std::function<void(int64_t)> on_closed)
    : strand_(boost::asio::make_strand(ioc)),
      timer_(strand_),
      writer_(writer),
      clock_(clock),
      config_(config),
      row_(std::move(row)),
      on_closed_(std::move(on_closed)),
      log_(std::move(log)) {
  for (const auto& e : log_) session::Apply(state_, e);
  for (const auto& c : commands) commands_[{c.account_id, c.command_id}] = c;
}

void LiveSession::Enqueue(std::function<void()> task) {
  boost::asio::post(strand_, [self = shared_from_this(), task = std::move(task)]() mutable {
    if (self->busy_) {
      self->waiting_.push_back(std::move(task));
      return;
    }
    self->busy_ = true;
    task();
  });
}

// Every task ends here, on the strand: the next waiting task may run.
void LiveSession::Done() {
  if (waiting_.empty()) {
    busy_ = false;
    return;
  }
  auto next = std::move(waiting_.front());
  waiting_.pop_front();
  next();
}

void LiveSession::Commit(std::vector<v1::SessionEvent> events, std::optional<CommandRecord> command,
                         std::function<void(Status)> then) {
  auto shared = std::make_shared<std::vector<v1::SessionEvent>>(std::move(events));
  bool closes = !shared->empty() && shared->back().has_closed();
  int64_t id = row_.id, couple = row_.couple_id;
  // The state after these events: its summary and new commitments are stored with them.
  auto after = std::make_shared<session::State>(state_);
  for (const auto& e : *shared) session::Apply(*after, e);
  size_t known = state_.commitments.size();
  writer_.Write(
      [shared, command, closes, id, couple, after, known](WriteTx& tx) -> Status {
        for (const auto& e : *shared) {
          // The command is kept on its first event, for resends.
          const CommandRecord* by = command && e.seq() == command->first_seq ? &*command : nullptr;
          if (Status s = tx.InsertEvent(e, by); !s.ok()) return s;
        }
        if (Status s = RecordFold(tx, couple, *after, known, shared->back().at_unix_ms());
            !s.ok()) {
          return s;
        }
        if (closes) {
          const auto& last = shared->back();
          return tx.CloseSession(id, last.closed().outcome(), last.at_unix_ms());
        }
        return Status();
      },
      [self = shared_from_this(), shared, after, then = std::move(then)](Status s) mutable {
        boost::asio::post(self->strand_, [self, shared, after, s, then = std::move(then)]() {
          // The events go to those subscribed before `then`, which may subscribe someone new
          // who gets them in its catch-up instead: nobody receives an event twice.
          std::map<uint64_t, Subscriber> audience;
          if (s.ok()) {
            self->state_ = std::move(*after);
            for (const auto& e : *shared) self->log_.push_back(e);
            audience = self->subscribers_;
          } else {
            MEND_LOG(kError) << "session " << self->row_.id
                             << " commit failed: " << ErrorCodeName(s.code());
          }
          // The author's reply is queued on its connection before the pushes of its own events
          // (the ordering promise in mend.proto): both are posted from this strand, in order.
          then(s);
          if (s.ok()) {
            self->Publish(*shared, audience);
            self->Arm();
            if (self->state_.phase == v1::CLOSED && self->on_closed_) {
              auto on_closed = std::move(self->on_closed_);
              self->on_closed_ = nullptr;
              on_closed(self->row_.id);
            }
          }
          self->Done();
        });
      });
}

void LiveSession::Start() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->Arm(); });
}

void LiveSession::Stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void LiveSession::Arm() {
  if (stopped_) return;
  auto deadline = session::NextDeadline(state_, config_);
  if (!deadline) {
    timer_.cancel();
    return;
  }
  TimeMs wait = std::clamp<TimeMs>(*deadline - clock_.NowMs(), 0, clock_.MaxTimerWaitMs());
  timer_.expires_after(std::chrono::milliseconds(wait));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->OnTimer();
  });
}

void LiveSession::OnTimer() {
  Enqueue([self = shared_from_this()]() {
    auto events = session::Tick(self->state_, self->clock_.NowMs(), self->config_);
    if (events.empty()) {
      self->Arm();
      return self->Done();
    }
    MEND_LOG(kInfo) << "session " << self->row_.id << " timer: "
                    << (events.front().has_break_ended() ? "break over" : "not resumed");
    self->Commit(std::move(events), std::nullopt, [](Status) {});
  });
}

void LiveSession::Join(int64_t account_id, uint64_t after_seq, std::weak_ptr<Outbox> outbox,
                       Reply reply) {
  Enqueue([self = shared_from_this(), account_id, after_seq, outbox = std::move(outbox),
           reply = std::move(reply)]() mutable {
    self->DoJoin(account_id, after_seq, std::move(outbox), std::move(reply));
  });
}

void LiveSession::DoJoin(int64_t account_id, uint64_t after_seq, std::weak_ptr<Outbox> outbox,
                         Reply reply) {
  auto conn = outbox.lock();
  if (!conn) {
    reply(ErrorReply(MakeError(v1::UNAVAILABLE, "the connection closed")));
    return Done();
  }
  v1::Side side = SideOf(account_id);
  bool was_joined = state_.of(side).joined;
  bool was_present = Present(side);

  auto finish = [this, side, after_seq, conn, was_joined, was_present, reply]() {
    subscribers_[conn->connection_id()] = Subscriber{side, conn};
    v1::Reply r;
    auto* joined = r.mutable_joined();
    joined->set_session_id(row_.id);
    joined->set_you(side);
    joined->set_partner_present(Present(session::Other(side)));
    for (const auto& e : log_) {
      if (e.seq() > after_seq) *joined->add_events() = e;
    }
    reply(std::move(r));
    if (!was_present) {
      PushPresence(side, was_joined ? v1::Presence::BACK : v1::Presence::JOINED);
    }
    MEND_LOG(kInfo) << "conn " << conn->connection_id() << " joined session " << row_.id;
  };

  std::vector<v1::SessionEvent> events = session::Join(state_, side, clock_.NowMs());
  if (events.empty()) {
    finish();
    return Done();
  }
  // Side B's first join is part of the session's story: committed like any move. The joiner
  // subscribes after the commit, so it receives its own joined event in the reply, not twice.
  Commit(std::move(events), std::nullopt, [finish, reply](Status s) {
    if (s.ok()) {
      finish();
    } else {
      reply(ErrorReply(MakeError(v1::INTERNAL, "could not join; nothing was changed")));
    }
  });
}

void LiveSession::Leave(uint64_t connection_id, Reply reply) {
  boost::asio::post(strand_, [self = shared_from_this(), connection_id, reply]() {
    auto it = self->subscribers_.find(connection_id);
    if (it != self->subscribers_.end()) {
      v1::Side side = it->second.side;
      self->subscribers_.erase(it);
      if (!self->Present(side)) self->PushPresence(side, v1::Presence::LEFT);
    }
    if (reply) {
      v1::Reply r;
      r.mutable_done();
      reply(std::move(r));
    }
  });
}

void LiveSession::Act(int64_t account_id, std::string command_id, v1::Move move, Reply reply) {
  Enqueue([self = shared_from_this(), account_id, command_id = std::move(command_id),
           move = std::move(move),
           reply = std::move(reply)]() { self->DoAct(account_id, command_id, move, reply); });
}

void LiveSession::DoAct(int64_t account_id, const std::string& command_id, const v1::Move& move,
                        Reply reply) {
  if (!command_id.empty()) {
    auto it = commands_.find({account_id, command_id});
    if (it != commands_.end()) {
      // A resend after a reconnect: applied once, answered as the first time.
      reply(AcceptedReply(row_.id, it->second.first_seq, it->second.last_seq));
      return Done();
    }
  }
  v1::Side side = SideOf(account_id);
  auto decided = session::Decide(state_, move, side, clock_.NowMs(), config_);
  if (!decided.ok()) {
    Error e = decided.error();
    e.session_id = row_.id;
    reply(ErrorReply(e));
    return Done();
  }
  std::vector<v1::SessionEvent> events = std::move(decided).value();
  uint64_t first = events.front().seq(), last = events.back().seq();
  std::optional<CommandRecord> command;
  if (!command_id.empty()) command = CommandRecord{account_id, command_id, first, last};
  Commit(std::move(events), command, [this, command, first, last, reply](Status s) {
    if (!s.ok()) {
      reply(ErrorReply(MakeError(v1::INTERNAL, "your move was not saved; send it again")));
      return;
    }
    if (command) commands_[{command->account_id, command->command_id}] = *command;
    reply(AcceptedReply(row_.id, first, last));
  });
}

void LiveSession::Publish(const std::vector<v1::SessionEvent>& events,
                          const std::map<uint64_t, Subscriber>& audience) {
  for (const auto& e : events) {
    v1::ServerMessage m;
    *m.mutable_push()->mutable_event() = e;
    auto encoded = std::make_shared<const EncodedMessage>(std::move(m));
    for (const auto& [id, subscriber] : audience) {
      if (auto outbox = subscriber.outbox.lock()) outbox->Send(encoded);
    }
  }
}

void LiveSession::PushPresence(v1::Side about, v1::Presence::State presence) {
  v1::ServerMessage m;
  auto* p = m.mutable_push()->mutable_presence();
  p->set_session_id(row_.id);
  p->set_side(about);
  p->set_state(presence);
  SendTo(session::Other(about), std::make_shared<const EncodedMessage>(m));
}

bool LiveSession::Present(v1::Side side) const {
  for (const auto& [id, s] : subscribers_) {
    if (s.side == side && !s.outbox.expired()) return true;
  }
  return false;
}

void LiveSession::SendTo(v1::Side side, const std::shared_ptr<const EncodedMessage>& message) {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    auto outbox = it->second.outbox.lock();
    if (!outbox) {
      it = subscribers_.erase(it);
      continue;
    }
    if (it->second.side == side) outbox->Send(message);
    ++it;
  }
}

}  // namespace mend
