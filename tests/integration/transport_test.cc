// The wire: HTTP next to WebSocket on one port, both frame formats, bad frames, limits, the
// upgrade checks, shutdown, and what reaches the log.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "tests/integration/test_server.h"

namespace mend::testing {
namespace {

using namespace std::chrono_literals;

TEST(Transport, HealthzAnswersOnTheSamePort) {
  TestServer server;
  auto health = client::HttpGet(server.url(), "/healthz");
  ASSERT_TRUE(health.ok()) << health.error().message;
  EXPECT_EQ(health.value().first, 200);
  EXPECT_EQ(health.value().second, "ok\n");
  auto missing = client::HttpGet(server.url(), "/nothing-here");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing.value().first, 404);
}

TEST(Transport, AMalformedBinaryFrameGetsATypedErrorAndTheConnectionGoesOn) {
  TestServer server;
  auto conn = server.Connect();
  conn->SendRaw(std::string("\x52\x10"
                            "ab",
                            4),
                /*text=*/false);  // truncated field
  auto reply = conn->NextUnmatchedReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->request_id(), 0u);
  EXPECT_EQ(reply->error().code(), v1::BAD_MESSAGE);
  EXPECT_TRUE(conn->is_open());
  EXPECT_TRUE(conn->Register("sam", "Sam", "calm-waters-42").ok());
}

TEST(Transport, AMalformedTextFrameGetsATypedErrorInJson) {
  TestServer server;
  client::ConnectOptions json;
  json.format = codec::Format::kJson;
  auto conn = server.Connect(json);
  conn->SendRaw("{this is not json", /*text=*/true);
  auto reply = conn->NextUnmatchedReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error().code(), v1::BAD_MESSAGE);
  EXPECT_TRUE(conn->Register("sam", "Sam", "calm-waters-42").ok());
}

TEST(Transport, AMessageWithoutACommandIsRefusedWithItsRequestId) {
  TestServer server;
  auto conn = server.Connect();
  conn->SendRaw(R"({"requestId":"77","someFutureCommand":{}})", /*text=*/true);
  auto reply = conn->NextUnmatchedReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->request_id(), 77u);
  EXPECT_EQ(reply->error().code(), v1::BAD_MESSAGE);
}

TEST(Transport, AJsonClientSpeaksTheSameProtocol) {
  TestServer server;
  client::ConnectOptions json;
  json.format = codec::Format::kJson;
  auto sam = server.Connect(json);
  ASSERT_TRUE(sam->Register("sam", "Sam", "calm-waters-42").ok());
  auto alex = server.Register("alex");  // binary
  server.Pair(*sam, *alex);
  auto push = sam->NextPush();
  ASSERT_TRUE(push.has_value());
  EXPECT_EQ(push->paired().partner().login(), "alex");
  EXPECT_EQ(sam->GetPartner().value().partner().login(), "alex");
}

TEST(Transport, AFrameOver64KiBClosesWith1009) {
  TestServer server;
  auto conn = server.Connect();
  conn->SendRaw(std::string(64 * 1024 + 1, 'x'), /*text=*/false);
  auto closed = conn->WaitClosed();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code, 1009);
}

TEST(Transport, AFrameOfExactly64KiBIsRead) {
  TestServer server;
  auto conn = server.Connect();
  conn->SendRaw(std::string(64 * 1024, 'x'), /*text=*/true);
  auto reply = conn->NextUnmatchedReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error().code(), v1::BAD_MESSAGE);
  EXPECT_TRUE(conn->is_open());
}

TEST(Transport, TheUpgradeNeedsTheMendSubprotocol) {
  TestServer server;
  client::ConnectOptions wrong;
  wrong.subprotocol = "mend.v0";
  auto refused = client::Connection::Open(server.url(), wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), v1::UNAVAILABLE);
  EXPECT_NE(refused.error().message.find("HTTP 400"), std::string::npos) << refused.error().message;
  client::ConnectOptions none;
  none.subprotocol = "";
  EXPECT_FALSE(client::Connection::Open(server.url(), none).ok());
  client::ConnectOptions several;
  several.subprotocol = "mend.v2, mend.v1";
  EXPECT_TRUE(client::Connection::Open(server.url(), several).ok());
}

TEST(Transport, BrowserOriginsMustBeAllowed) {
  ServerOptions options;
  options.allowed_origins = {"https://mend.example"};
  TestServer server(options);
  client::ConnectOptions stranger;
  stranger.origin = "https://evil.example";
  auto refused = client::Connection::Open(server.url(), stranger);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("HTTP 403"), std::string::npos);
  client::ConnectOptions ours;
  ours.origin = "https://mend.example";
  EXPECT_TRUE(client::Connection::Open(server.url(), ours).ok());
}

TEST(Transport, OneMisbehavingClientDoesNotDisturbOthers) {
  TestServer server;
  auto good = server.Register("sam");
  auto bad = server.Connect();
  for (int i = 0; i < 50; ++i) bad->SendRaw("\xff\xff\xff", false);
  // Served while the bad frames are being answered.
  EXPECT_TRUE(good->WhoAmI().ok());
  for (int i = 0; i < 50; ++i) {
    auto reply = bad->NextUnmatchedReply();
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->error().code(), v1::BAD_MESSAGE);
  }
  bad->SendRaw(std::string(100 * 1024, 'x'), false);
  ASSERT_TRUE(bad->WaitClosed().has_value());
  EXPECT_TRUE(good->WhoAmI().ok());
  auto newcomer = server.Register("alex");
  EXPECT_TRUE(newcomer->WhoAmI().ok());
}

TEST(Transport, StoppingTheServerClosesConnectionsAsGoingAway) {
  TestServer server;
  auto conn = server.Register("sam");
  server.Stop();
  auto closed = conn->WaitClosed();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code, 1001);
}

// Captures what the process writes to stderr (where the log goes) while alive.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) : path_(path) {
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrCapture() { Restore(); }
  std::string Finish() {
    Restore();
    std::ifstream in(path_);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

TEST(Transport, TheLogNeverCarriesPasswordsTokensCodesOrNames) {
  log::SetLevel(log::Level::kDebug);
  std::string log_text;
  std::string token, code;
  {
    TestServer server;
    StderrCapture capture((server.dir() / "stderr.log").string());
    auto sam_conn = server.Connect();
    auto granted = sam_conn->Register("sam", "Secret Display Name", "hunter2-but-longer");
    ASSERT_TRUE(granted.ok());
    token = granted.value().token();
    EXPECT_EQ(sam_conn->Login("sam", "wrong-password-xyz").code(), v1::WRONG_PASSWORD);
    auto alex = server.Register("alex");
    auto invite = sam_conn->CreateInvite();
    ASSERT_TRUE(invite.ok());
    code = invite.value().code();
    ASSERT_TRUE(alex->AcceptInvite(code).ok());
    ASSERT_TRUE(server.Connect()->Authenticate(token).ok());
    ASSERT_TRUE(sam_conn->Logout().ok());
    sam_conn->WaitClosed();
    server.Stop();
    log_text = capture.Finish();
  }
  log::SetLevel(log::Level::kInfo);
  EXPECT_NE(log_text.find("registered"), std::string::npos) << "the log was not captured";
  for (const std::string& secret :
       {std::string("hunter2-but-longer"), std::string("wrong-password-xyz"),
        std::string("calm-waters-42"), std::string("Secret Display Name"), token, code,
        code.substr(0, 5) + code.substr(6)}) {
    EXPECT_EQ(log_text.find(secret), std::string::npos) << "the log contains a secret";
  }
}

}  // namespace
}  // namespace mend::testing
