// Reading a password: from the terminal without echo, or one line of standard input.
#ifndef MEND_CLIENT_PASSWORD_INPUT_H_
#define MEND_CLIENT_PASSWORD_INPUT_H_

#include <string>

#include "common/result.h"

namespace mend::client {

// From stdin (first line, without its newline) if `from_stdin`; otherwise prompts on the
// terminal with echo off. INVALID_ARGUMENT if there is no terminal and not `from_stdin`.
Result<std::string> ReadPassword(const std::string& prompt, bool from_stdin);

}  // namespace mend::client

#endif  // MEND_CLIENT_PASSWORD_INPUT_H_
