// A whole session played through a real server by two real clients, for tests that need one to
// look back at (history, replay, export).
#ifndef MEND_TESTS_INTEGRATION_SCRIPTED_SESSION_H_
#define MEND_TESTS_INTEGRATION_SCRIPTED_SESSION_H_

#include <string>
#include <vector>

#include "client/demo_script.h"
#include "tests/integration/test_server.h"

namespace mend::testing {

// A session played from its opening to its close, as side A saw it live.
struct Played {
  int64_t session_id = 0;
  std::vector<v1::SessionEvent> events;
  session::State state;
  std::vector<client::demo::Step> steps;
};

// A opens `topic`, B joins, and both play the demo script from their own threads to its close
// (repaired, two commitments). With `break_seconds`, A's break in the first round is ended by the
// server's timer once this moves the clock. Failures are reported as test failures.
Played PlayScript(TestServer& server, client::Connection& a, client::Connection& b,
                  const std::string& topic, uint32_t break_seconds = 0);

}  // namespace mend::testing

#endif  // MEND_TESTS_INTEGRATION_SCRIPTED_SESSION_H_
