// The mend-server process the load tool measures: started (pinned with taskset), watched through
// /proc, stopped with SIGTERM.
#ifndef MEND_BENCH_LOAD_SERVER_H_
#define MEND_BENCH_LOAD_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace mend::bench {

struct ServerOptions {
  std::string bin;      // the mend-server executable
  std::string db_path;  // --db
  int core = 0;         // taskset -c core; negative: not pinned
  int threads = 1;      // --threads
};

class ServerProcess {
 public:
  // Starts the server on 127.0.0.1:0 and waits, at most `timeout`, for its first stdout line
  // "listening on HOST:PORT". INTERNAL with what went wrong (and its exit status if it died).
  static Result<std::unique_ptr<ServerProcess>> Start(const ServerOptions& options,
                                                      std::chrono::seconds timeout);
  // Kills the server if it still runs: the tool never leaves one behind.
  ~ServerProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The read end of its stdout, to be drained (the server writes nothing more there today).
  int stdout_fd() const { return stdout_fd_; }
  // Readable once the process has exited (pidfd); -1 if the kernel has no pidfd.
  int exit_fd() const { return pidfd_; }

  // CPU time used so far, user + system, in seconds (/proc/PID/stat).
  double CpuSeconds() const;
  // The peak resident set so far, in MiB (VmHWM in /proc/PID/status); -1 if unreadable.
  double PeakRssMiB() const;

  void Terminate();  // SIGTERM
  void Kill();       // SIGKILL
  // Reaps the exited process (blocks if it has not exited): "exit 0", "signal 9", ...
  std::string Reap();

 private:
  ServerProcess() = default;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int pidfd_ = -1;
  uint16_t port_ = 0;
  bool reaped_ = false;
};

}  // namespace mend::bench

#endif  // MEND_BENCH_LOAD_SERVER_H_
