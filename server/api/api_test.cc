#include "server/api/api.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/invite_code.h"

namespace mend {
namespace {

using std::chrono::milliseconds;

constexpr char kPassword[] = "correct horse battery";

class ApiTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::Init());
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("mend_api_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(std::filesystem::create_directories(dir_));
    Result<std::unique_ptr<Store>> store = OpenSqliteStore((dir_ / "mend.db").string());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    options_.hash_cost = crypto::HashCost::kMinimum;
    hashes_ = std::make_unique<HashPool>(1, 1);
    api_ = std::make_unique<Api>(*store_, *hashes_, clock_, options_);
  }

  void TearDown() override {
    api_.reset();
    hashes_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A context as the network layer would make for a new connection.
  ConnectionContext NewConnection() {
    ConnectionContext conn;
    conn.connection_id = next_connection_id_++;
    return conn;
  }

  // Sends `message` with a fresh request id and checks that the reply echoes it.
  Outcome Send(ConnectionContext& conn, v1::ClientMessage message) {
    message.set_request_id(next_request_id_++);
    Outcome out = api_->HandleAndWait(conn, message);
    EXPECT_TRUE(out.reply.has_reply());
    EXPECT_EQ(out.reply.reply().request_id(), message.request_id());
    return out;
  }

  static v1::ClientMessage RegisterMsg(const std::string& login,
                                       const std::string& password = kPassword) {
    v1::ClientMessage m;
    m.mutable_register_()->set_login(login);
    m.mutable_register_()->set_display_name("Name of " + login);
    m.mutable_register_()->set_password(password);
    return m;
  }
  static v1::ClientMessage LoginMsg(const std::string& login,
                                    const std::string& password = kPassword) {
    v1::ClientMessage m;
    m.mutable_login()->set_login(login);
    m.mutable_login()->set_password(password);
    return m;
  }
  static v1::ClientMessage AuthenticateMsg(const std::string& token) {
    v1::ClientMessage m;
    m.mutable_authenticate()->set_token(token);
    return m;
  }
  static v1::ClientMessage WhoAmIMsg() {
    v1::ClientMessage m;
    m.mutable_who_am_i();
    return m;
  }
  static v1::ClientMessage LogoutMsg() {
    v1::ClientMessage m;
    m.mutable_logout();
    return m;
  }
  static v1::ClientMessage CreateInviteMsg() {
    v1::ClientMessage m;
    m.mutable_create_invite();
    return m;
  }
  static v1::ClientMessage AcceptInviteMsg(const std::string& code) {
    v1::ClientMessage m;
    m.mutable_accept_invite()->set_code(code);
    return m;
  }
  static v1::ClientMessage GetPartnerMsg() {
    v1::ClientMessage m;
    m.mutable_get_partner();
    return m;
  }

  static v1::ErrorCode ErrorOf(const Outcome& out) {
    return out.reply.reply().has_error() ? out.reply.reply().error().code()
                                         : v1::ERROR_CODE_UNSPECIFIED;
  }

  // Registers `login` on `conn` and returns the token.
  std::string RegisterOn(ConnectionContext& conn, const std::string& login) {
    Outcome out = Send(conn, RegisterMsg(login));
    EXPECT_TRUE(out.reply.reply().has_granted()) << out.reply.DebugString();
    return out.reply.reply().granted().token();
  }

  // Creates an invite on `conn` and returns its code.
  std::string InviteOn(ConnectionContext& conn) {
    Outcome out = Send(conn, CreateInviteMsg());
    EXPECT_TRUE(out.reply.reply().has_invite()) << out.reply.DebugString();
    return out.reply.reply().invite().code();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HashPool> hashes_;
  ManualClock clock_;
  ApiOptions options_;
  std::unique_ptr<Api> api_;
  uint64_t next_connection_id_ = 1;
  uint64_t next_request_id_ = 100;
};

TEST_F(ApiTest, RegisterBindsTheConnectionAndGrantsAToken) {
  ConnectionContext conn = NewConnection();
  Outcome out = Send(conn, RegisterMsg("Alice"));
  ASSERT_TRUE(out.reply.reply().has_granted()) << out.reply.DebugString();
  const v1::Granted& granted = out.reply.reply().granted();
  EXPECT_EQ(granted.token().size(), 43u);
  EXPECT_EQ(granted.account().login(), "alice");
  EXPECT_EQ(granted.account().display_name(), "Name of Alice");
  EXPECT_FALSE(granted.account().paired());
  EXPECT_TRUE(out.pushes.empty());
  EXPECT_FALSE(out.close_token_digest.has_value());

  ASSERT_TRUE(conn.identity.account_id.has_value());
  EXPECT_EQ(conn.identity.token_digest, crypto::Digest(granted.token()));
  EXPECT_EQ(store_->accounts().FindAccountByLogin("alice").value().id, *conn.identity.account_id);

  Outcome who = Send(conn, WhoAmIMsg());
  ASSERT_TRUE(who.reply.reply().has_account()) << who.reply.DebugString();
  EXPECT_EQ(who.reply.reply().account().login(), "alice");
}

TEST_F(ApiTest, RegisterRefusesBadInput) {
  ConnectionContext conn = NewConnection();
  RegisterOn(conn, "alice");
  ConnectionContext other = NewConnection();
  EXPECT_EQ(ErrorOf(Send(other, RegisterMsg("ALICE"))), v1::LOGIN_TAKEN);
  EXPECT_EQ(ErrorOf(Send(other, RegisterMsg("a b"))), v1::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorOf(Send(other, RegisterMsg("bob", ""))), v1::PASSWORD_EMPTY);
  EXPECT_EQ(ErrorOf(Send(other, RegisterMsg("bob", "bob-is-great"))), v1::PASSWORD_WEAK);
  EXPECT_FALSE(other.identity.account_id.has_value());
}

TEST_F(ApiTest, CommandsNeedASignedInConnection) {
  ConnectionContext conn = NewConnection();
  for (const v1::ClientMessage& m : {WhoAmIMsg(), LogoutMsg(), CreateInviteMsg(),
                                     AcceptInviteMsg("7KQ2M-X9D4R"), GetPartnerMsg()}) {
    SCOPED_TRACE(m.ShortDebugString());
    Outcome out = Send(conn, m);
    EXPECT_EQ(ErrorOf(out), v1::UNAUTHENTICATED);
    EXPECT_FALSE(out.close_token_digest.has_value());
  }
  EXPECT_FALSE(conn.identity.account_id.has_value());
}

TEST_F(ApiTest, LoginRefusals) {
  ConnectionContext first = NewConnection();
  RegisterOn(first, "alice");

  ConnectionContext conn = NewConnection();
  EXPECT_EQ(ErrorOf(Send(conn, LoginMsg("alice", "wrong password"))), v1::WRONG_PASSWORD);
  EXPECT_EQ(ErrorOf(Send(conn, LoginMsg("nobody"))), v1::UNKNOWN_ACCOUNT);
  EXPECT_EQ(ErrorOf(Send(conn, LoginMsg("no body"))), v1::UNKNOWN_ACCOUNT);
  EXPECT_EQ(ErrorOf(Send(conn, LoginMsg("alice", ""))), v1::PASSWORD_EMPTY);
  EXPECT_FALSE(conn.identity.account_id.has_value());

  Outcome ok = Send(conn, LoginMsg("ALICE"));
  ASSERT_TRUE(ok.reply.reply().has_granted()) << ok.reply.DebugString();
  EXPECT_EQ(ok.reply.reply().granted().account().login(), "alice");
  EXPECT_EQ(conn.identity.account_id, first.identity.account_id);
  // Each login gets its own token.
  EXPECT_NE(conn.identity.token_digest, first.identity.token_digest);
}

TEST_F(ApiTest, TenFailedLoginsRateLimitTheAccount) {
  ConnectionContext first = NewConnection();
  RegisterOn(first, "alice");

  ConnectionContext conn = NewConnection();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ErrorOf(Send(conn, LoginMsg("alice", "wrong password"))), v1::WRONG_PASSWORD)
        << "attempt " << i;
    clock_.Advance(milliseconds(1000));
  }
  // The right password does not help now, from any connection.
  ConnectionContext fresh = NewConnection();
  Outcome limited = Send(fresh, LoginMsg("alice"));
  ASSERT_EQ(ErrorOf(limited), v1::RATE_LIMITED) << limited.reply.DebugString();
  // The first failure leaves the ten-minute window 590 s after the eleventh attempt.
  EXPECT_EQ(limited.reply.reply().error().retry_after_seconds(), 590u);
  EXPECT_FALSE(fresh.identity.account_id.has_value());

  clock_.Advance(milliseconds(options_.failure_window_ms - 10'000));
  Outcome ok = Send(fresh, LoginMsg("alice"));
  ASSERT_TRUE(ok.reply.reply().has_granted()) << ok.reply.DebugString();
  EXPECT_TRUE(fresh.identity.account_id.has_value());
}

TEST_F(ApiTest, AuthenticateWithAToken) {
  ConnectionContext first = NewConnection();
  std::string token = RegisterOn(first, "alice");

  ConnectionContext conn = NewConnection();
  Outcome out = Send(conn, AuthenticateMsg(token));
  ASSERT_TRUE(out.reply.reply().has_account()) << out.reply.DebugString();
  EXPECT_EQ(out.reply.reply().account().login(), "alice");
  EXPECT_EQ(conn.identity.account_id, first.identity.account_id);
  EXPECT_EQ(conn.identity.token_digest, crypto::Digest(token));
  EXPECT_EQ(Send(conn, WhoAmIMsg()).reply.reply().account().login(), "alice");

  ConnectionContext bad = NewConnection();
  EXPECT_EQ(ErrorOf(Send(bad, AuthenticateMsg(token + "x"))), v1::UNAUTHENTICATED);
  EXPECT_EQ(ErrorOf(Send(bad, AuthenticateMsg(""))), v1::UNAUTHENTICATED);
  EXPECT_FALSE(bad.identity.account_id.has_value());
  EXPECT_EQ(ErrorOf(Send(bad, WhoAmIMsg())), v1::UNAUTHENTICATED);
}

TEST_F(ApiTest, TokensExpire) {
  ConnectionContext conn = NewConnection();
  std::string token = RegisterOn(conn, "alice");

  clock_.Advance(milliseconds(options_.token_ttl_ms - 1));
  EXPECT_EQ(ErrorOf(Send(conn, WhoAmIMsg())), v1::ERROR_CODE_UNSPECIFIED);

  clock_.Advance(milliseconds(1));
  EXPECT_EQ(ErrorOf(Send(conn, WhoAmIMsg())), v1::UNAUTHENTICATED);
  EXPECT_FALSE(conn.identity.account_id.has_value());
  ConnectionContext later = NewConnection();
  EXPECT_EQ(ErrorOf(Send(later, AuthenticateMsg(token))), v1::UNAUTHENTICATED);
}

TEST_F(ApiTest, LogoutRevokesTheToken) {
  ConnectionContext conn = NewConnection();
  std::string token = RegisterOn(conn, "alice");
  ConnectionContext second = NewConnection();
  ASSERT_EQ(ErrorOf(Send(second, AuthenticateMsg(token))), v1::ERROR_CODE_UNSPECIFIED);

  Outcome out = Send(conn, LogoutMsg());
  EXPECT_TRUE(out.reply.reply().has_done()) << out.reply.DebugString();
  ASSERT_TRUE(out.close_token_digest.has_value());
  EXPECT_EQ(*out.close_token_digest, crypto::Digest(token));
  EXPECT_FALSE(conn.identity.account_id.has_value());

  EXPECT_EQ(ErrorOf(Send(conn, WhoAmIMsg())), v1::UNAUTHENTICATED);
  // Another connection that used the same token is closed by the network layer, as the
  // Outcome's close_token_digest asks; no new connection can sign in with it.
  ConnectionContext fresh = NewConnection();
  EXPECT_EQ(ErrorOf(Send(fresh, AuthenticateMsg(token))), v1::UNAUTHENTICATED);
  // The password still works.
  EXPECT_TRUE(Send(fresh, LoginMsg("alice")).reply.reply().has_granted());
}

TEST_F(ApiTest, InviteFlowPushesToTheInviter) {
  ConnectionContext alice = NewConnection();
  ConnectionContext bob = NewConnection();
  RegisterOn(alice, "alice");
  RegisterOn(bob, "bob");
  const TimeMs created = clock_.NowMs();

  Outcome invite = Send(alice, CreateInviteMsg());
  ASSERT_TRUE(invite.reply.reply().has_invite()) << invite.reply.DebugString();
  const std::string code = invite.reply.reply().invite().code();
  EXPECT_TRUE(invite_code::Normalize(code).has_value()) << code;
  EXPECT_EQ(invite.reply.reply().invite().expires_at_unix(),
            (created + options_.invite_ttl_ms) / 1000);

  clock_.Advance(milliseconds(5000));
  const TimeMs paired_at = clock_.NowMs();
  Outcome accepted = Send(bob, AcceptInviteMsg(code));
  ASSERT_TRUE(accepted.reply.reply().has_couple()) << accepted.reply.DebugString();
  EXPECT_EQ(accepted.reply.reply().couple().partner().login(), "alice");
  EXPECT_TRUE(accepted.reply.reply().couple().partner().paired());
  EXPECT_EQ(accepted.reply.reply().couple().paired_at_unix(), paired_at / 1000);

  ASSERT_EQ(accepted.pushes.size(), 1u);
  EXPECT_EQ(accepted.pushes[0].first, *alice.identity.account_id);
  const v1::ServerMessage& push = accepted.pushes[0].second;
  ASSERT_TRUE(push.has_push() && push.push().has_paired()) << push.DebugString();
  EXPECT_EQ(push.push().paired().partner().login(), "bob");
  EXPECT_EQ(push.push().paired().partner().display_name(), "Name of bob");
  EXPECT_EQ(push.push().paired().paired_at_unix(), paired_at / 1000);

  Outcome partner = Send(alice, GetPartnerMsg());
  ASSERT_TRUE(partner.reply.reply().has_couple()) << partner.reply.DebugString();
  EXPECT_EQ(partner.reply.reply().couple().partner().login(), "bob");
  EXPECT_TRUE(Send(alice, WhoAmIMsg()).reply.reply().account().paired());
  EXPECT_EQ(ErrorOf(Send(alice, CreateInviteMsg())), v1::ALREADY_IN_COUPLE);
}

TEST_F(ApiTest, InviteCodeIsForgivingAsTyped) {
  ConnectionContext alice = NewConnection();
  ConnectionContext bob = NewConnection();
  RegisterOn(alice, "alice");
  RegisterOn(bob, "bob");
  std::string code = InviteOn(alice);
  std::string typed;
  for (char c : code) {
    if (c != '-') typed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  typed.insert(3, " ");
  EXPECT_TRUE(Send(bob, AcceptInviteMsg(typed)).reply.reply().has_couple());
}

TEST_F(ApiTest, InviteExpiresAfterADay) {
  ConnectionContext alice = NewConnection();
  ConnectionContext bob = NewConnection();
  RegisterOn(alice, "alice");
  RegisterOn(bob, "bob");
  std::string code = InviteOn(alice);

  clock_.Advance(std::chrono::hours(24));
  Outcome out = Send(bob, AcceptInviteMsg(code));
  EXPECT_EQ(ErrorOf(out), v1::INVITE_EXPIRED);
  EXPECT_TRUE(out.pushes.empty());
  EXPECT_EQ(ErrorOf(Send(bob, GetPartnerMsg())), v1::NOT_IN_COUPLE);
}

TEST_F(ApiTest, GuessingInviteCodesIsLimitedPerAccount) {
  ConnectionContext alice = NewConnection();
  ConnectionContext bob = NewConnection();
  ConnectionContext carol = NewConnection();
  RegisterOn(alice, "alice");
  RegisterOn(bob, "bob");
  RegisterOn(carol, "carol");
  std::string real_code = InviteOn(carol);

  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ErrorOf(Send(alice, AcceptInviteMsg(invite_code::Generate()))), v1::INVITE_UNKNOWN)
        << "guess " << i;
  }
  Outcome limited = Send(alice, AcceptInviteMsg(real_code));
  ASSERT_EQ(ErrorOf(limited), v1::RATE_LIMITED) << limited.reply.DebugString();
  EXPECT_GT(limited.reply.reply().error().retry_after_seconds(), 0u);
  EXPECT_LE(limited.reply.reply().error().retry_after_seconds(), 600u);

  // The same account on another connection is limited too.
  ConnectionContext alice_again = NewConnection();
  ASSERT_EQ(ErrorOf(Send(alice_again, LoginMsg("alice"))), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorOf(Send(alice_again, AcceptInviteMsg(real_code))), v1::RATE_LIMITED);

  // Another account on its own connection is not.
  EXPECT_EQ(ErrorOf(Send(bob, AcceptInviteMsg(invite_code::Generate()))), v1::INVITE_UNKNOWN);
  EXPECT_TRUE(Send(bob, AcceptInviteMsg(real_code)).reply.reply().has_couple());
}

TEST_F(ApiTest, GuessingInviteCodesIsLimitedPerConnection) {
  ConnectionContext setup = NewConnection();
  RegisterOn(setup, "bob");
  ConnectionContext carol = NewConnection();
  RegisterOn(carol, "carol");
  std::string real_code = InviteOn(carol);

  ConnectionContext conn = NewConnection();
  RegisterOn(conn, "alice");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ErrorOf(Send(conn, AcceptInviteMsg(invite_code::Generate()))), v1::INVITE_UNKNOWN);
  }
  // Signing in as someone else on the same connection does not reset the count.
  ASSERT_EQ(ErrorOf(Send(conn, LoginMsg("bob"))), v1::ERROR_CODE_UNSPECIFIED);
  Outcome limited = Send(conn, AcceptInviteMsg(real_code));
  EXPECT_EQ(ErrorOf(limited), v1::RATE_LIMITED) << limited.reply.DebugString();

  // Bob elsewhere is fine, and after the window the connection may try again.
  EXPECT_EQ(ErrorOf(Send(setup, AcceptInviteMsg(invite_code::Generate()))), v1::INVITE_UNKNOWN);
  clock_.Advance(milliseconds(options_.failure_window_ms));
  EXPECT_TRUE(Send(conn, AcceptInviteMsg(real_code)).reply.reply().has_couple());
}

TEST_F(ApiTest, MessageWithoutCommandIsBadMessage) {
  ConnectionContext conn = NewConnection();
  v1::ClientMessage empty;
  empty.set_request_id(4242);
  Outcome out = api_->HandleAndWait(conn, empty);
  EXPECT_EQ(out.reply.reply().request_id(), 4242u);
  EXPECT_EQ(ErrorOf(out), v1::BAD_MESSAGE);
  EXPECT_FALSE(out.reply.reply().error().message().empty());
}

TEST_F(ApiTest, ReplyEchoesTheRequestId) {
  ConnectionContext conn = NewConnection();
  std::string token = RegisterOn(conn, "alice");
  const uint64_t ids[] = {0, 1, 77, 18'446'744'073'709'551'615ULL};
  for (uint64_t id : ids) {
    for (v1::ClientMessage m : {WhoAmIMsg(), GetPartnerMsg(), AuthenticateMsg(token),
                                AuthenticateMsg("bad"), LoginMsg("nobody"), v1::ClientMessage()}) {
      m.set_request_id(id);
      SCOPED_TRACE(m.ShortDebugString());
      Outcome out = api_->HandleAndWait(conn, m);
      ASSERT_TRUE(out.reply.has_reply());
      EXPECT_EQ(out.reply.reply().request_id(), id);
    }
  }
}

TEST_F(ApiTest, AFullHashPoolAnswersBusyAndNobodyElseWaits) {
  ConnectionContext alice = NewConnection();
  RegisterOn(alice, "alice");
  // The pool's one thread is held by a task the test releases; one more task fills its queue.
  std::promise<void> release;
  std::promise<void> started;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_FALSE(hashes_->TrySubmit([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  std::promise<void> drained;
  ASSERT_FALSE(hashes_->TrySubmit([&drained] { drained.set_value(); }));

  ConnectionContext conn = NewConnection();
  Outcome busy = Send(conn, RegisterMsg("bob"));
  ASSERT_EQ(ErrorOf(busy), v1::BUSY) << busy.reply.DebugString();
  EXPECT_GE(busy.reply.reply().error().retry_after_seconds(), 1u);
  EXPECT_EQ(ErrorOf(Send(conn, LoginMsg("alice"))), v1::BUSY);
  EXPECT_FALSE(conn.identity.account_id.has_value());
  // Requests that need no hash are answered while the pool is held.
  Outcome who = Send(alice, WhoAmIMsg());
  EXPECT_EQ(who.reply.reply().account().login(), "alice") << who.reply.DebugString();

  release.set_value();
  drained.get_future().wait();
  // The pool has room again: the same registration goes through.
  Outcome ok = Send(conn, RegisterMsg("bob"));
  EXPECT_TRUE(ok.reply.reply().has_granted()) << ok.reply.DebugString();
}

TEST_F(ApiTest, IdentityCommandsRunAlone) {
  EXPECT_TRUE(Api::ChangesIdentity(RegisterMsg("a")));
  EXPECT_TRUE(Api::ChangesIdentity(LoginMsg("a")));
  EXPECT_TRUE(Api::ChangesIdentity(AuthenticateMsg("t")));
  EXPECT_TRUE(Api::ChangesIdentity(LogoutMsg()));
  EXPECT_FALSE(Api::ChangesIdentity(WhoAmIMsg()));
  EXPECT_FALSE(Api::ChangesIdentity(GetPartnerMsg()));
}

}  // namespace
}  // namespace mend
