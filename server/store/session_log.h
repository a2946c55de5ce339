// Reads of the session log: open sessions (recovery), one session's row, its events and the
// command ids of its moves. Events are written through the Writer (writer.h).
//
// Thread-safe; reads never wait for the writer.
#ifndef MEND_SERVER_STORE_SESSION_LOG_H_
#define MEND_SERVER_STORE_SESSION_LOG_H_

#include <vector>

#include "common/result.h"
#include "server/store/records.h"

namespace mend {

class SessionLog {
 public:
  virtual ~SessionLog() = default;
  virtual Result<std::vector<SessionRow>> OpenSessions() = 0;
  // NOT_FOUND if there is no such session.
  virtual Result<SessionRow> FindSession(int64_t session_id) = 0;
  // The events with seq > after_seq, in order.
  virtual Result<std::vector<v1::SessionEvent>> LoadEvents(int64_t session_id,
                                                           uint64_t after_seq) = 0;
  virtual Result<std::vector<CommandRecord>> LoadCommands(int64_t session_id) = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_STORE_SESSION_LOG_H_
