#include "server/store/sqlite_session_log.h"

#include <sqlite3.h>

#include "server/store/sqlite_history.h"

namespace mend::sqlite {

Result<std::vector<SessionRow>> SqliteSessionLog::OpenSessions() {
  auto db = pool_.Acquire();
  auto stmt = db->Prepare(std::string("SELECT ") + kSessionColumns +
                          " FROM sessions s WHERE s.closed_ms IS NULL ORDER BY s.id");
  std::vector<SessionRow> out;
  while (stmt.Step()) out.push_back(ReadSessionRow(stmt));
  if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  return out;
}

Result<SessionRow> SqliteSessionLog::FindSession(int64_t session_id) {
  auto db = pool_.Acquire();
  auto stmt =
      db->Prepare(std::string("SELECT ") + kSessionColumns + " FROM sessions s WHERE s.id = ?");
  stmt.Bind(1, session_id);
  if (!stmt.Step()) {
    if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
    return MakeError(v1::NOT_FOUND, "there is no such session");
  }
  return ReadSessionRow(stmt);
}

Result<std::vector<v1::SessionEvent>> SqliteSessionLog::LoadEvents(int64_t session_id,
                                                                   uint64_t after_seq) {
  auto db = pool_.Acquire();
  auto stmt =
      db->Prepare("SELECT payload FROM events WHERE session_id = ? AND seq > ? ORDER BY seq");
  stmt.Bind(1, session_id).Bind(2, static_cast<int64_t>(after_seq));
  std::vector<v1::SessionEvent> out;
  while (stmt.Step()) {
    v1::SessionEvent e;
    if (!e.ParseFromString(stmt.Text(0))) {
      return MakeError(v1::INTERNAL, "a stored event does not parse");
    }
    out.push_back(std::move(e));
  }
  if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  return out;
}

Result<std::vector<CommandRecord>> SqliteSessionLog::LoadCommands(int64_t session_id) {
  auto db = pool_.Acquire();
  auto stmt = db->Prepare(
      "SELECT command_by, command_id, seq, command_last_seq FROM events "
      "WHERE session_id = ? AND command_id IS NOT NULL ORDER BY seq");
  stmt.Bind(1, session_id);
  std::vector<CommandRecord> out;
  while (stmt.Step()) {
    out.push_back(CommandRecord{stmt.Int(0), stmt.Text(1), static_cast<uint64_t>(stmt.Int(2)),
                                static_cast<uint64_t>(stmt.Int(3))});
  }
  if (stmt.error_code() != SQLITE_DONE) return sql::Failed();
  return out;
}

}  // namespace mend::sqlite
