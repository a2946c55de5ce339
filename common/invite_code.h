// Invite codes: what one partner reads out or sends to the other.
//
// Ten symbols of Crockford's base32 (50 bits), shown as two groups of five ("7KQ2M-X9D4R").
// Crockford's alphabet has no I, L, O or U, so a code survives being read aloud or typed on a
// phone: Normalize folds case, drops spaces and dashes, and maps I/L to 1 and O to 0.
#ifndef MEND_COMMON_INVITE_CODE_H_
#define MEND_COMMON_INVITE_CODE_H_

#include <optional>
#include <string>
#include <string_view>

namespace mend::invite_code {

inline constexpr int kSymbols = 10;

// A fresh random code in display form ("XXXXX-XXXXX").
std::string Generate();

// The canonical form of what a person typed (10 symbols, upper case, no separators), or nullopt
// if it cannot be a code (wrong length, a character outside the alphabet).
std::optional<std::string> Normalize(std::string_view typed);

}  // namespace mend::invite_code

#endif  // MEND_COMMON_INVITE_CODE_H_
