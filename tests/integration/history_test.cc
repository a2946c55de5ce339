// History, commitments and export through a real server and real clients over loopback: what a
// couple comes back to after its sessions.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
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

// `opener` opens `topic`, the partner joins, and the opener ends it at once: ended early.
// Returns the session's events as the opener saw them.
std::vector<v1::SessionEvent> OpenAndEnd(client::Connection& opener, client::Connection& partner,
                                         const std::string& topic) {
  SessionClient so(opener), sp(partner);
  auto opened = so.Open(topic);
  EXPECT_TRUE(opened.ok()) << opened.error().message;
  if (!opened.ok()) return {};
  EXPECT_TRUE(sp.Join().ok());
  auto ended = so.Act(moves::End("not tonight"));
  EXPECT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_TRUE(so.WaitUntil(Closed));
  return so.events();
}

// The plans of the script, in the order they are made: (side, text, check-in date).
struct Plan {
  v1::Side side;
  std::string text;
  std::string check_in_date;
};
std::vector<Plan> PlansOf(const std::vector<client::demo::Step>& steps) {
  std::vector<Plan> out;
  for (const auto& step : steps) {
    if (step.move.has_repair_step() && step.move.repair_step().step() == v1::PLAN) {
      out.push_back(
          {step.side, step.move.repair_step().text(), step.move.repair_step().check_in_date()});
    }
  }
  return out;
}

std::unique_ptr<client::Connection> SignIn(TestServer& server, const std::string& login) {
  auto conn = server.Connect();
  if (!conn) return nullptr;
  auto granted = conn->Login(login, kPassword);
  EXPECT_TRUE(granted.ok()) << login << ": " << granted.error().message;
  return conn;
}

std::vector<int64_t> IdsOf(const v1::SessionPage& page) {
  std::vector<int64_t> out;
  for (const auto& s : page.sessions()) out.push_back(s.session_id());
  return out;
}

std::vector<int64_t> IdsOf(const v1::CommitmentPage& page) {
  std::vector<int64_t> out;
  for (const auto& c : page.commitments()) out.push_back(c.commitment_id());
  return out;
}

v1::CommitmentPage Commitments(client::Connection& conn, const std::string& today = "",
                               bool open_only = false) {
  v1::ListCommitments request;
  request.set_today(today);
  request.set_open_only(open_only);
  auto page = client::ListCommitments(conn, request);
  EXPECT_TRUE(page.ok()) << page.error().message;
  return page.ok() ? page.value() : v1::CommitmentPage();
}

// The next push on `conn` that is not about a live session (events and presence of a session
// this connection once joined may still trail in).
std::optional<v1::Push> NextHistoryPush(client::Connection& conn) {
  for (;;) {
    auto push = conn.NextPush(5s);
    if (!push || (!push->has_event() && !push->has_presence())) return push;
  }
}

// Each event's encoding, in order.
template <typename Events>
std::vector<std::string> Bytes(const Events& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.SerializeAsString());
  return out;
}

TEST(History, ListsTheCouplesSessionsNewestFirstWithWhatHappened) {
  TestServer server;
  Couple c(server);
  // 1. Sam opens; the whole script with a 20-minute break in the first round: repaired.
  TimeMs first_opened = server.clock().NowMs();
  Played first = PlayScript(server, *c.a, *c.b, "texting while out", 20 * 60);
  ASSERT_EQ(first.state.outcome, v1::REPAIRED);
  TimeMs first_closed = server.clock().NowMs();
  ASSERT_EQ(first.state.breaks, 1);

  // 2. Alex opens; both check in, Alex takes a break and Sam ends the session during it.
  server.clock().Advance(1h);
  TimeMs second_opened = server.clock().NowMs();
  TimeMs second_closed;
  int64_t second_id;
  uint64_t second_events;
  {
    SessionClient sa(*c.a), sb(*c.b);
    ASSERT_TRUE(sb.Open("the dishes").ok());
    ASSERT_TRUE(sa.Join().ok());
    server.clock().Advance(1min);
    ASSERT_TRUE(sb.Act(moves::CheckIn(5)).ok());
    ASSERT_TRUE(sa.Act(moves::CheckIn(4)).ok());
    server.clock().Advance(2min);
    ASSERT_TRUE(sb.Act(moves::TakeBreak(0, "I need air")).ok());
    ASSERT_TRUE(sa.WaitUntil(OnBreak));
    server.clock().Advance(5min);
    ASSERT_TRUE(sa.Act(moves::End("let's stop for tonight")).ok());
    ASSERT_TRUE(sb.WaitUntil(Closed));
    second_closed = server.clock().NowMs();
    second_id = sb.session_id();
    second_events = sb.state().seq;
    EXPECT_EQ(sb.state().outcome, v1::ENDED_EARLY);
  }

  // 3. Sam opens; Alex joins five minutes later; it is still open.
  server.clock().Advance(1h);
  TimeMs third_opened = server.clock().NowMs();
  int64_t third_id;
  {
    SessionClient sa(*c.a), sb(*c.b);
    ASSERT_TRUE(sa.Open("money").ok());
    server.clock().Advance(5min);
    ASSERT_TRUE(sb.Join().ok());
    ASSERT_TRUE(sa.WaitForSeq(2));
    third_id = sa.session_id();
  }
  TimeMs third_last = server.clock().NowMs();
  server.clock().Advance(1h);  // an open session lasts until its last event, not until now

  auto page = client::ListSessions(*c.a);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page.value().sessions_size(), 3);
  EXPECT_TRUE(page.value().next_page_token().empty());
  EXPECT_EQ(IdsOf(page.value()), (std::vector<int64_t>{third_id, second_id, first.session_id}));

  const v1::SessionSummary& open = page.value().sessions(0);
  EXPECT_EQ(open.topic(), "money");
  EXPECT_EQ(open.opened_at_unix_ms(), third_opened);
  EXPECT_EQ(open.closed_at_unix_ms(), 0);
  EXPECT_EQ(open.duration_ms(), third_last - third_opened);
  EXPECT_EQ(open.outcome(), v1::OUTCOME_UNSPECIFIED);
  EXPECT_EQ(open.breaks(), 0u);
  EXPECT_EQ(open.events(), 2u);
  EXPECT_EQ(open.you(), v1::SIDE_A);
  EXPECT_EQ(open.commitments_size(), 0);

  const v1::SessionSummary& ended = page.value().sessions(1);
  EXPECT_EQ(ended.topic(), "the dishes");
  EXPECT_EQ(ended.opened_at_unix_ms(), second_opened);
  EXPECT_EQ(ended.closed_at_unix_ms(), second_closed);
  EXPECT_EQ(ended.duration_ms(), second_closed - second_opened);
  EXPECT_EQ(ended.outcome(), v1::ENDED_EARLY);
  EXPECT_EQ(ended.breaks(), 1u);
  EXPECT_EQ(ended.events(), second_events);
  EXPECT_EQ(ended.you(), v1::SIDE_B);  // Alex opened it
  EXPECT_EQ(ended.commitments_size(), 0);

  const v1::SessionSummary& repaired = page.value().sessions(2);
  EXPECT_EQ(repaired.topic(), "texting while out");
  EXPECT_EQ(repaired.opened_at_unix_ms(), first_opened);
  EXPECT_EQ(repaired.closed_at_unix_ms(), first_closed);
  EXPECT_EQ(repaired.closed_at_unix_ms(), first.events.back().at_unix_ms());
  EXPECT_EQ(repaired.duration_ms(), first_closed - first_opened);
  EXPECT_EQ(repaired.outcome(), v1::REPAIRED);
  EXPECT_EQ(repaired.breaks(), 1u);
  EXPECT_EQ(repaired.events(), first.events.size());
  EXPECT_EQ(repaired.you(), v1::SIDE_A);
  auto plans = PlansOf(first.steps);
  ASSERT_EQ(plans.size(), 2u);
  ASSERT_EQ(repaired.commitments_size(), 2);
  ASSERT_EQ(first.state.commitments.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const v1::Commitment& got = repaired.commitments(i);
    SCOPED_TRACE("commitment " + std::to_string(i));
    EXPECT_GT(got.commitment_id(), 0);
    EXPECT_EQ(got.session_id(), first.session_id);
    EXPECT_EQ(got.owner().login(), plans[i].side == v1::SIDE_A ? "sam" : "alex");
    EXPECT_EQ(got.owner().display_name(), plans[i].side == v1::SIDE_A ? "Sam" : "Alex");
    EXPECT_EQ(got.text(), plans[i].text);
    EXPECT_EQ(got.check_in_date(), plans[i].check_in_date);
    EXPECT_EQ(got.seq(), first.state.commitments[i].seq);
    EXPECT_EQ(got.made_at_unix_ms(), first.events[got.seq() - 1].at_unix_ms());
    EXPECT_EQ(got.status(), v1::FOLLOW_THROUGH_UNSPECIFIED);
    EXPECT_EQ(got.follow_through_size(), 0);
    EXPECT_EQ(got.topic(), "texting while out");
  }
  EXPECT_EQ(repaired.commitments(0).check_in_date(), "2026-12-24");
  EXPECT_EQ(repaired.commitments(1).check_in_date(), "");

  // Alex sees the same sessions, each from the other side.
  auto theirs = client::ListSessions(*c.b);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  ASSERT_EQ(theirs.value().sessions_size(), 3);
  for (int i = 0; i < 3; ++i) {
    v1::SessionSummary mine = page.value().sessions(i), other = theirs.value().sessions(i);
    EXPECT_EQ(other.you(), mine.you() == v1::SIDE_A ? v1::SIDE_B : v1::SIDE_A);
    mine.clear_you();
    other.clear_you();
    EXPECT_EQ(other.SerializeAsString(), mine.SerializeAsString()) << other.DebugString();
  }
}

TEST(History, PagesAreWholeNewestFirstAndEndWithAnEmptyToken) {
  TestServer server;
  Couple c(server);
  std::vector<int64_t> ids;  // oldest first
  for (int i = 0; i < 7; ++i) {
    SessionClient s(*c.a);
    auto opened = s.Open("topic " + std::to_string(i));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    ASSERT_TRUE(s.Act(moves::End()).ok());
    ASSERT_TRUE(s.WaitUntil(Closed));
    ids.push_back(s.session_id());
    server.clock().Advance(1min);
  }
  std::vector<int64_t> newest_first(ids.rbegin(), ids.rend());

  std::vector<int64_t> seen;
  std::vector<int> sizes;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = client::ListSessions(*c.a, 3, token);
    ASSERT_TRUE(page.ok()) << page.error().message;
    sizes.push_back(page.value().sessions_size());
    for (const auto& s : page.value().sessions()) {
      seen.push_back(s.session_id());
      // The topic names the session's place in the order it was made.
      size_t index = std::find(ids.begin(), ids.end(), s.session_id()) - ids.begin();
      EXPECT_EQ(s.topic(), "topic " + std::to_string(index));
      EXPECT_EQ(s.outcome(), v1::ENDED_EARLY);
    }
    token = page.value().next_page_token();
    if (token.empty()) break;
  }
  EXPECT_EQ(sizes, (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(seen, newest_first);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size());

  // A page exactly as long as what is left has no next page; the default and an oversized page
  // hold everything.
  auto exact = client::ListSessions(*c.a, 7);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(IdsOf(exact.value()), newest_first);
  EXPECT_TRUE(exact.value().next_page_token().empty());
  auto six = client::ListSessions(*c.a, 6);
  ASSERT_TRUE(six.ok());
  EXPECT_EQ(six.value().sessions_size(), 6);
  auto last = client::ListSessions(*c.a, 6, six.value().next_page_token());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(IdsOf(last.value()), std::vector<int64_t>{ids.front()});
  EXPECT_TRUE(last.value().next_page_token().empty());
  for (uint32_t size : {0u, 1000u}) {
    auto all = client::ListSessions(*c.a, size);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(IdsOf(all.value()), newest_first);
    EXPECT_TRUE(all.value().next_page_token().empty());
  }

  for (std::string garbage : {"not-a-token", "-3", "12abc", " 5", "99999999999999999999999"}) {
    auto bad = client::ListSessions(*c.a, 3, garbage);
    EXPECT_EQ(bad.code(), v1::INVALID_ARGUMENT) << "token \"" << garbage << "\"";
  }
}

TEST(History, NobodyOutsideTheCoupleSeesOrTouchesItsHistory) {
  TestServer server;
  Couple c(server, "sam", "alex");
  Couple other(server, "kim", "lee");
  auto loner = server.Register("loner");
  Played ours = PlayScript(server, *c.a, *c.b, "our private topic");
  Played theirs = PlayScript(server, *other.a, *other.b, "their own topic");
  ASSERT_NE(ours.session_id, 0);
  ASSERT_NE(theirs.session_id, 0);
  v1::CommitmentPage before = Commitments(*c.a);
  ASSERT_EQ(before.commitments_size(), 2);
  std::set<int64_t> our_commitments;
  for (const auto& cm : before.commitments()) our_commitments.insert(cm.commitment_id());

  for (client::Connection* stranger : {other.a.get(), loner.get()}) {
    SCOPED_TRACE(stranger == loner.get() ? "a single account" : "another couple");
    {
      ReplayClient replay(*stranger);
      EXPECT_EQ(replay.Start(ours.session_id, 0).code(), v1::NOT_FOUND);
      // A session id that does not exist answers the same.
      EXPECT_EQ(replay.Start(ours.session_id + 1000, 0).code(), v1::NOT_FOUND);
    }
    for (int64_t id : our_commitments) {
      EXPECT_EQ(client::RecordFollowThrough(*stranger, id, v1::KEPT, "not mine").code(),
                v1::NOT_FOUND);
    }
  }

  // The single account has no history at all.
  EXPECT_EQ(client::ListSessions(*loner).code(), v1::NOT_IN_COUPLE);
  v1::ListCommitments all;
  EXPECT_EQ(client::ListCommitments(*loner, all).code(), v1::NOT_IN_COUPLE);
  EXPECT_FALSE(client::ExportHistory(*loner).ok());
  v1::ClientMessage raw_export;
  raw_export.mutable_export_history();
  auto raw = loner->Call(raw_export);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.value().error().code(), v1::NOT_IN_COUPLE);

  // The other couple sees only its own.
  auto their_page = client::ListSessions(*other.b);
  ASSERT_TRUE(their_page.ok());
  EXPECT_EQ(IdsOf(their_page.value()), std::vector<int64_t>{theirs.session_id});
  v1::CommitmentPage their_commitments = Commitments(*other.a);
  EXPECT_EQ(their_commitments.commitments_size(), 2);
  for (const auto& cm : their_commitments.commitments()) {
    EXPECT_EQ(our_commitments.count(cm.commitment_id()), 0u);
    EXPECT_EQ(cm.session_id(), theirs.session_id);
  }
  auto exported = client::ExportHistory(*other.a);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  ASSERT_EQ(exported.value().sessions_size(), 1);
  EXPECT_EQ(exported.value().sessions(0).summary().session_id(), theirs.session_id);
  for (const auto& e : exported.value().sessions(0).events()) {
    EXPECT_EQ(e.session_id(), theirs.session_id);
  }
  EXPECT_EQ(client::ExportToJson(exported.value()).find("our private topic"), std::string::npos);

  // Nothing changed for the couple.
  v1::CommitmentPage after = Commitments(*c.b);
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString()) << after.DebugString();
  auto our_page = client::ListSessions(*c.a);
  ASSERT_TRUE(our_page.ok());
  EXPECT_EQ(IdsOf(our_page.value()), std::vector<int64_t>{ours.session_id});
}

TEST(History, CommitmentsAreListedDueFirstAndFollowThroughReachesThePartnerLive) {
  TestServer server;
  Couple c(server);
  Played s = PlayScript(server, *c.a, *c.b, "texting while out");
  auto plans = PlansOf(s.steps);
  ASSERT_EQ(plans.size(), 2u);
  ASSERT_EQ(plans[0].check_in_date, "2026-12-24");  // Alex's plan, made first
  ASSERT_EQ(plans[1].check_in_date, "");            // Sam's plan

  // Both partners see the same two commitments. With the server's date (the test clock is in
  // 2023) nothing is due: the newest comes first.
  v1::CommitmentPage mine = Commitments(*c.a), theirs = Commitments(*c.b);
  ASSERT_EQ(mine.commitments_size(), 2);
  EXPECT_EQ(mine.SerializeAsString(), theirs.SerializeAsString());
  EXPECT_TRUE(mine.next_page_token().empty());
  const v1::Commitment& sams = mine.commitments(0);
  const v1::Commitment& alexs = mine.commitments(1);
  EXPECT_EQ(sams.text(), plans[1].text);
  EXPECT_EQ(sams.owner().login(), "sam");
  EXPECT_EQ(alexs.text(), plans[0].text);
  EXPECT_EQ(alexs.owner().login(), "alex");
  EXPECT_EQ(alexs.check_in_date(), "2026-12-24");
  for (const auto& cm : mine.commitments()) {
    EXPECT_FALSE(cm.due());
    EXPECT_EQ(cm.session_id(), s.session_id);
    EXPECT_EQ(cm.topic(), "texting while out");
  }
  int64_t sam_id = sams.commitment_id(), alex_id = alexs.commitment_id();

  // From its check-in date on, the dated one is due and comes first.
  for (const std::string today : {"2026-12-24", "2027-01-05"}) {
    v1::CommitmentPage page = Commitments(*c.a, today);
    ASSERT_EQ(page.commitments_size(), 2) << today;
    EXPECT_EQ(IdsOf(page), (std::vector<int64_t>{alex_id, sam_id})) << today;
    EXPECT_TRUE(page.commitments(0).due()) << today;
    EXPECT_FALSE(page.commitments(1).due()) << today;  // no date: never due
  }
  v1::CommitmentPage early = Commitments(*c.b, "2026-12-23");
  EXPECT_EQ(IdsOf(early), (std::vector<int64_t>{sam_id, alex_id}));
  EXPECT_FALSE(early.commitments(1).due());

  // Pages of one, with nothing due and with the dated one due: the same order as one page.
  for (const std::string today : {"2026-12-23", "2027-01-05"}) {
    std::vector<int64_t> paged;
    v1::ListCommitments one;
    one.set_page_size(1);
    one.set_today(today);
    for (int pages = 0; pages < 5; ++pages) {
      auto page = client::ListCommitments(*c.a, one);
      ASSERT_TRUE(page.ok()) << page.error().message;
      EXPECT_EQ(page.value().commitments_size(), 1) << today;
      for (int64_t id : IdsOf(page.value())) paged.push_back(id);
      if (page.value().next_page_token().empty()) break;
      one.set_page_token(page.value().next_page_token());
    }
    EXPECT_EQ(paged, IdsOf(Commitments(*c.a, today))) << today;
    EXPECT_EQ(paged.size(), 2u) << today;
  }

  // Sam says Alex kept the plan; Alex sees it live.
  server.clock().Advance(24h);
  TimeMs kept_at = server.clock().NowMs();
  auto kept =
      client::RecordFollowThrough(*c.a, alex_id, v1::KEPT, "  one text when plans changed ");
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(kept.value().commitment_id(), alex_id);
  EXPECT_EQ(kept.value().status(), v1::KEPT);
  ASSERT_EQ(kept.value().follow_through_size(), 1);
  EXPECT_EQ(kept.value().follow_through(0).note(), "one text when plans changed");
  EXPECT_EQ(kept.value().follow_through(0).by().login(), "sam");
  EXPECT_EQ(kept.value().follow_through(0).at_unix_ms(), kept_at);
  auto push = NextHistoryPush(*c.b);
  ASSERT_TRUE(push.has_value());
  ASSERT_TRUE(push->has_commitment_updated()) << push->DebugString();
  EXPECT_EQ(push->commitment_updated().SerializeAsString(), kept.value().SerializeAsString());
  EXPECT_EQ(push->commitment_updated().status(), v1::KEPT);
  EXPECT_EQ(push->commitment_updated().follow_through(0).note(), "one text when plans changed");

  // Kept is no longer due; the order is by age again.
  v1::CommitmentPage later = Commitments(*c.b, "2027-01-05");
  ASSERT_EQ(later.commitments_size(), 2);
  EXPECT_EQ(IdsOf(later), (std::vector<int64_t>{sam_id, alex_id}));
  EXPECT_EQ(later.commitments(1).status(), v1::KEPT);
  EXPECT_FALSE(later.commitments(1).due());
  ASSERT_EQ(later.commitments(1).follow_through_size(), 1);
  EXPECT_EQ(later.commitments(1).follow_through(0).SerializeAsString(),
            kept.value().follow_through(0).SerializeAsString());

  // Alex on Sam's plan: "not yet" keeps it open, "missed" closes it. Sam hears both.
  server.clock().Advance(1h);
  auto not_yet = client::RecordFollowThrough(*c.b, sam_id, v1::NOT_YET);
  ASSERT_TRUE(not_yet.ok()) << not_yet.error().message;
  auto to_sam = NextHistoryPush(*c.a);
  ASSERT_TRUE(to_sam && to_sam->has_commitment_updated());
  EXPECT_EQ(to_sam->commitment_updated().status(), v1::NOT_YET);
  v1::CommitmentPage open = Commitments(*c.a, "2027-01-05", /*open_only=*/true);
  EXPECT_EQ(IdsOf(open), std::vector<int64_t>{sam_id});
  server.clock().Advance(1h);
  auto missed = client::RecordFollowThrough(*c.b, sam_id, v1::MISSED, "I forgot twice");
  ASSERT_TRUE(missed.ok()) << missed.error().message;
  to_sam = NextHistoryPush(*c.a);
  ASSERT_TRUE(to_sam && to_sam->has_commitment_updated());
  EXPECT_EQ(to_sam->commitment_updated().status(), v1::MISSED);
  EXPECT_EQ(Commitments(*c.a, "2027-01-05", /*open_only=*/true).commitments_size(), 0);
  v1::CommitmentPage everything = Commitments(*c.a, "2027-01-05");
  ASSERT_EQ(everything.commitments_size(), 2);
  const v1::Commitment& sam_now = everything.commitments(0);
  EXPECT_EQ(sam_now.commitment_id(), sam_id);
  EXPECT_EQ(sam_now.status(), v1::MISSED);
  ASSERT_EQ(sam_now.follow_through_size(), 2);  // oldest first
  EXPECT_EQ(sam_now.follow_through(0).status(), v1::NOT_YET);
  EXPECT_EQ(sam_now.follow_through(1).status(), v1::MISSED);
  EXPECT_EQ(sam_now.follow_through(1).note(), "I forgot twice");
  EXPECT_EQ(sam_now.follow_through(1).by().login(), "alex");
  EXPECT_LT(sam_now.follow_through(0).at_unix_ms(), sam_now.follow_through(1).at_unix_ms());

  // The same commitments show in the session's summary.
  auto sessions = client::ListSessions(*c.a);
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions.value().sessions_size(), 1);
  ASSERT_EQ(sessions.value().sessions(0).commitments_size(), 2);
  EXPECT_EQ(sessions.value().sessions(0).commitments(0).status(), v1::KEPT);
  EXPECT_EQ(sessions.value().sessions(0).commitments(1).status(), v1::MISSED);
}

TEST(History, BadFollowThroughAndListingRequestsGetTypedErrors) {
  TestServer server;
  Couple c(server);
  Played s = PlayScript(server, *c.a, *c.b, "texting while out");
  v1::CommitmentPage page = Commitments(*c.a);
  ASSERT_EQ(page.commitments_size(), 2);
  int64_t id = page.commitments(0).commitment_id();

  EXPECT_EQ(client::RecordFollowThrough(*c.a, id, v1::FOLLOW_THROUGH_UNSPECIFIED).code(),
            v1::INVALID_ARGUMENT);
  EXPECT_EQ(client::RecordFollowThrough(*c.a, id, static_cast<v1::FollowThroughStatus>(9)).code(),
            v1::INVALID_ARGUMENT);
  EXPECT_EQ(client::RecordFollowThrough(*c.a, id, v1::KEPT, std::string(401, 'x')).code(),
            v1::TOO_LONG);
  int64_t unknown = 0;
  for (const auto& cm : page.commitments()) unknown = std::max(unknown, cm.commitment_id());
  EXPECT_EQ(client::RecordFollowThrough(*c.a, unknown + 1, v1::KEPT).code(), v1::NOT_FOUND);
  EXPECT_EQ(client::RecordFollowThrough(*c.a, 0, v1::KEPT).code(), v1::NOT_FOUND);
  EXPECT_EQ(client::RecordFollowThrough(*c.a, -1, v1::KEPT).code(), v1::NOT_FOUND);
  for (std::string today : {"tomorrow", "2026-13-01", "2026-02-30", "2026-1-05", "20261224"}) {
    v1::ListCommitments request;
    request.set_today(today);
    EXPECT_EQ(client::ListCommitments(*c.a, request).code(), v1::INVALID_ARGUMENT) << today;
  }
  v1::ListCommitments bad_token;
  bad_token.set_page_token("page two");
  EXPECT_EQ(client::ListCommitments(*c.a, bad_token).code(), v1::INVALID_ARGUMENT);

  // None of the refusals was recorded.
  EXPECT_EQ(Commitments(*c.a).SerializeAsString(), page.SerializeAsString());

  // The limit is 400 characters, not bytes.
  std::string accented;
  for (int i = 0; i < 400; ++i) accented += "\xC3\xA9";  // é
  auto long_note = client::RecordFollowThrough(*c.a, id, v1::NOT_YET, accented);
  ASSERT_TRUE(long_note.ok()) << long_note.error().message;
  EXPECT_EQ(long_note.value().follow_through(0).note(), accented);
  EXPECT_EQ(client::RecordFollowThrough(*c.a, id, v1::NOT_YET, accented + "\xC3\xA9").code(),
            v1::TOO_LONG);
  EXPECT_EQ(Commitments(*c.a).commitments(0).follow_through_size(), 1);
}

TEST(History, ExportRoundTripsThroughJsonWithEveryEventAsItHappened) {
  TestServer server;
  Couple c(server);
  Played repaired = PlayScript(server, *c.a, *c.b, "texting while out", 20 * 60);
  server.clock().Advance(1h);
  std::vector<v1::SessionEvent> ended = OpenAndEnd(*c.b, *c.a, "the dishes, again");
  ASSERT_FALSE(ended.empty());
  v1::CommitmentPage page = Commitments(*c.a);
  ASSERT_EQ(page.commitments_size(), 2);
  int64_t kept_id = page.commitments(0).commitment_id();
  ASSERT_TRUE(client::RecordFollowThrough(*c.b, kept_id, v1::KEPT, "a single text at nine").ok());

  auto exported = client::ExportHistory(*c.a);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  const v1::HistoryExport& history = exported.value();
  EXPECT_EQ(history.you().login(), "sam");
  EXPECT_EQ(history.partner().login(), "alex");
  ASSERT_EQ(history.sessions_size(), 2);  // oldest first
  EXPECT_EQ(history.sessions(0).summary().session_id(), repaired.session_id);
  EXPECT_EQ(history.sessions(1).summary().session_id(), ended.front().session_id());
  // Every event exactly as it was pushed live.
  EXPECT_EQ(Bytes(history.sessions(0).events()), Bytes(repaired.events));
  EXPECT_EQ(Bytes(history.sessions(1).events()), Bytes(ended));
  // Each summary is the one history lists.
  auto listed = client::ListSessions(*c.a);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.value().sessions_size(), 2);
  EXPECT_EQ(history.sessions(0).summary().SerializeAsString(),
            listed.value().sessions(1).SerializeAsString());
  EXPECT_EQ(history.sessions(1).summary().SerializeAsString(),
            listed.value().sessions(0).SerializeAsString());
  const v1::SessionSummary& first = history.sessions(0).summary();
  ASSERT_EQ(first.commitments_size(), 2);
  for (const auto& cm : first.commitments()) {
    EXPECT_EQ(cm.status(),
              cm.commitment_id() == kept_id ? v1::KEPT : v1::FOLLOW_THROUGH_UNSPECIFIED);
  }

  std::string json = client::ExportToJson(history);
  EXPECT_NE(json.find("texting while out"), std::string::npos);
  EXPECT_NE(json.find("the dishes, again"), std::string::npos);
  EXPECT_NE(json.find("a single text at nine"), std::string::npos);
  EXPECT_NE(json.find(first.commitments(0).text()), std::string::npos);
  auto back = client::ExportFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value().SerializeAsString(), history.SerializeAsString());
  ASSERT_EQ(back.value().sessions_size(), 2);
  EXPECT_EQ(Bytes(back.value().sessions(0).events()), Bytes(repaired.events));
  EXPECT_EQ(Bytes(back.value().sessions(1).events()), Bytes(ended));
  EXPECT_EQ(client::ExportFromJson("{ not json").code(), v1::INVALID_ARGUMENT);

  // A replay streams the same bytes.
  ReplayClient replay(*c.b);
  auto started = replay.Start(repaired.session_id, 0);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto done = replay.WaitEnded();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->state(), v1::ReplayStatus::FINISHED);
  EXPECT_EQ(Bytes(replay.events()), Bytes(back.value().sessions(0).events()));
}

TEST(History, SurvivesARestart) {
  TestServer server;
  std::string sessions_a, sessions_b, commitments, exported;
  {
    Couple c(server);
    Played s = PlayScript(server, *c.a, *c.b, "texting while out", 20 * 60);
    ASSERT_NE(s.session_id, 0);
    server.clock().Advance(1h);
    OpenAndEnd(*c.b, *c.a, "the dishes");
    {
      SessionClient sa(*c.a), sb(*c.b);
      ASSERT_TRUE(sa.Open("still open").ok());
      ASSERT_TRUE(sb.Join().ok());
      ASSERT_TRUE(sa.Act(moves::CheckIn(6)).ok());
    }
    v1::CommitmentPage page = Commitments(*c.a);
    ASSERT_EQ(page.commitments_size(), 2);
    ASSERT_TRUE(
        client::RecordFollowThrough(*c.a, page.commitments(0).commitment_id(), v1::NOT_YET, "soon")
            .ok());
    auto a = client::ListSessions(*c.a), b = client::ListSessions(*c.b);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a.value().sessions_size(), 3);
    sessions_a = a.value().SerializeAsString();
    sessions_b = b.value().SerializeAsString();
    commitments = Commitments(*c.b, "2027-01-01").SerializeAsString();
    auto all = client::ExportHistory(*c.a);
    ASSERT_TRUE(all.ok());
    exported = all.value().SerializeAsString();
  }
  server.Restart();
  auto a = SignIn(server, "sam");
  auto b = SignIn(server, "alex");
  ASSERT_TRUE(a && b);
  auto sessions = client::ListSessions(*a);
  ASSERT_TRUE(sessions.ok()) << sessions.error().message;
  EXPECT_EQ(sessions.value().SerializeAsString(), sessions_a) << sessions.value().DebugString();
  auto theirs = client::ListSessions(*b);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs.value().SerializeAsString(), sessions_b);
  EXPECT_EQ(Commitments(*b, "2027-01-01").SerializeAsString(), commitments);
  auto all = client::ExportHistory(*a);
  ASSERT_TRUE(all.ok());
  v1::HistoryExport before;
  ASSERT_TRUE(before.ParseFromString(exported));
  before.clear_exported_at_unix_ms();
  all.value().clear_exported_at_unix_ms();
  EXPECT_EQ(all.value().SerializeAsString(), before.SerializeAsString());
}

}  // namespace
}  // namespace mend::testing
