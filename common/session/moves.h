// Builders for the moves of a session (v1::Move), for clients, tools and tests.
//
//   Act(moves::Statement("anxious", "you don't text back", "I worry", "a check-in"));
#ifndef MEND_COMMON_SESSION_MOVES_H_
#define MEND_COMMON_SESSION_MOVES_H_

#include <cstdint>
#include <string>

#include "mend/v1/mend.pb.h"

namespace mend::session {

namespace moves {
v1::Move CheckIn(uint32_t calm, const std::string& feeling = "");
v1::Move Statement(const std::string& feeling, const std::string& situation,
                   const std::string& reason, const std::string& need);
v1::Move Question(const std::string& text);
v1::Move Answer(const std::string& text);
v1::Move Reflection(const std::string& text);
v1::Move Confirm();
v1::Move Correction(const std::string& text);
v1::Move Validation(const std::string& text);
v1::Move PassFloor();
v1::Move ProposeRepair();
v1::Move AnswerRepair(bool agree);
v1::Move RepairStep(v1::RepairStep step, const std::string& text,
                    const std::string& check_in_date = "");
v1::Move AcceptStep();
v1::Move AskMore(const std::string& text);
v1::Move Reconnect(v1::Reconnection way, const std::string& note = "");
v1::Move Rate(uint32_t feel);
v1::Move End(const std::string& reason = "");
// seconds 0: the server's default (20 minutes).
v1::Move TakeBreak(uint32_t seconds = 0, const std::string& note = "");
v1::Move Ready();
v1::Move MoreTime(uint32_t seconds = 0);
}  // namespace moves

}  // namespace mend::session

#endif  // MEND_COMMON_SESSION_MOVES_H_
