// Moves the WAL back into the database file on a connection and thread of its own, so that no
// commit waits for a checkpoint: SQLite's automatic checkpoint would run inside the commit that
// crosses its threshold, and every move in that group would wait for it.
#ifndef MEND_SERVER_STORE_SQLITE_CHECKPOINTER_H_
#define MEND_SERVER_STORE_SQLITE_CHECKPOINTER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "server/store/sqlite.h"

namespace mend::sqlite {

class Checkpointer {
 public:
  // A passive checkpoint runs once the WAL holds `frames` frames or more.
  static constexpr int kFrames = 1000;

  // Takes over checkpoints of `writer`'s database (replacing its automatic ones), using `db`.
  // REQUIRES: both are connections to the same database; `writer` outlives this.
  Checkpointer(sql::Db& writer, std::unique_ptr<sql::Db> db);
  ~Checkpointer();

 private:
  static int OnCommit(void* self, struct sqlite3* db, const char* name, int frames);
  void Loop();

  std::unique_ptr<sql::Db> db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool due_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_CHECKPOINTER_H_
