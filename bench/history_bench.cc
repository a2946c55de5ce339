// History at scale: fills a database with many couples' worth of sessions for one couple, starts
// a real mend-server on it and measures, over loopback with the real client library, how long
// listing the history and the commitments takes and how long a full-speed replay of a long
// session takes.
//
//   build/bin/mend_history_bench                      # 10,000 sessions of ~100 events
//   build/bin/mend_history_bench --sessions 1000 --reps 50
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "client/connection.h"
#include "client/history_client.h"
#include "client/replay_client.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/session/rules.h"
#include "common/session/sample.h"
#include "server/server.h"
#include "server/store/session_record.h"
#include "server/store/store.h"
#include "server/store/write_and_wait.h"

namespace mend {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A whole session decided by the rules (common/session/sample.h): 27 + 5 * rounds events, 20 s
// apart, two commitments (A's dated 2026-12-06).
std::vector<v1::SessionEvent> PlaySession(int rounds, const v1::Account& a, const v1::Account& b) {
  auto log = session::PlayTurns(0, "money", a, b, 0, 20000, session::SampleConversation(rounds));
  if (!log.ok()) {
    std::cerr << "bench script refused: " << log.error().message << "\n";
    std::exit(1);
  }
  return std::move(log).value();
}

// Writes a session through the store's writer, as the live server does (one write per session).
void WriteSession(Writer& writer, int64_t couple, int64_t opened_by,
                  std::shared_ptr<std::vector<v1::SessionEvent>> events,
                  std::function<void(Status)> done) {
  writer.Write(
      [=](WriteTx& tx) -> Status {
        auto id = tx.InsertSession(couple, opened_by, events->front().at_unix_ms());
        if (!id.ok()) return id.status();
        session::State state;
        for (auto& e : *events) {
          e.set_session_id(id.value());
          if (Status s = tx.InsertEvent(e); !s.ok()) return s;
          session::Apply(state, e);
        }
        const auto& last = events->back();
        if (Status s = RecordFold(tx, couple, state, 0, last.at_unix_ms()); !s.ok()) return s;
        return tx.CloseSession(id.value(), last.closed().outcome(), last.at_unix_ms());
      },
      std::move(done));
}

struct Stats {
  double p50, p95, p99, max;
};
Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {at(0.50), at(0.95), at(0.99), v.back()};
}
void Print(const std::string& what, const Stats& s) {
  std::printf("%-44s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", what.c_str(), s.p50,
              s.p95, s.p99, s.max);
}

int Run(int sessions, int rounds, int long_rounds, int reps, std::string db_path) {
  bool temporary = db_path.empty();
  if (temporary) {
    auto dir =
        std::filesystem::temp_directory_path() / ("mend-bench-" + crypto::NewToken().substr(0, 8));
    std::filesystem::create_directories(dir);
    db_path = (dir / "mend.db").string();
  }
  const std::string password = "bench-" + crypto::NewToken();
  v1::Account a, b;
  int64_t couple_id = 0, sam_id = 0;
  {
    auto store = OpenSqliteStore(db_path);
    if (!store.ok()) {
      std::cerr << store.error().message << "\n";
      return 1;
    }
    Store& s = *store.value();
    auto hash = crypto::HashPassword(password, crypto::HashCost::kInteractive).value();
    Writer& writer = s.writer();
    auto sam = WriteAndWait(writer, [&](WriteTx& tx) {
                 return tx.CreateAccount("bench-sam", "Sam", hash, 0);
               }).value();
    auto alex = WriteAndWait(writer, [&](WriteTx& tx) {
                  return tx.CreateAccount("bench-alex", "Alex", hash, 0);
                }).value();
    std::string digest = crypto::Digest("bench-invite");
    (void)WriteAndWait(
        writer, [&](WriteTx& tx) { return tx.CreateInvite(digest, sam.id, 0, INT64_MAX / 2); });
    couple_id =
        WriteAndWait(writer, [&](WriteTx& tx) { return tx.AcceptInvite(digest, alex.id, 1); })
            .value()
            .id;
    sam_id = sam.id;
    a.set_login("bench-sam");
    a.set_display_name("Sam");
    b.set_login("bench-alex");
    b.set_display_name("Alex");

    auto normal = PlaySession(rounds, a, b);
    auto longer = PlaySession(long_rounds, a, b);
    std::printf("filling %s: %d sessions of %zu events, one of %zu events\n", db_path.c_str(),
                sessions, normal.size(), longer.size());
    std::mutex mu;
    std::condition_variable cv;
    int pending = sessions, failed = 0;
    auto start = Clock::now();
    TimeMs day = 24LL * 3600 * 1000;
    TimeMs first = 1700000000000;
    for (int i = 0; i < sessions; ++i) {
      // The long session sits in the middle of the history.
      const auto& tmpl = i == sessions / 2 ? longer : normal;
      auto events = std::make_shared<std::vector<v1::SessionEvent>>(tmpl);
      TimeMs shift = first + i * day / 4;
      for (auto& e : *events) e.set_at_unix_ms(e.at_unix_ms() + shift);
      WriteSession(writer, couple_id, sam_id, events, [&](Status st) {
        std::lock_guard<std::mutex> lock(mu);
        if (!st.ok()) ++failed;
        if (--pending == 0) cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
    auto [groups, writes] = writer.Stats();
    std::printf("filled in %.1f s (%llu writes in %llu group commits), %d failed\n",
                Ms(Clock::now() - start) / 1000, static_cast<unsigned long long>(writes),
                static_cast<unsigned long long>(groups), failed);
    if (failed) return 1;
  }
  std::printf("database: %.1f MB\n",
              static_cast<double>(std::filesystem::file_size(db_path)) / (1024 * 1024));

  ServerOptions options;
  options.port = 0;
  options.db_path = db_path;
  auto server = Server::Start(options);
  if (!server.ok()) {
    std::cerr << server.error().message << "\n";
    return 1;
  }
  std::string url = "ws://127.0.0.1:" + std::to_string(server.value()->port());
  auto conn = client::Connection::Open(url).value();
  if (!conn->Login("bench-alex", password).ok()) return 1;

  // The newest page, a page deep in the history, the commitments.
  std::vector<double> first_page, deep_page, commitments, due_commitments;
  auto newest = client::ListSessions(*conn, 10);
  if (!newest.ok() || newest.value().sessions_size() != 10) return 1;
  std::string deep_token = std::to_string(sessions / 2 + 5);  // the page around the middle
  v1::ListCommitments request;
  request.set_today("2026-11-28");  // before every check-in date: nothing is due
  v1::ListCommitments later = request;
  later.set_today("2027-01-01");  // after: one commitment of every session is due
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    auto p = client::ListSessions(*conn, 10);
    auto t1 = Clock::now();
    auto d = client::ListSessions(*conn, 10, deep_token);
    auto t2 = Clock::now();
    auto c = client::ListCommitments(*conn, request);
    auto t3 = Clock::now();
    auto due = client::ListCommitments(*conn, later);
    auto t4 = Clock::now();
    if (!p.ok() || !d.ok() || !c.ok() || !due.ok() || p.value().sessions_size() != 10 ||
        d.value().sessions_size() != 10 || c.value().commitments_size() != 20 ||
        due.value().commitments_size() != 20 || !due.value().commitments(0).due()) {
      std::cerr << "a list failed\n";
      return 1;
    }
    first_page.push_back(Ms(t1 - t0));
    deep_page.push_back(Ms(t2 - t1));
    commitments.push_back(Ms(t3 - t2));
    due_commitments.push_back(Ms(t4 - t3));
  }
  std::printf("\n%d requests each, over loopback:\n", reps);
  Print("history, newest page of 10", Summarise(first_page));
  Print("history, page of 10 in the middle", Summarise(deep_page));
  Print("commitments, first page of 20, none due", Summarise(commitments));
  Print("commitments, first page of 20, " + std::to_string(sessions) + " due",
        Summarise(due_commitments));

  // The long session's id: the one in the middle.
  int64_t long_id = sessions / 2 + 1;
  std::vector<double> replays;
  size_t replayed = 0;
  for (int i = 0; i < std::max(3, reps / 20); ++i) {
    client::ReplayClient replay(*conn);
    auto t0 = Clock::now();
    auto started = replay.Start(long_id, 0);
    if (!started.ok()) {
      std::cerr << "replay: " << started.error().message << "\n";
      return 1;
    }
    auto ended = replay.WaitEnded(std::chrono::minutes(5));
    auto t1 = Clock::now();
    if (!ended || ended->state() != v1::ReplayStatus::FINISHED || !replay.integrity().ok()) {
      std::cerr << "replay did not finish cleanly\n";
      return 1;
    }
    replayed = replay.events().size();
    replays.push_back(Ms(t1 - t0));
  }
  Print("full-speed replay of " + std::to_string(replayed) + " events", Summarise(replays));

  conn->Close();
  server.value()->Stop();
  if (temporary) std::filesystem::remove_all(std::filesystem::path(db_path).parent_path());
  return 0;
}

}  // namespace
}  // namespace mend

int main(int argc, char** argv) {
  CLI::App app{"mend history benchmark: listing and replay with a large history"};
  int sessions = 10000, rounds = 15, long_rounds = 195, reps = 200;
  std::string db;
  app.add_option("--sessions", sessions, "sessions of the couple")->capture_default_str();
  app.add_option("--rounds", rounds, "talk rounds per session (27 + 5 x rounds events)")
      ->capture_default_str();
  app.add_option("--long-rounds", long_rounds, "talk rounds of the long session")
      ->capture_default_str();
  app.add_option("--reps", reps, "requests per measurement")->capture_default_str();
  app.add_option("--db", db, "database file to fill (default: a temporary one, removed after)");
  CLI11_PARSE(app, argc, argv);
  if (!mend::crypto::Init()) return 1;
  mend::log::SetLevel(mend::log::Level::kWarn);
  return mend::Run(sessions, rounds, long_rounds, reps, db);
}
