// The group-commit Writer on SQLite: one thread owns the write connection, takes everything
// queued, runs each write in a savepoint of its own inside one transaction, commits (one fsync
// with synchronous=FULL) and then reports to every writer. While a group commits, new writes
// queue up and form the next group, so under load one fsync serves many sessions.
#ifndef MEND_SERVER_STORE_SQLITE_WRITER_H_
#define MEND_SERVER_STORE_SQLITE_WRITER_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "server/store/sqlite.h"
#include "server/store/sqlite_checkpointer.h"
#include "server/store/writer.h"

namespace mend::sqlite {

class SqliteWriter final : public Writer {
 public:
  // Starts the writer's thread on `db`, with checkpoints on `checkpoint_db` every
  // `checkpoint_frames` (see Checkpointer). REQUIRES: the schema is migrated; nothing else
  // writes.
  SqliteWriter(std::unique_ptr<sql::Db> db, std::unique_ptr<sql::Db> checkpoint_db,
               int checkpoint_frames);
  // Commits everything queued, then stops the thread.
  ~SqliteWriter() override;

  void Write(std::function<Status(WriteTx&)> write, std::function<void(Status)> done) override;
  WriterStats Stats() override;
  void Flush() override;

 private:
  struct Request {
    std::function<Status(WriteTx&)> write;
    std::function<void(Status)> done;
  };
  void Loop();
  // Runs `group` in one transaction; the status of each.
  std::vector<Status> Commit(std::vector<Request>& group);

  std::unique_ptr<sql::Db> db_;  // only the writer's thread touches it
  Checkpointer checkpointer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_WRITER_H_
