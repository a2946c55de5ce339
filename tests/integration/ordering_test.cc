// The ordering promises of mend.proto, through a real server and real clients over loopback:
// a command's reply precedes the pushes it causes on the same connection, a partner sees an event
// only once it is on disk, pipelined requests are all answered and sign-ins run alone; and the
// transport's own promises (TCP_NODELAY, BUSY instead of waiting behind password hashes).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "client/session_client.h"
#include "common/codec.h"
#include "server/store/sqlite.h"
#include "tests/integration/scripted_session.h"
#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using client::SessionClient;
namespace moves = client::moves;

// Every message a connection receives, in the order it arrived.
class Tape {
 public:
  explicit Tape(client::Connection& conn) {
    conn.SetObserver([this](const v1::ServerMessage& m) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back(m);
    });
  }
  std::vector<v1::ServerMessage> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<v1::ServerMessage> messages_;
};

// Where on `tape` the reply to `request_id` is; -1 if it is not there.
int ReplyAt(const std::vector<v1::ServerMessage>& tape, uint64_t request_id) {
  for (size_t i = 0; i < tape.size(); ++i) {
    if (tape[i].has_reply() && tape[i].reply().request_id() == request_id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// The turn cycle of a talk round: who moves and which move, starting with A speaking.
v1::Move TalkMove(int i) {
  switch (i % 5) {
    case 0:
      return moves::Statement("tense", "plans change late", "I like to know", "an early word");
    case 1:
      return moves::Reflection("late changes leave you unsure");
    case 2:
      return moves::Confirm();
    case 3:
      return moves::Validation("that makes sense");
    default:
      return moves::PassFloor();
  }
}
// A speaks in even rounds (of five moves), B in odd ones; the listener moves at 1 and 3.
bool AMoves(int i) {
  bool a_speaks = (i / 5) % 2 == 0;
  bool speaker_moves = i % 5 != 1 && i % 5 != 3;
  return a_speaks == speaker_moves;
}

TEST(Ordering, TheAuthorsReplyPrecedesItsOwnEventsAndPartnersSeeOnlyWhatIsOnDisk) {
  TestServer server;
  constexpr int kCouples = 3;
  constexpr int kMoves = 60;
  std::vector<std::unique_ptr<Couple>> couples;
  for (int i = 0; i < kCouples; ++i) {
    couples.push_back(
        std::make_unique<Couple>(server, "sam" + std::to_string(i), "alex" + std::to_string(i)));
  }
  std::atomic<int> pushes_checked{0};
  std::atomic<int> not_on_disk{0};
  std::vector<std::thread> players;
  for (int c = 0; c < kCouples; ++c) {
    players.emplace_back([&, c] {
      Couple& couple = *couples[c];
      SessionClient a(*couple.a), b(*couple.b);
      ASSERT_TRUE(a.Open("plans").ok());
      ASSERT_TRUE(b.Join().ok());
      ASSERT_TRUE(a.WaitForSeq(2));
      // Each partner's connection records what it receives, and checks as each event reaches it
      // that the event is committed: a read connection of its own sees only what is on disk.
      auto record = std::make_shared<std::vector<std::vector<v1::ServerMessage>>>(2);
      auto record_mu = std::make_shared<std::mutex>();
      for (int side = 0; side < 2; ++side) {
        client::Connection* conn = side == 0 ? couple.a.get() : couple.b.get();
        auto db = std::shared_ptr<sql::Db>(
            sql::Db::Open((server.dir() / "mend.db").string()).value().release());
        conn->SetObserver([db, record, record_mu, side, &pushes_checked,
                           &not_on_disk](const v1::ServerMessage& m) {
          if (m.has_push() && m.push().has_event()) {
            auto stmt = db->Prepare("SELECT count(*) FROM events WHERE session_id = ? AND seq = ?");
            stmt.Bind(1, m.push().event().session_id())
                .Bind(2, static_cast<int64_t>(m.push().event().seq()));
            if (!stmt.Step() || stmt.Int(0) != 1) ++not_on_disk;
            ++pushes_checked;
          }
          std::lock_guard<std::mutex> lock(*record_mu);
          (*record)[side].push_back(m);
        });
      }
      ASSERT_TRUE(a.Act(moves::CheckIn(7)).ok());
      ASSERT_TRUE(b.Act(moves::CheckIn(6)).ok());
      ASSERT_TRUE(a.WaitForSeq(4));
      ASSERT_TRUE(b.WaitForSeq(4));
      uint64_t seq = 4;
      std::vector<std::pair<int, v1::Accepted>> accepted;  // side, what the author was told
      for (int i = 0; i < kMoves; ++i) {
        bool by_a = AMoves(i);
        SessionClient& author = by_a ? a : b;
        SessionClient& partner = by_a ? b : a;
        auto r = author.Act(TalkMove(i));
        ASSERT_TRUE(r.ok()) << "move " << i << ": " << r.error().message;
        accepted.emplace_back(by_a ? 0 : 1, r.value());
        seq = r.value().last_seq();
        ASSERT_TRUE(partner.WaitForSeq(seq));
        ASSERT_TRUE(author.WaitForSeq(seq));
      }
      couple.a->SetObserver(nullptr);
      couple.b->SetObserver(nullptr);
      std::lock_guard<std::mutex> lock(*record_mu);
      for (const auto& [side, acc] : accepted) {
        const auto& tape = (*record)[side];
        int reply_at = -1, first_event_at = -1;
        for (size_t k = 0; k < tape.size(); ++k) {
          const auto& m = tape[k];
          if (m.has_reply() && m.reply().has_accepted() &&
              m.reply().accepted().first_seq() == acc.first_seq()) {
            reply_at = static_cast<int>(k);
          }
          if (first_event_at < 0 && m.has_push() && m.push().has_event() &&
              m.push().event().seq() == acc.first_seq()) {
            first_event_at = static_cast<int>(k);
          }
        }
        ASSERT_GE(reply_at, 0) << "no Accepted for seq " << acc.first_seq();
        ASSERT_GE(first_event_at, 0) << "no event push for seq " << acc.first_seq();
        EXPECT_LT(reply_at, first_event_at)
            << "seq " << acc.first_seq() << ": the author's event came before its Accepted";
      }
    });
  }
  for (auto& t : players) t.join();
  // Both partners received every move's event, and each was on disk when it arrived.
  EXPECT_EQ(pushes_checked.load(), kCouples * (kMoves + 2) * 2);
  EXPECT_EQ(not_on_disk.load(), 0);
}

// Encodes `m` with `request_id` as the client library would send it.
std::string Encoded(v1::ClientMessage m, uint64_t request_id) {
  m.set_request_id(request_id);
  return codec::Encode(m, codec::Format::kBinary);
}

TEST(Ordering, ReplayStartedPrecedesTheFirstReplayEventEvenWithReplaysAtOnce) {
  TestServer server;
  Couple c(server);
  Played played = PlayScript(server, *c.a, *c.b, "money");
  ASSERT_GT(played.events.size(), 30u);
  auto viewer = server.Connect();
  ASSERT_TRUE(viewer);
  std::string token;
  {
    auto conn = server.Connect();
    auto granted = conn->Login("sam", "calm-waters-42");
    ASSERT_TRUE(granted.ok());
    token = granted.value().token();
  }
  ASSERT_TRUE(viewer->Authenticate(token).ok());
  Tape tape(*viewer);
  for (int round = 0; round < 5; ++round) {
    // Four replays at full speed, asked for at once: each one's events race its reply.
    std::vector<uint64_t> ids;
    for (int k = 0; k < 4; ++k) {
      v1::ClientMessage m;
      m.mutable_start_replay()->set_session_id(played.session_id);
      m.mutable_start_replay()->set_speed(0);
      uint64_t id = 1000 + round * 10 + k;
      ids.push_back(id);
      viewer->SendRaw(Encoded(m, id), false);
    }
    std::set<uint64_t> ended;
    std::map<uint64_t, uint64_t> replay_of_request;
    for (int k = 0; k < 4; ++k) {
      auto reply = viewer->NextUnmatchedReply();
      ASSERT_TRUE(reply.has_value());
      ASSERT_TRUE(reply->has_replay_started()) << reply->DebugString();
      replay_of_request[reply->request_id()] = reply->replay_started().replay_id();
    }
    while (ended.size() < 4) {
      auto push = viewer->NextPush();
      ASSERT_TRUE(push.has_value());
      if (push->has_replay_ended()) ended.insert(push->replay_ended().replay_id());
    }
    auto messages = tape.messages();
    for (uint64_t request : ids) {
      uint64_t replay = replay_of_request[request];
      int reply_at = ReplyAt(messages, request);
      int first_event = -1, last_event = -1, end_at = -1;
      size_t events = 0;
      for (size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        if (m.has_push() && m.push().has_replay_event() &&
            m.push().replay_event().replay_id() == replay) {
          if (first_event < 0) first_event = static_cast<int>(i);
          last_event = static_cast<int>(i);
          ++events;
        }
        if (m.has_push() && m.push().has_replay_ended() &&
            m.push().replay_ended().replay_id() == replay) {
          end_at = static_cast<int>(i);
        }
      }
      EXPECT_EQ(events, played.events.size());
      EXPECT_GE(reply_at, 0);
      EXPECT_LT(reply_at, first_event) << "replay " << replay << " sent an event before its reply";
      EXPECT_LT(last_event, end_at) << "replay " << replay << " ended before its last event";
    }
  }
}

v1::ClientMessage WhoAmI() {
  v1::ClientMessage m;
  m.mutable_who_am_i();
  return m;
}

TEST(Ordering, PipelinedRequestsAreAllAnsweredAndASignInRunsAlone) {
  TestServer server;
  auto alice = server.Register("alice");
  auto bob = server.Register("bob");
  ASSERT_TRUE(alice && bob);
  // Eight questions, a sign-in as someone else, eight more, and far more than the 16 a
  // connection may have in flight: sent at once, without waiting for any answer.
  for (uint64_t id = 1; id <= 8; ++id) alice->SendRaw(Encoded(WhoAmI(), id), false);
  v1::ClientMessage login;
  login.mutable_login()->set_login("bob");
  login.mutable_login()->set_password("calm-waters-42");
  alice->SendRaw(Encoded(login, 9), false);
  for (uint64_t id = 10; id <= 40; ++id) alice->SendRaw(Encoded(WhoAmI(), id), false);
  std::map<uint64_t, v1::Reply> replies;
  while (replies.size() < 40) {
    auto reply = alice->NextUnmatchedReply();
    ASSERT_TRUE(reply.has_value()) << "after " << replies.size() << " replies";
    EXPECT_TRUE(replies.emplace(reply->request_id(), *reply).second) << "answered twice";
  }
  for (uint64_t id = 1; id <= 40; ++id) {
    SCOPED_TRACE(id);
    const v1::Reply& r = replies[id];
    if (id == 9) {
      ASSERT_TRUE(r.has_granted()) << r.DebugString();
      EXPECT_EQ(r.granted().account().login(), "bob");
    } else {
      ASSERT_TRUE(r.has_account()) << r.DebugString();
      // Those before the sign-in were answered as alice, those after as bob.
      EXPECT_EQ(r.account().login(), id < 9 ? "alice" : "bob");
    }
  }
}

// The TCP sockets of this process whose local or peer port is `port`, and whether each has
// TCP_NODELAY set.
std::vector<bool> NoDelayOfSocketsOnPort(uint16_t port) {
  std::vector<bool> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::stoi(entry.path().filename().string());
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (local.ss_family != AF_INET) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    int type = 0;
    socklen_t type_len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) {
      continue;
    }
    uint16_t local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    uint16_t peer_port = ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
    if (local_port != port && peer_port != port) continue;
    int nodelay = 0;
    socklen_t len = sizeof nodelay;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    out.push_back(nodelay != 0);
  }
  return out;
}

TEST(Transport, EveryServerAndClientSocketSendsWithoutNagle) {
  TestServer server;
  auto conn = server.Register("sam");
  ASSERT_TRUE(conn);
  auto second = server.Connect();
  ASSERT_TRUE(second);
  uint16_t port =
      static_cast<uint16_t>(std::stoi(server.url().substr(server.url().rfind(':') + 1)));
  // The server runs in this process: both ends of both connections are here.
  std::vector<bool> sockets = NoDelayOfSocketsOnPort(port);
  EXPECT_EQ(sockets.size(), 4u);
  for (bool nodelay : sockets) EXPECT_TRUE(nodelay);
}

TEST(Accounts, AFullHashQueueAnswersBusyWhileOthersAreServed) {
  ServerOptions options;
  options.hash_threads = 1;
  options.hash_queue = 1;
  TestServer server(options);
  auto sam = server.Register("sam");
  ASSERT_TRUE(sam);
  constexpr int kFlood = 8;
  std::vector<std::unique_ptr<client::Connection>> flood;
  for (int i = 0; i < kFlood; ++i) flood.push_back(server.Connect());
  // Every registration is sent before any is answered: one hashes, one waits, the rest are
  // told BUSY at once.
  for (int i = 0; i < kFlood; ++i) {
    v1::ClientMessage m;
    m.mutable_register_()->set_login("flood" + std::to_string(i));
    m.mutable_register_()->set_display_name("Flood");
    m.mutable_register_()->set_password("calm-waters-42");
    flood[i]->SendRaw(Encoded(m, 1), false);
  }
  // Sam's questions need no hash and are answered meanwhile.
  auto who = sam->WhoAmI();
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who.value().login(), "sam");
  int granted = 0, busy = 0;
  for (auto& conn : flood) {
    auto reply = conn->NextUnmatchedReply();
    ASSERT_TRUE(reply.has_value());
    if (reply->has_granted()) {
      ++granted;
    } else {
      ASSERT_EQ(reply->error().code(), v1::BUSY) << reply->DebugString();
      EXPECT_GE(reply->error().retry_after_seconds(), 1u);
      ++busy;
    }
  }
  EXPECT_GE(granted, 1);
  EXPECT_GE(busy, kFlood - 2 - 1) << "at most one hashing and one waiting, give or take the one "
                                     "that finished while the others arrived";
}

}  // namespace
}  // namespace mend::testing
