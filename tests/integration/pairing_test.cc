// Invites and couples through a real server and the real client library.
#include <gtest/gtest.h>

#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using namespace std::chrono_literals;

TEST(Pairing, PartnersPairAndTheInviterHearsItLive) {
  TestServer server;
  auto sam = server.Register("sam", "calm-waters-42", "Sam Rivera");
  auto sam_phone = server.Connect();  // a second device of the inviter
  ASSERT_TRUE(sam_phone->Login("sam", "calm-waters-42").ok());
  auto alex = server.Register("alex", "calm-waters-42", "Alex Kim");

  EXPECT_EQ(sam->GetPartner().code(), v1::NOT_IN_COUPLE);
  auto invite = sam->CreateInvite();
  ASSERT_TRUE(invite.ok());
  EXPECT_EQ(invite.value().code().size(), 11u);  // "XXXXX-XXXXX"
  EXPECT_EQ(invite.value().expires_at_unix(), server.clock().NowMs() / 1000 + 24 * 3600);

  auto couple = alex->AcceptInvite(invite.value().code());
  ASSERT_TRUE(couple.ok()) << couple.error().message;
  EXPECT_EQ(couple.value().partner().login(), "sam");
  EXPECT_EQ(couple.value().partner().display_name(), "Sam Rivera");

  for (auto* device : {sam.get(), sam_phone.get()}) {
    auto push = device->NextPush();
    ASSERT_TRUE(push.has_value());
    ASSERT_TRUE(push->has_paired());
    EXPECT_EQ(push->paired().partner().login(), "alex");
    EXPECT_EQ(push->paired().partner().display_name(), "Alex Kim");
  }
  // The acceptor gets no push: the reply told them.
  EXPECT_FALSE(alex->NextPush(200ms).has_value());

  auto sams_partner = sam->GetPartner();
  ASSERT_TRUE(sams_partner.ok());
  EXPECT_EQ(sams_partner.value().partner().login(), "alex");
  EXPECT_TRUE(sam->WhoAmI().value().paired());
  EXPECT_TRUE(alex->WhoAmI().value().paired());
}

TEST(Pairing, CodesAreForgivingAboutCaseSpacesAndLookalikes) {
  TestServer server;
  auto sam = server.Register("sam");
  auto alex = server.Register("alex");
  auto invite = sam->CreateInvite();
  ASSERT_TRUE(invite.ok());
  std::string typed;
  for (char c : invite.value().code()) {
    if (c == '-') {
      typed += "  ";
      continue;
    }
    // Read aloud, 0 and 1 are easily typed as o and l.
    typed += c == '0' ? 'o' : c == '1' ? 'l' : static_cast<char>(std::tolower(c));
  }
  EXPECT_TRUE(alex->AcceptInvite(typed).ok());
}

TEST(Pairing, EveryInviteMistakeHasItsOwnCode) {
  TestServer server;
  auto sam = server.Register("sam");
  auto alex = server.Register("alex");
  auto kim = server.Register("kim");
  auto lee = server.Register("lee");

  EXPECT_EQ(alex->AcceptInvite("00000-00000").code(), v1::INVITE_UNKNOWN);
  EXPECT_EQ(alex->AcceptInvite("not a code").code(), v1::INVITE_UNKNOWN);

  auto sams = sam->CreateInvite();
  ASSERT_TRUE(sams.ok());
  EXPECT_EQ(sam->AcceptInvite(sams.value().code()).code(), v1::INVITE_OWN);

  // A newer invite replaces the older one.
  auto newer = sam->CreateInvite();
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(alex->AcceptInvite(sams.value().code()).code(), v1::INVITE_REPLACED);

  // Expired after 24 hours.
  server.clock().Advance(24h + 1s);
  EXPECT_EQ(alex->AcceptInvite(newer.value().code()).code(), v1::INVITE_EXPIRED);

  auto fresh = sam->CreateInvite();
  ASSERT_TRUE(fresh.ok());
  auto kims = kim->CreateInvite();  // kim invites too, before sam pairs
  ASSERT_TRUE(kims.ok());
  auto lees = lee->CreateInvite();
  ASSERT_TRUE(lees.ok());
  ASSERT_TRUE(alex->AcceptInvite(fresh.value().code()).ok());
  EXPECT_EQ(lee->AcceptInvite(fresh.value().code()).code(), v1::INVITE_USED);
  // Alex has a partner now: cannot accept another invite nor create one.
  EXPECT_EQ(alex->AcceptInvite(kims.value().code()).code(), v1::ALREADY_IN_COUPLE);
  EXPECT_EQ(alex->CreateInvite().code(), v1::ALREADY_IN_COUPLE);
  // Kim accepts Lee; then whoever holds Kim's own invite learns that Kim has paired.
  auto kim_lee = kim->AcceptInvite(lees.value().code());
  ASSERT_TRUE(kim_lee.ok());
  auto lee2 = server.Register("lee2");
  EXPECT_EQ(lee2->AcceptInvite(kims.value().code()).code(), v1::INVITER_IN_COUPLE);
}

TEST(Pairing, AnInviterWhoPairedElsewhereIsReported) {
  TestServer server;
  auto sam = server.Register("sam");
  auto alex = server.Register("alex");
  auto kim = server.Register("kim");
  auto sams = sam->CreateInvite();
  ASSERT_TRUE(sams.ok());
  // Sam accepts Kim's invite instead; Sam's own open invite is withdrawn with it.
  auto kims = kim->CreateInvite();
  ASSERT_TRUE(kims.ok());
  ASSERT_TRUE(sam->AcceptInvite(kims.value().code()).ok());
  EXPECT_EQ(alex->AcceptInvite(sams.value().code()).code(), v1::INVITER_IN_COUPLE);
  EXPECT_EQ(alex->GetPartner().code(), v1::NOT_IN_COUPLE);
}

TEST(Pairing, GuessingInviteCodesIsLimitedPerAccount) {
  TestServer server;
  auto sam = server.Register("sam");
  auto guesser = server.Register("guesser");
  auto invite = sam->CreateInvite();
  ASSERT_TRUE(invite.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(guesser->AcceptInvite("ZZZZZ-ZZZZ" + std::to_string(i)).code(), v1::INVITE_UNKNOWN);
  }
  auto limited = guesser->AcceptInvite(invite.value().code());
  ASSERT_EQ(limited.code(), v1::RATE_LIMITED);
  EXPECT_GT(limited.error().retry_after_seconds, 0u);
  // A new connection of the same account is limited too.
  auto again = server.Connect();
  ASSERT_TRUE(again->Login("guesser", "calm-waters-42").ok());
  EXPECT_EQ(again->AcceptInvite(invite.value().code()).code(), v1::RATE_LIMITED);
  // Someone else is not.
  auto alex = server.Register("alex");
  EXPECT_TRUE(alex->AcceptInvite(invite.value().code()).ok());
}

TEST(Pairing, GuessingInviteCodesIsLimitedPerConnection) {
  TestServer server;
  auto sam = server.Register("sam");
  auto invite = sam->CreateInvite();
  ASSERT_TRUE(invite.ok());
  auto conn = server.Register("first");
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(conn->AcceptInvite("ZZZZZ-ZZZZ" + std::to_string(i)).code(), v1::INVITE_UNKNOWN);
  }
  // Switching accounts on the same connection does not reset its count.
  ASSERT_TRUE(conn->Register("second", "Second", "calm-waters-42").ok());
  EXPECT_EQ(conn->AcceptInvite(invite.value().code()).code(), v1::RATE_LIMITED);
  // After the window, the connection may try again.
  server.clock().Advance(10min + 1s);
  EXPECT_TRUE(conn->AcceptInvite(invite.value().code()).ok());
}

}  // namespace
}  // namespace mend::testing
