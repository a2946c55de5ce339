#include "client/replay_client.h"

#include "client/reply.h"

namespace mend::client {

ReplayClient::ReplayClient(Connection& conn) : conn_(conn) {
  conn_.SetPushHandler([this](const v1::Push& push) { HandlePush(push); });
}

ReplayClient::~ReplayClient() { conn_.SetPushHandler(nullptr); }

void ReplayClient::HandlePush(const v1::Push& push) {
  std::vector<std::pair<session::State, v1::SessionEvent>> folded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (awaiting_id_) {
      // The reply to Start and the first events race on two threads: keep them until the id is
      // known.
      unclaimed_.push_back(push);
      return;
    }
    TakeLocked(push, folded);
  }
  Deliver(folded);
}

void ReplayClient::TakeLocked(const v1::Push& push,
                              std::vector<std::pair<session::State, v1::SessionEvent>>& folded) {
  if (push.has_replay_ended() && push.replay_ended().replay_id() == replay_id_) {
    ended_ = push.replay_ended();
    cv_.notify_all();
    return;
  }
  if (!push.has_replay_event() || push.replay_event().replay_id() != replay_id_) return;
  const v1::SessionEvent& e = push.replay_event().event();
  if (e.session_id() != session_id_ || e.seq() != state_.seq + 1) {
    if (integrity_.ok()) {
      integrity_ = MakeError(v1::INTERNAL, "the replay skipped or repeated an event at seq " +
                                               std::to_string(e.seq()));
    }
    return;
  }
  if (on_event_) folded.emplace_back(state_, e);
  session::Apply(state_, e);
  events_.push_back(e);
  cv_.notify_all();
}

void ReplayClient::Deliver(const std::vector<std::pair<session::State, v1::SessionEvent>>& folded) {
  std::function<void(const session::State&, const v1::SessionEvent&)> on_event;
  {
    std::lock_guard<std::mutex> lock(mu_);
    on_event = on_event_;
  }
  if (!on_event) return;
  for (const auto& [before, e] : folded) on_event(before, e);
}

Result<v1::ReplayStarted> ReplayClient::Start(int64_t session_id, double speed,
                                              uint32_t max_pause_seconds) {
  bool earlier_running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    earlier_running = replay_id_ != 0 && !ended_;
  }
  // An earlier replay of this client that is still running would keep streaming (and hold one
  // of the connection's replay slots): stop it first. It may have just ended: any answer will do.
  if (earlier_running) (void)Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    replay_id_ = 0;
    session_id_ = session_id;
    state_ = session::State();
    events_.clear();
    ended_.reset();
    integrity_ = Status();
    awaiting_id_ = true;
    unclaimed_.clear();
  }
  v1::ClientMessage m;
  auto* r = m.mutable_start_replay();
  r->set_session_id(session_id);
  r->set_speed(speed);
  r->set_max_pause_seconds(max_pause_seconds);
  auto started = Expect<v1::ReplayStarted>(
      conn_.Call(std::move(m)), [](auto& r) { return r.has_replay_started(); },
      [](auto& r) { return r.replay_started(); });
  std::vector<std::pair<session::State, v1::SessionEvent>> folded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    awaiting_id_ = false;
    if (started.ok()) {
      replay_id_ = started.value().replay_id();
      for (const auto& push : unclaimed_) TakeLocked(push, folded);
    }
    unclaimed_.clear();
  }
  Deliver(folded);
  return started;
}

Result<v1::ReplayStatus> ReplayClient::Control(v1::ControlReplay::Action action) {
  v1::ClientMessage m;
  {
    std::lock_guard<std::mutex> lock(mu_);
    m.mutable_control_replay()->set_replay_id(replay_id_);
  }
  m.mutable_control_replay()->set_action(action);
  return Expect<v1::ReplayStatus>(
      conn_.Call(std::move(m)), [](auto& r) { return r.has_replay_status(); },
      [](auto& r) { return r.replay_status(); });
}

Result<v1::ReplayStatus> ReplayClient::Pause() { return Control(v1::ControlReplay::PAUSE); }
Result<v1::ReplayStatus> ReplayClient::Resume() { return Control(v1::ControlReplay::RESUME); }
Result<v1::ReplayStatus> ReplayClient::Stop() { return Control(v1::ControlReplay::STOP); }
Result<v1::ReplayStatus> ReplayClient::Progress() { return Control(v1::ControlReplay::STATUS); }

bool ReplayClient::WaitForEvents(size_t count, Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
}

std::optional<v1::ReplayStatus> ReplayClient::WaitEnded(Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return ended_.has_value(); })) return std::nullopt;
  return ended_;
}

session::State ReplayClient::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::vector<v1::SessionEvent> ReplayClient::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

Status ReplayClient::integrity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return integrity_;
}

void ReplayClient::OnEvent(
    std::function<void(const session::State&, const v1::SessionEvent&)> on_event) {
  std::lock_guard<std::mutex> lock(mu_);
  on_event_ = std::move(on_event);
}

}  // namespace mend::client
