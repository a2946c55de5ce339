// Live sessions through a real server and two real clients over loopback.
#include <gtest/gtest.h>

#include <thread>

#include "client/demo_script.h"
#include "client/session_client.h"
#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using namespace std::chrono_literals;
using client::SessionClient;
namespace moves = client::moves;

// A opens a session and B joins it; both session clients are returned ready (seq 2).
struct Joined {
  Joined(client::Connection& a_conn, client::Connection& b_conn, const std::string& topic)
      : a(a_conn), b(b_conn) {
    auto opened = a.Open(topic);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    auto joined = b.Join();
    EXPECT_TRUE(joined.ok()) << joined.error().message;
    EXPECT_TRUE(a.WaitForSeq(2));
    EXPECT_TRUE(b.WaitForSeq(2));
  }
  SessionClient a, b;
};

// Plays the demo script with both partners acting from their own threads.
void PlayScript(SessionClient& a, SessionClient& b, const std::vector<client::demo::Step>& steps,
                uint64_t first_seq) {
  Status a_result, b_result;
  std::thread a_thread(
      [&] { a_result = client::demo::PlaySide(a, v1::SIDE_A, steps, first_seq, nullptr); });
  std::thread b_thread(
      [&] { b_result = client::demo::PlaySide(b, v1::SIDE_B, steps, first_seq, nullptr); });
  a_thread.join();
  b_thread.join();
  ASSERT_TRUE(a_result.ok()) << a_result.error().message;
  ASSERT_TRUE(b_result.ok()) << b_result.error().message;
}

std::vector<std::string> Bytes(const std::vector<v1::SessionEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.SerializeAsString());
  return out;
}

TEST(Session, TheOtherPartnerIsOfferedANewSessionLive) {
  TestServer server;
  Couple c(server, "sam", "alex");
  SessionClient a(*c.a);
  auto opened = a.Open("  the dishes  ");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value().you(), v1::SIDE_A);
  auto offer = c.b->NextPush();
  ASSERT_TRUE(offer.has_value());
  ASSERT_TRUE(offer->has_session_opened());
  EXPECT_EQ(offer->session_opened().session_id(), opened.value().session_id());
  EXPECT_EQ(offer->session_opened().topic(), "the dishes");
  EXPECT_EQ(offer->session_opened().by().login(), "sam");
  EXPECT_EQ(a.state().phase, v1::WAITING);
}

TEST(Session, AWholeSessionFromOpenToRepaired) {
  TestServer server;
  Couple c(server, "sam", "alex");
  Joined s(*c.a, *c.b, "texting while out");
  EXPECT_EQ(s.a.state().phase, v1::CHECK_IN);
  auto steps = client::demo::Script();
  PlayScript(s.a, s.b, steps, 2);

  session::State a = s.a.state(), b = s.b.state();
  EXPECT_EQ(a.phase, v1::CLOSED);
  EXPECT_EQ(a.outcome, v1::REPAIRED);
  EXPECT_EQ(a.seq, client::demo::FinalSeq(steps, 2));
  ASSERT_EQ(a.commitments.size(), 2u);
  EXPECT_EQ(a.commitments[0].owner, v1::SIDE_B);
  EXPECT_EQ(a.commitments[0].check_in_date, "2026-12-24");
  EXPECT_EQ(a.commitments[1].owner, v1::SIDE_A);
  // Both partners received the same events, byte for byte, gapless from 1.
  auto a_events = s.a.events(), b_events = s.b.events();
  EXPECT_EQ(Bytes(a_events), Bytes(b_events));
  for (size_t i = 0; i < a_events.size(); ++i) EXPECT_EQ(a_events[i].seq(), i + 1);
  EXPECT_EQ(b.outcome, v1::REPAIRED);
  // A closed session takes no more moves, and is still there to read.
  EXPECT_EQ(s.a.Act(moves::End()).code(), v1::SESSION_CLOSED);
  client::Connection& later = *c.a;
  SessionClient reread(later);
  auto again = reread.Join(s.a.session_id());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(Bytes(reread.events()), Bytes(a_events));
  EXPECT_EQ(reread.state().outcome, v1::REPAIRED);
}

TEST(Session, OutOfTurnMovesAreRefusedWithWhoMayActAndWhat) {
  TestServer server;
  Couple c(server, "sam", "alex");
  Joined s(*c.a, *c.b, "money");
  // Talking starts only once both checked in.
  auto early = s.b.Act(moves::Statement("hurt", "x", "y", "z"));
  ASSERT_EQ(early.code(), v1::OUT_OF_TURN);
  ASSERT_TRUE(s.a.Act(moves::CheckIn(7)).ok());
  ASSERT_TRUE(s.b.Act(moves::CheckIn(2, "flooded")).ok());
  ASSERT_TRUE(s.a.WaitForSeq(4));
  // A calm of 2 is past the flooding threshold: the check-in event says a break is advised.
  EXPECT_TRUE(s.a.events().back().move().check_in().break_advised());
  // A has the floor: the listener may not make a statement of their own.
  auto refused = s.b.Act(moves::Statement("hurt", "you said that", "it stung", "an apology"));
  ASSERT_EQ(refused.code(), v1::OUT_OF_TURN);
  EXPECT_EQ(refused.error().current_seq, 4u);
  EXPECT_EQ(refused.error().may_act, std::vector<v1::Side>{v1::SIDE_A});
  EXPECT_EQ(refused.error().expected, std::vector<std::string>{"statement"});
  EXPECT_NE(refused.error().message.find("Sam"), std::string::npos) << refused.error().message;
  // Nothing to reflect yet; A cannot confirm their own statement either.
  EXPECT_EQ(s.b.Act(moves::Reflection("you said")).code(), v1::OUT_OF_TURN);
  ASSERT_TRUE(s.a.Act(moves::Statement("unheard", "we talk money", "I get cut off",
                                       "to finish my sentences"))
                  .ok());
  EXPECT_EQ(s.a.Act(moves::Confirm()).code(), v1::OUT_OF_TURN);
  EXPECT_EQ(s.b.Act(moves::Confirm()).code(), v1::OUT_OF_TURN);
  // Repair before both were heard has its own answer.
  EXPECT_EQ(s.a.Act(moves::ProposeRepair()).code(), v1::OUT_OF_TURN);  // mid-round
  // Too long.
  std::string essay(500, 'a');
  EXPECT_EQ(s.b.Act(moves::Reflection(essay)).code(), v1::TOO_LONG);
  // None of the refusals reached the log.
  ASSERT_TRUE(s.b.Act(moves::Reflection("you feel unheard when I cut you off")).ok());
  ASSERT_TRUE(s.a.WaitForSeq(6));
  EXPECT_EQ(s.a.events().size(), 6u);
}

TEST(Session, AReconnectingPartnerGetsExactlyWhatTheyMissed) {
  TestServer server;
  Couple c(server, "sam", "alex");
  // B's later connections; declared first, as a session client needs its connection to outlive it.
  auto b_again = server.Connect();
  ASSERT_TRUE(b_again->Login("alex", "calm-waters-42").ok());
  auto b_third = server.Connect();
  ASSERT_TRUE(b_third->Login("alex", "calm-waters-42").ok());
  Joined s(*c.a, *c.b, "chores");
  ASSERT_TRUE(s.a.Act(moves::CheckIn(6)).ok());
  ASSERT_TRUE(s.b.WaitForSeq(3));
  // B's phone drops.
  c.b->Close();
  ASSERT_TRUE(s.b.WaitForSeq(3));
  // Meanwhile A sees B leave.
  ASSERT_TRUE(s.a.WaitForPresence(v1::Presence::LEFT));
  ASSERT_TRUE(s.b.Act(moves::CheckIn(5)).code() == v1::UNAVAILABLE);  // not sent anywhere
  auto resumed = s.b.Resume(*b_again);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(resumed.value().events_size(), 0);  // nothing happened while away
  ASSERT_TRUE(s.a.WaitForPresence(v1::Presence::BACK));
  ASSERT_TRUE(s.b.Act(moves::CheckIn(5)).ok());
  ASSERT_TRUE(
      s.a.Act(moves::Statement("tired", "the sink fills up", "I do it alone", "a plan we share"))
          .ok());
  ASSERT_TRUE(s.b.WaitForSeq(5));

  // B drops again; A keeps going; B resumes with exactly the events after its last seq.
  b_again->Close();
  // A cannot move now (B must reflect), so B's missing events come from the open (a question).
  EXPECT_EQ(s.a.Act(moves::PassFloor()).code(), v1::OUT_OF_TURN);
  auto back = s.b.Resume(*b_third);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value().events_size(), 0);
  ASSERT_TRUE(s.b.Act(moves::Question("every evening?")).ok());
  ASSERT_TRUE(s.a.WaitForSeq(6));
  EXPECT_EQ(Bytes(s.a.events()), Bytes(s.b.events()));
}

TEST(Session, ResumingAfterMissedEventsDeliversThemInOrder) {
  TestServer server;
  Couple c(server, "sam", "alex");
  Joined s(*c.a, *c.b, "chores");
  ASSERT_TRUE(s.a.Act(moves::CheckIn(6)).ok());
  ASSERT_TRUE(s.b.Act(moves::CheckIn(6)).ok());
  ASSERT_TRUE(s.b.WaitForSeq(4));
  // B leaves; A makes a statement and B's view falls behind.
  ASSERT_TRUE(s.b.Leave().ok());
  ASSERT_TRUE(
      s.a.Act(moves::Statement("tired", "the sink fills up", "I do it alone", "a plan we share"))
          .ok());
  ASSERT_TRUE(s.a.WaitForSeq(5));
  EXPECT_EQ(s.b.state().seq, 4u);
  auto resumed = s.b.Join(s.b.session_id());
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed.value().events_size(), 1);
  EXPECT_EQ(resumed.value().events(0).seq(), 5u);
  EXPECT_EQ(s.b.state().seq, 5u);
  EXPECT_EQ(Bytes(s.a.events()), Bytes(s.b.events()));
}

TEST(Session, AResentCommandIsAppliedOnceAndAnsweredAsTheFirstTime) {
  TestServer server;
  Couple c(server, "sam", "alex");
  auto a_again = server.Connect();
  ASSERT_TRUE(a_again->Login("sam", "calm-waters-42").ok());
  Joined s(*c.a, *c.b, "chores");
  auto first = s.a.Act(moves::CheckIn(6), "cmd-42");
  ASSERT_TRUE(first.ok());
  // The reply was lost with the connection; the client resends on a new one.
  c.a->Close();
  ASSERT_TRUE(s.a.Resume(*a_again).ok());
  auto second = s.a.Act(moves::CheckIn(6), "cmd-42");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value().first_seq(), first.value().first_seq());
  EXPECT_EQ(second.value().last_seq(), first.value().last_seq());
  // The same id from the other partner is a different command.
  ASSERT_TRUE(s.b.Act(moves::CheckIn(5), "cmd-42").ok());
  ASSERT_TRUE(s.a.WaitForSeq(4));
  auto events = s.a.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].actor(), v1::SIDE_A);
  EXPECT_EQ(events[3].actor(), v1::SIDE_B);
  EXPECT_EQ(s.a.state().phase, v1::TALK);
}

TEST(Session, StrangersFindNothing) {
  TestServer server;
  Couple c(server, "sam", "alex");
  Couple other(server, "kim", "lee");
  auto loner = server.Register("loner");
  Joined s(*c.a, *c.b, "private");
  int64_t id = s.a.session_id();
  for (client::Connection* stranger : {other.a.get(), loner.get()}) {
    SessionClient peek(*stranger);
    EXPECT_EQ(peek.Join(id).code(), v1::NOT_FOUND);
    v1::ClientMessage act;
    act.mutable_act()->set_session_id(id);
    *act.mutable_act()->mutable_move() = moves::End();
    auto reply = stranger->Call(act);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply.value().error().code(), v1::NOT_FOUND);
    v1::ClientMessage leave;
    leave.mutable_leave_session()->set_session_id(id);
    EXPECT_EQ(stranger->Call(leave).value().error().code(), v1::NOT_FOUND);
    // A session id that does not exist answers the same: no hint either way.
    EXPECT_EQ(peek.Join(id + 1000).code(), v1::NOT_FOUND);
  }
  // Nothing changed for the couple.
  EXPECT_TRUE(s.a.Act(moves::CheckIn(6)).ok());
  EXPECT_EQ(server.Connect()
                ->Call([] {
                  v1::ClientMessage m;
                  m.mutable_open_session()->set_topic("x");
                  return m;
                }())
                .value()
                .error()
                .code(),
            v1::UNAUTHENTICATED);
}

TEST(Session, SigningInAsSomeoneElseLeavesTheSessionAtOnce) {
  TestServer server;
  Couple c(server, "sam", "alex");
  auto loner = server.Register("loner");
  Joined s(*c.a, *c.b, "private");
  // Someone else signs in on Sam's connection: the partner sees Sam leave ...
  ASSERT_TRUE(c.a->Login("loner", "calm-waters-42").ok());
  ASSERT_TRUE(s.b.WaitForPresence(v1::Presence::LEFT));
  uint64_t seen = s.a.state().seq;
  // ... and what happens next never reaches that connection. A round trip on it after the move
  // is answered comes after any push the move could have sent it.
  ASSERT_TRUE(s.b.Act(moves::CheckIn(6)).ok());
  ASSERT_TRUE(s.b.WaitForSeq(seen + 1));
  ASSERT_TRUE(c.a->WhoAmI().ok());
  EXPECT_EQ(s.a.state().seq, seen);
  EXPECT_EQ(s.a.Act(moves::CheckIn(5)).code(), v1::NOT_FOUND);
}

TEST(Session, OneOpenSessionPerCoupleAndJoinFindsIt) {
  TestServer server;
  Couple c(server, "sam", "alex");
  SessionClient a(*c.a);
  ASSERT_TRUE(a.Open("first").ok());
  SessionClient b(*c.b);
  auto second = b.Open("second");
  ASSERT_EQ(second.code(), v1::SESSION_ALREADY_OPEN);
  EXPECT_EQ(second.error().session_id, a.session_id());
  auto joined = b.Join();
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined.value().session_id(), a.session_id());
  EXPECT_EQ(joined.value().you(), v1::SIDE_B);
  EXPECT_EQ(b.state().topic, "first");
  // Ending it lets them open another.
  ASSERT_TRUE(b.Act(moves::End("we're too tired tonight")).ok());
  ASSERT_TRUE(a.WaitUntil([](const session::State& s) { return s.phase == v1::CLOSED; }));
  EXPECT_EQ(a.state().outcome, v1::ENDED_EARLY);
  EXPECT_EQ(b.Join().code(), v1::NOT_FOUND);
  SessionClient again(*c.a);
  EXPECT_TRUE(again.Open("tomorrow").ok());
}

TEST(Session, TwoCouplesAtOnceNeverSeeEachOthersEvents) {
  TestServer server;
  Couple c1(server, "sam", "alex");
  Couple c2(server, "kim", "lee");
  Joined s1(*c1.a, *c1.b, "one");
  Joined s2(*c2.a, *c2.b, "two");
  auto steps = client::demo::Script();
  std::thread t1([&] { PlayScript(s1.a, s1.b, steps, 2); });
  std::thread t2([&] { PlayScript(s2.a, s2.b, steps, 2); });
  t1.join();
  t2.join();
  for (auto* s : {&s1.a, &s1.b}) {
    for (const auto& e : s->events()) EXPECT_EQ(e.session_id(), s1.a.session_id());
  }
  for (auto* s : {&s2.a, &s2.b}) {
    for (const auto& e : s->events()) EXPECT_EQ(e.session_id(), s2.a.session_id());
  }
  EXPECT_NE(s1.a.session_id(), s2.a.session_id());
  EXPECT_EQ(s1.a.state().outcome, v1::REPAIRED);
  EXPECT_EQ(s2.b.state().outcome, v1::REPAIRED);
}

TEST(Session, ARestartedServerRebuildsOpenSessionsFromTheirEvents) {
  TestServer server;
  auto steps = client::demo::Script();
  std::vector<client::demo::Step> first(steps.begin(), steps.begin() + 7);
  std::vector<client::demo::Step> rest(steps.begin() + 7, steps.end());
  int64_t id;
  uint64_t seq;
  {
    Couple c(server, "sam", "alex");
    Joined s(*c.a, *c.b, "restart");
    PlayScript(s.a, s.b, first, 2);
    id = s.a.session_id();
    seq = s.a.state().seq;
  }
  server.Restart();
  auto a = server.Connect();
  ASSERT_TRUE(a->Login("sam", "calm-waters-42").ok());
  auto b = server.Connect();
  ASSERT_TRUE(b->Login("alex", "calm-waters-42").ok());
  SessionClient sa(*a), sb(*b);
  ASSERT_TRUE(sa.Join().ok());
  ASSERT_TRUE(sb.Join(id).ok());
  EXPECT_EQ(sa.state().seq, seq);
  EXPECT_EQ(sa.state().talk, session::TalkStep::kReflect);  // B reflects again after "not quite"
  PlayScript(sa, sb, rest, seq);
  EXPECT_EQ(sa.state().outcome, v1::REPAIRED);
  EXPECT_EQ(Bytes(sa.events()), Bytes(sb.events()));
}

}  // namespace
}  // namespace mend::testing
