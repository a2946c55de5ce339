// The server process is killed with SIGKILL mid-session and restarted on the same database: both
// partners resume and finish, and the event log has no gap and no duplicate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "client/demo_script.h"
#include "client/session_client.h"
#include "server/store/store.h"
#include "tests/integration/server_process.h"

namespace mend::testing {
namespace {

using client::SessionClient;

std::unique_ptr<client::Connection> SignIn(const std::string& url, const std::string& login,
                                           bool fresh) {
  auto conn = client::Connection::Open(url);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().message;
    return nullptr;
  }
  auto r = fresh ? conn.value()->Register(login, "Name of " + login, "calm-waters-42")
                 : conn.value()->Login(login, "calm-waters-42");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(conn).value();
}

// Registers "sam" and "alex" and pairs them; null connections (and a failure) if that fails.
std::pair<std::unique_ptr<client::Connection>, std::unique_ptr<client::Connection>> RegisterCouple(
    const std::string& url) {
  auto a = SignIn(url, "sam", true);
  auto b = SignIn(url, "alex", true);
  if (!a || !b) return {};
  auto invite = a->CreateInvite();
  auto paired = invite.ok() ? b->AcceptInvite(invite.value().code()) : invite.error();
  if (!paired.ok()) {
    ADD_FAILURE() << "pairing: " << paired.error().message;
    return {};
  }
  return {std::move(a), std::move(b)};
}

void Play(SessionClient& a, SessionClient& b, const std::vector<client::demo::Step>& steps,
          uint64_t first_seq) {
  Status ra, rb;
  std::thread ta([&] { ra = client::demo::PlaySide(a, v1::SIDE_A, steps, first_seq, nullptr); });
  std::thread tb([&] { rb = client::demo::PlaySide(b, v1::SIDE_B, steps, first_seq, nullptr); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  ASSERT_TRUE(rb.ok()) << rb.error().message;
}

TEST(KillRestart, SigkillMidSessionLosesNothingAcknowledged) {
  auto dir = std::filesystem::temp_directory_path() / ("mend-kill-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "mend.db").string();
  auto steps = client::demo::Script();
  // Stop mid-round: after B's first reflection, before A's "not quite".
  std::vector<client::demo::Step> before(steps.begin(), steps.begin() + 6);
  const client::demo::Step in_flight = steps[6];
  std::vector<client::demo::Step> after(steps.begin() + 7, steps.end());

  int64_t session_id = 0;
  uint64_t acknowledged = 0;
  {
    ServerProcess server(MEND_SERVER_BIN, db);
    auto [a, b] = RegisterCouple(server.url());
    ASSERT_TRUE(a && b);
    SessionClient sa(*a), sb(*b);
    ASSERT_TRUE(sa.Open("kill -9").ok());
    ASSERT_TRUE(sb.Join().ok());
    ASSERT_TRUE(sa.WaitForSeq(2));
    Play(sa, sb, before, 2);
    session_id = sa.session_id();
    acknowledged = sa.state().seq;
    // A's next move is sent, and the server dies at once: it may or may not have been
    // committed; the reply never comes.
    std::thread sender([&] { (void)sa.Act(in_flight.move, "in-flight-1"); });
    server.Kill();
    sender.join();
  }

  ServerProcess server(MEND_SERVER_BIN, db);
  auto a = SignIn(server.url(), "sam", false);
  auto b = SignIn(server.url(), "alex", false);
  SessionClient sa(*a), sb(*b);
  ASSERT_TRUE(sa.Join(session_id).ok());
  ASSERT_TRUE(sb.Join().ok());
  // Every acknowledged event survived.
  ASSERT_GE(sa.state().seq, acknowledged);
  // The resend is applied once, whether or not the first attempt reached the disk.
  auto resent = sa.Act(in_flight.move, "in-flight-1");
  ASSERT_TRUE(resent.ok()) << resent.error().message;
  EXPECT_EQ(resent.value().first_seq(), acknowledged + 1);
  ASSERT_TRUE(sb.WaitForSeq(acknowledged + 1));
  Play(sa, sb, after, acknowledged + 1);
  EXPECT_EQ(sa.state().outcome, v1::REPAIRED);
  EXPECT_EQ(sb.state().outcome, v1::REPAIRED);
  EXPECT_EQ(server.Terminate(), 0);

  // The log itself: 1..N, each once, equal to what both partners folded.
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  auto log = store.value()->log().LoadEvents(session_id, 0);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log.value().size(), sa.events().size());
  for (size_t i = 0; i < log.value().size(); ++i) {
    EXPECT_EQ(log.value()[i].seq(), i + 1);
    EXPECT_EQ(log.value()[i].SerializeAsString(), sb.events()[i].SerializeAsString());
  }
  store.value().reset();
  std::filesystem::remove_all(dir);
}

TEST(KillRestart, ABreakSurvivesSigkillAndEndsOnTime) {
  auto dir =
      std::filesystem::temp_directory_path() / ("mend-kill-break-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "mend.db").string();
  const std::vector<std::string> flags = {"--break-min-seconds", "1"};
  int64_t session_id = 0;
  TimeMs ends = 0;
  {
    ServerProcess server(MEND_SERVER_BIN, db, flags);
    auto [a, b] = RegisterCouple(server.url());
    ASSERT_TRUE(a && b);
    SessionClient sa(*a), sb(*b);
    ASSERT_TRUE(sa.Open("kill -9 during a break").ok());
    ASSERT_TRUE(sb.Join().ok());
    ASSERT_TRUE(sa.Act(client::moves::CheckIn(5)).ok());
    ASSERT_TRUE(sb.Act(client::moves::CheckIn(5)).ok());
    ASSERT_TRUE(sa.Act(client::moves::TakeBreak(3)).ok());
    ASSERT_TRUE(sa.WaitForSeq(5));
    session_id = sa.session_id();
    ends = sa.state().on_break->ends_ms;
    server.Kill();
  }
  ServerProcess server(MEND_SERVER_BIN, db, flags);
  auto b = SignIn(server.url(), "alex", false);
  SessionClient sb(*b);
  auto joined = sb.Join(session_id);
  ASSERT_TRUE(joined.ok()) << joined.error().message;
  // The server's re-armed timer ends the break, no earlier than its end.
  ASSERT_TRUE(
      sb.WaitUntil([](const session::State& s) { return s.rechecking; }, std::chrono::seconds(30)));
  const v1::SessionEvent ended = sb.events().back();
  ASSERT_TRUE(ended.has_break_ended());
  EXPECT_EQ(ended.break_ended().reason(), v1::BreakEnded::TIME_UP);
  EXPECT_GE(ended.at_unix_ms(), ends);
  EXPECT_EQ(ended.seq(), 6u);
  EXPECT_EQ(server.Terminate(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mend::testing
