// What makes a login name, a display name and a password acceptable.
//
// Pure checks, shared by the server (which enforces them) and the client (which can warn before
// sending). Each failure is a typed Error whose message tells a person what to change.
#ifndef MEND_COMMON_ACCOUNT_RULES_H_
#define MEND_COMMON_ACCOUNT_RULES_H_

#include <string>
#include <string_view>

#include "common/result.h"

namespace mend::account_rules {

inline constexpr size_t kLoginMin = 3;
inline constexpr size_t kLoginMax = 32;
inline constexpr size_t kDisplayNameMax = 64;  // in characters (UTF-8 code points)
inline constexpr size_t kPasswordMin = 8;
inline constexpr size_t kPasswordMax = 1024;  // bytes; longer input is refused, not truncated

// Lower-cases `login` and checks it: 3-32 of a-z 0-9 . _ -, starting with a letter or digit.
// Returns the canonical login or INVALID_ARGUMENT.
Result<std::string> NormalizeLogin(std::string_view login);

// Trims surrounding spaces and checks: 1-64 characters of valid UTF-8, no control characters.
// Returns the display name to store or INVALID_ARGUMENT.
Result<std::string> NormalizeDisplayName(std::string_view display_name);

// PASSWORD_EMPTY for an empty password; PASSWORD_WEAK if it is shorter than 8 characters (code
// points), longer than 1024 bytes, one repeated character, contains the login name, or is a
// well-known password.
Status CheckPassword(std::string_view password, std::string_view normalized_login);

}  // namespace mend::account_rules

#endif  // MEND_COMMON_ACCOUNT_RULES_H_
