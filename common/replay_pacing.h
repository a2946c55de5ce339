// When each event of a replay is due, counted from the start of the replay.
//
// A replay keeps the rhythm of the session: the pause between two events is the pause between
// them as they happened, divided by the speed. Pure arithmetic, so the pacing is tested without a
// clock; the server's replayer adds the start time and the time spent paused.
#ifndef MEND_COMMON_REPLAY_PACING_H_
#define MEND_COMMON_REPLAY_PACING_H_

#include <optional>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace mend::replay {

constexpr double kMinSpeed = 0.1;
constexpr double kMaxSpeed = 10000;

// OK for 0 (as fast as possible) or a speed in [kMinSpeed, kMaxSpeed]; INVALID_ARGUMENT otherwise.
Status CheckSpeed(double speed);

// The offsets (ms from the start of the replay) at which the events that happened at `times` are
// due. The first is due at once. Speed 0 makes every offset 0. A pause longer than
// `max_pause_ms` after scaling is shortened to it, if `max_pause_ms` > 0. A time earlier than the
// one before it (a clock stepped back) counts as no pause.
// REQUIRES: CheckSpeed(speed) is OK.
std::vector<TimeMs> Offsets(const std::vector<TimeMs>& times, double speed, TimeMs max_pause_ms);

}  // namespace mend::replay

#endif  // MEND_COMMON_REPLAY_PACING_H_
