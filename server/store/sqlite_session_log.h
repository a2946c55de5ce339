// SQLite reads of the session log (SessionLog).
#ifndef MEND_SERVER_STORE_SQLITE_SESSION_LOG_H_
#define MEND_SERVER_STORE_SQLITE_SESSION_LOG_H_

#include "server/store/session_log.h"
#include "server/store/sqlite_read_pool.h"

namespace mend::sqlite {

class SqliteSessionLog final : public SessionLog {
 public:
  // REQUIRES: `pool` outlives this.
  explicit SqliteSessionLog(ReadPool& pool) : pool_(pool) {}

  Result<std::vector<SessionRow>> OpenSessions() override;
  Result<SessionRow> FindSession(int64_t session_id) override;
  Result<std::vector<v1::SessionEvent>> LoadEvents(int64_t session_id, uint64_t after_seq) override;
  Result<std::vector<CommandRecord>> LoadCommands(int64_t session_id) override;

 private:
  ReadPool& pool_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_SESSION_LOG_H_
