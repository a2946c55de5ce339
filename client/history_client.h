// History, commitments and export, as calls on a Connection.
//
//   auto page = ListSessions(*conn);                 // the newest 10 sessions
//   auto next = ListSessions(*conn, 10, page.value().next_page_token());
//   auto all = ExportHistory(*conn);                 // every page, gathered
#ifndef MEND_CLIENT_HISTORY_CLIENT_H_
#define MEND_CLIENT_HISTORY_CLIENT_H_

#include <cstdint>
#include <string>

#include "client/connection.h"

namespace mend::client {

Result<v1::SessionPage> ListSessions(Connection& conn, uint32_t page_size = 0,
                                     const std::string& page_token = "");
Result<v1::CommitmentPage> ListCommitments(Connection& conn, const v1::ListCommitments& request);
Result<v1::Commitment> RecordFollowThrough(Connection& conn, int64_t commitment_id,
                                           v1::FollowThroughStatus status,
                                           const std::string& note = "");
// The couple's whole history: every export page, with the two partners' accounts.
Result<v1::HistoryExport> ExportHistory(Connection& conn);

// The proto3 JSON mapping of an export, and back (unknown fields are ignored on the way back).
std::string ExportToJson(const v1::HistoryExport& history);
Result<v1::HistoryExport> ExportFromJson(const std::string& json);

// Today's date where this program runs, YYYY-MM-DD (for ListCommitments.today).
std::string LocalToday();

}  // namespace mend::client

#endif  // MEND_CLIENT_HISTORY_CLIENT_H_
