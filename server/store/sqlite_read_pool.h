// A few read connections to one SQLite database in WAL mode, shared by every reader: reads see
// the last commit and never wait for the writer (WAL lets them run beside it).
//
//   auto lease = pool.Acquire();
//   auto stmt = lease->Prepare("SELECT ...");
#ifndef MEND_SERVER_STORE_SQLITE_READ_POOL_H_
#define MEND_SERVER_STORE_SQLITE_READ_POOL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/store/sqlite.h"

namespace mend::sqlite {

class ReadPool {
 public:
  // Opens `size` read connections to `path`. REQUIRES: size >= 1; the schema is migrated.
  static Result<std::unique_ptr<ReadPool>> Open(const std::string& path, int size);

  // One connection, held by one reader until the lease goes.
  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<sql::Db> db) : pool_(pool), db_(std::move(db)) {}
    ~Lease() { pool_.Return(std::move(db_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    sql::Db* operator->() { return db_.get(); }
    sql::Db& operator*() { return *db_; }

   private:
    ReadPool& pool_;
    std::unique_ptr<sql::Db> db_;
  };

  // Waits only if every connection is leased. Thread-safe.
  Lease Acquire();

 private:
  void Return(std::unique_ptr<sql::Db> db);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<sql::Db>> free_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_READ_POOL_H_
