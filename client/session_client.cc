#include "client/session_client.h"

#include "common/crypto.h"

namespace mend::client {

SessionClient::SessionClient(Connection& conn) : conn_(&conn) { Attach(conn); }

SessionClient::~SessionClient() {
  if (conn_) conn_->SetPushHandler(nullptr);
}

void SessionClient::Attach(Connection& conn) {
  conn_ = &conn;
  conn.SetPushHandler([this](const v1::Push& push) { HandlePush(push); });
}

void SessionClient::HandlePush(const v1::Push& push) {
  std::vector<v1::SessionEvent> folded;
  std::function<void(const v1::SessionEvent&)> on_event;
  std::function<void(const v1::Presence&)> on_presence;
  std::function<void(const v1::Push&)> on_other;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (push.has_event() && awaiting_id_) {
      unclaimed_.push_back(push.event());
      return;
    }
    if (push.has_event() && push.event().session_id() == session_id_) {
      folded = FoldLocked({push.event()});
    } else if (push.has_presence() && push.presence().session_id() == session_id_) {
      presence_.push_back(push.presence());
    } else {
      // Not this session's: only an OnOtherPush handler may want it.
      on_other = on_other_;
      if (!on_other) return;
    }
    on_event = on_event_;
    on_presence = on_presence_;
  }
  if (on_other) return on_other(push);
  if (on_event) {
    for (const auto& e : folded) on_event(e);
  }
  if (on_presence && push.has_presence()) on_presence(push.presence());
  // Waiters wake once the handlers have seen the event: an Act returns after its own events
  // were shown.
  cv_.notify_all();
}

std::vector<v1::SessionEvent> SessionClient::FoldLocked(
    const std::vector<v1::SessionEvent>& events) {
  for (const auto& e : events) {
    if (e.seq() > state_.seq) early_.emplace(e.seq(), e);
  }
  std::vector<v1::SessionEvent> folded;
  for (auto it = early_.begin(); it != early_.end() && it->first == state_.seq + 1;
       it = early_.erase(it)) {
    session::Apply(state_, it->second);
    events_.push_back(it->second);
    folded.push_back(it->second);
  }
  return folded;
}

Result<v1::SessionJoined> SessionClient::Joined(Result<v1::Reply> reply) {
  Error failed;
  if (!reply.ok()) {
    failed = reply.error();
  } else if (reply.value().has_error()) {
    failed = FromProto(reply.value().error());
  } else if (!reply.value().has_joined()) {
    failed = MakeError(v1::BAD_MESSAGE, "the server answered with something unexpected");
  }
  if (!reply.ok() || !reply.value().has_joined()) {
    std::lock_guard<std::mutex> lock(mu_);
    awaiting_id_ = false;
    unclaimed_.clear();
    return failed;
  }
  const v1::SessionJoined& joined = reply.value().joined();
  std::vector<v1::SessionEvent> folded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_id_ != joined.session_id()) {
      session_id_ = joined.session_id();
      state_ = session::State{};
      events_.clear();
      early_.clear();
    }
    side_ = joined.you();
    std::vector<v1::SessionEvent> all(joined.events().begin(), joined.events().end());
    for (auto& e : unclaimed_) {
      if (e.session_id() == session_id_) all.push_back(std::move(e));
    }
    unclaimed_.clear();
    awaiting_id_ = false;
    folded = FoldLocked(all);
  }
  cv_.notify_all();
  std::function<void(const v1::SessionEvent&)> on_event;
  {
    std::lock_guard<std::mutex> lock(mu_);
    on_event = on_event_;
  }
  if (on_event) {
    for (const auto& e : folded) on_event(e);
  }
  return joined;
}

Result<v1::SessionJoined> SessionClient::Open(const std::string& topic) {
  v1::ClientMessage m;
  m.mutable_open_session()->set_topic(topic);
  {
    std::lock_guard<std::mutex> lock(mu_);
    awaiting_id_ = true;
  }
  return Joined(conn_->Call(std::move(m)));
}

Result<v1::SessionJoined> SessionClient::Join(int64_t session_id) {
  v1::ClientMessage m;
  m.mutable_join_session()->set_session_id(session_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_id != 0 && session_id != session_id_) {
      session_id_ = session_id;
      state_ = session::State{};
      events_.clear();
      early_.clear();
    }
    m.mutable_join_session()->set_after_seq(session_id == session_id_ ? state_.seq : 0);
    awaiting_id_ = session_id == 0;
  }
  return Joined(conn_->Call(std::move(m)));
}

Result<v1::SessionJoined> SessionClient::Resume(Connection& conn) {
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = session_id_;
  }
  Attach(conn);
  return Join(id);
}

Status SessionClient::Leave() {
  v1::ClientMessage m;
  m.mutable_leave_session()->set_session_id(session_id());
  auto reply = conn_->Call(std::move(m));
  if (!reply.ok()) return reply.error();
  if (reply.value().has_error()) return FromProto(reply.value().error());
  return Status();
}

Result<v1::Accepted> SessionClient::Act(const v1::Move& move) {
  return Act(move, crypto::NewToken().substr(0, 22));
}

Result<v1::Accepted> SessionClient::Act(const v1::Move& move, const std::string& command_id) {
  v1::ClientMessage m;
  m.set_client_command_id(command_id);
  m.mutable_act()->set_session_id(session_id());
  *m.mutable_act()->mutable_move() = move;
  auto reply = conn_->Call(std::move(m));
  if (!reply.ok()) return reply.error();
  if (reply.value().has_error()) return FromProto(reply.value().error());
  if (!reply.value().has_accepted()) {
    return MakeError(v1::BAD_MESSAGE, "the server answered with something unexpected");
  }
  // The server sends the Accepted before the move's own events (mend.proto); they follow at
  // once. Returning after they are folded keeps "my move is in the state" true for the caller.
  if (!WaitForSeq(reply.value().accepted().last_seq())) {
    return MakeError(v1::DEADLINE_EXCEEDED, "the move was accepted but its events did not arrive");
  }
  return reply.value().accepted();
}

bool SessionClient::WaitForSeq(uint64_t seq, Duration timeout) {
  return WaitUntil([seq](const session::State& s) { return s.seq >= seq; }, timeout);
}

bool SessionClient::WaitUntil(const std::function<bool(const session::State&)>& pred,
                              Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(state_); });
}

bool SessionClient::WaitForPresence(v1::Presence::State presence, Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout,
                      [&] { return !presence_.empty() && presence_.back().state() == presence; });
}

int64_t SessionClient::session_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_id_;
}
v1::Side SessionClient::side() const {
  std::lock_guard<std::mutex> lock(mu_);
  return side_;
}
session::State SessionClient::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}
std::vector<v1::SessionEvent> SessionClient::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}
std::vector<v1::Presence> SessionClient::presence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return presence_;
}
void SessionClient::OnEvent(std::function<void(const v1::SessionEvent&)> on_event) {
  std::lock_guard<std::mutex> lock(mu_);
  on_event_ = std::move(on_event);
}
void SessionClient::OnOtherPush(std::function<void(const v1::Push&)> on_other) {
  std::lock_guard<std::mutex> lock(mu_);
  on_other_ = std::move(on_other);
}

void SessionClient::OnPresence(std::function<void(const v1::Presence&)> on_presence) {
  std::lock_guard<std::mutex> lock(mu_);
  on_presence_ = std::move(on_presence);
}

}  // namespace mend::client
