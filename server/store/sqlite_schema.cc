#include "server/store/sqlite_schema.h"

#include <sqlite3.h>

#include <array>
#include <string>

#include "common/session/rules.h"
#include "server/store/session_record.h"
#include "server/store/sqlite_write_tx.h"

namespace mend::sqlite {
namespace {

// Migration N takes the schema from user_version N to N+1. Append only; never edit a shipped one.
constexpr std::array<const char*, 4> kMigrations = {
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
    // A move's client command id lives on the first event it wrote, not in a table of its own:
    // the row is written anyway, while the commands table cost every move a page of its own in
    // every commit (a quarter of the server's time at full speed). Resends are looked up
    // through the session's events, which a live session loads anyway.
    R"sql(
ALTER TABLE events ADD COLUMN command_id TEXT;
ALTER TABLE events ADD COLUMN command_by INTEGER;
ALTER TABLE events ADD COLUMN command_last_seq INTEGER;
UPDATE events
   SET command_id = c.command_id, command_by = c.account_id, command_last_seq = c.last_seq
  FROM commands AS c
 WHERE c.session_id = events.session_id AND c.first_seq = events.seq;
DROP TABLE commands;
)sql",
};
// Fills what migration 3 added for the sessions stored before it, by folding their events.
// REQUIRES: inside the migration's transaction.
Status BackfillV3(sql::Db& db) {
  std::vector<std::pair<int64_t, int64_t>> sessions;  // id, couple
  {
    auto stmt = db.Prepare("SELECT id, couple_id FROM sessions ORDER BY id");
    while (stmt.Step()) sessions.emplace_back(stmt.Int(0), stmt.Int(1));
    if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  }
  SqliteWriteTx tx(db);
  for (auto [id, couple] : sessions) {
    session::State state;
    auto stmt = db.Prepare("SELECT payload FROM events WHERE session_id = ? ORDER BY seq");
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
    if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  }
  return Status();
}

}  // namespace

int SchemaVersion(sql::Db& db) {
  auto stmt = db.Prepare("PRAGMA user_version");
  return stmt.Step() ? static_cast<int>(stmt.Int(0)) : -1;
}

Status Migrate(sql::Db& db) {
  int version = SchemaVersion(db);
  if (version > static_cast<int>(kMigrations.size())) {
    return MakeError(v1::INTERNAL, "the database was written by a newer Mend (schema " +
                                       std::to_string(version) + ")");
  }
  for (int v = version; v < static_cast<int>(kMigrations.size()); ++v) {
    sql::Transaction tx(db);
    if (!tx.begun().ok()) return tx.begun();
    Status s = db.Exec(kMigrations[v]);
    if (!s.ok()) return s;
    if (v == 2) {
      s = BackfillV3(db);
      if (!s.ok()) return s;
    }
    s = db.Exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (!s.ok()) return s;
    s = tx.Commit();
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace mend::sqlite
