#include "common/replay_pacing.h"

#include <algorithm>
#include <cmath>

namespace mend::replay {

Status CheckSpeed(double speed) {
  if (speed == 0 || (std::isfinite(speed) && speed >= kMinSpeed && speed <= kMaxSpeed)) {
    return Status();
  }
  return MakeError(v1::INVALID_ARGUMENT,
                   "the speed is 0 (as fast as possible) or between 0.1 and 10000");
}

std::vector<TimeMs> Offsets(const std::vector<TimeMs>& times, double speed, TimeMs max_pause_ms) {
  std::vector<TimeMs> out(times.size(), 0);
  if (speed == 0) return out;
  for (size_t i = 1; i < times.size(); ++i) {
    TimeMs pause =
        std::llround(static_cast<double>(std::max<TimeMs>(0, times[i] - times[i - 1])) / speed);
    if (max_pause_ms > 0) pause = std::min(pause, max_pause_ms);
    out[i] = out[i - 1] + pause;
  }
  return out;
}

}  // namespace mend::replay
