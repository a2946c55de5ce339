// A whole session, scripted: check-in, two speaker-listener rounds (with a clarifying question
// and a "not quite" correction), the six-step repair (with one "say more") and the close.
//
// `mend demo` plays it with two concurrent clients, and the integration tests play it against a
// real server. Each partner runs PlaySide in its own thread; before each of its moves it waits
// until it has seen every event the steps before produced, as a person waits for their turn.
#ifndef MEND_CLIENT_DEMO_SCRIPT_H_
#define MEND_CLIENT_DEMO_SCRIPT_H_

#include <functional>
#include <string>
#include <vector>

#include "client/session_client.h"

namespace mend::client::demo {

struct Step {
  v1::Side side;
  v1::Move move;
  std::string label;  // what a person watching is told, e.g. "Sam reflects back"
};

// The conversation, after both partners joined. With `break_seconds` > 0, A calls a break of
// that length in the middle of the first round (after B's clarifying question); the server's
// timer ends it (a step of SIDE_UNSPECIFIED: nobody acts, everyone waits), both check in again
// and the round goes on where it stopped.
std::vector<Step> Script(uint32_t break_seconds = 0);

// The number of events `step` produces (the last rating and an early end also close).
int EventsOf(const Step& step, bool last);

// Plays `side`'s steps of `steps` (steps of SIDE_UNSPECIFIED are the server's: only waited for).
// `first_seq` is the session's seq when the script starts. Returns the first refusal or timeout as
// an error naming the step. `on_played` runs after each own step is accepted.
Status PlaySide(SessionClient& me, v1::Side side, const std::vector<Step>& steps,
                uint64_t first_seq, const std::function<void(size_t, const Step&)>& on_played,
                Duration step_timeout = Duration(15000));

// The seq the session reaches when `steps` have all been played from `first_seq`.
uint64_t FinalSeq(const std::vector<Step>& steps, uint64_t first_seq);

}  // namespace mend::client::demo

#endif  // MEND_CLIENT_DEMO_SCRIPT_H_
