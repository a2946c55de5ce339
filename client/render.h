// Mend's words for a session: what happened (an event), where things stand (a state) and what a
// partner can do now. Used by the interactive session, the demo, history and replay.
#ifndef MEND_CLIENT_RENDER_H_
#define MEND_CLIENT_RENDER_H_

#include <cstdint>
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
// "repaired", "ended early", "not resumed"; "still open" for a session not closed.
std::string OutcomeName(v1::Outcome outcome);
// "kept", "not yet", "missed"; "no check-in yet" before any.
std::string FollowThroughName(v1::FollowThroughStatus status);
// A moment in local time, "2026-11-28 14:05".
std::string LocalTime(int64_t unix_ms);
// "1 h 05 min", "12 min", "40 s".
std::string Duration(int64_t ms);
// History: a session in two or more lines (date, topic, duration, outcome, breaks, commitments).
std::vector<std::string> SessionSummary(const v1::SessionSummary& session);
// One commitment: "#12 Alex: I'll text when plans change (check in 2026-12-24) - kept".
std::string Commitment(const v1::Commitment& commitment);
std::string ReconnectionName(v1::Reconnection way);

}  // namespace mend::client::render

#endif  // MEND_CLIENT_RENDER_H_
