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

void ToProto(const Error& error, v1::Error* out) {
  out->set_code(error.code);
  out->set_message(error.message);
  out->set_retry_after_seconds(error.retry_after_seconds);
  out->set_current_seq(error.current_seq);
  for (v1::Side side : error.may_act) out->add_may_act(side);
  for (const std::string& e : error.expected) out->add_expected(e);
  out->set_session_id(error.session_id);
  out->set_break_ends_at_unix_ms(error.break_ends_at_unix_ms);
}

Error FromProto(const v1::Error& error) {
  Error out = MakeError(error.code(), error.message());
  out.retry_after_seconds = error.retry_after_seconds();
  out.current_seq = error.current_seq();
  for (int side : error.may_act()) out.may_act.push_back(static_cast<v1::Side>(side));
  out.expected.assign(error.expected().begin(), error.expected().end());
  out.session_id = error.session_id();
  out.break_ends_at_unix_ms = error.break_ends_at_unix_ms();
  return out;
}

}  // namespace mend
