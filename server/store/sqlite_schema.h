// The SQLite schema: its versions and the migrations between them (PRAGMA user_version).
#ifndef MEND_SERVER_STORE_SQLITE_SCHEMA_H_
#define MEND_SERVER_STORE_SQLITE_SCHEMA_H_

#include "common/result.h"
#include "server/store/sqlite.h"

namespace mend::sqlite {

// The schema version of `db`; -1 if it cannot be read.
int SchemaVersion(sql::Db& db);
// Migrates `db` to the newest version, one transaction per step. INTERNAL if the database was
// written by a newer Mend. REQUIRES: nobody else writes to the database meanwhile.
Status Migrate(sql::Db& db);

}  // namespace mend::sqlite

#endif  // MEND_SERVER_STORE_SQLITE_SCHEMA_H_
