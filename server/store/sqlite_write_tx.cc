#include "server/store/sqlite_write_tx.h"

#include <sqlite3.h>

#include "server/store/sqlite_accounts.h"
#include "server/store/sqlite_history.h"

namespace mend::sqlite {

Status SqliteWriteTx::Done(sql::Stmt& stmt) {
  if (stmt.Run() != SQLITE_DONE) {
    return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
  }
  return Status();
}

Result<int64_t> SqliteWriteTx::InsertSession(int64_t couple_id, int64_t opened_by,
                                             TimeMs opened_ms) {
  auto stmt = db_.Prepare("INSERT INTO sessions(couple_id, opened_by, opened_ms) VALUES(?,?,?)");
  stmt.Bind(1, couple_id).Bind(2, opened_by).Bind(3, opened_ms);
  int rc = stmt.Run();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return MakeError(v1::SESSION_ALREADY_OPEN, "you already have an open session: join it");
  }
  if (rc != SQLITE_DONE) return MakeError(v1::INTERNAL, "storage failed: " + db_.LastError());
  return db_.LastInsertId();
}

Status SqliteWriteTx::InsertEvent(const v1::SessionEvent& event, const CommandRecord* command) {
  auto stmt = db_.Prepare(
      "INSERT INTO events(session_id, seq, at_ms, actor, payload, command_id, command_by, "
      "command_last_seq) VALUES(?,?,?,?,?,?,?,?)");
  stmt.Bind(1, event.session_id())
      .Bind(2, static_cast<int64_t>(event.seq()))
      .Bind(3, event.at_unix_ms())
      .Bind(4, static_cast<int64_t>(event.actor()))
      .BindBlob(5, event.SerializeAsString());
  if (command) {
    stmt.Bind(6, command->command_id)
        .Bind(7, command->account_id)
        .Bind(8, static_cast<int64_t>(command->last_seq));
  } else {
    stmt.BindNull(6).BindNull(7).BindNull(8);
  }
  return Done(stmt);
}

Status SqliteWriteTx::CloseSession(int64_t session_id, v1::Outcome outcome, TimeMs closed_ms) {
  auto stmt = db_.Prepare("UPDATE sessions SET closed_ms = ?, outcome = ? WHERE id = ?");
  stmt.Bind(1, closed_ms).Bind(2, static_cast<int64_t>(outcome)).Bind(3, session_id);
  return Done(stmt);
}

Status SqliteWriteTx::UpdateSummary(int64_t session_id, const std::string& topic, uint32_t breaks,
                                    uint64_t last_seq, TimeMs last_event_ms) {
  auto stmt = db_.Prepare(
      "UPDATE sessions SET topic = ?, breaks = ?, last_seq = ?, last_event_ms = ? WHERE id = ?");
  stmt.Bind(1, topic)
      .Bind(2, static_cast<int64_t>(breaks))
      .Bind(3, static_cast<int64_t>(last_seq))
      .Bind(4, last_event_ms)
      .Bind(5, session_id);
  return Done(stmt);
}

Status SqliteWriteTx::InsertCommitment(const CommitmentRecord& c) {
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
  return Done(stmt);
}

Result<AccountRecord> SqliteWriteTx::CreateAccount(const std::string& login,
                                                   const std::string& display_name,
                                                   const std::string& password_hash, TimeMs now) {
  auto stmt = db_.Prepare(
      "INSERT INTO accounts(login, display_name, password_hash, created_ms) VALUES(?,?,?,?)");
  stmt.Bind(1, login).Bind(2, display_name).Bind(3, password_hash).Bind(4, now);
  int rc = stmt.Run();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return MakeError(v1::LOGIN_TAKEN, "that login name is taken");
  }
  if (rc != SQLITE_DONE) return sql::Failed();
  return AccountRecord{db_.LastInsertId(), login, display_name, password_hash, now, std::nullopt};
}

Status SqliteWriteTx::InsertToken(const std::string& digest, int64_t account_id, TimeMs now,
                                  TimeMs expires) {
  auto stmt =
      db_.Prepare("INSERT INTO tokens(digest, account_id, created_ms, expires_ms) VALUES(?,?,?,?)");
  stmt.BindBlob(1, digest).Bind(2, account_id).Bind(3, now).Bind(4, expires);
  return Done(stmt);
}

Status SqliteWriteTx::DeleteToken(const std::string& digest) {
  auto stmt = db_.Prepare("DELETE FROM tokens WHERE digest = ?");
  stmt.BindBlob(1, digest);
  return Done(stmt);
}

Status SqliteWriteTx::CreateInvite(const std::string& code_digest, int64_t inviter, TimeMs now,
                                   TimeMs expires) {
  if (CoupleIdOf(db_, inviter)) {
    return MakeError(v1::ALREADY_IN_COUPLE, "you already have a partner");
  }
  {
    auto stmt = db_.Prepare(
        "UPDATE invites SET state = 'replaced' WHERE inviter_id = ? AND state = 'open'");
    stmt.Bind(1, inviter);
    if (Status s = Done(stmt); !s.ok()) return s;
  }
  auto stmt = db_.Prepare(
      "INSERT INTO invites(digest, inviter_id, created_ms, expires_ms, state) "
      "VALUES(?,?,?,?,'open')");
  stmt.BindBlob(1, code_digest).Bind(2, inviter).Bind(3, now).Bind(4, expires);
  return Done(stmt);
}

Result<CoupleRecord> SqliteWriteTx::AcceptInvite(const std::string& code_digest, int64_t acceptor,
                                                 TimeMs now) {
  int64_t inviter = 0;
  TimeMs expires = 0;
  std::string state;
  {
    auto stmt = db_.Prepare("SELECT inviter_id, expires_ms, state FROM invites WHERE digest = ?");
    stmt.BindBlob(1, code_digest);
    if (!stmt.Step()) {
      if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
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
  if (CoupleIdOf(db_, inviter)) {
    return MakeError(v1::INVITER_IN_COUPLE, "the person who invited you has paired already");
  }
  if (state == "replaced") {
    return MakeError(v1::INVITE_REPLACED,
                     "that invite was replaced by a newer one; ask for the new code");
  }
  if (expires <= now) {
    return MakeError(v1::INVITE_EXPIRED, "that invite has expired; ask for a new one");
  }
  if (CoupleIdOf(db_, acceptor)) {
    return MakeError(v1::ALREADY_IN_COUPLE, "you already have a partner");
  }
  CoupleRecord couple{0, inviter, acceptor, now};
  {
    auto stmt = db_.Prepare("INSERT INTO couples(partner_a, partner_b, paired_ms) VALUES(?,?,?)");
    stmt.Bind(1, inviter).Bind(2, acceptor).Bind(3, now);
    if (Status s = Done(stmt); !s.ok()) return s.error();
    couple.id = db_.LastInsertId();
  }
  for (int64_t member : {inviter, acceptor}) {
    auto stmt = db_.Prepare("INSERT INTO couple_members(account_id, couple_id) VALUES(?,?)");
    stmt.Bind(1, member).Bind(2, couple.id);
    if (Status s = Done(stmt); !s.ok()) return s.error();
  }
  {
    auto stmt = db_.Prepare("UPDATE invites SET state = 'used', accepted_by = ? WHERE digest = ?");
    stmt.Bind(1, acceptor).BindBlob(2, code_digest);
    if (Status s = Done(stmt); !s.ok()) return s.error();
  }
  // Invites either partner still had open can no longer be accepted.
  auto stmt = db_.Prepare(
      "UPDATE invites SET state = 'replaced' WHERE inviter_id IN (?, ?) AND state = 'open'");
  stmt.Bind(1, inviter).Bind(2, acceptor);
  if (Status s = Done(stmt); !s.ok()) return s.error();
  return couple;
}

Result<CommitmentRecord> SqliteWriteTx::RecordFollowThrough(int64_t couple_id,
                                                            int64_t commitment_id,
                                                            const FollowThroughRecord& r,
                                                            const std::string& today) {
  {
    auto stmt = db_.Prepare("UPDATE commitments SET status = ? WHERE id = ? AND couple_id = ?");
    stmt.Bind(1, static_cast<int64_t>(r.status)).Bind(2, commitment_id).Bind(3, couple_id);
    if (Status s = Done(stmt); !s.ok()) return s.error();
    if (sqlite3_changes(db_.raw()) == 0) {
      return MakeError(v1::NOT_FOUND, "there is no such commitment");
    }
  }
  {
    auto stmt = db_.Prepare(
        "INSERT INTO follow_through(commitment_id, status, note, by_id, at_ms) VALUES(?,?,?,?,?)");
    stmt.Bind(1, commitment_id)
        .Bind(2, static_cast<int64_t>(r.status))
        .Bind(3, r.note)
        .Bind(4, r.by_id)
        .Bind(5, r.at_ms);
    if (Status s = Done(stmt); !s.ok()) return s.error();
  }
  auto stmt = db_.Prepare(CommitmentQuery("c.id = ?2", "c.id"));
  stmt.Bind(1, today).Bind(2, commitment_id);
  auto now = ReadCommitments(db_, stmt);
  if (!now.ok() || now.value().size() != 1) return sql::Failed();
  return std::move(now.value().front());
}

}  // namespace mend::sqlite
