#include "server/store/sqlite_read_pool.h"

namespace mend::sqlite {

Result<std::unique_ptr<ReadPool>> ReadPool::Open(const std::string& path, int size) {
  auto pool = std::make_unique<ReadPool>();
  for (int i = 0; i < size; ++i) {
    auto db = sql::Db::Open(path);
    if (!db.ok()) return db.error();
    pool->free_.push_back(std::move(db).value());
  }
  return pool;
}

ReadPool::Lease ReadPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !free_.empty(); });
  auto db = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(db));
}

void ReadPool::Return(std::unique_ptr<sql::Db> db) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(db));
  }
  cv_.notify_one();
}

}  // namespace mend::sqlite
