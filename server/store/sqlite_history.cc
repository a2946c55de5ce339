#include "server/store/sqlite_history.h"

#include <sqlite3.h>

#include <algorithm>

namespace mend::sqlite {

const char* const kSessionColumns =
    "s.id, s.couple_id, s.opened_by, s.opened_ms, s.closed_ms, s.outcome, s.topic, s.breaks, "
    "s.last_seq, s.last_event_ms";

namespace {

constexpr const char* kCommitmentColumns =
    "c.id, c.couple_id, c.session_id, c.seq, c.owner_side, c.text, c.check_in_date, c.made_ms, "
    "c.status, s.opened_by, s.topic";

}  // namespace

SessionRow ReadSessionRow(const sql::Stmt& stmt) {
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

std::string CommitmentQuery(const std::string& where, const std::string& order) {
  return std::string("SELECT ") + kCommitmentColumns +
         ", (c.check_in_date != '' AND c.check_in_date <= ?1 AND c.status NOT IN (1, 3)) AS due "
         "FROM commitments c JOIN sessions s ON s.id = c.session_id WHERE " +
         where + " ORDER BY " + order;
}

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
  if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  for (auto& c : out) {
    auto f = db.Prepare(
        "SELECT status, note, by_id, at_ms FROM follow_through WHERE commitment_id = ? "
        "ORDER BY id");
    f.Bind(1, c.id);
    while (f.Step()) {
      c.follow_through.push_back(FollowThroughRecord{static_cast<v1::FollowThroughStatus>(f.Int(0)),
                                                     f.Text(1), f.Int(2), f.Int(3)});
    }
    if (f.error_code() != SQLITE_DONE) return sql::Failed();
  }
  return out;
}

Result<std::vector<SessionRow>> SqliteHistory::ListSessions(int64_t couple_id, int64_t cursor,
                                                            bool newest_first, int limit) {
  auto db = pool_.Acquire();
  auto stmt = db->Prepare(std::string("SELECT ") + kSessionColumns +
                          " FROM sessions s WHERE s.couple_id = ? AND " +
                          // Two statements rather than "(?2 = 0 OR s.id < ?2)", which hides the
                          // range from the planner: each walks sessions_by_couple from the cursor.
                          (!newest_first ? "s.id > ?2 ORDER BY s.id"
                           : cursor == 0 ? "s.id > ?2 ORDER BY s.id DESC"
                                         : "s.id < ?2 ORDER BY s.id DESC") +
                          " LIMIT ?3");
  stmt.Bind(1, couple_id).Bind(2, cursor).Bind(3, static_cast<int64_t>(limit));
  std::vector<SessionRow> out;
  while (stmt.Step()) out.push_back(ReadSessionRow(stmt));
  if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  return out;
}

Result<std::vector<CommitmentRecord>> SqliteHistory::CommitmentsOf(
    const std::vector<int64_t>& session_ids, const std::string& today) {
  auto db = pool_.Acquire();
  std::vector<CommitmentRecord> out;
  for (int64_t id : session_ids) {
    auto stmt = db->Prepare(CommitmentQuery("c.session_id = ?2", "c.seq"));
    stmt.Bind(1, today).Bind(2, id);
    auto some = ReadCommitments(*db, stmt);
    if (!some.ok()) return some.error();
    for (auto& c : some.value()) out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<CommitmentRecord>> SqliteHistory::ListCommitments(int64_t couple_id,
                                                                     const std::string& today,
                                                                     bool open_only, int offset,
                                                                     int limit) {
  auto db = pool_.Acquire();
  // Two index walks instead of one sort of every commitment: the due ones by date
  // (commitments_open_by_date), then the others newest first (commitments_by_couple).
  const std::string due_where =
      "c.couple_id = ?2 AND c.check_in_date != '' AND c.status NOT IN (1, 3) AND "
      "c.check_in_date <= ?1";
  std::vector<CommitmentRecord> out;
  {
    auto stmt = db->Prepare(CommitmentQuery(due_where, "c.check_in_date, c.id LIMIT ?3 OFFSET ?4"));
    stmt.Bind(1, today)
        .Bind(2, couple_id)
        .Bind(3, static_cast<int64_t>(limit))
        .Bind(4, static_cast<int64_t>(offset));
    auto due = ReadCommitments(*db, stmt);
    if (!due.ok()) return due.error();
    out = std::move(due).value();
  }
  if (static_cast<int>(out.size()) >= limit) return out;
  int64_t due_count = 0;
  {
    auto stmt = db->Prepare("SELECT count(*) FROM commitments c WHERE " + due_where);
    stmt.Bind(1, today).Bind(2, couple_id);
    if (!stmt.Step()) return sql::Failed();
    due_count = stmt.Int(0);
  }
  auto stmt = db->Prepare(CommitmentQuery(
      std::string("c.couple_id = ?2 AND NOT (c.check_in_date != '' AND c.status NOT IN (1, 3) "
                  "AND c.check_in_date <= ?1)") +
          (open_only ? " AND c.status NOT IN (1, 3)" : ""),
      "c.id DESC LIMIT ?3 OFFSET ?4"));
  stmt.Bind(1, today)
      .Bind(2, couple_id)
      .Bind(3, static_cast<int64_t>(limit - static_cast<int>(out.size())))
      .Bind(4, std::max<int64_t>(0, offset - due_count));
  auto rest = ReadCommitments(*db, stmt);
  if (!rest.ok()) return rest.error();
  for (auto& c : rest.value()) out.push_back(std::move(c));
  return out;
}

}  // namespace mend::sqlite
