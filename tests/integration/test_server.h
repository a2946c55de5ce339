// A real mend-server for integration tests: in this process, on a free loopback port, over a
// real SQLite file in a fresh temporary directory, on a ManualClock the test moves.
#ifndef MEND_TESTS_INTEGRATION_TEST_SERVER_H_
#define MEND_TESTS_INTEGRATION_TEST_SERVER_H_

#include <filesystem>
#include <memory>
#include <string>

#include "client/connection.h"
#include "common/clock.h"
#include "server/server.h"

namespace mend::testing {

class TestServer {
 public:
  explicit TestServer(ServerOptions options = {});
  ~TestServer();

  // ws://127.0.0.1:PORT of the running server.
  std::string url() const;
  ManualClock& clock() { return clock_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Stops the server and starts a new one on the same database (a new port).
  void Restart();
  void Stop();

  // A new connection; fails the test if it cannot connect.
  std::unique_ptr<client::Connection> Connect(const client::ConnectOptions& options = {});
  // A new connection signed in as a freshly registered account.
  std::unique_ptr<client::Connection> Register(const std::string& login,
                                               const std::string& password = "calm-waters-42",
                                               const std::string& display_name = "");
  // Pairs two signed-in connections (a invites, b accepts).
  void Pair(client::Connection& a, client::Connection& b);

 private:
  void Start();

  std::filesystem::path dir_;
  ManualClock clock_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
};

// Two signed-in, paired connections: "Sam" (a) and "Alex" (b). The pairing push to a is taken
// from its queue, so a's next push is whatever the test causes.
struct Couple {
  explicit Couple(TestServer& server, const std::string& a_login = "sam",
                  const std::string& b_login = "alex");
  std::unique_ptr<client::Connection> a, b;
};

}  // namespace mend::testing

#endif  // MEND_TESTS_INTEGRATION_TEST_SERVER_H_
