// Calendar days as Mend writes them: YYYY-MM-DD (check-in dates of commitments, "today").
#ifndef MEND_COMMON_DATES_H_
#define MEND_COMMON_DATES_H_

#include <string>

#include "common/clock.h"

namespace mend::dates {

// True if `s` is a real calendar day written YYYY-MM-DD.
bool IsDate(const std::string& s);

// The UTC calendar day of `ms` (milliseconds since the epoch).
std::string UtcDate(TimeMs ms);

}  // namespace mend::dates

#endif  // MEND_COMMON_DATES_H_
