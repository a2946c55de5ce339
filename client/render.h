// Mend's words for a session: what happened (an event), where things stand (a state) and what a
// partner can do now. Used by the interactive session, the demo and, later, replay.
#ifndef MEND_CLIENT_RENDER_H_
#define MEND_CLIENT_RENDER_H_

#include <string>
#include <vector>

#include "common/session/rules.h"

namespace mend::client::render {

// "Sam" for side A, "Alex" for B, from the session's opening event.
std::string Name(const session::State& state, v1::Side side);

// One line: "Alex reflects: you worry when ..." (the state is the one before the event).
std::string Event(const session::State& before, const v1::SessionEvent& event);

// One line: "Talk - Sam has the floor; Alex listens."
std::string Where(const session::State& state);

// What `me` can do now, one line per move, with the command to type; or what they wait for.
std::vector<std::string> Guidance(const session::State& state, v1::Side me);

std::string PhaseName(v1::Phase phase);
std::string ReconnectionName(v1::Reconnection way);

}  // namespace mend::client::render

#endif  // MEND_CLIENT_RENDER_H_
