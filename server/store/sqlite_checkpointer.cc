#include "server/store/sqlite_checkpointer.h"

#include <sqlite3.h>

namespace mend::sqlite {

Checkpointer::Checkpointer(sql::Db& writer, std::unique_ptr<sql::Db> db, int frames)
    : writer_(writer),
      db_(std::move(db)),
      step_(frames),
      restart_(8 * frames),
      next_due_(frames),
      thread_([this] { Loop(); }) {
  sqlite3_wal_hook(writer.raw(), &Checkpointer::OnCommit, this);
  // A WAL file that once grew under a burst is cut back when the WAL restarts.
  (void)writer.Exec("PRAGMA journal_size_limit = 67108864");
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int Checkpointer::OnCommit(void* self, sqlite3* /*db*/, const char* /*name*/, int frames) {
  auto* me = static_cast<Checkpointer*>(self);
  // After a passive checkpoint the count stays high until the WAL restarts; asking again only
  // once it has grown by another step keeps the background from copying the same hot pages
  // over and over while the writer is busy.
  if (frames < me->last_frames_) me->next_due_ = me->step_;
  me->last_frames_ = frames;
  bool due = frames >= me->restart_;  // catching up: pass after pass until the WAL restarts
  if (frames >= me->next_due_) {
    me->next_due_ = frames + me->step_;
    due = true;
  }
  if (due) {
    {
      std::lock_guard<std::mutex> lock(me->mu_);
      me->due_ = true;
    }
    me->cv_.notify_all();
  }
  return SQLITE_OK;
}

void Checkpointer::BetweenGroups() {
  if (last_frames_ < restart_ + step_) return;
  // The background has been copying pass after pass, so little is left; it lets the writer
  // have the checkpoint lock after its current pass. Nothing else writes, so this copies to the
  // end of the WAL unless a reader still needs an old frame (then the next group tries again).
  {
    std::unique_lock<std::mutex> lock(mu_);
    writer_copying_ = true;
    cv_.wait(lock, [this] { return !copying_; });
  }
  int logged = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(writer_.raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &logged,
                                     &copied);
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_copying_ = false;
  }
  cv_.notify_all();
  if (rc == SQLITE_OK && copied == logged) {
    last_frames_ = 0;
    next_due_ = step_;
  }
}

void Checkpointer::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || (due_ && !writer_copying_); });
      if (stopping_) return;
      due_ = false;
      copying_ = true;
    }
    // Passive: copies what no reader still needs, never blocks the writer or the readers.
    sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    {
      std::lock_guard<std::mutex> lock(mu_);
      copying_ = false;
    }
    cv_.notify_all();
  }
}

}  // namespace mend::sqlite
