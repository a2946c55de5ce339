// WriteTx on SQLite's write connection: the SQL of every write Mend makes.
#ifndef MEND_SERVER_STORE_SQLITE_WRITE_TX_H_
#define MEND_SERVER_STORE_SQLITE_WRITE_TX_H_

#include "server/store/sqlite.h"
#include "server/store/writer.h"

namespace mend::sqlite {

// REQUIRES: used inside a transaction on `db`, by one thread.
class SqliteWriteTx final : public WriteTx {
 public:
  explicit SqliteWriteTx(sql::Db& db) : db_(db) {}

  Result<int64_t> InsertSession(int64_t couple_id, int64_t opened_by, TimeMs opened_ms) override;
  using WriteTx::InsertEvent;
  Status InsertEvent(const v1::SessionEvent& event, const CommandRecord* command) override;
  Status CloseSession(int64_t session_id, v1::Outcome outcome, TimeMs closed_ms) override;
  Status UpdateSummary(int64_t session_id, const std::string& topic, uint32_t breaks,
                       uint64_t last_seq, TimeMs last_event_ms) override;
  Status InsertCommitment(const CommitmentRecord& commitment) override;

  Result<AccountRecord> CreateAccount(const std::string& login, const std::string& display_name,
                                      const std::string& password_hash, TimeMs now) override;
  Status InsertToken(const std::string& digest, int64_t account_id, TimeMs now,
                     TimeMs expires) override;
  Status DeleteToken(const std::string& digest) override;
  Status CreateInvite(const std::string& code_digest, int64_t inviter, TimeMs now,
                      TimeMs expires) override;
  Result<CoupleRecord> AcceptInvite(const std::string& code_digest, int64_t acceptor,
                                    TimeMs now) override;

  Result<CommitmentRecord> RecordFollowThrough(int64_t couple_id, int64_t commitment_id,
                                               const FollowThroughRecord& record,
                                               const std::string& today) override;

 private:
  // Runs a prepared statement that returns no rows; INTERNAL naming SQLite's error otherwise.
  Status Done(sql::Stmt& stmt);

  sql::Db& db_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_WRITE_TX_H_
