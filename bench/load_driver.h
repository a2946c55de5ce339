// The client side of the load tool: connects both partners of every seeded couple, has them take
// turns in talk, optionally floods registrations, measures, and stops the server at the end.
#ifndef MEND_BENCH_LOAD_DRIVER_H_
#define MEND_BENCH_LOAD_DRIVER_H_

#include <string>
#include <vector>

#include "bench/load_seed.h"
#include "bench/load_server.h"
#include "bench/load_stats.h"

namespace mend::bench {

struct LoadOptions {
  bool register_flood = false;  // the `register` scenario
  double rate = 0;              // total moves/s; 0: closed loop, as fast as they can
  double warmup_seconds = 1;    // load before the window, not measured
  double seconds = 10;          // the measured window
  int connects_in_flight = 200;
  int registrars = 20;             // register scenario: connections registering continuously
  double who_am_i_per_couple = 1;  // register scenario: who_am_i per couple per second
  double drain_seconds = 10;       // after the window, for the last moves' events
  double deadline_seconds = 130;   // everything after the server started, stop included
};

struct LoadResult {
  int couples = 0;
  int sockets = 0;  // partners connected, authenticated and joined
  double connect_seconds = 0;
  double measured_seconds = 0;
  uint64_t moves_sent = 0;        // in the window
  uint64_t events_delivered = 0;  // partners' receipts in the window
  uint64_t behind = 0;            // open loop: slots whose couple was still waiting
  Samples partner_to_partner;     // author's send -> the partner reads the event
  Samples reply;                  // author's send -> Reply.accepted
  Samples who_am_i;
  Samples register_reply;
  int registrars = 0;              // registering connections open
  uint64_t registrations = 0;      // completed in the window
  uint64_t busy = 0;               // BUSY replies in the window
  Counts errors;                   // by error code name, closes, connect failures
  double server_cpu_seconds = -1;  // over the window
  double own_cpu_seconds = -1;     // this tool's, over the window
  double peak_rss_mib = -1;
  double stop_seconds = -1;  // SIGTERM -> exited
  std::string server_exit;
  std::string aborted;  // why the run ended early, if it did
};

// Verifies with the rules that every move of the turn cycle is accepted from the seeded state and
// produces exactly one event (the tool matches one event per move).
Status CheckTurnCycle();

// Runs the client side on the calling thread (one io_context) until it is done or the deadline
// passes, then stops `server` with SIGTERM and waits for it.
LoadResult RunLoad(const LoadOptions& options, const std::vector<SeededCouple>& couples,
                   ServerProcess& server);

}  // namespace mend::bench

#endif  // MEND_BENCH_LOAD_DRIVER_H_
