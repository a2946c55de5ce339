// Moves the WAL back into the database file, mostly on a connection and thread of its own, so
// that commits rarely wait for a checkpoint: SQLite's automatic checkpoint would run inside the
// commit that crosses its threshold, and every move in that group would wait for it.
//
// SQLite starts the WAL afresh only at a commit that finds all of it copied, and a checkpoint
// beside a busy writer rarely ends at such a moment. So the background copies once per step of
// growth (a pass copies a hot page once, however often it changed), and past eight steps pass
// after pass, each short, until one ends between two groups and the next group restarts the
// WAL. If the writer never leaves such a gap, one step later its own thread copies the little
// that is left between two groups: the WAL stays bounded under any load.
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
  // Takes over checkpoints of `writer`'s database (replacing its automatic ones), using `db`:
  // in the background each time the WAL has grown by `frames` frames.
  // REQUIRES: both are connections to the same database; `writer` outlives this; frames > 0.
  Checkpointer(sql::Db& writer, std::unique_ptr<sql::Db> db, int frames);
  ~Checkpointer();

  // Finishes the copy if the background could not. REQUIRES: called on the writer's thread,
  // between groups (outside any transaction).
  void BetweenGroups();

 private:
  static int OnCommit(void* self, struct sqlite3* db, const char* name, int frames);
  void Loop();

  sql::Db& writer_;
  std::unique_ptr<sql::Db> db_;
  const int step_;
  const int restart_;
  // Touched only on the writer's thread.
  int last_frames_ = 0;
  int next_due_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool due_ = false;
  bool copying_ = false;         // a background pass is running
  bool writer_copying_ = false;  // the writer is finishing the copy: no pass starts
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_CHECKPOINTER_H_
