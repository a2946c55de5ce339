// UTF-8 helpers for the limits Mend puts on what people type: limits count characters (code
// points), not bytes, so a name or a sentence in any script gets the same room.
#ifndef MEND_COMMON_UTF8_H_
#define MEND_COMMON_UTF8_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace mend::utf8 {

// Decodes the code point starting at s[i] and advances i past it. Returns -1 (and leaves i)
// for an invalid, overlong or truncated sequence, or a surrogate.
// REQUIRES: i < s.size().
int32_t NextCodePoint(std::string_view s, size_t& i);

// The number of code points in `s`, or nullopt if it is not valid UTF-8.
std::optional<size_t> CountCodePoints(std::string_view s);

// `s` without the spaces, tabs and newlines around it.
std::string_view Trim(std::string_view s);

}  // namespace mend::utf8

#endif  // MEND_COMMON_UTF8_H_
