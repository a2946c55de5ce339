#include "server/store/sqlite_read_pool.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace mend::sqlite {
namespace {

// Only a broken pool takes this long; the bound makes it fail the test instead of hanging it.
constexpr auto kHang = std::chrono::seconds(10);

class ReadPoolTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("mend_read_pool_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(std::filesystem::create_directories(dir_));
    path_ = (dir_ / "pool.db").string();
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ReadPool> OpenPool(int size) {
    auto pool = ReadPool::Open(path_, size);
    EXPECT_TRUE(pool.ok()) << pool.error().message;
    return pool.ok() ? std::move(pool).value() : nullptr;
  }

  static int64_t Count(sql::Db& db) {
    auto stmt = db.Prepare("SELECT count(*) FROM t");
    return stmt.Step() ? stmt.Int(0) : -1;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ReadPoolTest, ASecondAcquireWaitsUntilTheOnlyConnectionIsReturned) {
  std::unique_ptr<ReadPool> pool = OpenPool(1);
  ASSERT_NE(pool, nullptr);
  std::promise<sqlite3*> got;
  std::future<sqlite3*> second = got.get_future();
  std::thread other;
  sqlite3* first_connection = nullptr;
  {
    auto first = pool->Acquire();
    first_connection = first->raw();
    other = std::thread([&pool, &got] {
      auto lease = pool->Acquire();
      got.set_value(lease->raw());
    });
    // Not a synchronisation: a check that the other thread has not got a connection meanwhile.
    EXPECT_EQ(second.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  }  // the first lease goes, and the only connection with it

  if (second.wait_for(kHang) != std::future_status::ready) {
    // The other thread is stuck in Acquire for good: leave the pool to it rather than destroy
    // what it waits on, and fail instead of hanging in join().
    other.detach();
    (void)pool.release();
    FAIL() << "Acquire still waits after the lease went";
  }
  other.join();
  // The connection was handed on, not a new one opened.
  EXPECT_EQ(second.get(), first_connection);
}

TEST_F(ReadPoolTest, EachLeaseHasAConnectionOfItsOwn) {
  std::unique_ptr<ReadPool> pool = OpenPool(3);
  ASSERT_NE(pool, nullptr);
  // With connections free, Acquire does not wait, so all three can be held at once.
  auto a = pool->Acquire();
  auto b = pool->Acquire();
  auto c = pool->Acquire();
  EXPECT_EQ((std::set<sqlite3*>{a->raw(), b->raw(), c->raw()}).size(), 3u);
  EXPECT_TRUE(a->Exec("SELECT 1").ok());
  EXPECT_TRUE(b->Exec("SELECT 1").ok());
  EXPECT_TRUE(c->Exec("SELECT 1").ok());
}

TEST_F(ReadPoolTest, ALeaseReadsTheLastCommitWhileAWriteIsOpen) {
  auto writer = sql::Db::Open(path_);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  sql::Db& w = *writer.value();
  ASSERT_TRUE(w.Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);").ok());
  std::unique_ptr<ReadPool> pool = OpenPool(1);
  ASSERT_NE(pool, nullptr);
  {
    sql::Transaction tx(w);
    ASSERT_TRUE(tx.begun().ok());
    ASSERT_TRUE(w.Exec("INSERT INTO t VALUES (2)").ok());
    // WAL: the reader neither waits for the open write nor sees it.
    auto lease = pool->Acquire();
    EXPECT_EQ(Count(*lease), 1);
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto lease = pool->Acquire();
  EXPECT_EQ(Count(*lease), 2);
}

}  // namespace
}  // namespace mend::sqlite
