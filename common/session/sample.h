// A whole conversation decided by the rules, without a server or clients: for the benchmark and
// for tests that need realistic stored sessions.
#ifndef MEND_COMMON_SESSION_SAMPLE_H_
#define MEND_COMMON_SESSION_SAMPLE_H_

#include <string>
#include <vector>

#include "common/session/rules.h"

namespace mend::session {

struct Turn {
  Side side;
  v1::Move move;
};

// After both joined: check-ins, `rounds` speaker-listener rounds (A speaks first; rounds >= 2 so
// both are heard), the repair by A then B (A's plan has check-in date `plan_date`, B's none),
// reconnection and both ratings, which close the session as repaired. 25 + 5 * rounds turns,
// giving 27 + 5 * rounds events with the opening and the join.
std::vector<Turn> SampleConversation(int rounds, const std::string& plan_date = "2026-12-06");

// Opens session `session_id` by A with B, B joins, then decides `turns` in order; each event is
// `step_ms` after the one before. INTERNAL naming the turn if the rules refuse one.
Result<std::vector<v1::SessionEvent>> PlayTurns(int64_t session_id, const std::string& topic,
                                                const v1::Account& a, const v1::Account& b,
                                                TimeMs start_ms, TimeMs step_ms,
                                                const std::vector<Turn>& turns,
                                                const Config& config = {});

}  // namespace mend::session

#endif  // MEND_COMMON_SESSION_SAMPLE_H_
