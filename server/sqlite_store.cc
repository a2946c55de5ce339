// The SQLite implementation of Store: one connection, one writer at a time.
#include <sqlite3.h>

#include <array>
#include <mutex>

#include "server/sqlite.h"
#include "server/store.h"

namespace mend {
namespace {

// Migration N takes the schema from user_version N to N+1. Append only; never edit a shipped one.
constexpr std::array<const char*, 1> kMigrations = {
    R"sql(
CREATE TABLE accounts (
  id            INTEGER PRIMARY KEY,
  login         TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_ms    INTEGER NOT NULL
);
CREATE TABLE tokens (
  digest     BLOB PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_by_account ON tokens(account_id);
CREATE TABLE couples (
  id         INTEGER PRIMARY KEY,
  partner_a  INTEGER NOT NULL REFERENCES accounts(id),
  partner_b  INTEGER NOT NULL REFERENCES accounts(id),
  paired_ms  INTEGER NOT NULL
);
-- The primary key is what makes an account belong to at most one couple.
CREATE TABLE couple_members (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
  couple_id  INTEGER NOT NULL REFERENCES couples(id)
);
CREATE TABLE invites (
  digest      BLOB PRIMARY KEY,
  inviter_id  INTEGER NOT NULL REFERENCES accounts(id),
  created_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('open', 'used', 'replaced')),
  accepted_by INTEGER REFERENCES accounts(id)
) WITHOUT ROWID;
CREATE INDEX invites_by_inviter ON invites(inviter_id, state);
)sql",
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}

  Status Migrate() {
    std::lock_guard<std::mutex> lock(mu_);
    int version = VersionLocked();
    if (version > static_cast<int>(kMigrations.size())) {
      return MakeError(v1::INTERNAL, "the database was written by a newer Mend (schema " +
                                         std::to_string(version) + ")");
    }
    for (int v = version; v < static_cast<int>(kMigrations.size()); ++v) {
      sql::Transaction tx(*db_);
      if (!tx.begun().ok()) return tx.begun();
      Status s = db_->Exec(kMigrations[v]);
      if (!s.ok()) return s;
      s = db_->Exec("PRAGMA user_version = " + std::to_string(v + 1));
      if (!s.ok()) return s;
      s = tx.Commit();
      if (!s.ok()) return s;
    }
    return Status();
  }

  int SchemaVersion() override {
    std::lock_guard<std::mutex> lock(mu_);
    return VersionLocked();
  }

  Result<AccountRecord> CreateAccount(const std::string& login, const std::string& display_name,
                                      const std::string& password_hash, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO accounts(login, display_name, password_hash, created_ms) VALUES(?,?,?,?)");
    stmt.Bind(1, login).Bind(2, display_name).Bind(3, password_hash).Bind(4, now);
    int rc = stmt.Run();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return MakeError(v1::LOGIN_TAKEN, "that login name is taken");
    }
    if (rc != SQLITE_DONE) return Failed();
    return AccountRecord{db_->LastInsertId(), login, display_name,
                         password_hash,       now,   std::nullopt};
  }

  Result<AccountRecord> FindAccountByLogin(const std::string& login) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FindAccountLocked("a.login = ?", [&](sql::Stmt& s) { s.Bind(1, login); });
  }

  Result<AccountRecord> FindAccountById(int64_t id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FindAccountLocked("a.id = ?", [&](sql::Stmt& s) { s.Bind(1, id); });
  }

  Status InsertToken(const std::string& digest, int64_t account_id, TimeMs now,
                     TimeMs expires) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO tokens(digest, account_id, created_ms, expires_ms) VALUES(?,?,?,?)");
    stmt.BindBlob(1, digest).Bind(2, account_id).Bind(3, now).Bind(4, expires);
    return stmt.Run() == SQLITE_DONE ? Status() : Status(Failed());
  }

  Result<int64_t> FindTokenAccount(const std::string& digest, TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare("SELECT account_id, expires_ms, digest FROM tokens WHERE digest = ?");
    stmt.BindBlob(1, digest);
    if (!stmt.Step()) {
      if (stmt.error_code() != SQLITE_DONE) return Failed();
      return MakeError(v1::UNAUTHENTICATED, "that token is not valid; log in again");
    }
    if (stmt.Int(1) <= now) {
      return MakeError(v1::UNAUTHENTICATED, "that token has expired; log in again");
    }
    return stmt.Int(0);
  }

  Status DeleteToken(const std::string& digest) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare("DELETE FROM tokens WHERE digest = ?");
    stmt.BindBlob(1, digest);
    return stmt.Run() == SQLITE_DONE ? Status() : Status(Failed());
  }

  Status CreateInvite(const std::string& code_digest, int64_t inviter, TimeMs now,
                      TimeMs expires) override {
    std::lock_guard<std::mutex> lock(mu_);
    sql::Transaction tx(*db_);
    if (!tx.begun().ok()) return Failed();
    if (CoupleIdLocked(inviter)) {
      return MakeError(v1::ALREADY_IN_COUPLE, "you already have a partner");
    }
    {
      auto stmt = db_->Prepare(
          "UPDATE invites SET state = 'replaced' WHERE inviter_id = ? AND state = 'open'");
      stmt.Bind(1, inviter);
      if (stmt.Run() != SQLITE_DONE) return Failed();
    }
    {
      auto stmt = db_->Prepare(
          "INSERT INTO invites(digest, inviter_id, created_ms, expires_ms, state) "
          "VALUES(?,?,?,?,'open')");
      stmt.BindBlob(1, code_digest).Bind(2, inviter).Bind(3, now).Bind(4, expires);
      if (stmt.Run() != SQLITE_DONE) return Failed();
    }
    return tx.Commit().ok() ? Status() : Status(Failed());
  }

  Result<CoupleRecord> AcceptInvite(const std::string& code_digest, int64_t acceptor,
                                    TimeMs now) override {
    std::lock_guard<std::mutex> lock(mu_);
    sql::Transaction tx(*db_);
    if (!tx.begun().ok()) return Failed();
    int64_t inviter = 0;
    TimeMs expires = 0;
    std::string state;
    {
      auto stmt =
          db_->Prepare("SELECT inviter_id, expires_ms, state FROM invites WHERE digest = ?");
      stmt.BindBlob(1, code_digest);
      if (!stmt.Step()) {
        if (stmt.error_code() != SQLITE_DONE) return Failed();
        return MakeError(v1::INVITE_UNKNOWN, "there is no invite with that code; check it");
      }
      inviter = stmt.Int(0);
      expires = stmt.Int(1);
      state = stmt.Text(2);
    }
    if (inviter == acceptor) {
      return MakeError(v1::INVITE_OWN, "that is your own invite; give it to your partner");
    }
    if (state == "used") return MakeError(v1::INVITE_USED, "that invite has been used already");
    // Pairing withdraws the partners' other invites; say why rather than "replaced".
    if (CoupleIdLocked(inviter)) {
      return MakeError(v1::INVITER_IN_COUPLE, "the person who invited you has paired already");
    }
    if (state == "replaced") {
      return MakeError(v1::INVITE_REPLACED,
                       "that invite was replaced by a newer one; ask for the new code");
    }
    if (expires <= now) {
      return MakeError(v1::INVITE_EXPIRED, "that invite has expired; ask for a new one");
    }
    if (CoupleIdLocked(acceptor)) {
      return MakeError(v1::ALREADY_IN_COUPLE, "you already have a partner");
    }
    CoupleRecord couple{0, inviter, acceptor, now};
    {
      auto stmt =
          db_->Prepare("INSERT INTO couples(partner_a, partner_b, paired_ms) VALUES(?,?,?)");
      stmt.Bind(1, inviter).Bind(2, acceptor).Bind(3, now);
      if (stmt.Run() != SQLITE_DONE) return Failed();
      couple.id = db_->LastInsertId();
    }
    for (int64_t member : {inviter, acceptor}) {
      auto stmt = db_->Prepare("INSERT INTO couple_members(account_id, couple_id) VALUES(?,?)");
      stmt.Bind(1, member).Bind(2, couple.id);
      if (stmt.Run() != SQLITE_DONE) return Failed();
    }
    {
      auto stmt =
          db_->Prepare("UPDATE invites SET state = 'used', accepted_by = ? WHERE digest = ?");
      stmt.Bind(1, acceptor).BindBlob(2, code_digest);
      if (stmt.Run() != SQLITE_DONE) return Failed();
    }
    // Invites either partner still had open can no longer be accepted.
    {
      auto stmt = db_->Prepare(
          "UPDATE invites SET state = 'replaced' WHERE inviter_id IN (?, ?) AND state = 'open'");
      stmt.Bind(1, inviter).Bind(2, acceptor);
      if (stmt.Run() != SQLITE_DONE) return Failed();
    }
    if (!tx.Commit().ok()) return Failed();
    return couple;
  }

  Result<CoupleRecord> FindCoupleOf(int64_t account_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT c.id, c.partner_a, c.partner_b, c.paired_ms FROM couple_members m "
        "JOIN couples c ON c.id = m.couple_id WHERE m.account_id = ?");
    stmt.Bind(1, account_id);
    if (!stmt.Step()) {
      if (stmt.error_code() != SQLITE_DONE) return Failed();
      return MakeError(v1::NOT_IN_COUPLE, "you have no partner yet; create or accept an invite");
    }
    return CoupleRecord{stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Int(3)};
  }

 private:
  Error Failed() const { return MakeError(v1::INTERNAL, "storage failed; nothing was changed"); }

  int VersionLocked() {
    auto stmt = db_->Prepare("PRAGMA user_version");
    return stmt.Step() ? static_cast<int>(stmt.Int(0)) : -1;
  }

  std::optional<int64_t> CoupleIdLocked(int64_t account_id) {
    auto stmt = db_->Prepare("SELECT couple_id FROM couple_members WHERE account_id = ?");
    stmt.Bind(1, account_id);
    if (!stmt.Step()) return std::nullopt;
    return stmt.Int(0);
  }

  template <typename BindFn>
  Result<AccountRecord> FindAccountLocked(const std::string& where, BindFn bind) {
    auto stmt = db_->Prepare(
        "SELECT a.id, a.login, a.display_name, a.password_hash, a.created_ms, m.couple_id "
        "FROM accounts a LEFT JOIN couple_members m ON m.account_id = a.id WHERE " +
        where);
    bind(stmt);
    if (!stmt.Step()) {
      if (stmt.error_code() != SQLITE_DONE) return Failed();
      return MakeError(v1::UNKNOWN_ACCOUNT, "there is no account with that login name");
    }
    AccountRecord r{stmt.Int(0),  stmt.Text(1), stmt.Text(2),
                    stmt.Text(3), stmt.Int(4),  std::nullopt};
    if (!stmt.IsNull(5)) r.couple_id = stmt.Int(5);
    return r;
  }

  std::mutex mu_;  // one writer: the connection is used by one thread at a time
  std::unique_ptr<sql::Db> db_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.error();
  auto store = std::make_unique<SqliteStore>(std::move(db).value());
  Status s = store->Migrate();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace mend
