// mend-server: the WebSocket server partners connect to.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "common/log.h"
#include "server/server.h"

namespace {

bool SplitHostPort(const std::string& listen, std::string& host, uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  return !host.empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mend-server: hosts live Mend sessions for couples"};
  std::string listen = "127.0.0.1:8080";
  mend::ServerOptions options;
  std::string log_level = "info";
  app.add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--db", options.db_path, "SQLite database file (created if missing)")
      ->capture_default_str();
  app.add_option("--allow-origin", options.allowed_origins,
                 "browser origin allowed to connect (repeatable), e.g. https://mend.example");
  app.add_option("--flooding-threshold", options.session.flooding_threshold,
                 "a check-in at or below this calm (0-10) is told a break is advised")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  int64_t break_min_seconds = options.session.break_min_ms / 1000;
  int64_t break_max_seconds = options.session.break_max_ms / 1000;
  app.add_option("--break-min-seconds", break_min_seconds, "the shortest break a partner may take")
      ->check(CLI::Range(int64_t{1}, int64_t{7 * 24 * 3600}))
      ->capture_default_str();
  app.add_option("--break-max-seconds", break_max_seconds,
                 "the longest break; a session nobody resumes within it is ended")
      ->check(CLI::Range(int64_t{1}, int64_t{7 * 24 * 3600}))
      ->capture_default_str();
  app.add_option("--threads", options.io_threads, "network threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--hash-threads", options.hash_threads,
                 "threads that hash passwords (register, login), at low priority")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--hash-queue", options.hash_queue,
                 "sign-ins that may wait for a hash; past it they are told BUSY")
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  using mend::log::Level;
  mend::log::SetLevel(log_level == "debug"   ? Level::kDebug
                      : log_level == "warn"  ? Level::kWarn
                      : log_level == "error" ? Level::kError
                      : log_level == "off"   ? Level::kOff
                                             : Level::kInfo);
  if (break_min_seconds > break_max_seconds) {
    std::cerr << "mend-server: --break-min-seconds is more than --break-max-seconds\n";
    return 2;
  }
  options.session.break_min_ms = break_min_seconds * 1000;
  options.session.break_max_ms = break_max_seconds * 1000;
  if (!SplitHostPort(listen, options.host, options.port)) {
    std::cerr << "mend-server: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n";
    return 2;
  }

  // Signals are taken synchronously by this thread; the server's threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = mend::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "mend-server: " << server.error().message << "\n";
    return 1;
  }
  std::cout << "listening on " << server.value()->host() << ":" << server.value()->port()
            << std::endl;
  MEND_LOG(kInfo) << "serving database " << options.db_path;

  int received = 0;
  sigwait(&stop_signals, &received);
  MEND_LOG(kInfo) << "signal " << received << ": stopping";
  server.value()->Stop();
  return 0;
}
