// Reads for history: a couple's sessions page by page and their commitments with follow-through.
// Follow-through is written through the Writer (writer.h).
//
// Thread-safe; reads never wait for the writer.
#ifndef MEND_SERVER_STORE_HISTORY_STORE_H_
#define MEND_SERVER_STORE_HISTORY_STORE_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "server/store/records.h"

namespace mend {

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  // The couple's sessions: newest first with id < cursor (cursor 0: from the newest), or oldest
  // first with id > cursor. At most `limit`.
  virtual Result<std::vector<SessionRow>> ListSessions(int64_t couple_id, int64_t cursor,
                                                       bool newest_first, int limit) = 0;
  // The commitments made in these sessions, by session then seq, with their follow-through.
  // `today` (YYYY-MM-DD) decides which are due.
  virtual Result<std::vector<CommitmentRecord>> CommitmentsOf(
      const std::vector<int64_t>& session_ids, const std::string& today) = 0;
  // The couple's commitments: due ones first (oldest check-in date first), then the others,
  // newest first; skipping `offset`, at most `limit`.
  virtual Result<std::vector<CommitmentRecord>> ListCommitments(int64_t couple_id,
                                                                const std::string& today,
                                                                bool open_only, int offset,
                                                                int limit) = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_STORE_HISTORY_STORE_H_
