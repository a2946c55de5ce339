// The SQLite implementation of Store: one connection, one writer at a time.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/crypto.h"
#include "common/session/rules.h"
#include "server/session_record.h"
#include "server/sqlite.h"
#include "server/store.h"

namespace mend {
namespace {

// Migration N takes the schema from user_version N to N+1. Append only; never edit a shipped one.
constexpr std::array<const char*, 3> kMigrations = {
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
    R"sql(
CREATE TABLE sessions (
  id         INTEGER PRIMARY KEY,
  couple_id  INTEGER NOT NULL REFERENCES couples(id),
  opened_by  INTEGER NOT NULL REFERENCES accounts(id),
  opened_ms  INTEGER NOT NULL,
  closed_ms  INTEGER,
  outcome    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_couple ON sessions(couple_id, id);
-- At most one open session per couple, whatever the server's memory says.
CREATE UNIQUE INDEX one_open_session_per_couple ON sessions(couple_id) WHERE closed_ms IS NULL;
-- Append-ordered key plus a unique (session, seq): faster than clustering on (session, seq)
-- when many sessions interleave (design.md 2.4), and the unique index forbids duplicates.
CREATE TABLE events (
  id         INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions(id),
  seq        INTEGER NOT NULL,
  at_ms      INTEGER NOT NULL,
  actor      INTEGER NOT NULL,
  payload    BLOB NOT NULL
);
CREATE UNIQUE INDEX events_by_session ON events(session_id, seq);
CREATE TABLE commands (
  session_id INTEGER NOT NULL REFERENCES sessions(id),
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  command_id TEXT NOT NULL,
  first_seq  INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL,
  PRIMARY KEY (session_id, account_id, command_id)
) WITHOUT ROWID;
)sql",
    // History: a summary per session, so that listing never reads events; commitments and their
    // follow-through. Sessions stored before this version are summarised by BackfillV3.
    R"sql(
ALTER TABLE sessions ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN breaks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_event_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE commitments (
  id            INTEGER PRIMARY KEY,
  couple_id     INTEGER NOT NULL REFERENCES couples(id),
  session_id    INTEGER NOT NULL REFERENCES sessions(id),
  seq           INTEGER NOT NULL,
  owner_side    INTEGER NOT NULL,
  text          TEXT NOT NULL,
  check_in_date TEXT NOT NULL DEFAULT '',
  made_ms       INTEGER NOT NULL,
  status        INTEGER NOT NULL DEFAULT 0  -- the latest follow-through
);
CREATE UNIQUE INDEX commitments_by_session ON commitments(session_id, seq);
CREATE INDEX commitments_by_couple ON commitments(couple_id, id);
-- Commitments that can be due (dated, neither kept nor missed), by date: listed first.
CREATE INDEX commitments_open_by_date ON commitments(couple_id, check_in_date, id)
  WHERE check_in_date != '' AND status NOT IN (1, 3);
CREATE TABLE follow_through (
  id            INTEGER PRIMARY KEY,
  commitment_id INTEGER NOT NULL REFERENCES commitments(id),
  status        INTEGER NOT NULL,
  note          TEXT NOT NULL,
  by_id         INTEGER NOT NULL REFERENCES accounts(id),
  at_ms         INTEGER NOT NULL
);
CREATE INDEX follow_through_by_commitment ON follow_through(commitment_id, id);
)sql",
};

constexpr const char* kSessionColumns =
    "s.id, s.couple_id, s.opened_by, s.opened_ms, s.closed_ms, s.outcome, s.topic, s.breaks, "
    "s.last_seq, s.last_event_ms";

constexpr const char* kCommitmentColumns =
    "c.id, c.couple_id, c.session_id, c.seq, c.owner_side, c.text, c.check_in_date, c.made_ms, "
    "c.status, s.opened_by, s.topic";

// The writer's view of the write connection during one group transaction.
class SqliteSessionTx final : public SessionTx {
 public:
  explicit SqliteSessionTx(sql::Db& db) : db_(db) {}

  Result<int64_t> InsertSession(int64_t couple_id, int64_t opened_by, TimeMs opened_ms) override {
    auto stmt = db_.Prepare("INSERT INTO sessions(couple_id, opened_by, opened_ms) VALUES(?,?,?)");
    stmt.Bind(1, couple_id).Bind(2, opened_by).Bind(3, opened_ms);
    int rc = stmt.Run();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return MakeError(v1::SESSION_ALREADY_OPEN, "you already have an open session: join it");
    }
    if (rc != SQLITE_DONE) return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
    return db_.LastInsertId();
  }

  Status InsertEvent(const v1::SessionEvent& event) override {
    auto stmt =
        db_.Prepare("INSERT INTO events(session_id, seq, at_ms, actor, payload) VALUES(?,?,?,?,?)");
    stmt.Bind(1, event.session_id())
        .Bind(2, static_cast<int64_t>(event.seq()))
        .Bind(3, event.at_unix_ms())
        .Bind(4, static_cast<int64_t>(event.actor()))
        .BindBlob(5, event.SerializeAsString());
    if (stmt.Run() != SQLITE_DONE) {
      return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
    }
    return Status();
  }

  Status InsertCommand(int64_t session_id, const CommandRecord& c) override {
    auto stmt = db_.Prepare(
        "INSERT INTO commands(session_id, account_id, command_id, first_seq, last_seq) "
        "VALUES(?,?,?,?,?)");
    stmt.Bind(1, session_id)
        .Bind(2, c.account_id)
        .Bind(3, c.command_id)
        .Bind(4, static_cast<int64_t>(c.first_seq))
        .Bind(5, static_cast<int64_t>(c.last_seq));
    if (stmt.Run() != SQLITE_DONE) {
      return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
    }
    return Status();
  }

  Status CloseSession(int64_t session_id, v1::Outcome outcome, TimeMs closed_ms) override {
    auto stmt = db_.Prepare("UPDATE sessions SET closed_ms = ?, outcome = ? WHERE id = ?");
    stmt.Bind(1, closed_ms).Bind(2, static_cast<int64_t>(outcome)).Bind(3, session_id);
    if (stmt.Run() != SQLITE_DONE) {
      return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
    }
    return Status();
  }

  Status UpdateSummary(int64_t session_id, const std::string& topic, uint32_t breaks,
                       uint64_t last_seq, TimeMs last_event_ms) override {
    auto stmt = db_.Prepare(
        "UPDATE sessions SET topic = ?, breaks = ?, last_seq = ?, last_event_ms = ? WHERE id = ?");
    stmt.Bind(1, topic)
        .Bind(2, static_cast<int64_t>(breaks))
        .Bind(3, static_cast<int64_t>(last_seq))
        .Bind(4, last_event_ms)
        .Bind(5, session_id);
    if (stmt.Run() != SQLITE_DONE) {
      return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
    }
    return Status();
  }

  Status InsertCommitment(const CommitmentRecord& c) override {
    auto stmt = db_.Prepare(
        "INSERT INTO commitments(couple_id, session_id, seq, owner_side, text, check_in_date, "
        "made_ms) VALUES(?,?,?,?,?,?,?)");
    stmt.Bind(1, c.couple_id)
        .Bind(2, c.session_id)
        .Bind(3, static_cast<int64_t>(c.seq))
        .Bind(4, static_cast<int64_t>(c.owner_side))
        .Bind(5, c.text)
        .Bind(6, c.check_in_date)
        .Bind(7, c.made_ms);
    if (stmt.Run() != SQLITE_DONE) {
      return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
    }
    return Status();
  }

 private:
  sql::Db& db_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}

  ~SqliteStore() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  // REQUIRES: Migrate() succeeded.
  Status StartWriterAndReader(const std::string& path) {
    auto reader = sql::Db::Open(path);
    if (!reader.ok()) return reader.error();
    read_db_ = std::move(reader).value();
    writer_ = std::thread([this] { WriterLoop(); });
    return Status();
  }

  void Write(std::function<Status(SessionTx&)> write, std::function<void(Status)> done) override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      queue_.push_back(WriteRequest{std::move(write), std::move(done)});
    }
    queue_cv_.notify_one();
  }

  std::pair<uint64_t, uint64_t> WriterStats() override {
    std::lock_guard<std::mutex> lock(queue_mu_);
    return {groups_, writes_};
  }

  Result<std::vector<SessionRow>> OpenSessions() override {
    std::lock_guard<std::mutex> lock(read_mu_);
    auto stmt = read_db_->Prepare(std::string("SELECT ") + kSessionColumns +
                                  " FROM sessions s WHERE s.closed_ms IS NULL ORDER BY s.id");
    std::vector<SessionRow> out;
    while (stmt.Step()) out.push_back(ReadSessionRow(stmt));
    if (stmt.error_code() != SQLITE_DONE) return Failed();
    return out;
  }

  Result<SessionRow> FindSession(int64_t session_id) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    auto stmt = read_db_->Prepare(std::string("SELECT ") + kSessionColumns +
                                  " FROM sessions s WHERE s.id = ?");
    stmt.Bind(1, session_id);
    if (!stmt.Step()) {
      if (stmt.error_code() != SQLITE_DONE) return Failed();
      return MakeError(v1::NOT_FOUND, "there is no such session");
    }
    return ReadSessionRow(stmt);
  }

  Result<std::vector<v1::SessionEvent>> LoadEvents(int64_t session_id,
                                                   uint64_t after_seq) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    auto stmt = read_db_->Prepare(
        "SELECT payload FROM events WHERE session_id = ? AND seq > ? ORDER BY seq");
    stmt.Bind(1, session_id).Bind(2, static_cast<int64_t>(after_seq));
    std::vector<v1::SessionEvent> out;
    while (stmt.Step()) {
      v1::SessionEvent e;
      if (!e.ParseFromString(stmt.Text(0))) {
        return MakeError(v1::INTERNAL, "a stored event does not parse");
      }
      out.push_back(std::move(e));
    }
    if (stmt.error_code() != SQLITE_DONE) return Failed();
    return out;
  }

  Result<std::vector<CommandRecord>> LoadCommands(int64_t session_id) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    auto stmt = read_db_->Prepare(
        "SELECT account_id, command_id, first_seq, last_seq FROM commands WHERE session_id = ?");
    stmt.Bind(1, session_id);
    std::vector<CommandRecord> out;
    while (stmt.Step()) {
      out.push_back(CommandRecord{stmt.Int(0), stmt.Text(1), static_cast<uint64_t>(stmt.Int(2)),
                                  static_cast<uint64_t>(stmt.Int(3))});
    }
    if (stmt.error_code() != SQLITE_DONE) return Failed();
    return out;
  }

  Result<std::vector<SessionRow>> ListSessions(int64_t couple_id, int64_t cursor, bool newest_first,
                                               int limit) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    auto stmt = read_db_->Prepare(
        std::string("SELECT ") + kSessionColumns + " FROM sessions s WHERE s.couple_id = ? AND " +
        // Two statements rather than "(?2 = 0 OR s.id < ?2)", which hides the range from the
        // planner: each walks sessions_by_couple from the cursor.
        (!newest_first ? "s.id > ?2 ORDER BY s.id"
         : cursor == 0 ? "s.id > ?2 ORDER BY s.id DESC"
                       : "s.id < ?2 ORDER BY s.id DESC") +
        " LIMIT ?3");
    stmt.Bind(1, couple_id).Bind(2, cursor).Bind(3, static_cast<int64_t>(limit));
    std::vector<SessionRow> out;
    while (stmt.Step()) out.push_back(ReadSessionRow(stmt));
    if (stmt.error_code() != SQLITE_DONE) return Failed();
    return out;
  }

  Result<std::vector<CommitmentRecord>> CommitmentsOf(const std::vector<int64_t>& session_ids,
                                                      const std::string& today) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    std::vector<CommitmentRecord> out;
    for (int64_t id : session_ids) {
      auto stmt = read_db_->Prepare(CommitmentQuery("c.session_id = ?2", "c.seq"));
      stmt.Bind(1, today).Bind(2, id);
      auto some = ReadCommitments(*read_db_, stmt);
      if (!some.ok()) return some.error();
      for (auto& c : some.value()) out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<CommitmentRecord>> ListCommitments(int64_t couple_id, const std::string& today,
                                                        bool open_only, int offset,
                                                        int limit) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    // Two index walks instead of one sort of every commitment: the due ones by date
    // (commitments_open_by_date), then the others newest first (commitments_by_couple).
    const std::string due_where =
        "c.couple_id = ?2 AND c.check_in_date != '' AND c.status NOT IN (1, 3) AND "
        "c.check_in_date <= ?1";
    std::vector<CommitmentRecord> out;
    {
      auto stmt =
          read_db_->Prepare(CommitmentQuery(due_where, "c.check_in_date, c.id LIMIT ?3 OFFSET ?4"));
      stmt.Bind(1, today)
          .Bind(2, couple_id)
          .Bind(3, static_cast<int64_t>(limit))
          .Bind(4, static_cast<int64_t>(offset));
      auto due = ReadCommitments(*read_db_, stmt);
      if (!due.ok()) return due.error();
      out = std::move(due).value();
    }
    if (static_cast<int>(out.size()) >= limit) return out;
    int64_t due_count = 0;
    {
      auto stmt = read_db_->Prepare("SELECT count(*) FROM commitments c WHERE " + due_where);
      stmt.Bind(1, today).Bind(2, couple_id);
      if (!stmt.Step()) return Failed();
      due_count = stmt.Int(0);
    }
    auto stmt = read_db_->Prepare(CommitmentQuery(
        std::string("c.couple_id = ?2 AND NOT (c.check_in_date != '' AND c.status NOT IN (1, 3) "
                    "AND c.check_in_date <= ?1)") +
            (open_only ? " AND c.status NOT IN (1, 3)" : ""),
        "c.id DESC LIMIT ?3 OFFSET ?4"));
    stmt.Bind(1, today)
        .Bind(2, couple_id)
        .Bind(3, static_cast<int64_t>(limit - static_cast<int>(out.size())))
        .Bind(4, std::max<int64_t>(0, offset - due_count));
    auto rest = ReadCommitments(*read_db_, stmt);
    if (!rest.ok()) return rest.error();
    for (auto& c : rest.value()) out.push_back(std::move(c));
    return out;
  }

  Result<CommitmentRecord> RecordFollowThrough(int64_t couple_id, int64_t commitment_id,
                                               const FollowThroughRecord& r,
                                               const std::string& today) override {
    std::lock_guard<std::mutex> lock(mu_);
    sql::Transaction tx(*db_);
    if (!tx.begun().ok()) return Failed();
    {
      auto stmt = db_->Prepare("UPDATE commitments SET status = ? WHERE id = ? AND couple_id = ?");
      stmt.Bind(1, static_cast<int64_t>(r.status)).Bind(2, commitment_id).Bind(3, couple_id);
      if (stmt.Run() != SQLITE_DONE) return Failed();
      if (sqlite3_changes(db_->raw()) == 0) {
        return MakeError(v1::NOT_FOUND, "there is no such commitment");
      }
    }
    {
      auto stmt = db_->Prepare(
          "INSERT INTO follow_through(commitment_id, status, note, by_id, at_ms) "
          "VALUES(?,?,?,?,?)");
      stmt.Bind(1, commitment_id)
          .Bind(2, static_cast<int64_t>(r.status))
          .Bind(3, r.note)
          .Bind(4, r.by_id)
          .Bind(5, r.at_ms);
      if (stmt.Run() != SQLITE_DONE) return Failed();
    }
    Result<std::vector<CommitmentRecord>> now = Failed();
    {
      auto stmt = db_->Prepare(CommitmentQuery("c.id = ?2", "c.id"));
      stmt.Bind(1, today).Bind(2, commitment_id);
      now = ReadCommitments(*db_, stmt);
    }
    if (!now.ok() || now.value().size() != 1) return Failed();
    if (!tx.Commit().ok()) return Failed();
    return std::move(now.value().front());
  }

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
      if (v == 2) {
        s = BackfillV3();
        if (!s.ok()) return s;
      }
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
    // The index found the row by digest; the digest is compared again in constant time so that
    // no comparison of secret-derived bytes depends on where they differ.
    if (!crypto::ConstantTimeEqual(stmt.Text(2), digest)) {
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

  // REQUIRES: the statement selects kSessionColumns.
  static SessionRow ReadSessionRow(const sql::Stmt& stmt) {
    SessionRow row;
    row.id = stmt.Int(0);
    row.couple_id = stmt.Int(1);
    row.opened_by = stmt.Int(2);
    row.opened_ms = stmt.Int(3);
    if (!stmt.IsNull(4)) row.closed_ms = stmt.Int(4);
    row.outcome = static_cast<v1::Outcome>(stmt.Int(5));
    row.topic = stmt.Text(6);
    row.breaks = static_cast<uint32_t>(stmt.Int(7));
    row.last_seq = static_cast<uint64_t>(stmt.Int(8));
    row.last_event_ms = stmt.Int(9);
    return row;
  }

  // Reads the rows of `stmt` (kCommitmentColumns, then `due`) and their follow-through from `db`.
  Result<std::vector<CommitmentRecord>> ReadCommitments(sql::Db& db, sql::Stmt& stmt) {
    std::vector<CommitmentRecord> out;
    while (stmt.Step()) {
      CommitmentRecord c;
      c.id = stmt.Int(0);
      c.couple_id = stmt.Int(1);
      c.session_id = stmt.Int(2);
      c.seq = static_cast<uint64_t>(stmt.Int(3));
      c.owner_side = static_cast<v1::Side>(stmt.Int(4));
      c.text = stmt.Text(5);
      c.check_in_date = stmt.Text(6);
      c.made_ms = stmt.Int(7);
      c.status = static_cast<v1::FollowThroughStatus>(stmt.Int(8));
      c.session_opened_by = stmt.Int(9);
      c.topic = stmt.Text(10);
      c.due = stmt.Int(11) != 0;
      out.push_back(std::move(c));
    }
    if (stmt.error_code() != SQLITE_DONE) return Failed();
    for (auto& c : out) {
      auto f = db.Prepare(
          "SELECT status, note, by_id, at_ms FROM follow_through WHERE commitment_id = ? "
          "ORDER BY id");
      f.Bind(1, c.id);
      while (f.Step()) {
        c.follow_through.push_back(FollowThroughRecord{
            static_cast<v1::FollowThroughStatus>(f.Int(0)), f.Text(1), f.Int(2), f.Int(3)});
      }
      if (f.error_code() != SQLITE_DONE) return Failed();
    }
    return out;
  }

  // Commitments of `where` (with parameters from 2 on), `today` bound as parameter 1.
  static std::string CommitmentQuery(const std::string& where, const std::string& order) {
    return std::string("SELECT ") + kCommitmentColumns +
           ", (c.check_in_date != '' AND c.check_in_date <= ?1 AND c.status NOT IN (1, 3)) AS due "
           "FROM commitments c JOIN sessions s ON s.id = c.session_id WHERE " +
           where + " ORDER BY " + order;
  }

  // Fills what migration 3 added for the sessions stored before it, by folding their events.
  // REQUIRES: inside the migration's transaction.
  Status BackfillV3() {
    std::vector<std::pair<int64_t, int64_t>> sessions;  // id, couple
    {
      auto stmt = db_->Prepare("SELECT id, couple_id FROM sessions ORDER BY id");
      while (stmt.Step()) sessions.emplace_back(stmt.Int(0), stmt.Int(1));
      if (stmt.error_code() != SQLITE_DONE) return Failed();
    }
    SqliteSessionTx tx(*db_);
    for (auto [id, couple] : sessions) {
      session::State state;
      auto stmt = db_->Prepare("SELECT payload FROM events WHERE session_id = ? ORDER BY seq");
      stmt.Bind(1, id);
      while (stmt.Step()) {
        v1::SessionEvent e;
        if (!e.ParseFromString(stmt.Text(0))) {
          return MakeError(v1::INTERNAL, "a stored event does not parse");
        }
        size_t known = state.commitments.size();
        session::Apply(state, e);
        if (Status s = RecordFold(tx, couple, state, known, e.at_unix_ms()); !s.ok()) return s;
      }
      if (stmt.error_code() != SQLITE_DONE) return Failed();
    }
    return Status();
  }

  struct WriteRequest {
    std::function<Status(SessionTx&)> write;
    std::function<void(Status)> done;
  };

  // Takes everything queued, commits it in one transaction, then reports to each writer. While a
  // group commits, new requests queue up and form the next group: under load, one fsync serves
  // many sessions.
  void WriterLoop() {
    for (;;) {
      std::vector<WriteRequest> group;
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued was written
        group.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.end()));
        queue_.clear();
      }
      std::vector<Status> results(group.size());
      {
        std::lock_guard<std::mutex> lock(mu_);
        sql::Transaction tx(*db_);
        if (!tx.begun().ok()) {
          std::fill(results.begin(), results.end(), Status(Failed()));
        } else {
          SqliteSessionTx session_tx(*db_);
          for (size_t i = 0; i < group.size(); ++i) {
            (void)db_->Exec("SAVEPOINT one_write");
            results[i] = group[i].write(session_tx);
            if (!results[i].ok()) (void)db_->Exec("ROLLBACK TO one_write");
            (void)db_->Exec("RELEASE one_write");
          }
          if (!tx.Commit().ok()) {
            for (auto& r : results) {
              if (r.ok()) r = Status(Failed());
            }
          }
        }
      }
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        ++groups_;
        writes_ += group.size();
      }
      for (size_t i = 0; i < group.size(); ++i) group[i].done(results[i]);
    }
  }

  std::mutex mu_;  // one writer: the write connection is used by one thread at a time
  std::unique_ptr<sql::Db> db_;

  std::mutex read_mu_;
  std::unique_ptr<sql::Db> read_db_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<WriteRequest> queue_;
  bool stopping_ = false;
  uint64_t groups_ = 0;
  uint64_t writes_ = 0;
  std::thread writer_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.error();
  auto store = std::make_unique<SqliteStore>(std::move(db).value());
  Status s = store->Migrate();
  if (!s.ok()) return s;
  s = store->StartWriterAndReader(path);
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace mend
