#include "client/render.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace mend::client::render {

using Kind = v1::Move::KindCase;

std::string Name(const session::State& state, v1::Side side) {
  const v1::Account& who = side == v1::SIDE_A ? state.a : state.b;
  if (!who.display_name().empty()) return who.display_name();
  return side == v1::SIDE_A ? "Partner A" : "Partner B";
}

std::string PhaseName(v1::Phase phase) {
  switch (phase) {
    case v1::WAITING:
      return "Waiting for your partner";
    case v1::CHECK_IN:
      return "Check-in";
    case v1::TALK:
      return "Talk";
    case v1::REPAIR:
      return "Repair";
    case v1::CLOSING:
      return "Closing";
    case v1::CLOSED:
      return "Closed";
    default:
      return "Not started";
  }
}

std::string ReconnectionName(v1::Reconnection way) {
  switch (way) {
    case v1::AFFECTION:
      return "affection";
    case v1::QUALITY_TIME:
      return "quality time";
    case v1::WORDS_OF_AFFIRMATION:
      return "words of affirmation";
    case v1::ACTS_OF_SERVICE:
      return "acts of service";
    case v1::GIFTS:
      return "gifts";
    case v1::PHYSICAL_TOUCH:
      return "physical touch";
    default:
      return "a way of their own";
  }
}

std::string OutcomeName(v1::Outcome outcome) {
  switch (outcome) {
    case v1::REPAIRED:
      return "repaired";
    case v1::ENDED_EARLY:
      return "ended early";
    case v1::NOT_RESUMED:
      return "not resumed";
    default:
      return "still open";
  }
}

std::string FollowThroughName(v1::FollowThroughStatus status) {
  switch (status) {
    case v1::KEPT:
      return "kept";
    case v1::NOT_YET:
      return "not yet";
    case v1::MISSED:
      return "missed";
    default:
      return "no check-in yet";
  }
}

std::string LocalTime(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M", &local);
  return out;
}

std::string Duration(int64_t ms) {
  int64_t s = std::max<int64_t>(0, ms / 1000);
  char out[32];
  if (s < 60) {
    std::snprintf(out, sizeof out, "%lld s", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(out, sizeof out, "%lld min", static_cast<long long>(s / 60));
  } else {
    std::snprintf(out, sizeof out, "%lld h %02lld min", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  }
  return out;
}

std::string Commitment(const v1::Commitment& c) {
  std::string line =
      "#" + std::to_string(c.commitment_id()) + " " + c.owner().display_name() + ": " + c.text();
  if (!c.check_in_date().empty()) line += " (check in " + c.check_in_date() + ")";
  line += " - " + FollowThroughName(c.status());
  if (c.due()) line += ", DUE";
  if (c.follow_through_size() > 0) {
    const auto& last = c.follow_through(c.follow_through_size() - 1);
    if (!last.note().empty()) line += ": \"" + last.note() + "\"";
    line += " (" + last.by().display_name() + ", " + LocalTime(last.at_unix_ms()) + ")";
  }
  return line;
}

std::vector<std::string> SessionSummary(const v1::SessionSummary& s) {
  std::vector<std::string> lines;
  std::string head = "Session " + std::to_string(s.session_id()) + "  " +
                     LocalTime(s.opened_at_unix_ms()) + "  \"" + s.topic() + "\"";
  lines.push_back(head);
  std::string detail = "  " + Duration(s.duration_ms()) + ", " + OutcomeName(s.outcome()) + ", " +
                       std::to_string(s.breaks()) + (s.breaks() == 1 ? " break" : " breaks") +
                       ", " + std::to_string(s.events()) + " events";
  lines.push_back(detail);
  if (s.commitments_size() == 0) {
    lines.push_back("  no commitments");
  }
  for (const auto& c : s.commitments()) lines.push_back("  commitment " + Commitment(c));
  return lines;
}

namespace {

std::string StepName(v1::RepairStep step) {
  switch (step) {
    case v1::RESPONSIBILITY:
      return "(1) takes responsibility";
    case v1::IMPACT:
      return "(2) acknowledges the impact";
    case v1::REMORSE:
      return "(3) expresses remorse";
    case v1::PLAN:
      return "(4) makes a plan for next time";
    default:
      return "takes a repair step";
  }
}

}  // namespace

std::string Event(const session::State& before, const v1::SessionEvent& e) {
  std::string who = Name(before, e.actor());
  switch (e.body_case()) {
    case v1::SessionEvent::kOpened:
      return e.opened().a().display_name() + " opened a session: \"" + e.opened().topic() + "\"";
    case v1::SessionEvent::kJoined:
      return Name(before, v1::SIDE_B) + " joined";
    case v1::SessionEvent::kClosed:
      return "The session is closed: " + OutcomeName(e.closed().outcome()) + ".";
    case v1::SessionEvent::kBreakEnded:
      return e.break_ended().reason() == v1::BreakEnded::BOTH_READY
                 ? "You are both ready: the break is over. Each of you checks in again."
                 : "The break is over. Each of you checks in again, then you go on where you "
                   "stopped.";
    case v1::SessionEvent::kMove:
      break;
    default:
      return "(something this version does not know)";
  }
  const v1::Move& m = e.move();
  switch (m.kind_case()) {
    case Kind::kCheckIn: {
      std::string line = who + " checked in: calm " + std::to_string(m.check_in().calm()) + "/10";
      if (!m.check_in().feeling().empty()) line += ", feeling " + m.check_in().feeling();
      if (m.check_in().break_advised()) {
        line +=
            " - a break is advised before talking: stop, take a few slow breaths, notice "
            "what you feel, then go on with intention";
      }
      return line;
    }
    case Kind::kStatement: {
      const auto& s = m.statement();
      return who + ": \"I feel " + s.feeling() + " when " + s.situation() + " because " +
             s.reason() + ". I need " + s.need() + ".\"";
    }
    case Kind::kQuestion:
      return who + " asks: " + m.question().text();
    case Kind::kAnswer:
      return who + " answers: " + m.answer().text();
    case Kind::kReflection:
      return who + " reflects: " + m.reflection().text();
    case Kind::kConfirm:
      return who + ": yes, that's what I meant.";
    case Kind::kCorrection:
      return who + ": not quite - " + m.correction().text();
    case Kind::kValidation:
      return who + " validates: " + m.validation().text();
    case Kind::kPassFloor:
      return who + " passes the floor.";
    case Kind::kProposeRepair:
      return who + " proposes to start the repair.";
    case Kind::kAnswerRepair:
      return who + (m.answer_repair().agree() ? " agrees to start the repair."
                                              : " is not ready for the repair yet.");
    case Kind::kRepairStep: {
      std::string line =
          who + " " + StepName(m.repair_step().step()) + ": " + m.repair_step().text();
      if (!m.repair_step().check_in_date().empty()) {
        line += " (check in on " + m.repair_step().check_in_date() + ")";
      }
      return line;
    }
    case Kind::kAcceptStep:
      return who + " accepts.";
    case Kind::kAskMore:
      return who + " asks for more" +
             (m.ask_more().text().empty() ? "." : ": " + m.ask_more().text());
    case Kind::kReconnect:
      return who + " would like to reconnect through " + ReconnectionName(m.reconnect().way()) +
             (m.reconnect().note().empty() ? "" : " (" + m.reconnect().note() + ")");
    case Kind::kRate:
      return who + " feels " + std::to_string(m.rate().feel()) + "/10 now.";
    case Kind::kEnd:
      return who + " ended the session" + (m.end().text().empty() ? "." : ": " + m.end().text());
    case Kind::kTakeBreak: {
      TimeMs seconds = (m.take_break().ends_at_unix_ms() - e.at_unix_ms() + 999) / 1000;
      std::string length = seconds < 120 ? std::to_string(seconds) + " s"
                                         : std::to_string((seconds + 59) / 60) + " min";
      std::string line = who + " called a break for " + length +
                         (m.take_break().note().empty() ? "" : ": " + m.take_break().note());
      return line + ". No reason is needed, and nobody is to blame.";
    }
    case Kind::kReady:
      return who + " is ready to go on.";
    case Kind::kMoreTime:
      return who + " asked for a little more time.";
    default:
      return who + " did something this version does not know.";
  }
}

std::string Where(const session::State& s) {
  std::string line = PhaseName(s.phase);
  if (s.on_break) {
    return "On a break, called by " + Name(s, s.on_break->caller) + ".";
  }
  if (s.rechecking) return line + " - after the break: each of you checks in again.";
  if (s.phase == v1::TALK) {
    line += " - " + Name(s, s.speaker) + " has the floor; " + Name(s, session::Other(s.speaker)) +
            " listens.";
  } else if (s.phase == v1::REPAIR && s.repairer != v1::SIDE_UNSPECIFIED) {
    line += " - " + Name(s, s.repairer) + "'s steps.";
  }
  return line;
}

std::vector<std::string> Guidance(const session::State& s, v1::Side me) {
  std::vector<std::string> out;
  for (Kind k : session::AllowedMoves(s, me)) {
    switch (k) {
      case Kind::kCheckIn:
        out.push_back("checkin N [feeling]   how calm are you, 0 (not at all) to 10?");
        break;
      case Kind::kStatement:
        out.push_back(
            "statement             an I-statement: I feel ... when ... because ... I need ...");
        break;
      case Kind::kQuestion:
        out.push_back("ask TEXT              a clarifying question, not a rebuttal");
        break;
      case Kind::kAnswer:
        out.push_back("answer TEXT           answer the question");
        break;
      case Kind::kReflection:
        out.push_back("reflect TEXT          say back what you heard, in your own words");
        break;
      case Kind::kConfirm:
        out.push_back("yes                   the reflection is right");
        break;
      case Kind::kCorrection:
        out.push_back("notquite TEXT         say what was missed; they reflect again");
        break;
      case Kind::kValidation:
        out.push_back("validate TEXT         \"that makes sense because ...\" (not agreement)");
        break;
      case Kind::kPassFloor:
        out.push_back("pass                  pass the floor (or add another statement)");
        break;
      case Kind::kProposeRepair:
        out.push_back("repair                propose the repair: you have both been heard");
        break;
      case Kind::kAnswerRepair:
        out.push_back("agree | notyet        start the repair now, or keep talking");
        break;
      case Kind::kRepairStep:
        out.push_back("step TEXT             " + StepName(s.step) +
                      (s.step == v1::PLAN ? " [--date YYYY-MM-DD]" : ""));
        break;
      case Kind::kAcceptStep:
        out.push_back("accept                accept this step");
        break;
      case Kind::kAskMore:
        out.push_back("more [TEXT]           ask them to say more about it");
        break;
      case Kind::kReconnect:
        out.push_back(
            "reconnect WAY [note]  affection, quality-time, words, service, gifts or touch");
        break;
      case Kind::kRate:
        out.push_back("rate N                how do you feel now, 0 to 10?");
        break;
      case Kind::kEnd:
        out.push_back("end [reason]          end the session now (it is kept, as ended early)");
        break;
      case Kind::kTakeBreak:
        out.push_back(
            "timeout [min] [note]  take a break now (20 min by default); no reason needed");
        break;
      case Kind::kReady:
        out.push_back("ready                 you are ready to go on");
        break;
      case Kind::kMoreTime:
        out.push_back("more-time [min]       ask for more time (once)");
        break;
      default:
        break;
    }
  }
  bool only_always = std::all_of(out.begin(), out.end(), [](const std::string& line) {
    return line.rfind("end ", 0) == 0 || line.rfind("timeout ", 0) == 0;
  });
  if (only_always && s.active()) out.insert(out.begin(), "(wait for your partner)");
  return out;
}

}  // namespace mend::client::render
