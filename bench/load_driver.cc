#include "bench/load_driver.h"

#include <time.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>
#include <memory>
#include <optional>

#include "bench/load_client.h"
#include "common/crypto.h"
#include "common/result.h"
#include "common/session/moves.h"
#include "common/session/sample.h"

namespace mend::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

// The turn cycle in talk: speaker, listener, speaker, listener, speaker; then the floor passes.
// The author alternates with every move, so the partner who receives an event moves next.
constexpr int kCycle = 5;
std::array<v1::Move, kCycle> CycleMoves() {
  namespace m = session::moves;
  return {m::Statement("unheard", "plans change without a word", "I like to know where we stand",
                       "a message when plans change"),
          m::Reflection("you feel unheard when plans change and you are not told"), m::Confirm(),
          m::Validation("that makes sense: not knowing is unsettling"), m::PassFloor()};
}

// This process's CPU time: if the tool saturates its core, its latencies measure itself.
double OwnCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

Clock::duration SecondsToDuration(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

class Driver {
 public:
  Driver(const LoadOptions& options, const std::vector<SeededCouple>& seeded, ServerProcess& server)
      : options_(options),
        seeded_(seeded),
        server_(server),
        endpoint_(asio::ip::make_address("127.0.0.1"), server.port()),
        ticker_(io_),
        deadline_(io_),
        kill_timer_(io_),
        moves_(CycleMoves()) {
    couples_.resize(seeded.size());
    peers_.resize(2 * seeded.size() + (options.register_flood ? options.registrars : 0));
    for (size_t i = 0; i < peers_.size(); ++i) {
      peers_[i].couple = i < 2 * seeded.size() ? static_cast<int>(i / 2) : -1;
      peers_[i].side = static_cast<int>(i % 2);
    }
    result_.couples = static_cast<int>(seeded.size());
  }

  LoadResult Run() {
    WatchServer();
    deadline_.expires_after(SecondsToDuration(options_.deadline_seconds));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec || phase_ >= Phase::kStopping) return;
      Abort("overall deadline of " + Format("%.0f", options_.deadline_seconds) + " s passed");
    });
    connect_start_ = Clock::now();
    LaunchConnects();
    if (seeded_.empty()) StartLoad();
    io_.run();
    return std::move(result_);
  }

 private:
  enum class Phase { kConnecting, kLoad, kDrain, kStopping, kDone };
  enum class Kind { kAuthenticate, kJoin, kMove, kWhoAmI, kRegister };

  struct Pending {
    uint64_t request_id;
    Kind kind;
    Clock::time_point sent;
    bool measured;
  };

  struct Peer {
    std::shared_ptr<WsClient> ws;
    int couple = -1;  // -1: a registering connection
    int side = 0;     // 0: side A, 1: side B
    uint64_t next_request_id = 1;
    std::vector<Pending> pending;               // a few at most: linear search is enough
    bool settled = false;                       // its connect finished, one way or the other
    std::unique_ptr<asio::steady_timer> retry;  // registering connections only
  };

  struct Couple {
    int64_t session_id = 0;
    int joined = 0;
    bool broken = false;   // a partner is gone or a move was refused: the couple stops
    uint64_t seq = 0;      // the last event the next author has received
    uint64_t moves = 0;    // moves made since the check-ins: who moves next, and which move
    bool waiting = false;  // a move is out; its event has not reached the partner yet
    bool owed = false;     // open loop: its slot came while it was waiting
    Clock::time_point sent_at;
    bool measured = false;  // the move out was sent inside the window
  };

  bool InWindow(Clock::time_point t) const {
    return phase_ >= Phase::kLoad && t >= window_start_ && t < window_end_;
  }

  void CountError(const std::string& name) { ++result_.errors[name]; }

  void Send(int peer_index, v1::ClientMessage& m, Kind kind, Clock::time_point now) {
    Peer& peer = peers_[peer_index];
    m.set_request_id(peer.next_request_id++);
    peer.pending.push_back({m.request_id(), kind, now, InWindow(now)});
    peer.ws->Send(m);
  }

  std::optional<Pending> TakePending(Peer& peer, uint64_t request_id) {
    for (size_t i = 0; i < peer.pending.size(); ++i) {
      if (peer.pending[i].request_id != request_id) continue;
      Pending p = peer.pending[i];
      peer.pending[i] = peer.pending.back();
      peer.pending.pop_back();
      return p;
    }
    return std::nullopt;
  }

  // --- Connecting: bounded concurrency, so the listen backlog is never overrun.

  void LaunchConnects() {
    size_t couple_peers = 2 * seeded_.size();
    while (phase_ == Phase::kConnecting && connects_in_flight_ < options_.connects_in_flight &&
           next_connect_ < couple_peers) {
      ++connects_in_flight_;
      OpenPeer(static_cast<int>(next_connect_++));
    }
  }

  void OpenPeer(int i) {
    peers_[i].ws = WsClient::Create(io_);
    peers_[i].ws->Open(
        endpoint_, [this, i](const std::string& error) { OnOpen(i, error); },
        [this, i](const v1::ServerMessage& m, Clock::time_point at) { OnMessage(i, m, at); },
        [this, i](const std::string& why) { OnClosed(i, why); });
  }

  void OnOpen(int i, const std::string& error) {
    Peer& peer = peers_[i];
    if (!error.empty()) {
      if (peer.couple < 0) {
        CountError("registrar " + error);
        return;
      }
      return Settle(i, error);
    }
    v1::ClientMessage m;
    if (peer.couple < 0) {
      ++result_.registrars;
      return SendRegister(i);
    }
    const SeededCouple& seed = seeded_[peer.couple];
    m.mutable_authenticate()->set_token(peer.side == 0 ? seed.token_a : seed.token_b);
    Send(i, m, Kind::kAuthenticate, Clock::now());
  }

  // A partner's connect ended: joined (error empty) or failed.
  void Settle(int i, const std::string& error) {
    Peer& peer = peers_[i];
    if (peer.settled) return;
    peer.settled = true;
    --connects_in_flight_;
    ++settled_;
    Couple& couple = couples_[peer.couple];
    if (error.empty()) {
      ++result_.sockets;
      ++couple.joined;
    } else {
      CountError(error);
      couple.broken = true;
      if (peer.ws) peer.ws->Close();
    }
    if (settled_ == 2 * seeded_.size()) return StartLoad();
    LaunchConnects();
  }

  void OnJoined(int i, const v1::SessionJoined& joined) {
    Peer& peer = peers_[i];
    Couple& couple = couples_[peer.couple];
    if (joined.you() != (peer.side == 0 ? v1::SIDE_A : v1::SIDE_B)) {
      return Settle(i, "joined as the wrong side");
    }
    if (couple.session_id != 0 && couple.session_id != joined.session_id()) {
      return Settle(i, "partners joined different sessions");
    }
    couple.session_id = joined.session_id();
    for (const auto& e : joined.events()) couple.seq = std::max(couple.seq, e.seq());
    Settle(i, "");
  }

  // --- The load: warm-up, measured window, drain.

  void StartLoad() {
    if (phase_ != Phase::kConnecting) return;
    auto now = Clock::now();
    result_.connect_seconds = Seconds(now - connect_start_);
    std::cerr << "connected " << result_.sockets << " of " << 2 * seeded_.size() << " sockets in "
              << Format("%.2f", result_.connect_seconds) << " s\n";
    phase_ = Phase::kLoad;
    load_start_ = now;
    window_start_ = now + SecondsToDuration(options_.warmup_seconds);
    window_end_ = window_start_ + SecondsToDuration(options_.seconds);
    for (size_t i = 2 * seeded_.size(); i < peers_.size(); ++i) OpenPeer(static_cast<int>(i));
    if (options_.rate <= 0) {
      for (size_t c = 0; c < couples_.size(); ++c) {
        if (Ready(couples_[c])) SendMove(static_cast<int>(c), now);
      }
    }
    Tick();
  }

  static bool Ready(const Couple& c) { return !c.broken && !c.waiting && c.joined == 2; }

  // Pacing only: every millisecond, what is due by now goes out.
  void Tick() {
    auto now = Clock::now();
    if (phase_ == Phase::kLoad) {
      if (!window_started_ && now >= window_start_) StartWindow();
      if (now >= window_end_) {
        EndWindow(now);
      } else {
        if (options_.rate > 0) IssueMoves(now);
        if (options_.register_flood) IssueWhoAmI(now);
      }
    }
    if (phase_ == Phase::kDrain && (waiting_ == 0 || now >= drain_end_)) return Stop();
    if (phase_ >= Phase::kStopping) return;
    ticker_.expires_after(milliseconds(1));
    ticker_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  void StartWindow() {
    window_started_ = true;
    cpu_at_start_ = server_.CpuSeconds();
    own_cpu_at_start_ = OwnCpuSeconds();
  }

  void EndWindow(Clock::time_point now) {
    if (!window_started_) StartWindow();
    result_.measured_seconds = Seconds(std::min(now, window_end_) - window_start_);
    window_end_ = std::min(now, window_end_);
    result_.server_cpu_seconds = server_.CpuSeconds() - cpu_at_start_;
    result_.own_cpu_seconds = OwnCpuSeconds() - own_cpu_at_start_;
    phase_ = Phase::kDrain;
    drain_end_ = now + SecondsToDuration(options_.drain_seconds);
  }

  // Open loop: slot k belongs to couple k mod N, so each couple is due every N / rate seconds.
  void IssueMoves(Clock::time_point now) {
    auto due = static_cast<uint64_t>(Seconds(now - load_start_) * options_.rate);
    for (; move_slots_ < due; ++move_slots_) {
      int c = static_cast<int>(move_slots_ % couples_.size());
      Couple& couple = couples_[c];
      if (couple.broken || couple.joined != 2) continue;
      if (!couple.waiting) {
        SendMove(c, now);
      } else {
        if (InWindow(now)) ++result_.behind;
        couple.owed = true;  // sent, late, as soon as its partner has the event
      }
    }
  }

  void IssueWhoAmI(Clock::time_point now) {
    auto due = static_cast<uint64_t>(Seconds(now - load_start_) * options_.who_am_i_per_couple *
                                     static_cast<double>(couples_.size()));
    for (; who_am_i_slots_ < due; ++who_am_i_slots_) {
      int c = static_cast<int>(who_am_i_slots_ % couples_.size());
      int side = static_cast<int>(who_am_i_slots_ / couples_.size() % 2);  // partners alternate
      if (couples_[c].broken || couples_[c].joined != 2) continue;
      v1::ClientMessage m;
      m.mutable_who_am_i();
      Send(2 * c + side, m, Kind::kWhoAmI, now);
    }
  }

  void SendMove(int c, Clock::time_point now) {
    Couple& couple = couples_[c];
    int author = static_cast<int>(couple.moves % 2);
    v1::ClientMessage m;
    // A fresh idempotency key, as the client library puts on every move.
    m.set_client_command_id(crypto::NewToken().substr(0, 22));
    m.mutable_act()->set_session_id(couple.session_id);
    *m.mutable_act()->mutable_move() = moves_[couple.moves % kCycle];
    Send(2 * c + author, m, Kind::kMove, now);
    couple.waiting = true;
    couple.owed = false;
    couple.sent_at = now;
    couple.measured = InWindow(now);
    ++waiting_;
    if (couple.measured) ++result_.moves_sent;
  }

  void Unwait(Couple& couple) {
    if (!couple.waiting) return;
    couple.waiting = false;
    --waiting_;
  }

  // --- What arrives.

  void OnMessage(int i, const v1::ServerMessage& m, Clock::time_point at) {
    if (m.has_reply()) return OnReply(i, m.reply(), at);
    if (m.push().has_event() && peers_[i].couple >= 0) OnEvent(i, m.push().event(), at);
    // Presence and the rest: nothing to measure.
  }

  void OnEvent(int i, const v1::SessionEvent& event, Clock::time_point at) {
    Peer& peer = peers_[i];
    Couple& couple = couples_[peer.couple];
    if (event.session_id() != couple.session_id) return;
    if (event.actor() == (peer.side == 0 ? v1::SIDE_A : v1::SIDE_B)) return;  // its own copy
    if (!couple.waiting || event.seq() != couple.seq + 1) {
      CountError("unexpected_event");
      return;
    }
    if (couple.measured) result_.partner_to_partner.Add(at - couple.sent_at);
    if (InWindow(at)) ++result_.events_delivered;
    Unwait(couple);
    couple.seq = event.seq();
    ++couple.moves;
    // This partner moves next: closed loop at once, open loop if its slot already came.
    if (phase_ == Phase::kLoad && (options_.rate <= 0 || couple.owed)) SendMove(peer.couple, at);
  }

  void OnReply(int i, const v1::Reply& reply, Clock::time_point at) {
    Peer& peer = peers_[i];
    auto pending = TakePending(peer, reply.request_id());
    if (!pending) return CountError("reply_to_nothing");
    std::string error = reply.has_error() ? ErrorCodeName(reply.error().code()) : "";
    switch (pending->kind) {
      case Kind::kAuthenticate: {
        if (!error.empty()) return Settle(i, "authenticate: " + error);
        v1::ClientMessage m;
        m.mutable_join_session()->set_session_id(0);  // the couple's open session
        Send(i, m, Kind::kJoin, at);
        return;
      }
      case Kind::kJoin:
        if (!error.empty()) return Settle(i, "join_session: " + error);
        return OnJoined(i, reply.joined());
      case Kind::kMove:
        return OnMoveReply(peer, reply, error, *pending, at);
      case Kind::kWhoAmI:
        if (!error.empty()) return CountError(error);
        if (pending->measured) result_.who_am_i.Add(at - pending->sent);
        return;
      case Kind::kRegister:
        return OnRegistered(i, reply, error, *pending, at);
    }
  }

  void OnMoveReply(Peer& peer, const v1::Reply& reply, const std::string& error,
                   const Pending& pending, Clock::time_point at) {
    Couple& couple = couples_[peer.couple];
    if (!error.empty()) {
      // Out of step with the server: this couple stops rather than guess.
      CountError(error);
      couple.broken = true;
      Unwait(couple);
      return;
    }
    if (pending.measured) result_.reply.Add(at - pending.sent);
    if (reply.accepted().first_seq() != reply.accepted().last_seq()) {
      CountError("move_with_several_events");
    }
  }

  void OnClosed(int i, const std::string& why) {
    if (phase_ >= Phase::kStopping) return;  // the server is closing everyone
    Peer& peer = peers_[i];
    if (peer.couple < 0) {
      --result_.registrars;
      return CountError("registrar " + why);
    }
    if (!peer.settled) return Settle(i, "closed while connecting: " + why);
    CountError(why);
    Couple& couple = couples_[peer.couple];
    couple.broken = true;
    Unwait(couple);
  }

  // --- The registration flood: closed loop per connection; BUSY waits before the next try.

  void SendRegister(int i) {
    if (phase_ >= Phase::kDrain || !peers_[i].ws->open()) return;
    v1::ClientMessage m;
    auto* r = m.mutable_register_();
    std::string n = std::to_string(++registered_);
    r->set_login("flood-" + run_tag_ + "-" + n);
    r->set_display_name("Flood " + n);
    r->set_password("calm-waters-42");
    Send(i, m, Kind::kRegister, Clock::now());
  }

  void OnRegistered(int i, const v1::Reply& reply, const std::string& error, const Pending& pending,
                    Clock::time_point at) {
    if (error.empty()) {
      if (pending.measured) {
        ++result_.registrations;
        result_.register_reply.Add(at - pending.sent);
      }
      return SendRegister(i);
    }
    // BUSY is the server shedding load as designed; anything else is an error.
    if (reply.error().code() == v1::BUSY) {
      if (pending.measured) ++result_.busy;
    } else {
      CountError(error);
    }
    auto wait = std::max<int64_t>(50, int64_t{reply.error().retry_after_seconds()} * 1000);
    Peer& peer = peers_[i];
    if (!peer.retry) peer.retry = std::make_unique<asio::steady_timer>(io_);
    peer.retry->expires_after(milliseconds(wait));
    peer.retry->async_wait([this, i](boost::system::error_code ec) {
      if (!ec) SendRegister(i);
    });
  }

  // --- The end: SIGTERM with every connection still open, then wait for the exit.

  void WatchServer() {
    if (server_.stdout_fd() >= 0) {
      server_out_.emplace(io_, ::dup(server_.stdout_fd()));
      DrainServerOutput();
    }
    if (server_.exit_fd() < 0) return;
    exit_watch_.emplace(io_, ::dup(server_.exit_fd()));
    exit_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                            [this](boost::system::error_code ec) {
                              if (!ec) OnServerExited();
                            });
  }

  void DrainServerOutput() {
    server_out_->async_read_some(asio::buffer(discard_),
                                 [this](boost::system::error_code ec, size_t) {
                                   if (!ec) DrainServerOutput();
                                 });
  }

  void Abort(const std::string& why) {
    if (result_.aborted.empty()) result_.aborted = why;
    std::cerr << "mend_load: " << why << "\n";
    Stop();
  }

  void Stop() {
    if (phase_ >= Phase::kStopping) return;
    auto now = Clock::now();
    if (phase_ == Phase::kLoad) EndWindow(now);
    for (const Couple& c : couples_) {
      if (c.waiting) CountError("event_not_received");
    }
    phase_ = Phase::kStopping;
    ticker_.cancel();
    for (Peer& p : peers_) {
      if (p.retry) p.retry->cancel();
    }
    result_.peak_rss_mib = server_.PeakRssMiB();
    stop_start_ = now;
    server_.Terminate();
    if (!exit_watch_) return Finish(server_.Reap());  // no pidfd: wait blocking
    // A server that does not stop within 60 s is killed; the stop time then says so.
    kill_timer_.expires_after(std::chrono::seconds(60));
    kill_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) server_.Kill();
    });
  }

  void OnServerExited() {
    if (phase_ < Phase::kStopping) {
      auto now = Clock::now();
      result_.aborted = "the server exited during the run";
      std::cerr << "mend_load: " << result_.aborted << "\n";
      if (phase_ == Phase::kLoad) EndWindow(now);
      phase_ = Phase::kStopping;
      stop_start_ = now;
    }
    Finish(server_.Reap());
  }

  void Finish(const std::string& exit) {
    result_.stop_seconds = Seconds(Clock::now() - stop_start_);
    result_.server_exit = exit;
    phase_ = Phase::kDone;
    for (Peer& p : peers_) {
      if (p.ws) p.ws->Close();
    }
    io_.stop();
  }

  const LoadOptions& options_;
  const std::vector<SeededCouple>& seeded_;
  ServerProcess& server_;
  asio::io_context io_;
  tcp::endpoint endpoint_;
  asio::steady_timer ticker_;
  asio::steady_timer deadline_;
  asio::steady_timer kill_timer_;
  std::optional<asio::posix::stream_descriptor> exit_watch_;
  std::optional<asio::posix::stream_descriptor> server_out_;
  std::array<char, 512> discard_;
  const std::array<v1::Move, kCycle> moves_;
  const std::string run_tag_ = crypto::NewToken().substr(0, 6);

  std::vector<Peer> peers_;  // couple c: 2c is side A, 2c + 1 side B; then the registrars
  std::vector<Couple> couples_;
  Phase phase_ = Phase::kConnecting;
  size_t next_connect_ = 0;
  int connects_in_flight_ = 0;
  size_t settled_ = 0;
  size_t waiting_ = 0;  // couples with a move out
  uint64_t move_slots_ = 0;
  uint64_t who_am_i_slots_ = 0;
  uint64_t registered_ = 0;
  bool window_started_ = false;
  double cpu_at_start_ = 0;
  double own_cpu_at_start_ = 0;
  Clock::time_point connect_start_, load_start_, window_start_, window_end_, drain_end_;
  Clock::time_point stop_start_;
  LoadResult result_;
};

}  // namespace

Status CheckTurnCycle() {
  std::vector<session::Turn> turns = {{v1::SIDE_A, session::moves::CheckIn(7)},
                                      {v1::SIDE_B, session::moves::CheckIn(7)}};
  auto moves = CycleMoves();
  // Two whole cycles: A speaks, then B; the author alternates with every move.
  for (int k = 0; k < 2 * kCycle; ++k) {
    turns.push_back({k % 2 == 0 ? v1::SIDE_A : v1::SIDE_B, moves[k % kCycle]});
  }
  v1::Account a, b;
  a.set_login("check-a");
  b.set_login("check-b");
  auto events = session::PlayTurns(1, "check", a, b, 0, 1, turns);
  if (!events.ok()) return events.error();
  // Opened, joined, then one event per turn.
  if (events.value().size() != 2 + turns.size()) {
    return MakeError(v1::INTERNAL, "a move of the turn cycle produced more than one event");
  }
  return Status();
}

LoadResult RunLoad(const LoadOptions& options, const std::vector<SeededCouple>& couples,
                   ServerProcess& server) {
  Driver driver(options, couples, server);
  return driver.Run();
}

}  // namespace mend::bench
