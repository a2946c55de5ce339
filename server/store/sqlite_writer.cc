#include "server/store/sqlite_writer.h"

#include <sqlite3.h>

#include "server/store/sqlite_write_tx.h"

namespace mend::sqlite {

SqliteWriter::SqliteWriter(std::unique_ptr<sql::Db> db, std::unique_ptr<sql::Db> checkpoint_db,
                           int checkpoint_frames)
    : db_(std::move(db)),
      checkpointer_(*db_, std::move(checkpoint_db), checkpoint_frames),
      thread_([this] { Loop(); }) {
  // The pages every commit touches (the sessions' rows, the log's index) stay in memory.
  (void)db_->Exec("PRAGMA cache_size = -32768");
}

SqliteWriter::~SqliteWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SqliteWriter::Write(std::function<Status(WriteTx&)> write, std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Request{std::move(write), std::move(done)});
  }
  cv_.notify_one();
}

WriterStats SqliteWriter::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void SqliteWriter::Flush() {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Write([](WriteTx&) { return Status(); },
        [&](Status) {
          std::lock_guard<std::mutex> lock(mu);
          done = true;
          cv.notify_all();
        });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
}

std::vector<Status> SqliteWriter::Commit(std::vector<Request>& group) {
  std::vector<Status> results(group.size());
  sql::Transaction tx(*db_);
  if (!tx.begun().ok()) {
    std::fill(results.begin(), results.end(), Status(sql::Failed()));
    return results;
  }
  SqliteWriteTx write_tx(*db_);
  bool broken = false;
  for (size_t i = 0; i < group.size() && !broken; ++i) {
    // A failing write undoes only itself.
    broken = db_->Prepare("SAVEPOINT one_write").Run() != SQLITE_DONE;
    if (broken) break;
    results[i] = group[i].write(write_tx);
    if (!results[i].ok()) broken = db_->Prepare("ROLLBACK TO one_write").Run() != SQLITE_DONE;
    if (!broken) broken = db_->Prepare("RELEASE one_write").Run() != SQLITE_DONE;
    // An I/O error or a full disk can make SQLite abandon the whole transaction; what followed
    // would run outside it, so the group stops here and fails as one.
    broken = broken || sqlite3_get_autocommit(db_->raw()) != 0;
  }
  if (broken) {
    std::fill(results.begin(), results.end(), Status(sql::Failed()));
    return results;  // the Transaction rolls back what is left
  }
  if (!tx.Commit().ok()) {
    for (auto& r : results) {
      if (r.ok()) r = Status(sql::Failed());
    }
  }
  return results;
}

void SqliteWriter::Loop() {
  for (;;) {
    std::vector<Request> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued was written
      group.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    std::vector<Status> results = Commit(group);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.groups;
      stats_.writes += group.size();
    }
    for (size_t i = 0; i < group.size(); ++i) group[i].done(results[i]);
    checkpointer_.BetweenGroups();
  }
}

}  // namespace mend::sqlite
