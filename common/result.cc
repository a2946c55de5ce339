#include "common/result.h"

#include <algorithm>
#include <cctype>

namespace mend {

std::string ErrorCodeName(ErrorCode code) {
  std::string name = v1::ErrorCode_Name(code);
  if (name.empty()) return "error_" + std::to_string(static_cast<int>(code));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace mend
