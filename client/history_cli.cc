#include "client/history_cli.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "client/history_client.h"
#include "client/render.h"
#include "client/replay_client.h"

namespace mend::client {
namespace {

int Fail(const Error& e) {
  std::cerr << "mend: " << e.message << "\n";
  return 1;
}

}  // namespace

int RunHistory(Connection& conn, int page, int per_page, std::ostream& out) {
  if (page < 1 || per_page < 1 || per_page > 100) {
    std::cerr << "mend: --page starts at 1; --per-page is 1 to 100\n";
    return 2;
  }
  std::string token;
  Result<v1::SessionPage> result = MakeError(v1::INTERNAL, "no page");
  // Page tokens are cursors: walk to the page asked for.
  for (int i = 1; i <= page; ++i) {
    result = ListSessions(conn, static_cast<uint32_t>(per_page), token);
    if (!result.ok()) return Fail(result.error());
    token = result.value().next_page_token();
    if (i < page && token.empty()) {
      out << "There are only " << i << " page(s) of sessions.\n";
      return 0;
    }
  }
  const v1::SessionPage& p = result.value();
  if (p.sessions_size() == 0) {
    out << (page == 1 ? "No sessions yet. `mend session start TOPIC` opens one.\n"
                      : "No more sessions.\n");
    return 0;
  }
  for (const auto& s : p.sessions()) {
    for (const auto& line : render::SessionSummary(s)) out << line << "\n";
  }
  out << "\nReplay one: mend replay SESSION [--speed N]\n";
  if (!token.empty()) out << "Older sessions: mend history --page " << (page + 1) << "\n";
  return 0;
}

int RunReplay(Connection& conn, int64_t session_id, const ReplayOptions& options, std::istream& in,
              std::ostream& out) {
  ReplayClient replay(conn);
  std::mutex out_mu;
  replay.OnEvent([&](const session::State& before, const v1::SessionEvent& e) {
    std::lock_guard<std::mutex> lock(out_mu);
    out << "  [" << e.seq() << "] " << render::LocalTime(e.at_unix_ms()).substr(11) << "  "
        << render::Event(before, e) << "\n"
        << std::flush;
  });
  auto started = replay.Start(session_id, options.speed, options.max_pause_seconds);
  if (!started.ok()) return Fail(started.error());
  {
    std::lock_guard<std::mutex> lock(out_mu);
    out << "Replaying session " << session_id << ": " << started.value().total_events()
        << " events";
    if (options.speed == 0) {
      out << " at full speed";
    } else {
      out << " at x" << options.speed << ", about "
          << render::Duration(started.value().duration_ms());
    }
    out << ".\n";
    if (options.controls) out << "Type p + Enter to pause, r to resume, q to stop.\n";
    out << std::flush;
  }
  // Controls come from lines on `in` while the replay runs; poll so the reader can stop.
  std::atomic<bool> done{false};
  std::thread controls;
  if (options.controls) {
    controls = std::thread([&] {
      std::string line;
      while (!done) {
        pollfd fd{STDIN_FILENO, POLLIN, 0};
        if (poll(&fd, 1, 200) <= 0) continue;
        if (!std::getline(in, line)) return;
        Result<v1::ReplayStatus> r = MakeError(v1::INTERNAL, "");
        if (line == "p")
          r = replay.Pause();
        else if (line == "r")
          r = replay.Resume();
        else if (line == "q")
          r = replay.Stop();
        else
          continue;
        std::lock_guard<std::mutex> lock(out_mu);
        if (!r.ok()) {
          out << "  (" << r.error().message << ")\n" << std::flush;
        } else if (r.value().state() == v1::ReplayStatus::PAUSED) {
          out << "  -- paused; r to resume --\n" << std::flush;
        } else if (r.value().state() == v1::ReplayStatus::PLAYING) {
          out << "  -- playing --\n" << std::flush;
        }
      }
    });
  }
  // A paused replay may wait as long as the person likes.
  std::optional<v1::ReplayStatus> ended;
  while (!(ended = replay.WaitEnded(Duration(1000))) && conn.is_open()) {
  }
  done = true;
  if (controls.joinable()) controls.join();
  if (!ended) return Fail(MakeError(v1::UNAVAILABLE, "the connection closed during the replay"));
  if (Status s = replay.integrity(); !s.ok()) return Fail(s.error());
  session::State end = replay.state();
  out << "\n" << render::Where(end) << "\n";
  if (ended->state() == v1::ReplayStatus::STOPPED) {
    out << "Stopped after " << ended->sent() << " of " << ended->total() << " events.\n";
  } else {
    out << "Replayed all " << ended->total() << " events; " << end.commitments.size()
        << (end.commitments.size() == 1 ? " commitment" : " commitments") << " made.\n";
  }
  return 0;
}

int RunCommitments(Connection& conn, bool open_only, bool watch, std::ostream& out) {
  v1::ListCommitments request;
  request.set_today(LocalToday());
  request.set_open_only(open_only);
  request.set_page_size(100);
  int shown = 0, due = 0;
  do {
    auto page = ListCommitments(conn, request);
    if (!page.ok()) return Fail(page.error());
    for (const auto& c : page.value().commitments()) {
      out << render::Commitment(c) << "\n";
      ++shown;
      due += c.due();
    }
    request.set_page_token(page.value().next_page_token());
  } while (!request.page_token().empty());
  if (shown == 0) {
    out << (open_only ? "No open commitments.\n"
                      : "No commitments yet: they are the plans you make in repair.\n");
  } else {
    out << "\n"
        << due << " due for a check-in. Record one: mend follow-through ID "
        << "kept|not-yet|missed [NOTE]\n";
  }
  if (!watch) return 0;
  out << "Watching for your partner's check-ins (Ctrl-C to stop).\n" << std::flush;
  while (conn.is_open()) {
    auto push = conn.NextPush(Duration(60000));
    if (push && push->has_commitment_updated()) {
      out << "Update: " << render::Commitment(push->commitment_updated()) << "\n" << std::flush;
    }
  }
  return 0;
}

int RunFollowThrough(Connection& conn, int64_t commitment_id, const std::string& status,
                     const std::string& note, std::ostream& out) {
  v1::FollowThroughStatus s = v1::FOLLOW_THROUGH_UNSPECIFIED;
  if (status == "kept") s = v1::KEPT;
  if (status == "not-yet" || status == "not_yet") s = v1::NOT_YET;
  if (status == "missed") s = v1::MISSED;
  if (s == v1::FOLLOW_THROUGH_UNSPECIFIED) {
    std::cerr << "mend: say how it went: kept, not-yet or missed\n";
    return 2;
  }
  auto recorded = RecordFollowThrough(conn, commitment_id, s, note);
  if (!recorded.ok()) return Fail(recorded.error());
  out << "Recorded: " << render::Commitment(recorded.value()) << "\n"
      << "Your partner sees it now if they are connected.\n";
  return 0;
}

int RunExport(Connection& conn, const std::string& file, std::ostream& out) {
  auto history = ExportHistory(conn);
  if (!history.ok()) return Fail(history.error());
  std::string json = ExportToJson(history.value());
  size_t events = 0;
  for (const auto& s : history.value().sessions()) events += s.events_size();
  if (file.empty()) {
    out << json;
    return 0;
  }
  // What a couple said is private: only the owner of the file may read it.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(MakeError(v1::INTERNAL, "cannot write " + file));
  (void)::fchmod(fd, 0600);  // an older file may have been readable by others
  size_t written = 0;
  while (written < json.size()) {
    ssize_t n = ::write(fd, json.data() + written, json.size() - written);
    if (n <= 0) {
      ::close(fd);
      return Fail(MakeError(v1::INTERNAL, "writing " + file + " failed"));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Fail(MakeError(v1::INTERNAL, "writing " + file + " failed"));
  }
  out << "Exported " << history.value().sessions_size() << " sessions (" << events << " events) to "
      << file << " as JSON.\n";
  return 0;
}

}  // namespace mend::client
