// A small leveled logger that writes one line per call to stderr.
//
// Privacy rule for every caller: log ids, counts and error codes, never message text, passwords,
// tokens or invite codes.
#ifndef MEND_COMMON_LOG_H_
#define MEND_COMMON_LOG_H_

#include <sstream>
#include <string>

namespace mend::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// Lines below `level` are dropped. Thread-safe.
void SetLevel(Level level);
bool Enabled(Level level);
// Writes "<utc time> <level> <line>" to stderr. Thread-safe.
void Write(Level level, const std::string& line);

}  // namespace mend::log

// Usage: MEND_LOG(kInfo) << "connection " << id << " closed";
#define MEND_LOG(level)                                 \
  if (!::mend::log::Enabled(::mend::log::Level::level)) \
    ;                                                   \
  else                                                  \
    ::mend::log::internal::Line(::mend::log::Level::level).stream()

namespace mend::log::internal {
class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  ~Line() { Write(level_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  Level level_;
  std::ostringstream stream_;
};
}  // namespace mend::log::internal

#endif  // MEND_COMMON_LOG_H_
