#include "common/invite_code.h"

#include "common/crypto.h"

namespace mend::invite_code {
namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}  // namespace

std::string Generate() {
  std::string code;
  for (int i = 0; i < kSymbols; ++i) {
    if (i == kSymbols / 2) code += '-';
    code += kAlphabet[crypto::RandomBelow(static_cast<uint32_t>(kAlphabet.size()))];
  }
  return code;
}

std::optional<std::string> Normalize(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ' || c == '\t') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out += c;
    if (out.size() > kSymbols) return std::nullopt;
  }
  if (out.size() != kSymbols) return std::nullopt;
  return out;
}

}  // namespace mend::invite_code
