#include "tests/integration/test_server.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>

namespace mend::testing {

TestServer::TestServer(ServerOptions options) : options_(std::move(options)) {
  static std::atomic<int> counter{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("mend-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  options_.host = "127.0.0.1";
  options_.port = 0;
  options_.db_path = (dir_ / "mend.db").string();
  options_.clock = &clock_;
  Start();
}

TestServer::~TestServer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestServer::Start() {
  auto server = Server::Start(options_);
  if (!server.ok()) {
    ADD_FAILURE() << "server did not start: " << server.error().message;
    return;
  }
  server_ = std::move(server).value();
}

void TestServer::Stop() {
  if (server_) server_->Stop();
  server_.reset();
}

void TestServer::Restart() {
  Stop();
  Start();
}

std::string TestServer::url() const {
  return "ws://127.0.0.1:" + std::to_string(server_ ? server_->port() : 0);
}

std::unique_ptr<client::Connection> TestServer::Connect(const client::ConnectOptions& options) {
  auto conn = client::Connection::Open(url(), options);
  if (!conn.ok()) {
    ADD_FAILURE() << "cannot connect: " << conn.error().message;
    return nullptr;
  }
  return std::move(conn).value();
}

std::unique_ptr<client::Connection> TestServer::Register(const std::string& login,
                                                         const std::string& password,
                                                         const std::string& display_name) {
  auto conn = Connect();
  if (!conn) return nullptr;
  auto granted =
      conn->Register(login, display_name.empty() ? "Name of " + login : display_name, password);
  EXPECT_TRUE(granted.ok()) << login << ": " << granted.error().message;
  return conn;
}

void TestServer::Pair(client::Connection& a, client::Connection& b) {
  auto invite = a.CreateInvite();
  ASSERT_TRUE(invite.ok()) << invite.error().message;
  auto couple = b.AcceptInvite(invite.value().code());
  ASSERT_TRUE(couple.ok()) << couple.error().message;
}

Couple::Couple(TestServer& server, const std::string& a_login, const std::string& b_login)
    : a(server.Register(a_login, "calm-waters-42", "Sam")),
      b(server.Register(b_login, "calm-waters-42", "Alex")) {
  server.Pair(*a, *b);
  a->NextPush();  // the pairing
}

}  // namespace mend::testing
