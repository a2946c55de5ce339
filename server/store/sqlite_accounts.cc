#include "server/store/sqlite_accounts.h"

#include <sqlite3.h>

#include "common/crypto.h"

namespace mend::sqlite {
namespace {

template <typename BindFn>
Result<AccountRecord> FindAccount(sql::Db& db, const std::string& where, const char* unknown,
                                  BindFn bind) {
  auto stmt = db.Prepare(
      "SELECT a.id, a.login, a.display_name, a.password_hash, a.created_ms, m.couple_id "
      "FROM accounts a LEFT JOIN couple_members m ON m.account_id = a.id WHERE " +
      where);
  bind(stmt);
  if (!stmt.Step()) {
    if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
    return MakeError(v1::UNKNOWN_ACCOUNT, unknown);
  }
  AccountRecord r{stmt.Int(0), stmt.Text(1), stmt.Text(2), stmt.Text(3), stmt.Int(4), std::nullopt};
  if (!stmt.IsNull(5)) r.couple_id = stmt.Int(5);
  return r;
}

}  // namespace

std::optional<int64_t> CoupleIdOf(sql::Db& db, int64_t account_id) {
  auto stmt = db.Prepare("SELECT couple_id FROM couple_members WHERE account_id = ?");
  stmt.Bind(1, account_id);
  if (!stmt.Step()) return std::nullopt;
  return stmt.Int(0);
}

Result<AccountRecord> SqliteAccounts::FindAccountByLogin(const std::string& login) {
  auto db = pool_.Acquire();
  return FindAccount(*db, "a.login = ?", "there is no account with that login name",
                     [&](sql::Stmt& s) { s.Bind(1, login); });
}

Result<AccountRecord> SqliteAccounts::FindAccountById(int64_t id) {
  auto db = pool_.Acquire();
  return FindAccount(*db, "a.id = ?", "there is no such account",
                     [&](sql::Stmt& s) { s.Bind(1, id); });
}

Result<TokenRecord> SqliteAccounts::FindToken(const std::string& digest, TimeMs now) {
  auto db = pool_.Acquire();
  auto stmt = db->Prepare("SELECT account_id, expires_ms, digest FROM tokens WHERE digest = ?");
  stmt.BindBlob(1, digest);
  if (!stmt.Step()) {
    if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
    return MakeError(v1::UNAUTHENTICATED, "that token is not valid; log in again");
  }
  // The index found the row by digest; the digest is compared again in constant time so that
  // no comparison of secret-derived bytes depends on where they differ.
  if (!crypto::ConstantTimeEqual(stmt.Text(2), digest)) {
    return MakeError(v1::UNAUTHENTICATED, "that token is not valid; log in again");
  }
  if (stmt.Int(1) <= now) {
    return MakeError(v1::UNAUTHENTICATED, "that token has expired; log in again");
  }
  return TokenRecord{stmt.Int(0), stmt.Int(1)};
}

Result<CoupleRecord> SqliteAccounts::FindCoupleOf(int64_t account_id) {
  auto db = pool_.Acquire();
  auto stmt = db->Prepare(
      "SELECT c.id, c.partner_a, c.partner_b, c.paired_ms FROM couple_members m "
      "JOIN couples c ON c.id = m.couple_id WHERE m.account_id = ?");
  stmt.Bind(1, account_id);
  if (!stmt.Step()) {
    if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
    return MakeError(v1::NOT_IN_COUPLE, "you have no partner yet; create or accept an invite");
  }
  return CoupleRecord{stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Int(3)};
}

}  // namespace mend::sqlite
