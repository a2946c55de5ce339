#include "client/password_input.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace mend::client {

Result<std::string> ReadPassword(const std::string& prompt, bool from_stdin) {
  std::string line;
  if (from_stdin) {
    if (!std::getline(std::cin, line) && line.empty()) {
      return MakeError(v1::PASSWORD_EMPTY, "no password on standard input");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (!::isatty(STDIN_FILENO)) {
    return MakeError(v1::INVALID_ARGUMENT,
                     "no terminal to ask for a password; pass it with --password-stdin");
  }
  std::cerr << prompt << std::flush;
  termios old_mode{};
  ::tcgetattr(STDIN_FILENO, &old_mode);
  termios quiet = old_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
  std::cerr << "\n";
  return line;
}

}  // namespace mend::client
