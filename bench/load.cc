// mend_load: load on a real mend-server, from many couples in live sessions at once.
//
// Seeds N couples through the store in-process (accounts, tokens, pairing, an open session in
// talk: no password hashing), measures the disk's own fsync latency where the database lives,
// starts the mend-server binary on that database (pinned to one core), connects both partners of
// every couple over loopback from one thread (asynchronous Beast clients), and has them take turns
// (statement, reflection, confirm, validation, pass floor, then the other speaks) at a total rate
// R, or as fast as they can (each couple's next move as soon as the partner has the last event).
// Prints one table: connect time, events delivered per second, partner-to-partner latency (the
// author's send to the partner's receipt of the event), the author's reply latency, the fsync
// latency beside them, the server's CPU and peak RSS, moves that fell behind schedule, errors.
//
// The `register` scenario adds 20 connections registering new accounts back to back while the
// couples take turns and ask who_am_i, and reports those requests' latency.
//
//   build/bin/mend_load --couples 100                        # as fast as they can, 10 s
//   build/bin/mend_load --couples 9968 --rate 2000           # 19,936 sockets, 2,000 moves/s
//   build/bin/mend_load --scenario register                  # 10 couples at 100 moves/s + flood
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "bench/load_driver.h"
#include "bench/load_seed.h"
#include "bench/load_server.h"
#include "bench/load_stats.h"
#include "common/crypto.h"
#include "common/log.h"

namespace mend::bench {
namespace {

struct Flags {
  std::string server_bin;
  std::string scenario = "moves";
  int couples = 100;
  double rate = 0;
  double seconds = 10;
  int server_core = 0;
  int client_core = 1;
  int threads = 1;
  std::string dir;
  bool keep = false;
};

std::string DefaultServerBin() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "mend-server" : (self.parent_path() / "mend-server").string();
}

// Every socket is a file on both ends: raise the soft limit as far as the hard one allows.
Status RaiseFileLimit(uint64_t needed) {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return MakeError(v1::INTERNAL, "getrlimit failed");
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < needed) {
    return MakeError(v1::INTERNAL, "the open-file limit is " + std::to_string(limit.rlim_cur) +
                                       ", this run needs about " + std::to_string(needed) +
                                       " (raise the hard limit: ulimit -Hn)");
  }
  return Status();
}

Status PinTo(int core) {
  if (core < 0) return Status();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    return MakeError(v1::INTERNAL, "cannot pin to core " + std::to_string(core));
  }
  return Status();
}

std::string CommandLine(int argc, char** argv) {
  std::string out = std::filesystem::path(argv[0]).filename().string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    out += " " + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  }
  return out;
}

std::string Fixed(double v, int decimals) { return v < 0 ? "-" : Format("%.*f", decimals, v); }

std::string PrintTable(const Flags& flags, LoadResult& r, FsyncResult& fsync) {
  bool flood = flags.scenario == "register";
  Table t;
  t.Value("scenario", flags.scenario);
  t.Value("couples", std::to_string(r.couples));
  t.Value("sockets joined", std::to_string(r.sockets));
  t.Value("connect time (s)", Fixed(r.connect_seconds, 2));
  t.Value("rate (moves/s)", flags.rate > 0 ? Fixed(flags.rate, 0) : "as fast as they can");
  t.Value("measured (s)", Fixed(r.measured_seconds, 2));
  t.Value("moves sent", std::to_string(r.moves_sent));
  t.Value("events delivered (/s)",
          Fixed(r.measured_seconds > 0 ? r.events_delivered / r.measured_seconds : 0, 0));
  t.Latency("partner-to-partner (ms)", r.partner_to_partner);
  t.Latency("author's reply (ms)", r.reply);
  t.Latency("fsync 4 KiB, " + fsync.file_system + " (ms)", fsync.latency);
  if (flood) {
    t.Latency("who_am_i reply (ms)", r.who_am_i);
    t.Latency("register reply (ms)", r.register_reply);
    t.Value("registering sockets", std::to_string(r.registrars));
    t.Value("registrations (/s)",
            std::to_string(r.registrations) + " (" +
                Fixed(r.measured_seconds > 0 ? r.registrations / r.measured_seconds : 0, 1) + ")");
    t.Value("BUSY replies", std::to_string(r.busy));
  }
  t.Value("server CPU (% of one core)", Fixed(r.measured_seconds > 0 && r.server_cpu_seconds >= 0
                                                  ? 100 * r.server_cpu_seconds / r.measured_seconds
                                                  : -1,
                                              0));
  t.Value("load tool CPU (% of one core)", Fixed(r.measured_seconds > 0 && r.own_cpu_seconds >= 0
                                                     ? 100 * r.own_cpu_seconds / r.measured_seconds
                                                     : -1,
                                                 0));
  t.Value("server peak RSS (MiB)", Fixed(r.peak_rss_mib, 1));
  t.Value("behind schedule", flags.rate > 0 ? std::to_string(r.behind) : "-");
  t.Value("errors", Describe(r.errors));
  t.Value("server stop (s)", Fixed(r.stop_seconds, 2) + " (" + r.server_exit + ")");
  return t.Render();
}

int Run(Flags flags, const std::string& command_line) {
  bool flood = flags.scenario == "register";
  LoadOptions options;
  options.register_flood = flood;
  options.rate = flags.rate;
  options.seconds = flags.seconds;
  options.deadline_seconds = flags.seconds + 120;
  uint64_t sockets = 2 * static_cast<uint64_t>(flags.couples) + (flood ? options.registrars : 0);
  if (Status s = RaiseFileLimit(sockets + 32); !s.ok()) {
    std::cerr << "mend_load: " << s.error().message << "\n";
    return 2;
  }
  if (Status s = CheckTurnCycle(); !s.ok()) {
    std::cerr << "mend_load: the rules refuse the turn cycle: " << s.error().message << "\n";
    return 1;
  }

  bool temporary = flags.dir.empty();
  if (temporary) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mend-load-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      std::cerr << "mend_load: cannot create a directory in " << tmpl << "\n";
      return 1;
    }
    flags.dir = tmpl;
  }
  std::filesystem::create_directories(flags.dir);
  std::string db_path = (std::filesystem::path(flags.dir) / "mend.db").string();
  auto cleanup = [&] {
    if (temporary && !flags.keep) std::filesystem::remove_all(flags.dir);
  };

  // The disk first, alone: what one commit costs at the least on this file system.
  FsyncResult fsync = MeasureFsync(flags.dir, 2000, 1.0);
  if (!fsync.error.empty()) std::cerr << "mend_load: fsync probe: " << fsync.error << "\n";

  auto seeded = SeedCouples(db_path, flags.couples, "load-" + crypto::NewToken().substr(0, 6));
  if (!seeded.ok()) {
    std::cerr << "mend_load: seeding failed: " << seeded.error().message << "\n";
    cleanup();
    return 1;
  }
  std::cerr << "seeded " << flags.couples << " couples in " << db_path << " in "
            << Format("%.1f", seeded.value().seconds) << " s (" << seeded.value().group_commits
            << " group commits)\n";

  ServerOptions server_options{flags.server_bin, db_path, flags.server_core, flags.threads};
  auto server = ServerProcess::Start(server_options, std::chrono::seconds(120));
  if (!server.ok()) {
    std::cerr << "mend_load: " << server.error().message << "\n";
    cleanup();
    return 1;
  }
  std::cerr << "mend-server pid " << server.value()->pid()
            << " on 127.0.0.1:" << server.value()->port() << "\n";
  // After the server started, which would otherwise inherit this mask.
  if (Status s = PinTo(flags.client_core); !s.ok()) {
    std::cerr << "mend_load: " << s.error().message << "\n";
    cleanup();
    return 1;
  }

  LoadResult result = RunLoad(options, seeded.value().couples, *server.value());
  std::cout << "$ " << command_line << "\n" << PrintTable(flags, result, fsync) << std::flush;
  if (!result.aborted.empty()) std::cout << "run ended early: " << result.aborted << "\n";
  if (!temporary || flags.keep) std::cout << "database kept in " << flags.dir << "\n";
  server.value().reset();
  cleanup();
  return result.aborted.empty() && Total(result.errors) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace mend::bench

int main(int argc, char** argv) {
  mend::bench::Flags flags;
  flags.server_bin = mend::bench::DefaultServerBin();
  CLI::App app{"mend_load: many couples taking turns in live sessions on a real mend-server"};
  // scripts/bench passes its own arguments after each scenario's: the last one given wins.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--server-bin", flags.server_bin, "the mend-server executable")
      ->capture_default_str();
  app.add_option("--scenario", flags.scenario,
                 "moves: couples take turns; register: also 20 connections registering")
      ->check(CLI::IsMember({"moves", "register"}))
      ->capture_default_str();
  auto* couples = app.add_option("--couples", flags.couples, "couples (default 100; register: 10)")
                      ->check(CLI::Range(1, 1000000));
  auto* rate = app.add_option("--rate", flags.rate,
                              "total moves/s; 0: as fast as they can (default 0; register: 100)")
                   ->check(CLI::NonNegativeNumber);
  app.add_option("--seconds", flags.seconds, "measured seconds, after a 1 s warm-up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--server-core", flags.server_core, "core the server runs on (taskset); -1: any")
      ->capture_default_str();
  app.add_option("--client-core", flags.client_core, "core this tool runs on; -1: any")
      ->capture_default_str();
  app.add_option("--threads", flags.threads, "the server's --threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--dir", flags.dir, "directory for the database (default: a fresh temporary one)");
  app.add_flag("--keep", flags.keep, "keep the temporary database directory");
  CLI11_PARSE(app, argc, argv);
  if (flags.scenario == "register") {
    if (couples->count() == 0) flags.couples = 10;
    if (rate->count() == 0) flags.rate = 100;
  }
  if (!mend::crypto::Init()) return 1;
  mend::log::SetLevel(mend::log::Level::kWarn);
  return mend::bench::Run(flags, mend::bench::CommandLine(argc, argv));
}
