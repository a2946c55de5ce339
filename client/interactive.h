// `mend session start` / `mend session join`: a live session in the terminal. It always shows
// the phase, who has the floor and what this partner can do now, and prints the partner's moves
// as they arrive. Reads one command per line, so a script can drive it as well as a person.
#ifndef MEND_CLIENT_INTERACTIVE_H_
#define MEND_CLIENT_INTERACTIVE_H_

#include <iostream>
#include <string>

#include "client/connection.h"

namespace mend::client {

// Opens a session about `topic` (if not empty) or joins the couple's open one, then runs until
// the session closes (0), the person quits (0), input ends (0) or the connection fails (1).
int RunInteractiveSession(Connection& conn, const std::string& topic, std::istream& in,
                          std::ostream& out);

}  // namespace mend::client

#endif  // MEND_CLIENT_INTERACTIVE_H_
