// A thin RAII layer over the SQLite C API: a connection that caches its prepared statements, a
// statement that binds and steps, and a transaction that rolls back unless committed.
//
// Not thread-safe: one owner per Db at a time.
#ifndef MEND_SERVER_SQLITE_H_
#define MEND_SERVER_SQLITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mend::sql {

// The error every storage failure is reported as: readable, and saying that nothing changed.
Error Failed();

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Stmt();  // resets and clears bindings; the Db keeps the prepared statement
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are 1-based, as in SQLite.
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, std::string_view text);
  Stmt& BindBlob(int index, std::string_view bytes);
  Stmt& BindNull(int index);

  // Runs one step. Returns true if a row is available, false when done. On an error returns
  // false and sets error_code().
  bool Step();
  // Runs to completion; returns the SQLite result code (SQLITE_DONE on success).
  int Run();
  int error_code() const { return rc_; }

  int64_t Int(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3_stmt* stmt_;
  int rc_ = 0;
};

class Db {
 public:
  // Opens (creating if needed) the database at `path` with WAL, synchronous=FULL, foreign keys
  // and a busy timeout.
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without parameters.
  Status Exec(const std::string& sql);
  // A statement prepared once per Db and reused. REQUIRES: `sql` is a valid statement.
  Stmt Prepare(std::string_view sql);
  int64_t LastInsertId() const;
  std::string LastError() const;
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // Looked up on every statement: hashed, and by string_view, so a lookup allocates nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> cache_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& begun() const { return begun_; }
  Status Commit();

 private:
  Db& db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace mend::sql

#endif  // MEND_SERVER_SQLITE_H_
