// Durable state behind interfaces by purpose: accounts, the session log, history, and the one
// writer every change goes through. Each interface hides the engine (SQLite today; a PostgreSQL
// store could implement the same, design.md §2.7), and each consumer takes only the interfaces
// it uses.
//
//   auto store = OpenSqliteStore("mend-data/mend.db");
//   Api api(store.value()->accounts(), store.value()->writer(), ...);
#ifndef MEND_SERVER_STORE_STORE_H_
#define MEND_SERVER_STORE_STORE_H_

#include <memory>
#include <string>

#include "common/result.h"
#include "server/store/account_store.h"
#include "server/store/history_store.h"
#include "server/store/session_log.h"
#include "server/store/writer.h"

namespace mend {

class Store {
 public:
  virtual ~Store() = default;
  // The schema version this store is at (PRAGMA user_version for SQLite).
  virtual int SchemaVersion() = 0;
  virtual AccountStore& accounts() = 0;
  virtual SessionLog& log() = 0;
  virtual HistoryStore& history() = 0;
  virtual Writer& writer() = 0;
};

struct SqliteOptions {
  // Read connections; reads beyond this many at once wait for one to come free.
  int read_connections = 4;
  // The WAL is copied back into the database in the background each time it has grown by this
  // many pages (4 KiB each), and by the writer itself past nine times as many, so that it stays
  // bounded under any load.
  int checkpoint_frames = 1000;
};

// Opens or creates the SQLite database at `path` and migrates its schema to the newest version.
// Destroying the store finishes every queued write first.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options = {});

}  // namespace mend

#endif  // MEND_SERVER_STORE_STORE_H_
