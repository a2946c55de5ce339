// What the server does with one ClientMessage: accounts, tokens and pairing.
//
// Free of the network: the WebSocket session hands each decoded message to Handle together
// with the connection's context, and carries out the Outcome (reply, pushes to other accounts,
// connections to close). Handle blocks (password hashing, storage), so the network layer calls
// it off its I/O threads, one message at a time per connection.
#ifndef MEND_SERVER_API_H_
#define MEND_SERVER_API_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/attempt_limiter.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "mend/v1/mend.pb.h"
#include "server/history.h"
#include "server/outbox.h"
#include "server/store.h"

namespace mend {

struct ApiOptions {
  TimeMs token_ttl_ms = 30LL * 24 * 3600 * 1000;
  TimeMs invite_ttl_ms = 24LL * 3600 * 1000;
  // Failed logins per account, and unknown invite codes per account and per connection.
  int max_failures = 10;
  TimeMs failure_window_ms = 10LL * 60 * 1000;
  crypto::HashCost hash_cost = crypto::HashCost::kInteractive;
};

// Per-connection state that Handle reads and updates. Owned by the connection.
struct ConnectionContext {
  uint64_t connection_id = 0;
  std::optional<int64_t> account_id;  // set once the connection has a valid token
  std::string token_digest;           // digest of that token
  std::weak_ptr<Outbox> outbox;       // where session events for this connection go
};

struct Outcome {
  v1::ServerMessage reply;
  // Messages for every connection of an account (the partner learns of a pairing live).
  std::vector<std::pair<int64_t, v1::ServerMessage>> pushes;
  // After the reply is written, close every connection that uses this token (logout).
  std::optional<std::string> close_token_digest;
};

class SessionHub;
class Replayer;

class Api {
 public:
  using Done = std::function<void(Outcome)>;

  // REQUIRES: store, clock, hub and replayer (if any) outlive the Api; crypto::Init() succeeded.
  // Without a hub, session commands are refused; without a replayer, replays are.
  Api(Store& store, const Clock& clock, ApiOptions options = {}, SessionHub* hub = nullptr,
      Replayer* replayer = nullptr);

  // Handles one message and calls `done` exactly once: before returning for account commands,
  // later (from another thread) for session moves, once their events are committed. Uses `conn`
  // only before returning. Thread-safe for distinct connections.
  void Handle(ConnectionContext& conn, const v1::ClientMessage& message, Done done);

  // Handle, waiting for `done`. For tests and tools.
  Outcome Handle(ConnectionContext& conn, const v1::ClientMessage& message);

 private:
  Result<v1::Granted> Register(ConnectionContext& conn, const v1::Register& cmd);
  Result<v1::Granted> Login(ConnectionContext& conn, const v1::Login& cmd);
  Result<v1::Account> Authenticate(ConnectionContext& conn, const v1::Authenticate& cmd);
  Result<v1::Invite> CreateInvite(int64_t account_id);
  Result<v1::Couple> AcceptInvite(ConnectionContext& conn, int64_t account_id,
                                  const v1::AcceptInvite& cmd, Outcome& outcome);
  Result<v1::Couple> GetPartner(int64_t account_id);
  // Session commands: false if `message` is not one.
  bool HandleSession(ConnectionContext& conn, int64_t account_id, const v1::ClientMessage& message,
                     const Done& done);
  // History, replay, commitments and export: false if `message` is not one of them.
  bool HandleHistory(ConnectionContext& conn, int64_t account_id, const v1::ClientMessage& message,
                     const Done& done);

  // Sets the connection's account; if it had another one, the connection leaves that account's
  // live sessions and its replays stop.
  void Rebind(ConnectionContext& conn, std::optional<int64_t> account_id);
  // The connection's account if its token is still valid.
  Result<int64_t> RequireAccount(ConnectionContext& conn);
  Result<v1::Granted> Grant(ConnectionContext& conn, const AccountRecord& account);
  Result<v1::Account> AccountView(int64_t account_id);
  std::optional<Error> Limited(const std::string& key);

  Store& store_;
  const Clock& clock_;
  const ApiOptions options_;
  SessionHub* hub_;
  Replayer* replayer_;
  History history_;
  AttemptLimiter login_failures_;
  AttemptLimiter invite_failures_;
};

}  // namespace mend

#endif  // MEND_SERVER_API_H_
