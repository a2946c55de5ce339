#include "bench/load_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "bench/load_stats.h"

extern char** environ;

namespace mend::bench {
namespace {

Error Failed(const std::string& what) { return MakeError(v1::INTERNAL, what); }

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Reads up to the first newline within `timeout`; empty if the pipe closed or time ran out.
std::string ReadFirstLine(int fd, std::chrono::seconds timeout, std::string& why) {
  auto deadline = Clock::now() + timeout;
  std::string line;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      why = "no \"listening on\" line within " + std::to_string(timeout.count()) + " s";
      return "";
    }
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::string("poll: ") + std::strerror(errno);
      return "";
    }
    if (n == 0) continue;
    char buf[256];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got <= 0) {
      why = "the server closed its output before saying where it listens";
      return "";
    }
    line.append(buf, static_cast<size_t>(got));
  }
  return line.substr(0, line.find('\n'));
}

// "listening on 127.0.0.1:43017" -> 43017; 0 if it does not say so.
uint16_t PortOf(const std::string& line) {
  const std::string prefix = "listening on ";
  auto colon = line.rfind(':');
  if (line.rfind(prefix, 0) != 0 || colon == std::string::npos) return 0;
  try {
    int port = std::stoi(line.substr(colon + 1));
    return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(const ServerOptions& options,
                                                            std::chrono::seconds timeout) {
  std::vector<std::string> args;
  if (options.core >= 0) args = {"taskset", "-c", std::to_string(options.core)};
  for (const std::string& a :
       {options.bin, std::string("--db"), options.db_path, std::string("--listen"),
        std::string("127.0.0.1:0"), std::string("--threads"), std::to_string(options.threads),
        std::string("--log-level"), std::string("warn")}) {
    args.push_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Failed(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  int rc = ::posix_spawnp(&server->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  server->stdout_fd_ = out[0];
  if (rc != 0) {
    server->pid_ = -1;
    return Failed("cannot start " + std::string(argv[0]) + ": " + std::strerror(rc));
  }
  server->pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, server->pid_, 0));

  std::string why;
  std::string line = ReadFirstLine(server->stdout_fd_, timeout, why);
  server->port_ = PortOf(line);
  if (server->port_ == 0) {
    if (why.empty()) why = "unexpected first line: " + line;
    server->Kill();
    return Failed("mend-server did not start (" + why + "; " + server->Reap() + ")");
  }
  return server;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !reaped_) {
    Kill();
    Reap();
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (pidfd_ >= 0) ::close(pidfd_);
}

double ServerProcess::CpuSeconds() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name in parentheses may hold spaces: fields are counted after its ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double ServerProcess::PeakRssMiB() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return -1;
}

void ServerProcess::Terminate() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGTERM);
}

void ServerProcess::Kill() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

std::string ServerProcess::Reap() {
  if (pid_ <= 0 || reaped_) return "not running";
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return std::string("waitpid: ") + std::strerror(errno);
  }
  reaped_ = true;
  return Describe(status);
}

}  // namespace mend::bench
