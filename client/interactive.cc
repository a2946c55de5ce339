#include "client/interactive.h"

#include <cctype>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <sstream>
#include <thread>

#include "client/render.h"
#include "client/session_client.h"

namespace mend::client {
namespace {

// Splits "cmd rest of line" into the command and the rest.
std::pair<std::string, std::string> Split(const std::string& line) {
  std::string trimmed = line;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '/')) {
    trimmed.erase(trimmed.begin());
  }
  auto space = trimmed.find(' ');
  if (space == std::string::npos) return {trimmed, ""};
  std::string rest = trimmed.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.erase(rest.begin());
  return {trimmed.substr(0, space), rest};
}

std::optional<uint32_t> Number(const std::string& s) {
  try {
    size_t used = 0;
    int n = std::stoi(s, &used);
    if (n < 0) return std::nullopt;
    return static_cast<uint32_t>(n);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<v1::Reconnection> Way(const std::string& word) {
  if (word == "affection") return v1::AFFECTION;
  if (word == "quality-time" || word == "time") return v1::QUALITY_TIME;
  if (word == "words") return v1::WORDS_OF_AFFIRMATION;
  if (word == "service") return v1::ACTS_OF_SERVICE;
  if (word == "gifts") return v1::GIFTS;
  if (word == "touch") return v1::PHYSICAL_TOUCH;
  return std::nullopt;
}

class Terminal {
 public:
  Terminal(SessionClient& session, std::istream& in, std::ostream& out)
      : session_(session), in_(in), out_(out) {}

  void Print(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    out_ << line << "\n" << std::flush;
  }

  void ShowWhere() {
    session::State s = session_.state();
    std::ostringstream text;
    text << "-- " << render::Where(s) << "\n";
    for (const auto& g : render::Guidance(s, session_.side())) text << "   " << g << "\n";
    if (s.active()) text << "   quit                  leave for now (you can join again)";
    Print(text.str());
  }

  // Reads one answer for a prompt; nullopt at the end of input.
  std::optional<std::string> Ask(const std::string& prompt) {
    Print(prompt);
    std::string line;
    if (!std::getline(in_, line)) return std::nullopt;
    return line;
  }

  // Builds the move for `cmd`, asking for what is missing; nullopt if the line is not a move.
  std::optional<v1::Move> Parse(const std::string& cmd, const std::string& rest) {
    using namespace moves;  // NOLINT
    if (cmd == "checkin") {
      std::string calm = rest.substr(0, rest.find(' '));
      auto n = Number(calm);
      if (!n) return Problem("checkin takes a number from 0 to 10, e.g. checkin 6 tense");
      std::string feeling =
          rest.find(' ') == std::string::npos ? "" : rest.substr(rest.find(' ') + 1);
      return CheckIn(*n, feeling);
    }
    if (cmd == "statement") {
      auto feeling = Ask("I feel ...");
      auto when = feeling ? Ask("when ...") : std::nullopt;
      auto because = when ? Ask("because ...") : std::nullopt;
      auto need = because ? Ask("I need ...") : std::nullopt;
      if (!need) return std::nullopt;
      return Statement(*feeling, *when, *because, *need);
    }
    if (cmd == "ask") return Question(rest);
    if (cmd == "answer") return Answer(rest);
    if (cmd == "reflect") return Reflection(rest);
    if (cmd == "yes") return Confirm();
    if (cmd == "notquite") return Correction(rest);
    if (cmd == "validate") return Validation(rest);
    if (cmd == "pass") return PassFloor();
    if (cmd == "repair") return ProposeRepair();
    if (cmd == "agree") return AnswerRepair(true);
    if (cmd == "notyet") return AnswerRepair(false);
    if (cmd == "step") {
      std::string text = rest, date;
      auto flag = rest.find("--date ");
      if (flag != std::string::npos) {
        date = rest.substr(flag + 7);
        text = rest.substr(0, flag);
        while (!text.empty() && text.back() == ' ') text.pop_back();
      }
      return RepairStep(v1::REPAIR_STEP_UNSPECIFIED, text, date);
    }
    if (cmd == "accept") return AcceptStep();
    // During a break `more` asks for more time; in repair it asks the partner to say more.
    if (cmd == "more" && !session_.state().on_break) return AskMore(rest);
    if (cmd == "reconnect") {
      std::string word = rest.substr(0, rest.find(' '));
      auto way = Way(word);
      if (!way)
        return Problem("reconnect takes affection, quality-time, words, service, gifts or touch");
      std::string note = rest.find(' ') == std::string::npos ? "" : rest.substr(rest.find(' ') + 1);
      return Reconnect(*way, note);
    }
    if (cmd == "rate") {
      auto n = Number(rest);
      if (!n) return Problem("rate takes a number from 0 to 10");
      return Rate(*n);
    }
    if (cmd == "end") return End(rest);
    if (cmd == "timeout" || cmd == "break") {
      // "timeout", "timeout 30", "timeout 30 going for a walk", "timeout 90s" (seconds).
      std::string first = rest.substr(0, rest.find(' '));
      std::string note = rest;
      uint32_t seconds = 0;
      if (!first.empty() && std::isdigit(static_cast<unsigned char>(first[0]))) {
        bool in_seconds = first.back() == 's';
        auto n = Number(in_seconds ? first.substr(0, first.size() - 1) : first);
        if (!n) return Problem("timeout takes minutes (timeout 30) or seconds (timeout 90s)");
        seconds = in_seconds ? *n : *n * 60;
        note = rest.find(' ') == std::string::npos ? "" : rest.substr(rest.find(' ') + 1);
      }
      return TakeBreak(seconds, note);
    }
    if (cmd == "ready") return Ready();
    if (cmd == "more-time" || cmd == "more") {
      auto n = rest.empty() ? std::optional<uint32_t>(0) : Number(rest);
      if (!n) return Problem("more-time takes minutes, e.g. more-time 10");
      return MoreTime(*n * 60);
    }
    return Problem("unknown command '" + cmd + "'; type help");
  }

  int Run() {
    ShowWhere();
    std::string line;
    while (session_.state().active()) {
      if (!std::getline(in_, line)) {
        Print("(input ended; you left the session - join again with `mend session join`)");
        return 0;
      }
      auto [cmd, rest] = Split(line);
      if (cmd.empty()) continue;
      if (cmd == "quit") {
        Print("You left the session. Join again with `mend session join`.");
        return 0;
      }
      if (cmd == "help" || cmd == "?") {
        ShowWhere();
        continue;
      }
      problem_ = false;
      auto move = Parse(cmd, rest);
      if (!move) {
        if (!problem_) return 0;  // input ended inside a prompt
        continue;
      }
      auto accepted = session_.Act(*move);
      if (!accepted.ok()) {
        if (accepted.code() == v1::UNAVAILABLE) {
          Print("The connection to the server was lost. Join again with `mend session join`.");
          return 1;
        }
        Print("Not now: " + accepted.error().message);
        continue;
      }
      session_.WaitForSeq(accepted.value().last_seq());
    }
    return 0;
  }

 private:
  std::optional<v1::Move> Problem(const std::string& message) {
    Print(message);
    problem_ = true;
    return std::nullopt;
  }

  SessionClient& session_;
  std::istream& in_;
  std::ostream& out_;
  std::mutex mu_;
  bool problem_ = false;
};

// While a break lasts: the STOP technique, a breathing prompt, and a countdown on the
// terminal (one line updated in place; once a minute when the output is not a terminal).
class Countdown {
 public:
  explicit Countdown(std::function<void(const std::string&)> print) : print_(std::move(print)) {}
  ~Countdown() { Stop(); }

  void Start(TimeMs ends_ms, bool caller) {
    Stop();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = false;
    }
    std::time_t end = static_cast<std::time_t>(ends_ms / 1000);
    char at[16];
    std::tm tm{};
    localtime_r(&end, &tm);
    std::strftime(at, sizeof at, "%H:%M", &tm);
    std::string intro =
        std::string("   Take this time for yourself. STOP:\n") + "     Stop what you are doing.\n" +
        "     Take a breath - in for 4, hold for 4, out for 6 - and again.\n" +
        "     Observe what you feel and what you are thinking.\n" +
        "     Proceed with intention, not reaction.\n" + "   The break ends at " + at +
        (caller ? ". You called it: please come back by then - your partner is waiting for you."
                : ". Your partner will be back; there is nothing you need to do.") +
        "\n   Type `ready` when you are ready to go on, `more` if you need longer.";
    print_(intro);
    thread_ = std::thread([this, ends_ms] {
      std::unique_lock<std::mutex> lock(mu_);
      int last_minute = -1;
      while (!stop_) {
        TimeMs left = ends_ms - SystemClock().NowMs();
        if (left <= 0) break;
        int minutes = static_cast<int>(left / 60'000);
        if (minutes != last_minute) {
          last_minute = minutes;
          lock.unlock();
          print_("   (" + std::to_string(minutes) + " min " + std::to_string((left / 1000) % 60) +
                 " s left in the break - breathe slowly)");
          lock.lock();
        }
        cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
      }
    });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::function<void(const std::string&)> print_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = true;
  std::thread thread_;
};

}  // namespace

int RunInteractiveSession(Connection& conn, const std::string& topic, std::istream& in,
                          std::ostream& out) {
  SessionClient session(conn);
  Terminal terminal(session, in, out);
  // Moves arrive on the connection's thread; each is printed with where things stand now.
  session::State shown;
  std::mutex shown_mu;
  Countdown countdown([&terminal](const std::string& line) { terminal.Print(line); });
  auto on_event = [&](const v1::SessionEvent& e) {
    std::lock_guard<std::mutex> lock(shown_mu);
    terminal.Print("[" + std::to_string(e.seq()) + "] " + render::Event(shown, e));
    bool was_on_break = shown.on_break.has_value();
    session::Apply(shown, e);
    if (shown.on_break && (!was_on_break || e.move().has_more_time())) {
      countdown.Start(shown.on_break->ends_ms, shown.on_break->caller == session.side());
    } else if (!shown.on_break && was_on_break) {
      countdown.Stop();
    }
    if (shown.phase == v1::CLOSED) return;
    // Guidance after the move of the partner, or after the last event of a move of ours.
    terminal.ShowWhere();
  };
  session.OnPresence([&](const v1::Presence& p) {
    std::string who = render::Name(session.state(), p.side());
    terminal.Print(p.state() == v1::Presence::LEFT   ? "(" + who + " left; they can come back)"
                   : p.state() == v1::Presence::BACK ? "(" + who + " is back)"
                                                     : "(" + who + " joined)");
  });
  session.OnOtherPush([&](const v1::Push& push) {
    if (push.has_commitment_updated()) {
      terminal.Print("(follow-through: " + render::Commitment(push.commitment_updated()) + ")");
    }
  });
  session.OnEvent(on_event);
  auto joined = topic.empty() ? session.Join() : session.Open(topic);
  if (!joined.ok()) {
    std::cerr << "mend: " << joined.error().message << "\n";
    return 1;
  }
  if (!joined.value().partner_present() && session.state().phase != v1::CLOSED) {
    terminal.Print("(your partner is not here yet; they join with `mend session join`)");
  }
  int rc = terminal.Run();
  session::State end = session.state();
  if (end.phase == v1::CLOSED) {
    terminal.Print("Thank you both. The session is kept; its commitments: " +
                   std::to_string(end.commitments.size()) + ".");
  }
  session.OnEvent(nullptr);
  session.OnPresence(nullptr);
  session.OnOtherPush(nullptr);
  countdown.Stop();
  return rc;
}

}  // namespace mend::client
