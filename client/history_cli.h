// The `mend` commands about the past: history, replay, commitments, follow-through and export.
// Each prints to `out` and returns the process's exit code (0 ok, 1 an error said on stderr).
#ifndef MEND_CLIENT_HISTORY_CLI_H_
#define MEND_CLIENT_HISTORY_CLI_H_

#include <cstdint>
#include <iostream>
#include <string>

#include "client/connection.h"

namespace mend::client {

// Page `page` (1 = newest) of `per_page` sessions.
int RunHistory(Connection& conn, int page, int per_page, std::ostream& out);

struct ReplayOptions {
  double speed = 1;  // 0: as fast as possible
  uint32_t max_pause_seconds = 10;
  bool controls = false;  // read p / r / q lines from `in` to pause, resume, stop
};
// Shows a past session as it happened, event by event, and a summary at the end.
int RunReplay(Connection& conn, int64_t session_id, const ReplayOptions& options, std::istream& in,
              std::ostream& out);

// Due commitments first; with `watch`, then prints follow-through as the partner records it,
// until the connection closes.
int RunCommitments(Connection& conn, bool open_only, bool watch, std::ostream& out);
// `status` is kept, not-yet or missed.
int RunFollowThrough(Connection& conn, int64_t commitment_id, const std::string& status,
                     const std::string& note, std::ostream& out);

// Writes the couple's whole history as JSON to `file` (created 0600), or to `out` if empty.
int RunExport(Connection& conn, const std::string& file, std::ostream& out);

}  // namespace mend::client

#endif  // MEND_CLIENT_HISTORY_CLI_H_
