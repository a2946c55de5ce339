// The SQLite engine behind the store interfaces: one write connection owned by the group-commit
// writer, and a pool of read connections for everything else (WAL lets reads run beside writes).
#include <sqlite3.h>

#include "server/store/sqlite_accounts.h"
#include "server/store/sqlite_history.h"
#include "server/store/sqlite_read_pool.h"
#include "server/store/sqlite_schema.h"
#include "server/store/sqlite_session_log.h"
#include "server/store/sqlite_writer.h"
#include "server/store/store.h"

namespace mend {
namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<sqlite::ReadPool> pool, std::unique_ptr<sql::Db> write_db,
              std::unique_ptr<sql::Db> checkpoint_db, int checkpoint_frames)
      : pool_(std::move(pool)),
        accounts_(*pool_),
        log_(*pool_),
        history_(*pool_),
        writer_(std::move(write_db), std::move(checkpoint_db), checkpoint_frames) {}

  int SchemaVersion() override { return sqlite::SchemaVersion(*pool_->Acquire()); }
  AccountStore& accounts() override { return accounts_; }
  SessionLog& log() override { return log_; }
  HistoryStore& history() override { return history_; }
  Writer& writer() override { return writer_; }

 private:
  std::unique_ptr<sqlite::ReadPool> pool_;
  sqlite::SqliteAccounts accounts_;
  sqlite::SqliteSessionLog log_;
  sqlite::SqliteHistory history_;
  sqlite::SqliteWriter writer_;  // last: it finishes its queue before the rest goes
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.error();
  if (Status s = sqlite::Migrate(*db.value()); !s.ok()) return s;
  auto pool = sqlite::ReadPool::Open(path, std::max(1, options.read_connections));
  if (!pool.ok()) return pool.error();
  auto checkpoint_db = sql::Db::Open(path);
  if (!checkpoint_db.ok()) return checkpoint_db.error();
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(
      std::move(pool).value(), std::move(db).value(), std::move(checkpoint_db).value(),
      std::max(1, options.checkpoint_frames)));
}

}  // namespace mend
