// Accounts and tokens through a real server and the real client library.
#include <gtest/gtest.h>

#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using namespace std::chrono_literals;

TEST(Accounts, RegisterSignsInAndWhoAmIAnswers) {
  TestServer server;
  auto conn = server.Connect();
  auto granted = conn->Register("Sam.Rivera", "Sam Rivera", "calm-waters-42");
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  EXPECT_EQ(granted.value().account().login(), "sam.rivera");  // stored lower-case
  EXPECT_EQ(granted.value().token().size(), 43u);
  auto me = conn->WhoAmI();
  ASSERT_TRUE(me.ok());
  EXPECT_EQ(me.value().display_name(), "Sam Rivera");
  EXPECT_FALSE(me.value().paired());
}

TEST(Accounts, TokenFromOneConnectionAuthenticatesAnother) {
  TestServer server;
  auto first = server.Connect();
  auto granted = first->Register("sam", "Sam", "calm-waters-42");
  ASSERT_TRUE(granted.ok());
  auto second = server.Connect();
  auto me = second->Authenticate(granted.value().token());
  ASSERT_TRUE(me.ok()) << me.error().message;
  EXPECT_EQ(me.value().login(), "sam");
}

TEST(Accounts, EveryRegistrationMistakeHasItsOwnCode) {
  TestServer server;
  auto conn = server.Connect();
  ASSERT_TRUE(conn->Register("sam", "Sam", "calm-waters-42").ok());
  auto other = server.Connect();
  EXPECT_EQ(other->Register("SAM", "Another Sam", "calm-waters-42").code(), v1::LOGIN_TAKEN);
  EXPECT_EQ(other->Register("alex", "Alex", "").code(), v1::PASSWORD_EMPTY);
  EXPECT_EQ(other->Register("alex", "Alex", "short").code(), v1::PASSWORD_WEAK);
  EXPECT_EQ(other->Register("alex", "Alex", "password").code(), v1::PASSWORD_WEAK);
  EXPECT_EQ(other->Register("alex", "Alex", "alex-is-great").code(), v1::PASSWORD_WEAK);
  EXPECT_EQ(other->Register("a", "Alex", "calm-waters-42").code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(other->Register("alex smith", "Alex", "calm-waters-42").code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(other->Register("alex", "   ", "calm-waters-42").code(), v1::INVALID_ARGUMENT);
  // None of the refusals created anything: the name is still free.
  EXPECT_TRUE(other->Register("alex", "Alex", "calm-waters-42").ok());
}

TEST(Accounts, LoginMistakesHaveTheirOwnCodes) {
  TestServer server;
  server.Register("sam");
  auto conn = server.Connect();
  EXPECT_EQ(conn->Login("sam", "wrong-password-1").code(), v1::WRONG_PASSWORD);
  EXPECT_EQ(conn->Login("nobody", "calm-waters-42").code(), v1::UNKNOWN_ACCOUNT);
  EXPECT_EQ(conn->Login("sam", "").code(), v1::PASSWORD_EMPTY);
  auto ok = conn->Login("SAM", "calm-waters-42");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok.value().account().login(), "sam");
}

TEST(Accounts, TenFailedLoginsLockTheAccountForAWhile) {
  TestServer server;
  server.Register("sam");
  server.Register("alex");
  auto conn = server.Connect();
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(conn->Login("sam", "wrong-password-" + std::to_string(i)).code(), v1::WRONG_PASSWORD);
  }
  // Even the right password is refused now, from any connection.
  auto refused = server.Connect()->Login("sam", "calm-waters-42");
  ASSERT_EQ(refused.code(), v1::RATE_LIMITED);
  EXPECT_GT(refused.error().retry_after_seconds, 0u);
  EXPECT_LE(refused.error().retry_after_seconds, 600u);
  // Other accounts are not affected.
  EXPECT_TRUE(conn->Login("alex", "calm-waters-42").ok());
  // Once the window has passed, the right password works again.
  server.clock().Advance(10min + 1s);
  EXPECT_TRUE(conn->Login("sam", "calm-waters-42").ok());
}

TEST(Accounts, CommandsWithoutAValidTokenAreRefused) {
  TestServer server;
  auto conn = server.Connect();
  EXPECT_EQ(conn->WhoAmI().code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(conn->CreateInvite().code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(conn->AcceptInvite("7KQ2M-X9D4R").code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(conn->GetPartner().code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(conn->Logout().code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(conn->Authenticate("not-a-token").code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(conn->Authenticate("").code(), v1::UNAUTHENTICATED);
  // The connection still works after all that.
  EXPECT_TRUE(conn->Register("sam", "Sam", "calm-waters-42").ok());
}

TEST(Accounts, LogoutRevokesTheTokenAndClosesItsConnectionsOnly) {
  TestServer server;
  auto a = server.Connect();
  auto granted = a->Register("sam", "Sam", "calm-waters-42");
  ASSERT_TRUE(granted.ok());
  auto same_token = server.Connect();
  ASSERT_TRUE(same_token->Authenticate(granted.value().token()).ok());
  auto other_device = server.Connect();
  ASSERT_TRUE(other_device->Login("sam", "calm-waters-42").ok());

  ASSERT_TRUE(a->Logout().ok());
  auto closed_a = a->WaitClosed();
  ASSERT_TRUE(closed_a.has_value());
  EXPECT_EQ(closed_a->code, 4001);
  auto closed_b = same_token->WaitClosed();
  ASSERT_TRUE(closed_b.has_value());
  EXPECT_EQ(closed_b->code, 4001);
  // Another device with its own token stays signed in.
  EXPECT_TRUE(other_device->WhoAmI().ok());
  EXPECT_TRUE(other_device->is_open());
  // The revoked token no longer works anywhere.
  EXPECT_EQ(server.Connect()->Authenticate(granted.value().token()).code(), v1::UNAUTHENTICATED);
}

TEST(Accounts, TokensExpireAfterThirtyDays) {
  TestServer server;
  auto conn = server.Register("sam");
  ASSERT_TRUE(conn->WhoAmI().ok());
  server.clock().Advance(std::chrono::hours(24 * 30) + 1s);
  EXPECT_EQ(conn->WhoAmI().code(), v1::UNAUTHENTICATED);
  EXPECT_TRUE(conn->Login("sam", "calm-waters-42").ok());
  EXPECT_TRUE(conn->WhoAmI().ok());
}

TEST(Accounts, AccountsTokensAndCouplesSurviveARestart) {
  TestServer server;
  auto sam = server.Connect();
  auto granted = sam->Register("sam", "Sam", "calm-waters-42");
  ASSERT_TRUE(granted.ok());
  auto alex = server.Register("alex");
  server.Pair(*sam, *alex);
  sam.reset();
  alex.reset();

  server.Restart();
  auto again = server.Connect();
  auto me = again->Authenticate(granted.value().token());
  ASSERT_TRUE(me.ok()) << me.error().message;
  EXPECT_TRUE(me.value().paired());
  auto partner = again->GetPartner();
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(partner.value().partner().login(), "alex");
  EXPECT_TRUE(server.Connect()->Login("alex", "calm-waters-42").ok());
}

}  // namespace
}  // namespace mend::testing
