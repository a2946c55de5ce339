// The real mend-server binary as a child process, for tests that must kill it (SIGKILL).
#ifndef MEND_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define MEND_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace mend::testing {

class ServerProcess {
 public:
  // Starts `binary --listen 127.0.0.1:0 --db db_path extra...` and waits for its first line,
  // "listening on HOST:PORT". Fails the test if it does not come.
  ServerProcess(const std::string& binary, const std::string& db_path,
                const std::vector<std::string>& extra = {});
  ~ServerProcess();  // SIGTERM and wait, if still running

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // SIGKILL: no shutdown, no flush, nothing.
  void Kill();
  // SIGTERM and wait; the exit status.
  int Terminate();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace mend::testing

#endif  // MEND_TESTS_INTEGRATION_SERVER_PROCESS_H_
