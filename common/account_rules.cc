#include "common/account_rules.h"

#include "common/utf8.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace mend::account_rules {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<std::string> NormalizeLogin(std::string_view login) {
  std::string out = Lower(login);
  if (out.size() < kLoginMin || out.size() > kLoginMax) {
    return MakeError(v1::INVALID_ARGUMENT, "a login name has 3 to 32 characters");
  }
  for (char c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return MakeError(v1::INVALID_ARGUMENT,
                       "a login name uses only letters a-z, digits, dot, dash and underscore");
    }
  }
  if (!std::isalnum(static_cast<unsigned char>(out.front()))) {
    return MakeError(v1::INVALID_ARGUMENT, "a login name starts with a letter or a digit");
  }
  return out;
}

Result<std::string> NormalizeDisplayName(std::string_view display_name) {
  size_t b = display_name.find_first_not_of(' ');
  size_t e = display_name.find_last_not_of(' ');
  std::string_view trimmed =
      b == std::string_view::npos ? std::string_view() : display_name.substr(b, e - b + 1);
  if (trimmed.empty()) return MakeError(v1::INVALID_ARGUMENT, "a display name cannot be empty");
  size_t count = 0;
  for (size_t i = 0; i < trimmed.size();) {
    int32_t cp = utf8::NextCodePoint(trimmed, i);
    if (cp < 0) return MakeError(v1::INVALID_ARGUMENT, "a display name must be valid UTF-8");
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      return MakeError(v1::INVALID_ARGUMENT, "a display name cannot contain control characters");
    }
    ++count;
  }
  if (count > kDisplayNameMax) {
    return MakeError(v1::INVALID_ARGUMENT, "a display name has at most 64 characters");
  }
  return std::string(trimmed);
}

Status CheckPassword(std::string_view password, std::string_view normalized_login) {
  if (password.empty()) return MakeError(v1::PASSWORD_EMPTY, "a password is required");
  if (password.size() > kPasswordMax) {
    return MakeError(v1::PASSWORD_WEAK, "a password has at most 1024 bytes");
  }
  // Characters, not bytes: seven accented letters are seven characters.
  std::vector<std::string_view> chars;
  for (size_t i = 0; i < password.size();) {
    size_t start = i;
    if (utf8::NextCodePoint(password, i) < 0) i = start + 1;  // a stray byte counts as one
    chars.push_back(password.substr(start, i - start));
  }
  if (chars.size() < kPasswordMin) {
    return MakeError(v1::PASSWORD_WEAK, "a password has at least 8 characters");
  }
  if (std::all_of(chars.begin(), chars.end(),
                  [&](std::string_view c) { return c == chars.front(); })) {
    return MakeError(v1::PASSWORD_WEAK, "a password cannot be one character repeated");
  }
  std::string lower = Lower(password);
  if (!normalized_login.empty() && lower.find(normalized_login) != std::string::npos) {
    return MakeError(v1::PASSWORD_WEAK, "a password cannot contain the login name");
  }
  static constexpr std::array<std::string_view, 12> kCommon = {
      "password",  "password1", "12345678", "123456789", "1234567890", "qwertyuiop",
      "qwerty123", "iloveyou",  "letmein1", "11111111",  "abcdefgh",   "abcd1234"};
  if (std::find(kCommon.begin(), kCommon.end(), lower) != kCommon.end()) {
    return MakeError(v1::PASSWORD_WEAK, "that password is too common; choose another");
  }
  return Status();
}

}  // namespace mend::account_rules
