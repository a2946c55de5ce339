// Breaks through a real server: the server's timer (on the test's clock), both-ready, more time,
// the maximum, and a restart in the middle of a break.
#include <gtest/gtest.h>

#include "client/session_client.h"
#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using namespace std::chrono_literals;
using client::SessionClient;
namespace moves = client::moves;

// Both joined, both checked in, A has said something and B is to reflect (seq 5).
struct MidRound {
  explicit MidRound(Couple& c) : a(*c.a), b(*c.b) {
    EXPECT_TRUE(a.Open("breaks").ok());
    EXPECT_TRUE(b.Join().ok());
    EXPECT_TRUE(a.Act(moves::CheckIn(6)).ok());
    EXPECT_TRUE(b.Act(moves::CheckIn(3)).ok());
    EXPECT_TRUE(
        a.Act(moves::Statement("tense", "plans change late", "I had planned", "notice")).ok());
    EXPECT_TRUE(a.WaitForSeq(5));
    EXPECT_TRUE(b.WaitForSeq(5));
  }
  SessionClient a, b;
};

bool OnBreak(const session::State& s) { return s.on_break.has_value(); }
bool BreakOver(const session::State& s) { return !s.on_break && s.rechecking; }

TEST(Break, TheServersTimerEndsItAndTheConversationResumesWhereItStopped) {
  TestServer server;
  Couple c(server);
  MidRound s(c);
  session::State before = s.a.state();
  auto taken = s.b.Act(moves::TakeBreak(0, "I need to breathe"));
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  // The partner who did not call it hears it live, with its end: 20 minutes by default.
  ASSERT_TRUE(s.a.WaitUntil(OnBreak));
  session::State on = s.a.state();
  EXPECT_EQ(on.on_break->caller, v1::SIDE_B);
  EXPECT_EQ(on.on_break->ends_ms, server.clock().NowMs() + 20 * 60 * 1000);
  EXPECT_EQ(s.a.events().back().move().take_break().note(), "I need to breathe");
  // Conversation moves are refused with the end time.
  auto refused = s.b.Act(moves::Reflection("you were tense"));
  ASSERT_EQ(refused.code(), v1::ON_BREAK);
  EXPECT_EQ(refused.error().break_ends_at_unix_ms, on.on_break->ends_ms);
  EXPECT_EQ(s.a.Act(moves::PassFloor()).code(), v1::ON_BREAK);
  // Time passes on the server's clock; its timer ends the break.
  server.clock().Advance(20min);
  ASSERT_TRUE(s.a.WaitUntil(BreakOver));
  ASSERT_TRUE(s.b.WaitUntil(BreakOver));
  EXPECT_EQ(s.a.events().back().break_ended().reason(), v1::BreakEnded::TIME_UP);
  // Each checks in again; then B reflects, exactly where they stopped.
  EXPECT_EQ(s.b.Act(moves::Reflection("too early")).code(), v1::OUT_OF_TURN);
  ASSERT_TRUE(s.a.Act(moves::CheckIn(7)).ok());
  ASSERT_TRUE(s.b.Act(moves::CheckIn(6)).ok());
  ASSERT_TRUE(s.a.WaitUntil([](const session::State& st) { return !st.rechecking; }));
  session::State after = s.a.state();
  EXPECT_EQ(after.phase, before.phase);
  EXPECT_EQ(after.speaker, before.speaker);
  EXPECT_EQ(after.talk, before.talk);
  EXPECT_TRUE(s.b.Act(moves::Reflection("plans changing late left you tense")).ok());
}

TEST(Break, BothReadyEndsItEarly) {
  TestServer server;
  Couple c(server);
  MidRound s(c);
  ASSERT_TRUE(s.a.Act(moves::TakeBreak()).ok());
  ASSERT_TRUE(s.b.WaitUntil(OnBreak));
  ASSERT_TRUE(s.b.Act(moves::Ready()).ok());
  EXPECT_EQ(s.b.Act(moves::Ready()).code(), v1::OUT_OF_TURN);  // once is enough
  auto second = s.a.Act(moves::Ready());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value().last_seq(), second.value().first_seq() + 1);
  ASSERT_TRUE(s.b.WaitUntil(BreakOver));
  EXPECT_EQ(s.b.events().back().break_ended().reason(), v1::BreakEnded::BOTH_READY);
}

TEST(Break, MoreTimeOnceAndNeverPastTheMaximum) {
  ServerOptions options;
  options.session.break_min_ms = 60'000;
  options.session.break_max_ms = 30 * 60'000;
  TestServer server(options);
  Couple c(server);
  MidRound s(c);
  ASSERT_TRUE(s.a.Act(moves::TakeBreak(20 * 60)).ok());
  // Longer than the maximum: refused, with the range.
  ASSERT_TRUE(s.b.WaitUntil(OnBreak));
  TimeMs started = s.b.state().on_break->started_ms;
  auto more = s.b.Act(moves::MoreTime(60 * 60));
  ASSERT_TRUE(more.ok());
  ASSERT_TRUE(s.a.WaitForSeq(more.value().last_seq()));
  EXPECT_EQ(s.a.state().on_break->ends_ms, started + 30 * 60'000);  // capped at the maximum
  EXPECT_EQ(s.a.Act(moves::MoreTime(60)).code(), v1::OUT_OF_TURN);  // once per break
  EXPECT_EQ(s.a.Act(moves::TakeBreak(120)).code(), v1::ON_BREAK);
  server.clock().Advance(29min);
  EXPECT_TRUE(s.a.state().on_break.has_value());
  server.clock().Advance(1min);
  ASSERT_TRUE(s.a.WaitUntil(BreakOver));
}

TEST(Break, LengthsOutsideTheServersRangeAreRefused) {
  TestServer server;
  Couple c(server);
  MidRound s(c);
  EXPECT_EQ(s.a.Act(moves::TakeBreak(60)).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(s.a.Act(moves::TakeBreak(25 * 3600)).code(), v1::INVALID_ARGUMENT);
  EXPECT_TRUE(s.a.Act(moves::TakeBreak(24 * 3600)).ok());
}

TEST(Break, ASessionNobodyResumesWithinTheMaximumEndsAsNotResumed) {
  TestServer server;
  Couple c(server);
  MidRound s(c);
  ASSERT_TRUE(s.a.Act(moves::TakeBreak(3600)).ok());
  server.clock().Advance(1h);
  ASSERT_TRUE(s.a.WaitUntil(BreakOver));
  server.clock().Advance(23h);
  ASSERT_TRUE(s.a.WaitUntil([](const session::State& st) { return st.phase == v1::CLOSED; }));
  EXPECT_EQ(s.a.state().outcome, v1::NOT_RESUMED);
  EXPECT_EQ(s.b.Act(moves::CheckIn(5)).code(), v1::SESSION_CLOSED);
}

TEST(Break, ARestartedServerHonoursTheRemainingTime) {
  TestServer server;
  int64_t id;
  TimeMs ends;
  {
    Couple c(server);
    MidRound s(c);
    ASSERT_TRUE(s.a.Act(moves::TakeBreak(0)).ok());
    ASSERT_TRUE(s.a.WaitUntil(OnBreak));
    id = s.a.session_id();
    ends = s.a.state().on_break->ends_ms;
  }
  server.clock().Advance(5min);
  server.Restart();
  auto a = server.Connect();
  ASSERT_TRUE(a->Login("sam", "calm-waters-42").ok());
  SessionClient sa(*a);
  ASSERT_TRUE(sa.Join(id).ok());
  ASSERT_TRUE(sa.state().on_break.has_value());
  EXPECT_EQ(sa.state().on_break->ends_ms, ends);
  EXPECT_EQ(sa.Act(moves::PassFloor()).code(), v1::ON_BREAK);
  server.clock().Advance(15min);
  ASSERT_TRUE(sa.WaitUntil(BreakOver));
  EXPECT_EQ(sa.events().back().at_unix_ms(), server.clock().NowMs());
}

TEST(Break, ABreakThatEndedWhileTheServerWasDownEndsAtStartUp) {
  TestServer server;
  int64_t id;
  uint64_t seq;
  {
    Couple c(server);
    MidRound s(c);
    ASSERT_TRUE(s.a.Act(moves::TakeBreak(0)).ok());
    ASSERT_TRUE(s.a.WaitUntil(OnBreak));
    id = s.a.session_id();
    seq = s.a.state().seq;
  }
  server.Stop();
  server.clock().Advance(2h);
  server.Restart();
  auto b = server.Connect();
  ASSERT_TRUE(b->Login("alex", "calm-waters-42").ok());
  SessionClient sb(*b);
  ASSERT_TRUE(sb.Join(id).ok());
  ASSERT_TRUE(sb.WaitUntil(BreakOver));
  EXPECT_EQ(sb.state().seq, seq + 1);
  EXPECT_EQ(sb.events().back().break_ended().reason(), v1::BreakEnded::TIME_UP);
}

}  // namespace
}  // namespace mend::testing
