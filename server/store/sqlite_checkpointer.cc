#include "server/store/sqlite_checkpointer.h"

#include <sqlite3.h>

namespace mend::sqlite {

Checkpointer::Checkpointer(sql::Db& writer, std::unique_ptr<sql::Db> db)
    : db_(std::move(db)), thread_([this] { Loop(); }) {
  sqlite3_wal_hook(writer.raw(), &Checkpointer::OnCommit, this);
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
  if (frames >= kFrames) {
    {
      std::lock_guard<std::mutex> lock(me->mu_);
      me->due_ = true;
    }
    me->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || due_; });
      if (stopping_) return;
      due_ = false;
    }
    // Passive: copies what no reader still needs, never blocks the writer or the readers.
    sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
}

}  // namespace mend::sqlite
