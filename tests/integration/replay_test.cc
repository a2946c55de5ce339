// Replays of stored sessions through a real server and real clients over loopback: the same bytes
// as live, paced on the server's (injected) clock, controlled only by the connection that asked.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "client/demo_script.h"
#include "client/history_client.h"
#include "client/replay_client.h"
#include "client/session_client.h"
#include "tests/integration/scripted_session.h"
#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using namespace std::chrono_literals;
using client::ReplayClient;
using client::SessionClient;
namespace moves = client::moves;

constexpr char kPassword[] = "calm-waters-42";

bool OnBreak(const session::State& s) { return s.on_break.has_value(); }
bool Closed(const session::State& s) { return s.phase == v1::CLOSED; }

// A short session whose events are `gap` apart on the server's clock: A opens, B joins, both
// check in, A ends it (the end and the close come together).
Played PlayPaced(TestServer& server, Couple& c, std::chrono::milliseconds gap) {
  Played out;
  SessionClient sa(*c.a), sb(*c.b);
  EXPECT_TRUE(sa.Open("pacing").ok());
  server.clock().Advance(gap);
  EXPECT_TRUE(sb.Join().ok());
  server.clock().Advance(gap);
  EXPECT_TRUE(sa.Act(moves::CheckIn(6)).ok());
  server.clock().Advance(gap);
  EXPECT_TRUE(sb.Act(moves::CheckIn(5)).ok());
  server.clock().Advance(gap);
  EXPECT_TRUE(sa.Act(moves::End("enough for tonight")).ok());
  EXPECT_TRUE(sa.WaitUntil(Closed));
  out.session_id = sa.session_id();
  out.events = sa.events();
  out.state = sa.state();
  return out;
}

// How many of `events` a replay at `speed` (no pause shortened) has due `elapsed_ms` after its
// start, from the times the events happened.
size_t DueAfter(const std::vector<v1::SessionEvent>& events, double speed, TimeMs elapsed_ms) {
  size_t due = 0;
  for (const auto& e : events) {
    double offset = static_cast<double>(e.at_unix_ms() - events.front().at_unix_ms()) / speed;
    if (std::llround(offset) <= elapsed_ms) ++due;
  }
  return due;
}

template <typename Events>
std::vector<std::string> Bytes(const Events& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.SerializeAsString());
  return out;
}

std::unique_ptr<client::Connection> SignIn(TestServer& server, const std::string& login) {
  auto conn = server.Connect();
  if (!conn) return nullptr;
  auto granted = conn->Login(login, kPassword);
  EXPECT_TRUE(granted.ok()) << login << ": " << granted.error().message;
  return conn;
}

// A StartReplay sent as it is, without a ReplayClient: the reply (events, if any, go to the
// connection's push queue).
v1::Reply StartRaw(client::Connection& conn, int64_t session_id, double speed,
                   uint32_t max_pause_seconds = 0) {
  v1::ClientMessage m;
  m.mutable_start_replay()->set_session_id(session_id);
  m.mutable_start_replay()->set_speed(speed);
  m.mutable_start_replay()->set_max_pause_seconds(max_pause_seconds);
  auto reply = conn.Call(m);
  EXPECT_TRUE(reply.ok()) << reply.error().message;
  return reply.ok() ? reply.value() : v1::Reply();
}

v1::Reply ControlRaw(client::Connection& conn, uint64_t replay_id,
                     v1::ControlReplay::Action action) {
  v1::ClientMessage m;
  m.mutable_control_replay()->set_replay_id(replay_id);
  m.mutable_control_replay()->set_action(action);
  auto reply = conn.Call(m);
  EXPECT_TRUE(reply.ok()) << reply.error().message;
  return reply.ok() ? reply.value() : v1::Reply();
}

// Makes the replay look at the clock now: a pause and a resume with the clock standing still
// cost nothing, and the resume sends whatever is due before it answers. Returns the resume's
// status.
v1::ReplayStatus LookAtTheClock(ReplayClient& replay) {
  auto paused = replay.Pause();
  EXPECT_TRUE(paused.ok()) << paused.error().message;
  auto resumed = replay.Resume();
  EXPECT_TRUE(resumed.ok()) << resumed.error().message;
  return resumed.ok() ? resumed.value() : v1::ReplayStatus();
}

void ExpectSameCommitments(const std::vector<session::Commitment>& got,
                           const std::vector<session::Commitment>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].owner, want[i].owner) << i;
    EXPECT_EQ(got[i].text, want[i].text) << i;
    EXPECT_EQ(got[i].check_in_date, want[i].check_in_date) << i;
    EXPECT_EQ(got[i].seq, want[i].seq) << i;
  }
}

TEST(Replay, AFullSpeedReplayIsTheLiveSessionByteForByte) {
  TestServer server;
  Couple c(server);
  Played live = PlayScript(server, *c.a, *c.b, "texting while out", 20 * 60);
  ASSERT_EQ(live.state.outcome, v1::REPAIRED);
  ASSERT_EQ(live.state.breaks, 1);
  ASSERT_EQ(live.state.commitments.size(), 2u);

  for (client::Connection* conn : {c.b.get(), c.a.get()}) {
    SCOPED_TRACE(conn == c.a.get() ? "Sam replays" : "Alex replays");
    ReplayClient replay(*conn);
    auto started = replay.Start(live.session_id, 0);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_GT(started.value().replay_id(), 0u);
    EXPECT_EQ(started.value().session_id(), live.session_id);
    EXPECT_EQ(started.value().you(), conn == c.a.get() ? v1::SIDE_A : v1::SIDE_B);
    EXPECT_EQ(started.value().total_events(), live.events.size());
    EXPECT_EQ(started.value().duration_ms(), 0);
    auto ended = replay.WaitEnded();
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->replay_id(), started.value().replay_id());
    EXPECT_EQ(ended->state(), v1::ReplayStatus::FINISHED);
    EXPECT_EQ(ended->sent(), live.events.size());
    EXPECT_EQ(ended->total(), live.events.size());
    ASSERT_TRUE(replay.WaitForEvents(live.events.size()));
    EXPECT_TRUE(replay.integrity().ok()) << replay.integrity().error().message;

    auto replayed = replay.events();
    ASSERT_EQ(replayed.size(), live.events.size());
    EXPECT_EQ(Bytes(replayed), Bytes(live.events));

    session::State folded = replay.state();
    EXPECT_EQ(folded.session_id, live.state.session_id);
    EXPECT_EQ(folded.phase, v1::CLOSED);
    EXPECT_EQ(folded.phase, live.state.phase);
    EXPECT_EQ(folded.outcome, live.state.outcome);
    EXPECT_EQ(folded.seq, live.state.seq);
    EXPECT_EQ(folded.topic, live.state.topic);
    EXPECT_EQ(folded.opened_ms, live.state.opened_ms);
    EXPECT_EQ(folded.closed_ms, live.state.closed_ms);
    EXPECT_EQ(folded.breaks, live.state.breaks);
    EXPECT_EQ(folded.a.SerializeAsString(), live.state.a.SerializeAsString());
    EXPECT_EQ(folded.b.SerializeAsString(), live.state.b.SerializeAsString());
    ExpectSameCommitments(folded.commitments, live.state.commitments);
    for (v1::Side side : {v1::SIDE_A, v1::SIDE_B}) {
      EXPECT_EQ(folded.of(side).rating, live.state.of(side).rating);
      EXPECT_EQ(folded.of(side).reconnection, live.state.of(side).reconnection);
    }
  }
}

TEST(Replay, EventsAreReleasedAsTheServersClockMoves) {
  TestServer server;
  Couple c(server);
  Played live = PlayPaced(server, c, 10s);
  ASSERT_EQ(live.events.size(), 6u);
  const double speed = 10;

  ReplayClient replay(*c.b);
  auto started = replay.Start(live.session_id, speed);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(started.value().you(), v1::SIDE_B);
  EXPECT_EQ(started.value().total_events(), 6u);
  // 40 s of session at ten times the speed.
  TimeMs span = live.events.back().at_unix_ms() - live.events.front().at_unix_ms();
  EXPECT_EQ(span, 40'000);
  EXPECT_EQ(started.value().duration_ms(), std::llround(span / speed));

  // Only what is due at the start has come.
  size_t due = DueAfter(live.events, speed, 0);
  ASSERT_EQ(due, 1u);
  ASSERT_TRUE(replay.WaitForEvents(due));
  auto progress = replay.Progress();
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  EXPECT_EQ(progress.value().state(), v1::ReplayStatus::PLAYING);
  EXPECT_EQ(progress.value().sent(), due);
  EXPECT_EQ(progress.value().total(), 6u);
  EXPECT_EQ(replay.events().size(), due);

  // Each second of the server's clock releases the next event (the last releases the end and
  // the close, which happened together).
  for (TimeMs elapsed = 1000; elapsed <= started.value().duration_ms(); elapsed += 1000) {
    SCOPED_TRACE("after " + std::to_string(elapsed) + " ms");
    server.clock().Advance(1s);
    size_t now_due = DueAfter(live.events, speed, elapsed);
    EXPECT_EQ(now_due, elapsed < 4000 ? due + 1 : due + 2);
    due = now_due;
    ASSERT_TRUE(replay.WaitForEvents(due));
    if (due < live.events.size()) {
      auto p = replay.Progress();
      ASSERT_TRUE(p.ok()) << p.error().message;
      EXPECT_EQ(p.value().state(), v1::ReplayStatus::PLAYING);
      EXPECT_EQ(p.value().sent(), due);
      EXPECT_EQ(replay.events().size(), due);
    }
  }
  auto ended = replay.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->state(), v1::ReplayStatus::FINISHED);
  EXPECT_EQ(ended->sent(), 6u);
  EXPECT_EQ(Bytes(replay.events()), Bytes(live.events));
  EXPECT_TRUE(replay.integrity().ok());
}

TEST(Replay, PausedTimeDoesNotCountAndAStoppedReplayIsGone) {
  TestServer server;
  Couple c(server);
  Played live = PlayPaced(server, c, 10s);
  ASSERT_EQ(live.events.size(), 6u);
  ReplayClient replay(*c.a);
  auto started = replay.Start(live.session_id, 10);  // the events are 1 s apart
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_TRUE(replay.WaitForEvents(1));

  server.clock().Advance(400ms);  // of the 1000 ms to the next event
  auto paused = replay.Pause();
  ASSERT_TRUE(paused.ok()) << paused.error().message;
  EXPECT_EQ(paused.value().state(), v1::ReplayStatus::PAUSED);
  EXPECT_EQ(paused.value().sent(), 1u);
  server.clock().Advance(1h);
  auto still = replay.Progress();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still.value().state(), v1::ReplayStatus::PAUSED);
  EXPECT_EQ(still.value().sent(), 1u);
  // Pausing twice changes nothing.
  auto again = replay.Pause();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().state(), v1::ReplayStatus::PAUSED);

  // The resume sends what is due before it answers: nothing, 600 ms remain.
  auto resumed = replay.Resume();
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(resumed.value().state(), v1::ReplayStatus::PLAYING);
  EXPECT_EQ(resumed.value().sent(), 1u);
  EXPECT_EQ(replay.events().size(), 1u);
  server.clock().Advance(599ms);
  EXPECT_EQ(LookAtTheClock(replay).sent(), 1u);
  server.clock().Advance(1ms);
  ASSERT_TRUE(replay.WaitForEvents(2));
  auto progress = replay.Progress();
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress.value().state(), v1::ReplayStatus::PLAYING);
  EXPECT_EQ(progress.value().sent(), 2u);

  auto stopped = replay.Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_EQ(stopped.value().state(), v1::ReplayStatus::STOPPED);
  EXPECT_EQ(stopped.value().sent(), 2u);
  auto ended = replay.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->state(), v1::ReplayStatus::STOPPED);
  EXPECT_EQ(ended->sent(), 2u);
  EXPECT_EQ(ended->total(), 6u);
  EXPECT_EQ(replay.Progress().code(), v1::NOT_FOUND);
  EXPECT_EQ(replay.Resume().code(), v1::NOT_FOUND);
  EXPECT_EQ(replay.Stop().code(), v1::NOT_FOUND);
  EXPECT_EQ(Bytes(replay.events()),
            Bytes(std::vector<v1::SessionEvent>(live.events.begin(), live.events.begin() + 2)));

  // The same client can start it again from the beginning.
  auto restarted = replay.Start(live.session_id, 0);
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  EXPECT_NE(restarted.value().replay_id(), started.value().replay_id());
  ASSERT_TRUE(replay.WaitEnded().has_value());
  EXPECT_EQ(Bytes(replay.events()), Bytes(live.events));
}

TEST(Replay, MaxPauseShortensALongBreak) {
  TestServer server;
  Couple c(server);
  int64_t id;
  std::vector<v1::SessionEvent> live;
  {
    SessionClient sa(*c.a), sb(*c.b);
    ASSERT_TRUE(sa.Open("a long break").ok());
    ASSERT_TRUE(sb.Join().ok());
    ASSERT_TRUE(sa.Act(moves::CheckIn(6)).ok());
    ASSERT_TRUE(sb.Act(moves::CheckIn(5)).ok());
    ASSERT_TRUE(sa.Act(moves::TakeBreak(0)).ok());
    ASSERT_TRUE(sb.WaitUntil(OnBreak));
    server.clock().Advance(20min);  // the default break: the server's timer ends it
    ASSERT_TRUE(sa.WaitUntil([](const session::State& s) { return !s.on_break && s.rechecking; }));
    ASSERT_TRUE(sa.Act(moves::End()).ok());
    ASSERT_TRUE(sa.WaitUntil(Closed));
    id = sa.session_id();
    live = sa.events();
  }
  ASSERT_EQ(live.size(), 8u);
  ASSERT_TRUE(live[5].has_break_ended());
  TimeMs gap = live[5].at_unix_ms() - live[4].at_unix_ms();
  ASSERT_EQ(gap, 20 * 60 * 1000);

  ReplayClient replay(*c.b);
  // Without a cap the replay at speed 1 takes the whole break.
  auto uncapped = replay.Start(id, 1);
  ASSERT_TRUE(uncapped.ok()) << uncapped.error().message;
  EXPECT_EQ(uncapped.value().duration_ms(), gap);
  ASSERT_TRUE(replay.Stop().ok());

  auto started = replay.Start(id, 1, /*max_pause_seconds=*/5);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(started.value().duration_ms(), 5000);
  ASSERT_TRUE(replay.WaitForEvents(5));  // everything up to the break, at once
  EXPECT_EQ(LookAtTheClock(replay).sent(), 5u);
  server.clock().Advance(4999ms);
  EXPECT_EQ(LookAtTheClock(replay).sent(), 5u);
  server.clock().Advance(1ms);
  auto ended = replay.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->state(), v1::ReplayStatus::FINISHED);
  EXPECT_EQ(ended->sent(), live.size());
  EXPECT_EQ(Bytes(replay.events()), Bytes(live));
  EXPECT_EQ(replay.state().breaks, 1);
}

TEST(Replay, OnlyTheConnectionThatStartedAReplayControlsIt) {
  TestServer server;
  Couple c(server);
  Played live = PlayPaced(server, c, 10s);
  auto sam_again = SignIn(server, "sam");
  ASSERT_TRUE(sam_again);
  ReplayClient replay(*c.a);
  auto started = replay.Start(live.session_id, 0.1);  // 100 s between events: it keeps running
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_TRUE(replay.WaitForEvents(1));
  uint64_t id = started.value().replay_id();

  for (client::Connection* other : {sam_again.get(), c.b.get()}) {
    SCOPED_TRACE(other == c.b.get() ? "the partner" : "the same account, another connection");
    for (auto action : {v1::ControlReplay::STATUS, v1::ControlReplay::PAUSE,
                        v1::ControlReplay::RESUME, v1::ControlReplay::STOP}) {
      v1::Reply reply = ControlRaw(*other, id, action);
      EXPECT_EQ(reply.error().code(), v1::NOT_FOUND) << reply.DebugString();
      EXPECT_FALSE(reply.has_replay_status());
    }
  }
  // The replay went on untouched.
  auto progress = replay.Progress();
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  EXPECT_EQ(progress.value().state(), v1::ReplayStatus::PLAYING);
  EXPECT_EQ(progress.value().sent(), 1u);
  // Its owner may not send a control with no action, nor control a replay that never was.
  EXPECT_EQ(ControlRaw(*c.a, id, v1::ControlReplay::ACTION_UNSPECIFIED).error().code(),
            v1::INVALID_ARGUMENT);
  EXPECT_EQ(ControlRaw(*c.a, id + 100, v1::ControlReplay::STATUS).error().code(), v1::NOT_FOUND);
  EXPECT_EQ(ControlRaw(*c.a, id, v1::ControlReplay::STATUS).replay_status().state(),
            v1::ReplayStatus::PLAYING);
}

TEST(Replay, BadSpeedsAndAFifthReplayOnOneConnectionAreRefused) {
  TestServer server;
  Couple c(server);
  Played live = PlayPaced(server, c, 10s);
  for (double speed : {-1.0, 0.01, 0.09, 10001.0, std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()}) {
    v1::Reply reply = StartRaw(*c.a, live.session_id, speed);
    EXPECT_EQ(reply.error().code(), v1::INVALID_ARGUMENT) << "speed " << speed;
    EXPECT_FALSE(reply.has_replay_started());
  }
  // Four at once run (0.1 and 10000 are the ends of the range); the clock stands still, so none
  // gets past its first event.
  std::vector<uint64_t> ids;
  for (double speed : {0.1, 10000.0, 1.0, 0.1}) {
    v1::Reply reply = StartRaw(*c.a, live.session_id, speed);
    ASSERT_TRUE(reply.has_replay_started()) << "speed " << speed << ": " << reply.DebugString();
    ids.push_back(reply.replay_started().replay_id());
  }
  for (uint64_t id : ids) {
    v1::Reply status = ControlRaw(*c.a, id, v1::ControlReplay::STATUS);
    ASSERT_TRUE(status.has_replay_status()) << status.DebugString();
    EXPECT_EQ(status.replay_status().state(), v1::ReplayStatus::PLAYING);
  }
  v1::Reply fifth = StartRaw(*c.a, live.session_id, 0.1);
  EXPECT_EQ(fifth.error().code(), v1::TOO_MANY) << fifth.DebugString();
  // Another connection has its own four.
  auto sam_again = SignIn(server, "sam");
  ASSERT_TRUE(sam_again);
  EXPECT_TRUE(StartRaw(*sam_again, live.session_id, 0.1).has_replay_started());
  // Stopping one makes room.
  v1::Reply stopped = ControlRaw(*c.a, ids[0], v1::ControlReplay::STOP);
  ASSERT_TRUE(stopped.has_replay_status()) << stopped.DebugString();
  EXPECT_EQ(stopped.replay_status().state(), v1::ReplayStatus::STOPPED);
  EXPECT_TRUE(StartRaw(*c.a, live.session_id, 0.1).has_replay_started());
  EXPECT_EQ(StartRaw(*c.a, live.session_id, 0.1).error().code(), v1::TOO_MANY);
}

TEST(Replay, AClientThatDropsMidReplayDoesNotHurtTheServer) {
  TestServer server;
  Couple c(server);
  Played script = PlayScript(server, *c.a, *c.b, "texting while out");
  Played paced = PlayPaced(server, c, 10s);
  ASSERT_GT(script.events.size(), 32u);  // more than a replay keeps in flight

  {
    // One drops in the middle of a paced replay, one while paused, one right after starting a
    // full-speed replay of the long session.
    auto waiting = SignIn(server, "sam");
    auto paused = SignIn(server, "sam");
    auto racing = SignIn(server, "sam");
    ASSERT_TRUE(waiting && paused && racing);
    ReplayClient r1(*waiting), r2(*paused);
    ASSERT_TRUE(r1.Start(paced.session_id, 1).ok());
    ASSERT_TRUE(r1.WaitForEvents(1));
    ASSERT_TRUE(r2.Start(paced.session_id, 1).ok());
    ASSERT_TRUE(r2.WaitForEvents(1));
    ASSERT_TRUE(r2.Pause().ok());
    EXPECT_TRUE(StartRaw(*racing, script.session_id, 0).has_replay_started());
    waiting->Close();
    paused->Close();
    racing->Close();
    EXPECT_FALSE(waiting->is_open());
    // The paced replay's next events fall due with nobody to send them to.
    server.clock().Advance(1min);
  }

  // The partner still replays both sessions in full, and history still answers.
  ReplayClient replay(*c.b);
  for (const Played* s : {&script, &paced}) {
    auto started = replay.Start(s->session_id, 0);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto ended = replay.WaitEnded();
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->state(), v1::ReplayStatus::FINISHED);
    EXPECT_EQ(Bytes(replay.events()), Bytes(s->events));
    EXPECT_TRUE(replay.integrity().ok());
  }
  auto sessions = client::ListSessions(*c.b);
  ASSERT_TRUE(sessions.ok()) << sessions.error().message;
  EXPECT_EQ(sessions.value().sessions_size(), 2);
  // And the one who dropped comes back to a working server.
  auto back = SignIn(server, "sam");
  ASSERT_TRUE(back);
  ReplayClient again(*back);
  ASSERT_TRUE(again.Start(paced.session_id, 0).ok());
  auto ended = again.WaitEnded();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->sent(), paced.events.size());
}

// Fails (a server bug): a replay belongs to the connection, whoever is signed in on it. Once
// someone outside the couple signs in on that connection (a shared device), the couple's session
// keeps streaming to them and they may pause, resume, stop or query it. Every other command is
// authorised against the couple, so for them this replay should not exist.
TEST(Replay, SigningInAsSomeoneElseOnTheConnectionEndsItsReplays) {
  TestServer server;
  Couple c(server);
  ASSERT_TRUE(server.Register("loner"));
  Played live = PlayPaced(server, c, 10s);
  auto shared_device = SignIn(server, "sam");
  ASSERT_TRUE(shared_device);
  ReplayClient replay(*shared_device);
  auto started = replay.Start(live.session_id, 1);
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_TRUE(replay.WaitForEvents(1));

  ASSERT_TRUE(shared_device->Login("loner", kPassword).ok());
  // For the loner, the couple's sessions do not exist.
  EXPECT_EQ(client::ListSessions(*shared_device).code(), v1::NOT_IN_COUPLE);
  EXPECT_EQ(replay.Start(live.session_id, 1).code(), v1::NOT_FOUND);
  // ... and neither does the replay Sam started on this connection.
  v1::Reply status =
      ControlRaw(*shared_device, started.value().replay_id(), v1::ControlReplay::STATUS);
  EXPECT_EQ(status.error().code(), v1::NOT_FOUND) << status.DebugString();
}

}  // namespace
}  // namespace mend::testing
