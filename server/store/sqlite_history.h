// SQLite reads for history (HistoryStore), and the reading of commitments that the writer shares
// when it answers a follow-through with the commitment as it now is.
#ifndef MEND_SERVER_STORE_SQLITE_HISTORY_H_
#define MEND_SERVER_STORE_SQLITE_HISTORY_H_

#include <string>
#include <vector>

#include "server/store/history_store.h"
#include "server/store/sqlite.h"
#include "server/store/sqlite_read_pool.h"

namespace mend::sqlite {

// Commitments of `where` (with parameters from 2 on; `today` is parameter 1) in `order`.
std::string CommitmentQuery(const std::string& where, const std::string& order);
// Reads the rows of a CommitmentQuery and their follow-through from `db`.
Result<std::vector<CommitmentRecord>> ReadCommitments(sql::Db& db, sql::Stmt& stmt);

// REQUIRES: the statement selects kSessionColumns (below).
SessionRow ReadSessionRow(const sql::Stmt& stmt);
extern const char* const kSessionColumns;

class SqliteHistory final : public HistoryStore {
 public:
  // REQUIRES: `pool` outlives this.
  explicit SqliteHistory(ReadPool& pool) : pool_(pool) {}

  Result<std::vector<SessionRow>> ListSessions(int64_t couple_id, int64_t cursor, bool newest_first,
                                               int limit) override;
  Result<std::vector<CommitmentRecord>> CommitmentsOf(const std::vector<int64_t>& session_ids,
                                                      const std::string& today) override;
  Result<std::vector<CommitmentRecord>> ListCommitments(int64_t couple_id, const std::string& today,
                                                        bool open_only, int offset,
                                                        int limit) override;

 private:
  ReadPool& pool_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_HISTORY_H_
