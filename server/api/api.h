// What the server does with one ClientMessage: accounts, tokens, pairing, sessions and history.
//
// Free of the network, and asynchronous: the connection hands each decoded message to Handle with
// a completion, and carries out the Outcome it receives (reply, identity, pushes to other
// accounts, connections to close). Handle never waits: reads answer from the store's read
// connections at once, every write goes through the group-commit Writer and is answered after
// its commit, and only password hashing runs elsewhere, on the HashPool (BUSY when it is full).
#ifndef MEND_SERVER_API_API_H_
#define MEND_SERVER_API_API_H_

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
#include "server/api/hash_pool.h"
#include "server/api/history.h"
#include "server/live/outbox.h"
#include "server/store/store.h"

namespace mend {

struct ApiOptions {
  TimeMs token_ttl_ms = 30LL * 24 * 3600 * 1000;
  TimeMs invite_ttl_ms = 24LL * 3600 * 1000;
  // Failed logins per account, and unknown invite codes per account and per connection.
  int max_failures = 10;
  TimeMs failure_window_ms = 10LL * 60 * 1000;
  crypto::HashCost hash_cost = crypto::HashCost::kInteractive;
};

// Who a connection is signed in as, as last checked. Kept by the connection so that no request
// reads the token or the couple again: a token is revoked only by logout, which closes its
// connections; it expires at `token_expires_ms`; a couple, once formed, never changes.
struct Identity {
  std::optional<int64_t> account_id;  // empty: signed out
  std::string token_digest;
  TimeMs token_expires_ms = 0;
  std::optional<CoupleRecord> couple;  // once known
};

// Per-connection state. Owned by the connection, on its strand; Handle reads and updates it only
// before it returns.
struct ConnectionContext {
  uint64_t connection_id = 0;
  Identity identity;
  std::weak_ptr<Outbox> outbox;  // where session events and replays for this connection go
};

struct Outcome {
  v1::ServerMessage reply;
  // Set when the command changed who the connection is: the connection takes it before it
  // queues the reply.
  std::optional<Identity> identity;
  // The connection's account is now in this couple (it accepted an invite).
  std::optional<CoupleRecord> couple;
  // Messages for every connection of an account (the partner learns of a pairing live). Queued
  // after the reply.
  std::vector<std::pair<int64_t, v1::ServerMessage>> pushes;
  // After the reply is written, close every connection that uses this token (logout).
  std::optional<std::string> close_token_digest;
};

class SessionHub;
class Replayer;

class Api {
 public:
  using Done = std::function<void(Outcome)>;

  // REQUIRES: everything given outlives the Api; crypto::Init() succeeded. Without a hub,
  // session commands are refused; without a replayer, replays are.
  Api(Store& store, HashPool& hashes, const Clock& clock, ApiOptions options = {},
      SessionHub* hub = nullptr, Replayer* replayer = nullptr);

  // Handles one message and calls `done` exactly once, from any thread: before returning for
  // what is answered from reads, later for what waits for a commit or a password hash. Uses
  // `conn` only before returning. Thread-safe for distinct connections.
  void Handle(ConnectionContext& conn, const v1::ClientMessage& message, Done done);

  // True for the commands that change who a connection is (register, login, authenticate,
  // logout): a connection handles them alone, after what it started before and before what
  // follows.
  static bool ChangesIdentity(const v1::ClientMessage& message);

  // Handle, waiting for `done` and applying the Outcome's identity to `conn`. For tests.
  Outcome HandleAndWait(ConnectionContext& conn, const v1::ClientMessage& message);

 private:
  void Register(const ConnectionContext& conn, const v1::ClientMessage& message, Done done);
  void Login(const ConnectionContext& conn, const v1::ClientMessage& message, Done done);
  void Authenticate(const ConnectionContext& conn, const v1::ClientMessage& message, Done done);
  void Logout(const ConnectionContext& conn, const v1::ClientMessage& message, Done done);
  void CreateInvite(int64_t account_id, const v1::ClientMessage& message, Done done);
  void AcceptInvite(const ConnectionContext& conn, int64_t account_id,
                    const v1::ClientMessage& message, Done done);
  Result<v1::Couple> GetPartner(const CoupleRecord& couple, int64_t account_id);
  // Session commands: false if `message` is not one.
  bool HandleSession(ConnectionContext& conn, int64_t account_id, const v1::ClientMessage& message,
                     const Done& done);
  // History, replay, commitments and export: false if `message` is not one of them.
  bool HandleHistory(ConnectionContext& conn, int64_t account_id, const v1::ClientMessage& message,
                     const Done& done);

  // A new token for `account`, stored by `tx`, and the Granted reply and Identity it makes.
  Status Grant(WriteTx& tx, const AccountRecord& account, Outcome& out);
  // The connection is now `next`; if it was another account, it leaves that account's live
  // sessions and its replays stop. Thread-safe.
  void Switched(uint64_t connection_id, const Identity& before, const Identity& next);
  // The connection's account if its token is still live; else clears `conn`'s identity.
  Result<int64_t> RequireAccount(ConnectionContext& conn);
  // The couple of the connection's account, read once and then kept.
  Result<CoupleRecord> CoupleOf(ConnectionContext& conn, int64_t account_id);
  Result<v1::Account> AccountView(int64_t account_id);
  std::optional<Error> Limited(const std::string& key);
  // Queues `task` on the hash pool, or answers BUSY.
  bool Hash(uint64_t request_id, std::function<void()> task, const Done& done);

  AccountStore& accounts_;
  Writer& writer_;
  HashPool& hashes_;
  const Clock& clock_;
  const ApiOptions options_;
  SessionHub* hub_;
  Replayer* replayer_;
  History history_;
  AttemptLimiter login_failures_;
  AttemptLimiter invite_failures_;
};

}  // namespace mend

#endif  // MEND_SERVER_API_API_H_
