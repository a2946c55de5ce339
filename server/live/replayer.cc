#include "server/live/replayer.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>

#include "common/log.h"
#include "common/replay_pacing.h"

namespace mend {

using State = v1::ReplayStatus::State;

// One replay. All state is touched only on its strand.
class Replayer::Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(boost::asio::io_context& ioc, const Clock& clock, Replayer* owner, uint64_t connection_id,
         uint64_t id, std::weak_ptr<Outbox> outbox, std::vector<v1::SessionEvent> events,
         std::vector<TimeMs> offsets)
      : strand_(boost::asio::make_strand(ioc)),
        timer_(strand_),
        clock_(clock),
        owner_(owner),
        connection_id_(connection_id),
        id_(id),
        outbox_(std::move(outbox)),
        events_(std::move(events)),
        offsets_(std::move(offsets)) {}

  void Begin() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->base_ = self->clock_.NowMs();
      self->Pump();
    });
  }

  void Control(v1::ControlReplay::Action action,
               std::function<void(Result<v1::ReplayStatus>)> done) {
    boost::asio::post(strand_, [self = shared_from_this(), action, done = std::move(done)] {
      TimeMs now = self->clock_.NowMs();
      switch (action) {
        case v1::ControlReplay::PAUSE:
          if (self->state_ == v1::ReplayStatus::PLAYING) {
            self->state_ = v1::ReplayStatus::PAUSED;
            self->paused_at_ = now;
            self->timer_.cancel();
          }
          break;
        case v1::ControlReplay::RESUME:
          if (self->state_ == v1::ReplayStatus::PAUSED) {
            // The time spent paused does not count: the next event keeps its distance.
            self->base_ += now - self->paused_at_;
            self->state_ = v1::ReplayStatus::PLAYING;
            self->Pump();
          }
          break;
        case v1::ControlReplay::STOP:
          self->Finish(v1::ReplayStatus::STOPPED, /*tell=*/true);
          break;
        default:
          break;
      }
      done(self->Status());
    });
  }

  // Stops without telling the client (it is gone, or the server is stopping).
  void Halt() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->Finish(v1::ReplayStatus::STOPPED, /*tell=*/false);
    });
  }

 private:
  v1::ReplayStatus Status() const {
    v1::ReplayStatus s;
    s.set_replay_id(id_);
    s.set_state(state_);
    s.set_sent(next_);
    s.set_total(events_.size());
    return s;
  }

  // Sends every event that is due, as far as the window allows; then waits for the next one's
  // time or for a write to complete.
  void Pump() {
    if (state_ != v1::ReplayStatus::PLAYING) return;
    auto outbox = outbox_.lock();
    if (!outbox) return Finish(v1::ReplayStatus::STOPPED, /*tell=*/false);
    TimeMs now = clock_.NowMs();
    while (next_ < events_.size() && in_flight_ < kWindow && base_ + offsets_[next_] <= now) {
      v1::ServerMessage m;
      auto* r = m.mutable_push()->mutable_replay_event();
      r->set_replay_id(id_);
      *r->mutable_event() = events_[next_];
      ++next_;
      ++in_flight_;
      outbox->Send(std::make_shared<const EncodedMessage>(m),
                   [self = shared_from_this()](bool written) {
                     boost::asio::post(self->strand_, [self, written] {
                       --self->in_flight_;
                       if (!written) return self->Finish(v1::ReplayStatus::STOPPED, false);
                       self->Pump();
                     });
                   });
    }
    if (next_ == events_.size()) return Finish(v1::ReplayStatus::FINISHED, /*tell=*/true);
    if (in_flight_ >= kWindow) return;  // a completed write pumps again
    TimeMs wait = std::clamp<TimeMs>(base_ + offsets_[next_] - now, 0, clock_.MaxTimerWaitMs());
    timer_.expires_after(std::chrono::milliseconds(wait));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->Pump();
    });
  }

  void Finish(State final_state, bool tell) {
    if (state_ == v1::ReplayStatus::FINISHED || state_ == v1::ReplayStatus::STOPPED) return;
    state_ = final_state;
    timer_.cancel();
    if (tell) {
      if (auto outbox = outbox_.lock()) {
        v1::ServerMessage m;
        *m.mutable_push()->mutable_replay_ended() = Status();
        outbox->Send(std::make_shared<const EncodedMessage>(m));
      }
    }
    MEND_LOG(kDebug) << "conn " << connection_id_ << " replay " << id_ << " ended after " << next_
                     << " of " << events_.size() << " events";
    owner_->Ended(connection_id_, id_);
  }

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  const Clock& clock_;
  Replayer* owner_;
  const uint64_t connection_id_;
  const uint64_t id_;
  std::weak_ptr<Outbox> outbox_;
  const std::vector<v1::SessionEvent> events_;
  const std::vector<TimeMs> offsets_;

  State state_ = v1::ReplayStatus::PLAYING;
  size_t next_ = 0;       // the next event to send
  size_t in_flight_ = 0;  // sent, not yet written
  TimeMs base_ = 0;       // when offset 0 is due, moved on by the time spent paused
  TimeMs paused_at_ = 0;
};

Replayer::Replayer(boost::asio::io_context& ioc, SessionLog& log, const Clock& clock)
    : ioc_(ioc), log_(log), clock_(clock) {}

Replayer::~Replayer() = default;

void Replayer::Start(int64_t couple_id, int64_t account_id, const v1::StartReplay& request,
                     std::weak_ptr<Outbox> outbox,
                     std::function<void(Result<v1::ReplayStarted>)> done) {
  if (Status s = replay::CheckSpeed(request.speed()); !s.ok()) return done(s.error());
  auto row = log_.FindSession(request.session_id());
  if (!row.ok() || row.value().couple_id != couple_id) {
    return done(MakeError(v1::NOT_FOUND, "there is no such session"));
  }
  auto conn = outbox.lock();
  if (!conn) return done(MakeError(v1::UNAVAILABLE, "the connection closed"));
  auto events = log_.LoadEvents(request.session_id(), 0);
  if (!events.ok()) return done(events.error());
  std::vector<TimeMs> times;
  times.reserve(events.value().size());
  for (const auto& e : events.value()) times.push_back(e.at_unix_ms());
  auto offsets =
      replay::Offsets(times, request.speed(), TimeMs{request.max_pause_seconds()} * 1000);

  v1::ReplayStarted started;
  started.set_session_id(request.session_id());
  started.set_you(account_id == row.value().opened_by ? v1::SIDE_A : v1::SIDE_B);
  started.set_total_events(events.value().size());
  started.set_duration_ms(offsets.empty() ? 0 : offsets.back());
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t mine = 0;
    for (const auto& [key, s] : streams_) mine += key.first == conn->connection_id();
    if (mine >= kMaxPerConnection) {
      return done(MakeError(v1::TOO_MANY, "four replays are running on this connection; stop one"));
    }
    uint64_t id = ++last_id_;
    stream = std::make_shared<Stream>(ioc_, clock_, this, conn->connection_id(), id, outbox,
                                      std::move(events).value(), std::move(offsets));
    streams_[{conn->connection_id(), id}] = stream;
    started.set_replay_id(id);
  }
  MEND_LOG(kInfo) << "conn " << conn->connection_id() << " replays session " << request.session_id()
                  << " as replay " << started.replay_id();
  done(started);
  stream->Begin();
}

void Replayer::Control(uint64_t connection_id, const v1::ControlReplay& request,
                       std::function<void(Result<v1::ReplayStatus>)> done) {
  auto action = request.action();
  if (action != v1::ControlReplay::PAUSE && action != v1::ControlReplay::RESUME &&
      action != v1::ControlReplay::STOP && action != v1::ControlReplay::STATUS) {
    return done(MakeError(v1::INVALID_ARGUMENT, "pause, resume, stop or status"));
  }
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find({connection_id, request.replay_id()});
    if (it != streams_.end()) stream = it->second;
  }
  if (!stream) return done(MakeError(v1::NOT_FOUND, "there is no such replay running"));
  stream->Control(action, std::move(done));
}

void Replayer::Disconnected(uint64_t connection_id) {
  std::vector<std::shared_ptr<Stream>> gone;
  {
    // Out of the registry at once: nothing on this connection may control them any more.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      if (it->first.first == connection_id) {
        gone.push_back(it->second);
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : gone) s->Halt();
}

void Replayer::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, s] : streams_) s->Halt();
}

void Replayer::Ended(uint64_t connection_id, uint64_t replay_id) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.erase({connection_id, replay_id});
}

size_t Replayer::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.size();
}

}  // namespace mend
