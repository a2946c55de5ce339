// The Mend client library: one WebSocket connection to a mend-server.
//
// Used by the `mend` program, the tests and load tools. The connection runs its own I/O thread
// (asynchronous Beast underneath); the methods here are thread-safe and block only the caller,
// waiting for an event (a reply, a push, the close) with a deadline, never by sleeping.
//
//   auto conn = Connection::Open("ws://127.0.0.1:8080");
//   if (!conn.ok()) fail(conn.error().message);
//   auto granted = conn.value()->Login("sam", "correct horse battery");
//   auto partner = conn.value()->GetPartner();
#ifndef MEND_CLIENT_CONNECTION_H_
#define MEND_CLIENT_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/codec.h"
#include "common/result.h"
#include "mend/v1/mend.pb.h"

namespace mend::client {

using Duration = std::chrono::milliseconds;

struct ServerUrl {
  std::string host;
  std::string port;
  std::string path;  // "/ws" unless the URL names another
};
// Parses "ws://HOST:PORT[/PATH]" (PORT defaults to 80). INVALID_ARGUMENT otherwise.
Result<ServerUrl> ParseServerUrl(const std::string& url);

struct ConnectOptions {
  codec::Format format = codec::Format::kBinary;               // how commands are sent
  std::string subprotocol = std::string(codec::kSubprotocol);  // tests may offer another
  std::string origin;                                          // sent as Origin if not empty
  Duration timeout{15000};  // for connecting, and the default for every call
};

struct CloseInfo {
  uint16_t code = 0;  // the WebSocket close code; 1006 if the connection dropped without one
  std::string reason;
};

class Connection {
 public:
  // Connects and completes the upgrade. UNAVAILABLE with a readable message if the server
  // cannot be reached or declines the upgrade.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url,
                                                  const ConnectOptions& options = {});
  // Closes the connection (1000) if it is still open.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `message` with a fresh request id (any id it carries is replaced) and waits for the
  // reply. The Reply may hold a server Error; UNAVAILABLE / DEADLINE_EXCEEDED are transport
  // failures.
  Result<v1::Reply> Call(v1::ClientMessage message, std::optional<Duration> timeout = {});

  // Typed calls: the payload, or the server's Error as an Error.
  Result<v1::Granted> Register(const std::string& login, const std::string& display_name,
                               const std::string& password);
  Result<v1::Granted> Login(const std::string& login, const std::string& password);
  Result<v1::Account> Authenticate(const std::string& token);
  Status Logout();
  Result<v1::Account> WhoAmI();
  Result<v1::Invite> CreateInvite();
  Result<v1::Couple> AcceptInvite(const std::string& code);
  Result<v1::Couple> GetPartner();

  // The next pushed event, or nullopt when none arrives in time or the connection closed.
  std::optional<v1::Push> NextPush(std::optional<Duration> timeout = {});
  // From now on every push goes to `handler` (on the connection's I/O thread, in order) instead
  // of NextPush; pushes already queued are handed to it first. `handler` must not block on this
  // connection. An empty handler restores the queue.
  void SetPushHandler(std::function<void(const v1::Push&)> handler);

  // From now on `observer` sees every message the server sends, replies and pushes alike, in the
  // order they arrive, on the connection's I/O thread, before the message is handed on. For
  // tests and tools that check the server's ordering; it must not block. Empty removes it.
  void SetObserver(std::function<void(const v1::ServerMessage&)> observer);

  // Sends bytes as they are (tests of malformed frames).
  void SendRaw(std::string bytes, bool text);
  // The next reply that answered no outstanding Call (a malformed frame's error has id 0).
  std::optional<v1::Reply> NextUnmatchedReply(std::optional<Duration> timeout = {});

  // Waits until the server closes the connection; nullopt if it is still open after `timeout`.
  std::optional<CloseInfo> WaitClosed(std::optional<Duration> timeout = {});
  bool is_open() const;
  // Closes with 1000 and waits for the server's answer (bounded by the default timeout).
  void Close();

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// GET `target` from the server of `url` over plain HTTP: the status code and body.
Result<std::pair<int, std::string>> HttpGet(const std::string& url, const std::string& target,
                                            Duration timeout = Duration(10000));

}  // namespace mend::client

#endif  // MEND_CLIENT_CONNECTION_H_
