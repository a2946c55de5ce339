// SQLite reads of accounts, tokens and couples (AccountStore).
#ifndef MEND_SERVER_STORE_SQLITE_ACCOUNTS_H_
#define MEND_SERVER_STORE_SQLITE_ACCOUNTS_H_

#include "server/store/account_store.h"
#include "server/store/sqlite_read_pool.h"

namespace mend::sqlite {

// The couple id of `account_id` in `db`, if it has one; shared with the writer.
std::optional<int64_t> CoupleIdOf(sql::Db& db, int64_t account_id);

class SqliteAccounts final : public AccountStore {
 public:
  // REQUIRES: `pool` outlives this.
  explicit SqliteAccounts(ReadPool& pool) : pool_(pool) {}

  Result<AccountRecord> FindAccountByLogin(const std::string& login) override;
  Result<AccountRecord> FindAccountById(int64_t id) override;
  Result<TokenRecord> FindToken(const std::string& digest, TimeMs now) override;
  Result<CoupleRecord> FindCoupleOf(int64_t account_id) override;

 private:
  ReadPool& pool_;
};

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_ACCOUNTS_H_
