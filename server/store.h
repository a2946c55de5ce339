// Durable state: accounts, tokens, invites and couples.
//
// The interface hides the engine (SQLite today; a PostgreSQL store could replace it, design.md
// §2.7). Every method is one transaction: it either happens completely or not at all, and when it
// returns OK the change is on disk. Thread-safe: callers may share one Store.
#ifndef MEND_SERVER_STORE_H_
#define MEND_SERVER_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "mend/v1/mend.pb.h"

namespace mend {

struct AccountRecord {
  int64_t id = 0;
  std::string login;  // normalized
  std::string display_name;
  std::string password_hash;
  TimeMs created_ms = 0;
  std::optional<int64_t> couple_id;
};

struct CoupleRecord {
  int64_t id = 0;
  int64_t partner_a = 0;  // the one who invited
  int64_t partner_b = 0;  // the one who accepted
  TimeMs paired_ms = 0;

  // REQUIRES: account_id is partner_a or partner_b.
  int64_t PartnerOf(int64_t account_id) const {
    return account_id == partner_a ? partner_b : partner_a;
  }
};

struct SessionRow {
  int64_t id = 0;
  int64_t couple_id = 0;
  int64_t opened_by = 0;  // account id of side A
  TimeMs opened_ms = 0;
  std::optional<TimeMs> closed_ms;
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  // What history shows, kept up to date with every commit (SessionTx::UpdateSummary).
  std::string topic;
  uint32_t breaks = 0;
  uint64_t last_seq = 0;
  TimeMs last_event_ms = 0;
};

struct FollowThroughRecord {
  v1::FollowThroughStatus status = v1::FOLLOW_THROUGH_UNSPECIFIED;
  std::string note;
  int64_t by_id = 0;  // account
  TimeMs at_ms = 0;
};

// A plan made in repair and accepted: a commitment, and what was recorded of it since.
struct CommitmentRecord {
  int64_t id = 0;
  int64_t couple_id = 0;
  int64_t session_id = 0;
  uint64_t seq = 0;  // the event that made the plan
  v1::Side owner_side = v1::SIDE_UNSPECIFIED;
  std::string text;
  std::string check_in_date;  // YYYY-MM-DD or empty
  TimeMs made_ms = 0;
  // Filled by reads:
  v1::FollowThroughStatus status = v1::FOLLOW_THROUGH_UNSPECIFIED;  // the latest
  std::vector<FollowThroughRecord> follow_through;                  // oldest first
  int64_t session_opened_by = 0;  // side A's account, to name the owner
  std::string topic;
  bool due = false;  // the check-in date has come (as of `today`) and it is not kept or missed
};

// A move's client command id and the events it produced, so that a resend is answered the same.
struct CommandRecord {
  int64_t account_id = 0;
  std::string command_id;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

// What a write may do inside the writer's transaction. Valid only during the write function.
class SessionTx {
 public:
  virtual ~SessionTx() = default;
  // SESSION_ALREADY_OPEN if the couple has an open session.
  virtual Result<int64_t> InsertSession(int64_t couple_id, int64_t opened_by, TimeMs opened_ms) = 0;
  // INTERNAL if (session, seq) exists: the log never has a duplicate.
  virtual Status InsertEvent(const v1::SessionEvent& event) = 0;
  virtual Status InsertCommand(int64_t session_id, const CommandRecord& command) = 0;
  virtual Status CloseSession(int64_t session_id, v1::Outcome outcome, TimeMs closed_ms) = 0;
  // Records what history shows of the session after this write's events.
  virtual Status UpdateSummary(int64_t session_id, const std::string& topic, uint32_t breaks,
                               uint64_t last_seq, TimeMs last_event_ms) = 0;
  // INTERNAL if the session already has a commitment made by that seq.
  virtual Status InsertCommitment(const CommitmentRecord& commitment) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // The schema version this store is at (PRAGMA user_version for SQLite).
  virtual int SchemaVersion() = 0;

  // LOGIN_TAKEN if the login exists. REQUIRES: login and display name normalized.
  virtual Result<AccountRecord> CreateAccount(const std::string& login,
                                              const std::string& display_name,
                                              const std::string& password_hash, TimeMs now) = 0;
  // UNKNOWN_ACCOUNT if there is none.
  virtual Result<AccountRecord> FindAccountByLogin(const std::string& login) = 0;
  virtual Result<AccountRecord> FindAccountById(int64_t id) = 0;

  // Tokens are stored as digests only.
  virtual Status InsertToken(const std::string& digest, int64_t account_id, TimeMs now,
                             TimeMs expires) = 0;
  // The account a live token belongs to; UNAUTHENTICATED if unknown, revoked or expired.
  virtual Result<int64_t> FindTokenAccount(const std::string& digest, TimeMs now) = 0;
  // Revokes a token. Revoking an unknown token is OK.
  virtual Status DeleteToken(const std::string& digest) = 0;

  // Stores a new open invite by `inviter`, replacing their older open invites.
  // ALREADY_IN_COUPLE if the inviter has a partner.
  virtual Status CreateInvite(const std::string& code_digest, int64_t inviter, TimeMs now,
                              TimeMs expires) = 0;
  // Pairs the inviter with `acceptor` and marks the invite used, atomically. Errors, checked in
  // this order: INVITE_UNKNOWN, INVITE_OWN, INVITE_USED, INVITER_IN_COUPLE (the inviter paired
  // with someone else, which also withdrew this invite), INVITE_REPLACED, INVITE_EXPIRED,
  // ALREADY_IN_COUPLE (the acceptor).
  virtual Result<CoupleRecord> AcceptInvite(const std::string& code_digest, int64_t acceptor,
                                            TimeMs now) = 0;
  // NOT_IN_COUPLE if the account has no partner.
  virtual Result<CoupleRecord> FindCoupleOf(int64_t account_id) = 0;

  // Session log. Writes go through one writer thread that commits everything queued, from all
  // sessions, in one transaction (group commit). `write` runs on that thread inside the
  // transaction (in a savepoint of its own: a failing write undoes only itself); `done` runs on
  // that thread after the commit, with OK only if the write's changes are on disk.
  // Thread-safe.
  virtual void Write(std::function<Status(SessionTx&)> write, std::function<void(Status)> done) = 0;

  // Reads (a separate connection: they do not wait for the writer).
  virtual Result<std::vector<SessionRow>> OpenSessions() = 0;
  // NOT_FOUND if there is no such session.
  virtual Result<SessionRow> FindSession(int64_t session_id) = 0;
  // The events with seq > after_seq, in order.
  virtual Result<std::vector<v1::SessionEvent>> LoadEvents(int64_t session_id,
                                                           uint64_t after_seq) = 0;
  virtual Result<std::vector<CommandRecord>> LoadCommands(int64_t session_id) = 0;

  // History. The couple's sessions: newest first with id < cursor (cursor 0: from the newest), or
  // oldest first with id > cursor. At most `limit`.
  virtual Result<std::vector<SessionRow>> ListSessions(int64_t couple_id, int64_t cursor,
                                                       bool newest_first, int limit) = 0;
  // The commitments made in these sessions, by session then seq, with their follow-through.
  // `today` (YYYY-MM-DD) decides which are due.
  virtual Result<std::vector<CommitmentRecord>> CommitmentsOf(
      const std::vector<int64_t>& session_ids, const std::string& today) = 0;
  // The couple's commitments: due ones first (oldest check-in date first), then the others,
  // newest first; skipping `offset`, at most `limit`.
  virtual Result<std::vector<CommitmentRecord>> ListCommitments(int64_t couple_id,
                                                                const std::string& today,
                                                                bool open_only, int offset,
                                                                int limit) = 0;
  // Appends follow-through to a commitment of `couple_id` and returns the commitment as it is now.
  // NOT_FOUND if there is no such commitment for that couple.
  virtual Result<CommitmentRecord> RecordFollowThrough(int64_t couple_id, int64_t commitment_id,
                                                       const FollowThroughRecord& record,
                                                       const std::string& today) = 0;
  // How many group transactions the writer committed, and how many writes they held.
  virtual std::pair<uint64_t, uint64_t> WriterStats() = 0;
};

// Opens or creates the SQLite database at `path` and migrates its schema to the newest version.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace mend

#endif  // MEND_SERVER_STORE_H_
