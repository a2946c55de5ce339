// Every write of the server goes through one Writer: session events, accounts, tokens, invites
// and follow-through alike. It commits everything queued, from all callers, in one transaction
// (group commit), so that under load one fsync serves many writes.
//
//   writer.Write([=](WriteTx& tx) { return tx.InsertToken(digest, account, now, expires); },
//                [=](Status s) { /* on the writer's thread: s.ok() once it is on disk */ });
#ifndef MEND_SERVER_STORE_WRITER_H_
#define MEND_SERVER_STORE_WRITER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "server/store/records.h"

namespace mend {

// What a write may do inside the writer's transaction. Valid only during the write function.
// A write that returns an error is undone alone (its own savepoint); the others still commit.
class WriteTx {
 public:
  virtual ~WriteTx() = default;

  // Sessions. SESSION_ALREADY_OPEN if the couple has an open session.
  virtual Result<int64_t> InsertSession(int64_t couple_id, int64_t opened_by, TimeMs opened_ms) = 0;
  // INTERNAL if (session, seq) exists: the log never has a duplicate. `command`, if not null, is
  // the client command that wrote this event and those after it up to its last_seq, kept for
  // resends. REQUIRES: command->first_seq == event.seq().
  virtual Status InsertEvent(const v1::SessionEvent& event, const CommandRecord* command) = 0;
  Status InsertEvent(const v1::SessionEvent& event) { return InsertEvent(event, nullptr); }
  virtual Status CloseSession(int64_t session_id, v1::Outcome outcome, TimeMs closed_ms) = 0;
  // Records what history shows of the session after this write's events.
  virtual Status UpdateSummary(int64_t session_id, const std::string& topic, uint32_t breaks,
                               uint64_t last_seq, TimeMs last_event_ms) = 0;
  // INTERNAL if the session already has a commitment made by that seq.
  virtual Status InsertCommitment(const CommitmentRecord& commitment) = 0;

  // Accounts. LOGIN_TAKEN if the login exists. REQUIRES: login and display name normalized.
  virtual Result<AccountRecord> CreateAccount(const std::string& login,
                                              const std::string& display_name,
                                              const std::string& password_hash, TimeMs now) = 0;
  virtual Status InsertToken(const std::string& digest, int64_t account_id, TimeMs now,
                             TimeMs expires) = 0;
  // Revokes a token. Revoking an unknown token is OK.
  virtual Status DeleteToken(const std::string& digest) = 0;
  // Stores a new open invite by `inviter`, replacing their older open invites.
  // ALREADY_IN_COUPLE if the inviter has a partner.
  virtual Status CreateInvite(const std::string& code_digest, int64_t inviter, TimeMs now,
                              TimeMs expires) = 0;
  // Pairs the inviter with `acceptor` and marks the invite used. Errors, checked in this order:
  // INVITE_UNKNOWN, INVITE_OWN, INVITE_USED, INVITER_IN_COUPLE (the inviter paired with someone
  // else, which also withdrew this invite), INVITE_REPLACED, INVITE_EXPIRED, ALREADY_IN_COUPLE
  // (the acceptor).
  virtual Result<CoupleRecord> AcceptInvite(const std::string& code_digest, int64_t acceptor,
                                            TimeMs now) = 0;

  // History. Appends follow-through to a commitment of `couple_id` and returns the commitment as
  // it is now. NOT_FOUND if there is no such commitment for that couple.
  virtual Result<CommitmentRecord> RecordFollowThrough(int64_t couple_id, int64_t commitment_id,
                                                       const FollowThroughRecord& record,
                                                       const std::string& today) = 0;
};

struct WriterStats {
  uint64_t groups = 0;  // group transactions committed
  uint64_t writes = 0;  // writes they held
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Queues `write`; it runs on the writer's thread inside the group transaction. `done` runs on
  // that thread after the commit, with OK only if the write's changes are on disk. Never blocks
  // the caller. Thread-safe.
  virtual void Write(std::function<Status(WriteTx&)> write, std::function<void(Status)> done) = 0;
  virtual WriterStats Stats() = 0;
  // Returns once every write queued before the call is committed and its `done` has run. For
  // shutdown: the request path never waits.
  virtual void Flush() = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_STORE_WRITER_H_
