// Time as an input.
//
// The rules and the timers read time through a Clock so that tests move time forward instead of
// sleeping: a ManualClock in tests, the SystemClock in the server.
#ifndef MEND_COMMON_CLOCK_H_
#define MEND_COMMON_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mend {

// Wall-clock time in whole milliseconds since the Unix epoch.
using TimeMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  virtual TimeMs NowMs() const = 0;
  // The longest a timer should wait before looking at this clock again: a timer waits in real
  // time, but this clock may move otherwise (a test moves a ManualClock; NTP steps the system's).
  virtual TimeMs MaxTimerWaitMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  TimeMs MaxTimerWaitMs() const override { return 60'000; }
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  TimeMs NowMs() const override { return now_ms_.load(); }
  void Advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  // A moved clock is noticed within a quarter of a second of real time.
  TimeMs MaxTimerWaitMs() const override { return 250; }

 private:
  std::atomic<TimeMs> now_ms_;
};

}  // namespace mend

#endif  // MEND_COMMON_CLOCK_H_
