// `mend demo`: two fresh partners, paired, play one complete session as two concurrent clients.
#ifndef MEND_CLIENT_DEMO_H_
#define MEND_CLIENT_DEMO_H_

#include <iostream>
#include <string>

namespace mend::client {

// 0 only if every step was accepted and both partners received the same event sequence;
// otherwise 1, after saying which step failed.
// With `break_seconds` > 0 the session includes a break of that length (the server must allow
// it: --break-min-seconds) and the demo checks that it resumed where it stopped.
int RunDemo(const std::string& server, uint32_t break_seconds, std::ostream& out);

}  // namespace mend::client

#endif  // MEND_CLIENT_DEMO_H_
