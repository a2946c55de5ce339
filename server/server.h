// mend-server as a library: binds, opens the store, serves until stopped.
//
// Tests start it in-process on port 0 with a ManualClock; main.cc starts it from flags.
//
//   auto server = Server::Start(options);
//   if (!server.ok()) die(server.error().message);
//   std::cout << "listening on " << server.value()->host() << ":" << server.value()->port();
//   ...
//   server.value()->Stop();
#ifndef MEND_SERVER_SERVER_H_
#define MEND_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/session/rules.h"
#include "server/api/api.h"

namespace mend {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  std::string db_path = "mend-data/mend.db";
  int io_threads = 2;
  // Password hashing runs on threads of its own, with a bounded queue: past it, BUSY.
  int hash_threads = 2;
  size_t hash_queue = 16;
  // Browser origins allowed to open a WebSocket ("https://mend.example"); clients that send no
  // Origin header (the mend program, tests) are always allowed.
  std::vector<std::string> allowed_origins;
  // nullptr means the system clock. REQUIRES: outlives the server.
  const Clock* clock = nullptr;
  ApiOptions api;
  session::Config session;
};

class Server {
 public:
  // Opens the database (creating its directory), binds, and starts serving on background
  // threads. INTERNAL with a readable message if the database or the address is unusable.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);

  virtual ~Server() = default;
  virtual std::string host() const = 0;
  virtual uint16_t port() const = 0;
  // Stops accepting, closes every connection (1001 going away), finishes handled messages and
  // joins all threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_SERVER_H_
