// The session state machine, table-driven: every allowed move, every refusal, in every phase.
//
// A Script opens a session and drives it with Decide + Apply as the server does; ReachX helpers
// bring it to each interesting point of the flow; the core table (RulesTableTest) then tries every
// Move kind by each side at each point against a hand-written list of the moves allowed there.
#include "common/session/rules.h"

#include "common/session/moves.h"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace mend::session {
namespace {

using google::protobuf::util::MessageDifferencer;
using Kind = v1::Move::KindCase;

constexpr Side A = v1::SIDE_A;
constexpr Side B = v1::SIDE_B;
constexpr int64_t kSessionId = 42;
constexpr TimeMs kStartMs = 1'700'000'000'000;
const std::string kE = "\xC3\xA9";  // "é": one character, two bytes

// Every kind of move, in field order. MoveKindsAreAllListed keeps this in step with the proto.
const std::vector<Kind> kAllKinds = {
    Kind::kCheckIn,    Kind::kStatement,     Kind::kQuestion,     Kind::kAnswer,
    Kind::kReflection, Kind::kConfirm,       Kind::kCorrection,   Kind::kValidation,
    Kind::kPassFloor,  Kind::kProposeRepair, Kind::kAnswerRepair, Kind::kRepairStep,
    Kind::kAcceptStep, Kind::kAskMore,       Kind::kReconnect,    Kind::kRate,
    Kind::kEnd,        Kind::kTakeBreak,     Kind::kReady,        Kind::kMoreTime,
};

std::string Repeat(std::string_view unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

v1::Account MakeAccount(const std::string& login, const std::string& display_name) {
  v1::Account account;
  account.set_login(login);
  account.set_display_name(display_name);
  account.set_paired(true);
  return account;
}

std::vector<std::string> Names(const std::vector<Kind>& kinds) {
  std::vector<std::string> out;
  for (Kind k : kinds) out.push_back(MoveName(k));
  return out;
}

// The same elements in any order.
template <typename T>
std::vector<T> Sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}
std::vector<Side> Sorted(std::initializer_list<Side> sides) { return Sorted(std::vector(sides)); }
std::vector<std::string> Sorted(std::initializer_list<const char*> names) {
  return Sorted(std::vector<std::string>(names.begin(), names.end()));
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

const char* TalkName(TalkStep step) {
  switch (step) {
    case TalkStep::kStatement:
      return "statement";
    case TalkStep::kReflect:
      return "reflect";
    case TalkStep::kAnswer:
      return "answer";
    case TalkStep::kConfirm:
      return "confirm";
    case TalkStep::kValidate:
      return "validate";
    case TalkStep::kNext:
      return "next";
  }
  return "?";
}

// Every field of the state, as text: equal dumps mean equal states (and a readable diff if not).
std::string Dump(const State& s) {
  std::ostringstream out;
  out << "session_id=" << s.session_id << " seq=" << s.seq << " phase=" << v1::Phase_Name(s.phase)
      << " topic='" << s.topic << "' a={" << s.a.ShortDebugString() << "} b={"
      << s.b.ShortDebugString() << "} opened_ms=" << s.opened_ms << " closed_ms=" << s.closed_ms
      << " outcome=" << v1::Outcome_Name(s.outcome) << "\n";
  for (int i = 0; i < 2; ++i) {
    const Partner& p = s.partners[i];
    out << (i == 0 ? "A" : "B") << ": joined=" << p.joined << " checked_in=" << p.checked_in
        << " calm=" << (p.calm ? std::to_string(*p.calm) : "-") << " heard=" << p.heard
        << " repaired=" << p.repaired
        << " reconnection=" << (p.reconnection ? v1::Reconnection_Name(*p.reconnection) : "-")
        << " rating=" << (p.rating ? std::to_string(*p.rating) : "-") << "\n";
  }
  out << "speaker=" << v1::Side_Name(s.speaker) << " talk=" << TalkName(s.talk)
      << " proposed_by=" << v1::Side_Name(s.repair_proposed_by)
      << " repairer=" << v1::Side_Name(s.repairer) << " step=" << v1::RepairStep_Name(s.step)
      << " pending=" << s.step_pending << " pending_step={" << s.pending_step.ShortDebugString()
      << "} pending_seq=" << s.pending_step_seq << "\n";
  for (const Commitment& c : s.commitments) {
    out << "commitment " << v1::Side_Name(c.owner) << " '" << c.text << "' '" << c.check_in_date
        << "' seq=" << c.seq << "\n";
  }
  if (s.on_break) {
    const Break& b = *s.on_break;
    out << "on_break caller=" << v1::Side_Name(b.caller) << " started=" << b.started_ms
        << " ends=" << b.ends_ms << " extended=" << b.extended << " ready=" << b.ready[0]
        << b.ready[1] << "\n";
  }
  out << "last_break_started=" << s.last_break_started_ms << " rechecking=" << s.rechecking
      << " rechecked=" << s.rechecked[0] << s.rechecked[1] << " breaks=" << s.breaks << "\n";
  return out.str();
}

// Where the conversation stands, without the seq, the breaks and the calm (a check-in after a
// break records a new calm): what a break must leave exactly as it was.
std::string Flow(const State& s) {
  std::ostringstream out;
  out << "phase=" << v1::Phase_Name(s.phase) << " speaker=" << v1::Side_Name(s.speaker)
      << " talk=" << TalkName(s.talk) << " proposed_by=" << v1::Side_Name(s.repair_proposed_by)
      << " repairer=" << v1::Side_Name(s.repairer) << " step=" << v1::RepairStep_Name(s.step)
      << " pending=" << s.step_pending << " pending_step={" << s.pending_step.ShortDebugString()
      << "} pending_seq=" << s.pending_step_seq << " commitments=" << s.commitments.size()
      << " outcome=" << v1::Outcome_Name(s.outcome) << "\n";
  for (int i = 0; i < 2; ++i) {
    const Partner& p = s.partners[i];
    out << (i == 0 ? "A" : "B") << ": joined=" << p.joined << " checked_in=" << p.checked_in
        << " heard=" << p.heard << " repaired=" << p.repaired
        << " reconnection=" << (p.reconnection ? v1::Reconnection_Name(*p.reconnection) : "-")
        << " rating=" << (p.rating ? std::to_string(*p.rating) : "-") << "\n";
  }
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Moves

// The builders of common/session/moves.h, with sample texts as defaults.
v1::Move CheckIn(uint32_t calm, const std::string& feeling = "") {
  return moves::CheckIn(calm, feeling);
}
v1::Move Statement(const std::string& feeling = "hurt",
                   const std::string& situation = "the dishes stay in the sink",
                   const std::string& reason = "I end up doing the house alone",
                   const std::string& need = "us to split the evening chores") {
  return moves::Statement(feeling, situation, reason, need);
}
v1::Move Question(const std::string& t = "Which evenings?") { return moves::Question(t); }
v1::Move Answer(const std::string& t = "Most weekdays") { return moves::Answer(t); }
v1::Move Reflection(const std::string& t = "You feel alone with the house") {
  return moves::Reflection(t);
}
v1::Move Correction(const std::string& t = "Not quite: it is the evenings") {
  return moves::Correction(t);
}
v1::Move Validation(const std::string& t = "That makes sense because you work late too") {
  return moves::Validation(t);
}
v1::Move AskMore(const std::string& t = "Could you say more?") { return moves::AskMore(t); }
v1::Move End(const std::string& t = "") { return moves::End(t); }
using moves::AcceptStep;
using moves::AnswerRepair;
using moves::Confirm;
using moves::PassFloor;
using moves::ProposeRepair;
using moves::Rate;
using moves::Ready;
v1::Move RepairStep(v1::RepairStep step, const std::string& text = "I raised my voice",
                    const std::string& check_in_date = "") {
  return moves::RepairStep(step, text, check_in_date);
}
v1::Move Reconnect(v1::Reconnection way, const std::string& note = "") {
  return moves::Reconnect(way, note);
}
v1::Move TakeBreak(uint32_t seconds = 0, const std::string& note = "") {
  return moves::TakeBreak(seconds, note);
}
v1::Move MoreTime(uint32_t seconds = 0) { return moves::MoreTime(seconds); }

constexpr TimeMs kMinute = 60 * 1000;
constexpr TimeMs kDefaultBreakMs = 20 * kMinute;
constexpr TimeMs kMaxBreakMs = 24 * 60 * kMinute;

// A move of `kind` whose content is valid anywhere, so that only the turn decides.
v1::Move Sample(Kind kind) {
  switch (kind) {
    case Kind::kCheckIn:
      return CheckIn(7, "tense");
    case Kind::kStatement:
      return Statement();
    case Kind::kQuestion:
      return Question();
    case Kind::kAnswer:
      return Answer();
    case Kind::kReflection:
      return Reflection();
    case Kind::kConfirm:
      return Confirm();
    case Kind::kCorrection:
      return Correction();
    case Kind::kValidation:
      return Validation();
    case Kind::kPassFloor:
      return PassFloor();
    case Kind::kProposeRepair:
      return ProposeRepair();
    case Kind::kAnswerRepair:
      return AnswerRepair(true);
    case Kind::kRepairStep:
      return RepairStep(v1::REPAIR_STEP_UNSPECIFIED);
    case Kind::kAcceptStep:
      return AcceptStep();
    case Kind::kAskMore:
      return AskMore();
    case Kind::kReconnect:
      return Reconnect(v1::QUALITY_TIME);
    case Kind::kRate:
      return Rate(8);
    case Kind::kEnd:
      return End("we need to stop");
    case Kind::kTakeBreak:
      return TakeBreak(0, "back soon");
    case Kind::kReady:
      return Ready();
    case Kind::kMoreTime:
      return MoreTime(0);
    default:
      return v1::Move();
  }
}

// ---------------------------------------------------------------------------------------------
// The harness

// A session driven as the server drives it: Decide, then Apply each event, keeping the log.
class Script {
 public:
  explicit Script(const Config& config = Config(), const std::string& alice = "Alice",
                  const std::string& bob = "Bob")
      : config_(config) {
    Result<v1::SessionEvent> opened =
        Open(kSessionId, "  the dishes  ", MakeAccount("alice", alice), MakeAccount("bob", bob),
             now_, config_);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    if (opened.ok()) Record(opened.value());
  }

  const State& state() const { return state_; }
  const std::vector<v1::SessionEvent>& log() const { return log_; }
  const Config& config() const { return config_; }
  TimeMs now() const { return now_; }

  // Lets `ms` pass without any event.
  void Wait(TimeMs ms) { now_ += ms; }

  // The timer fires at `at` (not before now): session::Tick's events are checked and applied.
  std::vector<v1::SessionEvent> TickAt(TimeMs at) {
    EXPECT_GE(at, now_);
    now_ = at;
    std::vector<v1::SessionEvent> events = session::Tick(state_, at, config_);
    for (size_t i = 0; i < events.size(); ++i) {
      const v1::SessionEvent& e = events[i];
      EXPECT_EQ(e.seq(), state_.seq + 1 + i);
      EXPECT_EQ(e.session_id(), kSessionId);
      EXPECT_EQ(e.actor(), v1::SIDE_UNSPECIFIED) << "time, not a partner";
      EXPECT_EQ(e.at_unix_ms(), at);
      EXPECT_TRUE(e.has_break_ended() || e.has_closed());
    }
    for (const v1::SessionEvent& e : events) Record(e);
    return events;
  }

  // Joins as `side`; returns the events it produced (already applied).
  std::vector<v1::SessionEvent> Join(Side side) {
    TimeMs at = Advance();
    std::vector<v1::SessionEvent> events = session::Join(state_, side, at);
    for (const v1::SessionEvent& e : events) {
      EXPECT_EQ(e.seq(), state_.seq + 1);
      EXPECT_EQ(e.session_id(), kSessionId);
      EXPECT_EQ(e.actor(), side);
      EXPECT_EQ(e.at_unix_ms(), at);
      EXPECT_TRUE(e.has_joined());
      Record(e);
    }
    return events;
  }

  // Decides `move` by `side` without applying it.
  Result<std::vector<v1::SessionEvent>> Try(Side side, const v1::Move& move) const {
    return Decide(state_, move, side, now_ + 1000, config_);
  }

  // `move` by `side` must be accepted; its events are checked and applied, and returned.
  std::vector<v1::SessionEvent> Do(Side side, const v1::Move& move) {
    TimeMs at = Advance();
    Result<std::vector<v1::SessionEvent>> r = Decide(state_, move, side, at, config_);
    if (!r.ok()) {
      ADD_FAILURE() << MoveName(move.kind_case()) << " by " << v1::Side_Name(side) << " refused ("
                    << ErrorCodeName(r.code()) << "): " << r.error().message << "\nstate:\n"
                    << Dump(state_);
      return {};
    }
    const std::vector<v1::SessionEvent>& events = r.value();
    EXPECT_FALSE(events.empty());
    for (size_t i = 0; i < events.size(); ++i) {
      const v1::SessionEvent& e = events[i];
      EXPECT_EQ(e.seq(), state_.seq + 1 + i) << "seqs are consecutive after state.seq";
      EXPECT_EQ(e.session_id(), state_.session_id);
      EXPECT_EQ(e.at_unix_ms(), at);
      if (i == 0) {
        EXPECT_EQ(e.actor(), side);
        EXPECT_TRUE(e.has_move());
        EXPECT_EQ(e.move().kind_case(), move.kind_case());
      } else if (move.has_ready()) {
        EXPECT_EQ(e.actor(), v1::SIDE_UNSPECIFIED) << "the server ends the break";
        EXPECT_EQ(e.break_ended().reason(), v1::BreakEnded::BOTH_READY);
      } else {
        EXPECT_EQ(e.actor(), v1::SIDE_UNSPECIFIED) << "the server closes the session";
        EXPECT_TRUE(e.has_closed());
      }
    }
    for (const v1::SessionEvent& e : events) Record(e);
    return events;
  }

  // `move` by `side` must be refused: no events, the state unchanged. Returns the error.
  Error Refuse(Side side, const v1::Move& move) {
    std::string before = Dump(state_);
    Result<std::vector<v1::SessionEvent>> r = Decide(state_, move, side, now_ + 1000, config_);
    EXPECT_FALSE(r.ok()) << MoveName(move.kind_case()) << " by " << v1::Side_Name(side)
                         << " was accepted\nstate:\n"
                         << before;
    EXPECT_EQ(Dump(state_), before);
    if (r.ok()) return MakeError(v1::ERROR_CODE_UNSPECIFIED, "accepted");
    return r.error();
  }

 private:
  TimeMs Advance() { return now_ += 1000; }
  void Record(const v1::SessionEvent& e) {
    EXPECT_EQ(e.seq(), state_.seq + 1);
    Apply(state_, e);
    log_.push_back(e);
  }

  Config config_;
  TimeMs now_ = kStartMs;
  State state_;
  std::vector<v1::SessionEvent> log_;
};

// Folds a log into a fresh State, through the stored (binary) form of each event.
State Replay(const std::vector<v1::SessionEvent>& log) {
  State state;
  for (const v1::SessionEvent& stored : log) {
    v1::SessionEvent e;
    EXPECT_TRUE(e.ParseFromString(stored.SerializeAsString()));
    Apply(state, e);
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Reaching each point of the flow

void CheckInBoth(Script& s) {
  s.Join(B);
  s.Do(A, CheckIn(7));
  s.Do(B, CheckIn(6));
}

// One full round by `speaker`: statement, reflection, confirm, validation (ends at kNext).
void FullRound(Script& s, Side speaker) {
  s.Do(speaker, Statement());
  s.Do(Other(speaker), Reflection());
  s.Do(speaker, Confirm());
  s.Do(Other(speaker), Validation());
}

// Talk, in round 1 (A speaks, nobody heard yet), 2 (B speaks, A heard) or 3 (A speaks again,
// both heard), at `step`.
void ReachTalk(Script& s, int round, TalkStep step) {
  CheckInBoth(s);
  Side speaker = A;
  for (int r = 1; r < round; ++r) {
    FullRound(s, speaker);
    s.Do(speaker, PassFloor());
    speaker = Other(speaker);
  }
  Side listener = Other(speaker);
  switch (step) {
    case TalkStep::kStatement:
      break;
    case TalkStep::kReflect:
      s.Do(speaker, Statement());
      break;
    case TalkStep::kAnswer:
      s.Do(speaker, Statement());
      s.Do(listener, Question());
      break;
    case TalkStep::kConfirm:
      s.Do(speaker, Statement());
      s.Do(listener, Reflection());
      break;
    case TalkStep::kValidate:
      s.Do(speaker, Statement());
      s.Do(listener, Reflection());
      s.Do(speaker, Confirm());
      break;
    case TalkStep::kNext:
      FullRound(s, speaker);
      break;
  }
}

// Repair agreed: A proposes at the start of round 3, B agrees. A repairs first.
void ReachRepair(Script& s) {
  ReachTalk(s, 3, TalkStep::kStatement);
  s.Do(A, ProposeRepair());
  s.Do(B, AnswerRepair(true));
}

std::string StepText(Side repairer, v1::RepairStep step) {
  return v1::Side_Name(repairer) + " " + v1::RepairStep_Name(step);
}

// `repairer` gives `step` (its server-chosen step left unspecified) and the other accepts it.
void TakeStep(Script& s, Side repairer, v1::RepairStep step) {
  s.Do(repairer, RepairStep(step, StepText(repairer, step), step == v1::PLAN ? "2026-12-24" : ""));
  s.Do(Other(repairer), AcceptStep());
}

// Repair with `repairer` at `step`; `pending`: the step is given, awaiting accept or "say more".
void ReachRepairStep(Script& s, Side repairer, v1::RepairStep step, bool pending) {
  ReachRepair(s);
  if (repairer == B) {
    for (v1::RepairStep st : {v1::RESPONSIBILITY, v1::IMPACT, v1::REMORSE, v1::PLAN}) {
      TakeStep(s, A, st);
    }
  }
  for (int st = v1::RESPONSIBILITY; st < step; ++st) {
    TakeStep(s, repairer, static_cast<v1::RepairStep>(st));
  }
  if (pending) s.Do(repairer, RepairStep(step, StepText(repairer, step)));
}

// Both repaired; then `reconnected` have chosen how to reconnect.
void ReachReconnect(Script& s, const std::vector<Side>& reconnected) {
  ReachRepair(s);
  for (Side repairer : {A, B}) {
    for (v1::RepairStep st : {v1::RESPONSIBILITY, v1::IMPACT, v1::REMORSE, v1::PLAN}) {
      TakeStep(s, repairer, st);
    }
  }
  for (Side side : reconnected) s.Do(side, Reconnect(side == A ? v1::AFFECTION : v1::GIFTS));
}

// Closing; then `rated` have rated.
void ReachClosing(Script& s, const std::vector<Side>& rated) {
  ReachReconnect(s, {A, B});
  for (Side side : rated) s.Do(side, Rate(side == A ? 7 : 9));
}

// Both say they are ready (A, then B): the break ends.
void BothReady(Script& s) {
  s.Do(A, Ready());
  s.Do(B, Ready());
}

// Both check in again after a break.
void RecheckBoth(Script& s) {
  s.Do(A, CheckIn(6, "calmer"));
  s.Do(B, CheckIn(7));
}

// ---------------------------------------------------------------------------------------------
// The core table

enum class Refusal {
  kOutOfTurn,       // every move not allowed: OUT_OF_TURN
  kRepairTooEarly,  // ... except propose_repair: REPAIR_TOO_EARLY (round boundary, not both heard)
  kSessionClosed,   // every move: SESSION_CLOSED
  kOnBreak,         // ON_BREAK, except ready and more_time (OUT_OF_TURN when not allowed)
};

struct Point {
  std::string name;
  std::function<void(Script&)> reach;
  std::vector<Kind> a, b;  // AllowedMoves for A and for B, written by hand
  Refusal refusal = Refusal::kOutOfTurn;
};

void PrintTo(const Point& p, std::ostream* os) { *os << p.name; }

std::vector<Point> Points() {
  using K = Kind;
  const K kEnd = K::kEnd;
  const K kBrk = K::kTakeBreak;  // every joined partner, in check-in, talk and repair
  auto talk = [](int round, TalkStep step) {
    return [round, step](Script& s) { ReachTalk(s, round, step); };
  };
  auto repair = [](Side repairer, v1::RepairStep step, bool pending) {
    return [=](Script& s) { ReachRepairStep(s, repairer, step, pending); };
  };
  const Refusal kEarly = Refusal::kRepairTooEarly;
  const Refusal kClosed = Refusal::kSessionClosed;
  const Refusal kOnBreak = Refusal::kOnBreak;
  const std::vector<K> kBreak = {K::kReady, K::kMoreTime, kEnd};  // nobody ready, not extended
  const std::vector<K> kRecheck = {K::kCheckIn, kBrk, kEnd};
  using TS = TalkStep;

  std::vector<Point> p = {
      // Waiting and check-in.
      {"waiting", [](Script&) {}, {K::kCheckIn, kEnd}, {kEnd}},
      {"waiting_a_checked_in", [](Script& s) { s.Do(A, CheckIn(5)); }, {kEnd}, {kEnd}},
      {"check_in",
       [](Script& s) { s.Join(B); },
       {K::kCheckIn, kBrk, kEnd},
       {K::kCheckIn, kBrk, kEnd}},
      {"check_in_a_done",
       [](Script& s) {
         s.Join(B);
         s.Do(A, CheckIn(5));
       },
       {kBrk, kEnd},
       {K::kCheckIn, kBrk, kEnd}},
      {"check_in_b_done",
       [](Script& s) {
         s.Join(B);
         s.Do(B, CheckIn(5));
       },
       {K::kCheckIn, kBrk, kEnd},
       {kBrk, kEnd}},
      {"check_in_a_done_while_waiting",
       [](Script& s) {
         s.Do(A, CheckIn(5));
         s.Join(B);
       },
       {kBrk, kEnd},
       {K::kCheckIn, kBrk, kEnd}},

      // Talk, round 1: A speaks, nobody heard yet.
      {"talk1_A_statement",
       talk(1, TS::kStatement),
       {K::kStatement, kBrk, kEnd},
       {kBrk, kEnd},
       kEarly},
      {"talk1_A_reflect",
       talk(1, TS::kReflect),
       {kBrk, kEnd},
       {K::kReflection, K::kQuestion, kBrk, kEnd}},
      {"talk1_A_answer", talk(1, TS::kAnswer), {K::kAnswer, kBrk, kEnd}, {kBrk, kEnd}},
      {"talk1_A_confirm",
       talk(1, TS::kConfirm),
       {K::kConfirm, K::kCorrection, kBrk, kEnd},
       {kBrk, kEnd}},
      {"talk1_A_validate", talk(1, TS::kValidate), {kBrk, kEnd}, {K::kValidation, kBrk, kEnd}},
      {"talk1_A_next",
       talk(1, TS::kNext),
       {K::kStatement, K::kPassFloor, kBrk, kEnd},
       {kBrk, kEnd},
       kEarly},

      // Talk, round 2: B speaks, A was heard.
      {"talk2_B_statement",
       talk(2, TS::kStatement),
       {kBrk, kEnd},
       {K::kStatement, kBrk, kEnd},
       kEarly},
      {"talk2_B_reflect",
       talk(2, TS::kReflect),
       {K::kReflection, K::kQuestion, kBrk, kEnd},
       {kBrk, kEnd}},
      {"talk2_B_answer", talk(2, TS::kAnswer), {kBrk, kEnd}, {K::kAnswer, kBrk, kEnd}},
      {"talk2_B_confirm",
       talk(2, TS::kConfirm),
       {kBrk, kEnd},
       {K::kConfirm, K::kCorrection, kBrk, kEnd}},
      {"talk2_B_validate", talk(2, TS::kValidate), {K::kValidation, kBrk, kEnd}, {kBrk, kEnd}},
      {"talk2_B_next",
       talk(2, TS::kNext),
       {K::kProposeRepair, kBrk, kEnd},
       {K::kStatement, K::kPassFloor, K::kProposeRepair, kBrk, kEnd}},

      // Talk, round 3: A speaks again, both were heard.
      {"talk3_A_statement",
       talk(3, TS::kStatement),
       {K::kStatement, K::kProposeRepair, kBrk, kEnd},
       {K::kProposeRepair, kBrk, kEnd}},
      {"talk3_A_reflect",
       talk(3, TS::kReflect),
       {kBrk, kEnd},
       {K::kReflection, K::kQuestion, kBrk, kEnd}},
      {"talk3_A_answer", talk(3, TS::kAnswer), {K::kAnswer, kBrk, kEnd}, {kBrk, kEnd}},
      {"talk3_A_confirm",
       talk(3, TS::kConfirm),
       {K::kConfirm, K::kCorrection, kBrk, kEnd},
       {kBrk, kEnd}},
      {"talk3_A_validate", talk(3, TS::kValidate), {kBrk, kEnd}, {K::kValidation, kBrk, kEnd}},
      {"talk3_A_next",
       talk(3, TS::kNext),
       {K::kStatement, K::kPassFloor, K::kProposeRepair, kBrk, kEnd},
       {K::kProposeRepair, kBrk, kEnd}},

      // A repair proposal awaiting the other's answer.
      {"proposal_by_A",
       [](Script& s) {
         ReachTalk(s, 3, TS::kStatement);
         s.Do(A, ProposeRepair());
       },
       {kBrk, kEnd},
       {K::kAnswerRepair, kBrk, kEnd}},
      {"proposal_by_B",
       [](Script& s) {
         ReachTalk(s, 2, TS::kNext);
         s.Do(B, ProposeRepair());
       },
       {K::kAnswerRepair, kBrk, kEnd},
       {kBrk, kEnd}},

      // Repair: A's steps, then B's; each expected, then pending.
      {"repair_A_responsibility",
       repair(A, v1::RESPONSIBILITY, false),
       {K::kRepairStep, kBrk, kEnd},
       {kBrk, kEnd}},
      {"repair_A_responsibility_pending",
       repair(A, v1::RESPONSIBILITY, true),
       {kBrk, kEnd},
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd}},
      {"repair_A_impact", repair(A, v1::IMPACT, false), {K::kRepairStep, kBrk, kEnd}, {kBrk, kEnd}},
      {"repair_A_impact_pending",
       repair(A, v1::IMPACT, true),
       {kBrk, kEnd},
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd}},
      {"repair_A_remorse",
       repair(A, v1::REMORSE, false),
       {K::kRepairStep, kBrk, kEnd},
       {kBrk, kEnd}},
      {"repair_A_remorse_pending",
       repair(A, v1::REMORSE, true),
       {kBrk, kEnd},
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd}},
      {"repair_A_plan", repair(A, v1::PLAN, false), {K::kRepairStep, kBrk, kEnd}, {kBrk, kEnd}},
      {"repair_A_plan_pending",
       repair(A, v1::PLAN, true),
       {kBrk, kEnd},
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd}},
      {"repair_A_after_ask_more",
       [](Script& s) {
         ReachRepairStep(s, A, v1::IMPACT, true);
         s.Do(B, AskMore());
       },
       {K::kRepairStep, kBrk, kEnd},
       {kBrk, kEnd}},
      {"repair_B_responsibility",
       repair(B, v1::RESPONSIBILITY, false),
       {kBrk, kEnd},
       {K::kRepairStep, kBrk, kEnd}},
      {"repair_B_responsibility_pending",
       repair(B, v1::RESPONSIBILITY, true),
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd},
       {kBrk, kEnd}},
      {"repair_B_impact", repair(B, v1::IMPACT, false), {kBrk, kEnd}, {K::kRepairStep, kBrk, kEnd}},
      {"repair_B_impact_pending",
       repair(B, v1::IMPACT, true),
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd},
       {kBrk, kEnd}},
      {"repair_B_remorse",
       repair(B, v1::REMORSE, false),
       {kBrk, kEnd},
       {K::kRepairStep, kBrk, kEnd}},
      {"repair_B_remorse_pending",
       repair(B, v1::REMORSE, true),
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd},
       {kBrk, kEnd}},
      {"repair_B_plan", repair(B, v1::PLAN, false), {kBrk, kEnd}, {K::kRepairStep, kBrk, kEnd}},
      {"repair_B_plan_pending",
       repair(B, v1::PLAN, true),
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd},
       {kBrk, kEnd}},

      // Reconnection.
      {"reconnect",
       [](Script& s) { ReachReconnect(s, {}); },
       {K::kReconnect, kBrk, kEnd},
       {K::kReconnect, kBrk, kEnd}},
      {"reconnect_A_done",
       [](Script& s) { ReachReconnect(s, {A}); },
       {kBrk, kEnd},
       {K::kReconnect, kBrk, kEnd}},
      {"reconnect_B_done",
       [](Script& s) { ReachReconnect(s, {B}); },
       {K::kReconnect, kBrk, kEnd},
       {kBrk, kEnd}},

      // On a break: only ready (once each), more time (once) and end.
      {"break_in_check_in",
       [](Script& s) {
         s.Join(B);
         s.Do(A, TakeBreak());
       },
       kBreak, kBreak, kOnBreak},
      {"break_in_check_in_a_done",
       [](Script& s) {
         s.Join(B);
         s.Do(A, CheckIn(5));
         s.Do(B, TakeBreak());
       },
       kBreak, kBreak, kOnBreak},
      {"break_in_talk_confirm",
       [](Script& s) {
         ReachTalk(s, 1, TS::kConfirm);
         s.Do(B, TakeBreak());
       },
       kBreak, kBreak, kOnBreak},
      {"break_in_proposal",
       [](Script& s) {
         ReachTalk(s, 3, TS::kStatement);
         s.Do(A, ProposeRepair());
         s.Do(A, TakeBreak());
       },
       kBreak, kBreak, kOnBreak},
      {"break_in_repair_pending",
       [](Script& s) {
         ReachRepairStep(s, A, v1::IMPACT, true);
         s.Do(A, TakeBreak(3600));
       },
       kBreak, kBreak, kOnBreak},
      {"break_in_reconnect",
       [](Script& s) {
         ReachReconnect(s, {A});
         s.Do(B, TakeBreak());
       },
       kBreak, kBreak, kOnBreak},
      {"break_A_ready",
       [](Script& s) {
         ReachTalk(s, 2, TS::kReflect);
         s.Do(A, TakeBreak());
         s.Do(A, Ready());
       },
       {K::kMoreTime, kEnd},
       kBreak,
       kOnBreak},
      {"break_B_ready_A_more_time",
       [](Script& s) {
         ReachTalk(s, 2, TS::kReflect);
         s.Do(B, TakeBreak());
         s.Do(B, Ready());
         s.Do(A, MoreTime());
       },
       {K::kReady, kEnd},
       {kEnd},
       kOnBreak},
      {"break_while_rechecking",
       [](Script& s) {
         ReachTalk(s, 1, TS::kReflect);
         s.Do(A, TakeBreak());
         BothReady(s);
         s.Do(A, CheckIn(5));
         s.Do(B, TakeBreak());
       },
       kBreak, kBreak, kOnBreak},

      // After a break (outside the first check-in): both check in again, then resume.
      {"rechecking_talk",
       [](Script& s) {
         ReachTalk(s, 1, TS::kReflect);
         s.Do(A, TakeBreak());
         BothReady(s);
       },
       kRecheck, kRecheck},
      {"rechecking_talk_A_done",
       [](Script& s) {
         ReachTalk(s, 1, TS::kReflect);
         s.Do(A, TakeBreak());
         BothReady(s);
         s.Do(A, CheckIn(5));
       },
       {kBrk, kEnd},
       kRecheck},
      {"rechecking_proposal_B_done",
       [](Script& s) {
         ReachTalk(s, 3, TS::kStatement);
         s.Do(A, ProposeRepair());
         s.Do(B, TakeBreak());
         BothReady(s);
         s.Do(B, CheckIn(5));
       },
       kRecheck,
       {kBrk, kEnd}},
      {"rechecking_repair_after_time_up",
       [](Script& s) {
         ReachRepairStep(s, B, v1::PLAN, true);
         s.Do(A, TakeBreak());
         s.TickAt(s.state().on_break->ends_ms);
       },
       kRecheck, kRecheck},
      {"check_in_after_break",  // the first check-in simply goes on
       [](Script& s) {
         s.Join(B);
         s.Do(A, CheckIn(5));
         s.Do(B, TakeBreak());
         BothReady(s);
       },
       {kBrk, kEnd},
       kRecheck},
      {"talk_resumed_after_break",
       [](Script& s) {
         ReachTalk(s, 1, TS::kReflect);
         s.Do(A, TakeBreak());
         BothReady(s);
         RecheckBoth(s);
       },
       {kBrk, kEnd},
       {K::kReflection, K::kQuestion, kBrk, kEnd}},
      {"repair_resumed_after_break",
       [](Script& s) {
         ReachRepairStep(s, B, v1::REMORSE, true);
         s.Do(B, TakeBreak());
         s.TickAt(s.state().on_break->ends_ms + 1);
         RecheckBoth(s);
       },
       {K::kAcceptStep, K::kAskMore, kBrk, kEnd},
       {kBrk, kEnd}},

      // Closing.
      {"closing", [](Script& s) { ReachClosing(s, {}); }, {K::kRate, kEnd}, {K::kRate, kEnd}},
      {"closing_A_rated", [](Script& s) { ReachClosing(s, {A}); }, {kEnd}, {K::kRate, kEnd}},
      {"closing_B_rated", [](Script& s) { ReachClosing(s, {B}); }, {K::kRate, kEnd}, {kEnd}},

      // Closed.
      {"closed_repaired",
       [](Script& s) {
         ReachClosing(s, {A, B});
       },
       {},
       {},
       kClosed},
      {"closed_ended_while_waiting", [](Script& s) { s.Do(A, End()); }, {}, {}, kClosed},
      {"closed_ended_in_talk",
       [](Script& s) {
         ReachTalk(s, 1, TS::kConfirm);
         s.Do(B, End("I need to stop"));
       },
       {},
       {},
       kClosed},
      {"closed_ended_on_break",
       [](Script& s) {
         ReachTalk(s, 2, TS::kAnswer);
         s.Do(B, TakeBreak());
         s.Do(A, End());
       },
       {},
       {},
       kClosed},
      {"closed_not_resumed",
       [](Script& s) {
         ReachTalk(s, 2, TS::kAnswer);
         s.Do(B, TakeBreak());
         s.TickAt(s.state().on_break->ends_ms);
         s.TickAt(s.state().last_break_started_ms + s.config().break_max_ms);
       },
       {},
       {},
       kClosed},
      {"closed_ended_in_repair",
       [](Script& s) {
         ReachRepairStep(s, B, v1::IMPACT, true);
         s.Do(A, End());
       },
       {},
       {},
       kClosed},
  };
  return p;
}

class RulesTableTest : public ::testing::TestWithParam<Point> {};

TEST_P(RulesTableTest, AllowedMovesMatchTheTable) {
  const Point& point = GetParam();
  Script s;
  ASSERT_NO_FATAL_FAILURE(point.reach(s));
  ASSERT_FALSE(::testing::Test::HasFailure()) << "could not reach " << point.name;
  EXPECT_EQ(Sorted(Names(AllowedMoves(s.state(), A))), Sorted(Names(point.a))) << Dump(s.state());
  EXPECT_EQ(Sorted(Names(AllowedMoves(s.state(), B))), Sorted(Names(point.b))) << Dump(s.state());
}

TEST_P(RulesTableTest, DecideAcceptsExactlyTheAllowedMoves) {
  const Point& point = GetParam();
  Script s;
  ASSERT_NO_FATAL_FAILURE(point.reach(s));
  ASSERT_FALSE(::testing::Test::HasFailure()) << "could not reach " << point.name;
  const State& state = s.state();

  // Who may act and what is expected, from the table: the moves other than `end` and
  // `take_break`, which are open to both at any time.
  std::vector<Side> may_act;
  std::vector<std::string> expected;
  for (Side side : {A, B}) {
    bool acts = false;
    for (Kind k : side == A ? point.a : point.b) {
      if (k == Kind::kEnd || k == Kind::kTakeBreak) continue;
      acts = true;
      if (std::find(expected.begin(), expected.end(), MoveName(k)) == expected.end()) {
        expected.push_back(MoveName(k));
      }
    }
    if (acts) may_act.push_back(side);
  }

  for (Side side : {A, B}) {
    const std::vector<Kind>& allowed = side == A ? point.a : point.b;
    for (Kind kind : kAllKinds) {
      SCOPED_TRACE(point.name + ": " + MoveName(kind) + " by " + v1::Side_Name(side));
      v1::Move move = Sample(kind);
      Result<std::vector<v1::SessionEvent>> r =
          Decide(state, move, side, s.now() + 1000, s.config());
      bool is_allowed = std::find(allowed.begin(), allowed.end(), kind) != allowed.end();
      if (is_allowed) {
        ASSERT_TRUE(r.ok()) << ErrorCodeName(r.code()) << ": " << r.error().message;
        const std::vector<v1::SessionEvent>& events = r.value();
        bool closes =
            kind == Kind::kEnd || (kind == Kind::kRate && state.of(Other(side)).rating.has_value());
        bool both_ready =
            kind == Kind::kReady && state.on_break && state.on_break->ready[side == A ? 1 : 0];
        ASSERT_EQ(events.size(), closes || both_ready ? 2u : 1u);
        EXPECT_EQ(events[0].move().kind_case(), kind);
        EXPECT_EQ(events[0].actor(), side);
        if (closes) {
          EXPECT_EQ(events[1].closed().outcome(),
                    kind == Kind::kEnd ? v1::ENDED_EARLY : v1::REPAIRED);
        }
        if (both_ready) {
          EXPECT_EQ(events[1].break_ended().reason(), v1::BreakEnded::BOTH_READY);
          EXPECT_EQ(events[1].actor(), v1::SIDE_UNSPECIFIED);
        }
        State next = state;
        for (const v1::SessionEvent& e : events) {
          ASSERT_EQ(e.seq(), next.seq + 1);
          Apply(next, e);
        }
        EXPECT_EQ(next.phase == v1::CLOSED, closes);
        continue;
      }
      ASSERT_FALSE(r.ok()) << "accepted";
      const Error& e = r.error();
      EXPECT_EQ(e.current_seq, state.seq);
      if (point.refusal == Refusal::kSessionClosed) {
        EXPECT_EQ(e.code, v1::SESSION_CLOSED) << e.message;
        continue;
      }
      if (point.refusal == Refusal::kOnBreak && kind != Kind::kReady && kind != Kind::kMoreTime) {
        ASSERT_TRUE(state.on_break.has_value());
        EXPECT_EQ(e.code, v1::ON_BREAK) << e.message;
        EXPECT_EQ(e.break_ends_at_unix_ms, state.on_break->ends_ms);
        EXPECT_EQ(Sorted(e.may_act), Sorted({A, B}));
        EXPECT_EQ(Sorted(e.expected), Sorted(Names(allowed)));
        EXPECT_FALSE(e.message.empty());
        continue;
      }
      if (point.refusal == Refusal::kRepairTooEarly && kind == Kind::kProposeRepair) {
        EXPECT_EQ(e.code, v1::REPAIR_TOO_EARLY) << e.message;
        continue;
      }
      ASSERT_EQ(e.code, v1::OUT_OF_TURN) << e.message;
      EXPECT_EQ(Sorted(e.may_act), Sorted(may_act));
      EXPECT_EQ(Sorted(e.expected), Sorted(expected));
      EXPECT_FALSE(e.message.empty());
      if (may_act.size() == 1 && may_act[0] != side) {
        const std::string who = may_act[0] == A ? "Alice" : "Bob";
        EXPECT_TRUE(Contains(e.message, "it is " + who + "'s turn"));
        for (const std::string& name : expected) EXPECT_TRUE(Contains(e.message, name));
      } else if (may_act.size() == 1) {
        EXPECT_TRUE(Contains(e.message, "expected from you"));
        for (const std::string& name : expected) EXPECT_TRUE(Contains(e.message, name));
      }
    }
  }
}

TEST_P(RulesTableTest, ReplayingTheLogGivesTheSameState) {
  const Point& point = GetParam();
  Script s;
  ASSERT_NO_FATAL_FAILURE(point.reach(s));
  ASSERT_FALSE(::testing::Test::HasFailure()) << "could not reach " << point.name;
  for (size_t i = 0; i < s.log().size(); ++i) EXPECT_EQ(s.log()[i].seq(), i + 1);
  State replayed = Replay(s.log());
  EXPECT_EQ(Dump(replayed), Dump(s.state()));
  // A recovered state decides exactly as the live one.
  for (Side side : {A, B}) {
    for (Kind kind : kAllKinds) {
      auto live = Decide(s.state(), Sample(kind), side, 5, s.config());
      auto recovered = Decide(replayed, Sample(kind), side, 5, s.config());
      ASSERT_EQ(live.ok(), recovered.ok());
      if (!live.ok()) {
        EXPECT_EQ(live.code(), recovered.code());
        EXPECT_EQ(live.error().message, recovered.error().message);
        continue;
      }
      ASSERT_EQ(live.value().size(), recovered.value().size());
      for (size_t i = 0; i < live.value().size(); ++i) {
        EXPECT_TRUE(MessageDifferencer::Equals(live.value()[i], recovered.value()[i]));
      }
    }
  }
}

// The same points, but only those where the session is still active.
std::vector<Point> ActivePoints() {
  std::vector<Point> out;
  for (Point& p : Points()) {
    if (p.refusal != Refusal::kSessionClosed) out.push_back(std::move(p));
  }
  return out;
}

class RulesActiveTest : public ::testing::TestWithParam<Point> {};

TEST_P(RulesActiveTest, EndClosesEveryActivePhaseAsEndedEarly) {
  const Point& point = GetParam();
  for (Side side : {A, B}) {
    Script s;
    ASSERT_NO_FATAL_FAILURE(point.reach(s));
    ASSERT_FALSE(::testing::Test::HasFailure()) << "could not reach " << point.name;
    uint64_t seq = s.state().seq;
    std::vector<v1::SessionEvent> events = s.Do(side, End("not tonight"));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].move().end().text(), "not tonight");
    EXPECT_EQ(events[1].seq(), seq + 2);
    EXPECT_EQ(events[1].closed().outcome(), v1::ENDED_EARLY);
    EXPECT_EQ(s.state().phase, v1::CLOSED);
    EXPECT_EQ(s.state().outcome, v1::ENDED_EARLY);
    EXPECT_EQ(s.state().closed_ms, s.now());
    EXPECT_TRUE(AllowedMoves(s.state(), A).empty());
    EXPECT_TRUE(AllowedMoves(s.state(), B).empty());
    EXPECT_TRUE(s.Join(B).empty());
  }
}

std::string PointName(const ::testing::TestParamInfo<Point>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(EveryPoint, RulesTableTest, ::testing::ValuesIn(Points()), PointName);
INSTANTIATE_TEST_SUITE_P(EveryActivePoint, RulesActiveTest, ::testing::ValuesIn(ActivePoints()),
                         PointName);

TEST(RulesTest, MoveKindsAreAllListed) {
  const auto* oneof = v1::Move::descriptor()->FindOneofByName("kind");
  ASSERT_NE(oneof, nullptr);
  ASSERT_EQ(static_cast<size_t>(oneof->field_count()), kAllKinds.size());
  for (int i = 0; i < oneof->field_count(); ++i) {
    EXPECT_EQ(MoveName(static_cast<Kind>(oneof->field(i)->number())), oneof->field(i)->name());
    EXPECT_NE(
        std::find(kAllKinds.begin(), kAllKinds.end(), static_cast<Kind>(oneof->field(i)->number())),
        kAllKinds.end());
  }
  EXPECT_EQ(MoveName(Kind::kReflection), "reflection");
  EXPECT_EQ(MoveName(Kind::KIND_NOT_SET), "nothing");
}

// ---------------------------------------------------------------------------------------------
// Open and join

TEST(RulesOpenTest, OpenRecordsTheTrimmedTopicAndTheAccounts) {
  Config config;
  Result<v1::SessionEvent> r = Open(7, "  money \n", MakeAccount("alice", "Alice"),
                                    MakeAccount("bob", "Bob"), kStartMs, config);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const v1::SessionEvent& e = r.value();
  EXPECT_EQ(e.session_id(), 7);
  EXPECT_EQ(e.seq(), 1u);
  EXPECT_EQ(e.actor(), A);
  EXPECT_EQ(e.at_unix_ms(), kStartMs);
  EXPECT_EQ(e.opened().topic(), "money");
  EXPECT_EQ(e.opened().a().display_name(), "Alice");
  EXPECT_EQ(e.opened().b().display_name(), "Bob");

  State state;
  Apply(state, e);
  EXPECT_EQ(state.session_id, 7);
  EXPECT_EQ(state.seq, 1u);
  EXPECT_EQ(state.phase, v1::WAITING);
  EXPECT_EQ(state.topic, "money");
  EXPECT_EQ(state.opened_ms, kStartMs);
  EXPECT_TRUE(state.of(A).joined);
  EXPECT_FALSE(state.of(B).joined);
  EXPECT_TRUE(state.active());
}

TEST(RulesOpenTest, TopicLimits) {
  Config config;
  auto open = [&](const std::string& topic) {
    return Open(1, topic, MakeAccount("a", "A"), MakeAccount("b", "B"), kStartMs, config).code();
  };
  EXPECT_EQ(open(""), v1::INVALID_ARGUMENT);
  EXPECT_EQ(open(" \t\r\n "), v1::INVALID_ARGUMENT);
  EXPECT_EQ(open("bad \xC3"), v1::INVALID_ARGUMENT);  // not UTF-8
  EXPECT_EQ(open(Repeat("x", 121)), v1::TOO_LONG);
  EXPECT_EQ(open(Repeat(kE, 121)), v1::TOO_LONG);
  EXPECT_EQ(open(Repeat("x", 120)), v1::ERROR_CODE_UNSPECIFIED);
  // Characters, not bytes: 120 "é" are 240 bytes.
  EXPECT_EQ(open(Repeat(kE, 120)), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(open("  " + Repeat(kE, 120) + "  "), v1::ERROR_CODE_UNSPECIFIED);
}

TEST(RulesJoinTest, OnlyBsFirstJoinProducesAnEvent) {
  Script s;
  EXPECT_TRUE(s.Join(A).empty()) << "A opened the session: already joined";
  EXPECT_EQ(s.state().phase, v1::WAITING);
  std::vector<v1::SessionEvent> joined = s.Join(B);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].seq(), 2u);
  EXPECT_EQ(joined[0].actor(), B);
  EXPECT_TRUE(joined[0].has_joined());
  EXPECT_EQ(s.state().phase, v1::CHECK_IN);
  EXPECT_TRUE(s.state().of(B).joined);
  EXPECT_TRUE(s.Join(B).empty()) << "a rejoin is not an event";
  EXPECT_TRUE(s.Join(A).empty());
  EXPECT_EQ(s.state().seq, 2u);
}

TEST(RulesJoinTest, BMayNotCheckInBeforeJoining) {
  Script s;
  Error e = s.Refuse(B, CheckIn(7));
  EXPECT_EQ(e.code, v1::OUT_OF_TURN);
  EXPECT_EQ(e.current_seq, 1u);
  EXPECT_EQ(Sorted(e.may_act), Sorted({A}));
  EXPECT_EQ(Sorted(e.expected), Sorted({"check_in"}));
  EXPECT_TRUE(Contains(e.message, "Alice's turn"));

  // Once A has checked in, nobody can do anything until B joins.
  s.Do(A, CheckIn(7));
  e = s.Refuse(B, CheckIn(7));
  EXPECT_EQ(e.code, v1::OUT_OF_TURN);
  EXPECT_TRUE(e.may_act.empty());
  EXPECT_TRUE(e.expected.empty());
  EXPECT_TRUE(Contains(e.message, "waiting for your partner to join"));
}

// Note: B may `end` before joining (the table's "waiting" point), as the contract says `end` is
// allowed "while the session is active" and the design lets either partner end at any time.
TEST(RulesJoinTest, ACheckedInWhileWaitingThenBJoinsAndChecksIn) {
  Script s;
  s.Do(A, CheckIn(8, "ok"));
  EXPECT_EQ(s.state().phase, v1::WAITING);
  EXPECT_TRUE(s.state().of(A).checked_in);
  s.Join(B);
  EXPECT_EQ(s.state().phase, v1::CHECK_IN);
  EXPECT_TRUE(s.state().of(A).checked_in) << "A's check-in is kept";
  s.Do(B, CheckIn(6));
  EXPECT_EQ(s.state().phase, v1::TALK);
  EXPECT_EQ(s.state().speaker, A);
  EXPECT_EQ(s.state().talk, TalkStep::kStatement);
}

TEST(RulesJoinTest, ClosedSessionJoinProducesNoEvent) {
  Script s;
  s.Do(A, End());
  EXPECT_TRUE(s.Join(B).empty());
  EXPECT_FALSE(s.state().of(B).joined);
}

// ---------------------------------------------------------------------------------------------
// Check-in

TEST(RulesCheckInTest, BothCheckedInStartsTalkWithASpeaking) {
  for (Side first : {A, B}) {
    Script s;
    s.Join(B);
    s.Do(first, CheckIn(4));
    EXPECT_EQ(s.state().phase, v1::CHECK_IN);
    EXPECT_TRUE(s.state().of(first).checked_in);
    EXPECT_EQ(s.state().of(first).calm, 4u);
    s.Do(Other(first), CheckIn(9));
    EXPECT_EQ(s.state().phase, v1::TALK);
    EXPECT_EQ(s.state().speaker, A) << "side A speaks first whoever checked in first";
    EXPECT_EQ(s.state().talk, TalkStep::kStatement);
    EXPECT_EQ(s.state().of(Other(first)).calm, 9u);
  }
}

TEST(RulesCheckInTest, BreakAdvisedAtOrBelowTheFloodingThreshold) {
  struct Case {
    uint32_t threshold, calm;
    bool advised;
  };
  for (Case c : std::vector<Case>{{3, 0, true},
                                  {3, 2, true},
                                  {3, 3, true},
                                  {3, 4, false},
                                  {3, 10, false},
                                  {5, 5, true},
                                  {5, 6, false},
                                  {0, 0, true},
                                  {0, 1, false}}) {
    SCOPED_TRACE("threshold " + std::to_string(c.threshold) + " calm " + std::to_string(c.calm));
    Config config;
    config.flooding_threshold = c.threshold;
    Script s(config);
    s.Join(B);
    v1::Move move = CheckIn(c.calm, "tense");
    move.mutable_check_in()->set_break_advised(!c.advised);  // the server decides, not the client
    std::vector<v1::SessionEvent> events = s.Do(B, move);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].move().check_in().break_advised(), c.advised);
    EXPECT_EQ(events[0].move().check_in().calm(), c.calm);
    EXPECT_EQ(events[0].move().check_in().feeling(), "tense");
  }
}

TEST(RulesCheckInTest, CalmAndFeelingLimits) {
  Script s;
  s.Join(B);
  Error e = s.Refuse(A, CheckIn(11));
  EXPECT_EQ(e.code, v1::INVALID_ARGUMENT);
  EXPECT_EQ(e.current_seq, s.state().seq);
  EXPECT_EQ(s.Refuse(A, CheckIn(4'000'000'000u)).code, v1::INVALID_ARGUMENT);
  EXPECT_EQ(s.Refuse(A, CheckIn(5, Repeat(kE, 41))).code, v1::TOO_LONG);
  EXPECT_EQ(s.Refuse(A, CheckIn(5, "\xFF")).code, v1::INVALID_ARGUMENT);
  EXPECT_EQ(s.Try(A, CheckIn(10, Repeat(kE, 40))).code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(s.Try(A, CheckIn(0, "   ")).code(), v1::ERROR_CODE_UNSPECIFIED) << "feeling optional";
  EXPECT_EQ(s.state().phase, v1::CHECK_IN);
  EXPECT_FALSE(s.state().of(A).checked_in);
}

// ---------------------------------------------------------------------------------------------
// Talk

TEST(RulesTalkTest, ARoundOfSpeakerAndListener) {
  Script s;
  CheckInBoth(s);
  const State& st = s.state();

  s.Do(A, Statement());
  EXPECT_EQ(st.talk, TalkStep::kReflect);
  EXPECT_EQ(st.speaker, A);

  s.Do(B, Question());
  EXPECT_EQ(st.talk, TalkStep::kAnswer);
  s.Do(A, Answer());
  EXPECT_EQ(st.talk, TalkStep::kReflect);
  s.Do(B, Question("And weekends?"));  // the listener may ask again
  EXPECT_EQ(st.talk, TalkStep::kAnswer);
  s.Do(A, Answer("Not weekends"));
  EXPECT_EQ(st.talk, TalkStep::kReflect);

  s.Do(B, Reflection());
  EXPECT_EQ(st.talk, TalkStep::kConfirm);
  s.Do(A, Correction());
  EXPECT_EQ(st.talk, TalkStep::kReflect) << "not quite: the listener reflects again";
  EXPECT_FALSE(st.of(A).heard) << "a corrected reflection is not being heard";
  s.Do(B, Reflection("You feel alone with the house in the evenings"));
  EXPECT_EQ(st.talk, TalkStep::kConfirm);
  s.Do(A, Confirm());
  EXPECT_EQ(st.talk, TalkStep::kValidate);
  EXPECT_TRUE(st.of(A).heard);
  EXPECT_FALSE(st.of(B).heard);

  s.Do(B, Validation());
  EXPECT_EQ(st.talk, TalkStep::kNext);
  EXPECT_EQ(st.speaker, A);

  s.Do(A, Statement("tired"));  // another statement, same speaker
  EXPECT_EQ(st.talk, TalkStep::kReflect);
  EXPECT_EQ(st.speaker, A);
  s.Do(B, Reflection());
  s.Do(A, Confirm());
  s.Do(B, Validation());

  s.Do(A, PassFloor());
  EXPECT_EQ(st.speaker, B);
  EXPECT_EQ(st.talk, TalkStep::kStatement);
  EXPECT_TRUE(st.of(A).heard) << "heard is kept across rounds";
  EXPECT_EQ(st.phase, v1::TALK);

  s.Do(B, Statement());
  s.Do(A, Reflection());
  s.Do(B, Confirm());
  EXPECT_TRUE(st.of(B).heard);
  s.Do(A, Validation());
  s.Do(B, PassFloor());
  EXPECT_EQ(st.speaker, A);
  EXPECT_EQ(st.talk, TalkStep::kStatement);
}

// Regression: when breaks were added, take_break (open to both) once made both partners "may act".
TEST(RulesTalkTest, OutOfTurnNamesThePartnerAndTheExpectedMoves) {
  Script s;
  ReachTalk(s, 1, TalkStep::kReflect);
  Error e = s.Refuse(A, Statement());
  EXPECT_EQ(e.code, v1::OUT_OF_TURN);
  EXPECT_EQ(e.current_seq, s.state().seq);
  EXPECT_EQ(Sorted(e.may_act), Sorted({B}));
  EXPECT_EQ(Sorted(e.expected), Sorted({"reflection", "question"}));
  EXPECT_TRUE(Contains(e.message, "it is Bob's turn"));
  EXPECT_TRUE(Contains(e.message, "reflection"));
  EXPECT_TRUE(Contains(e.message, "question"));

  // The listener, but the wrong move: told what is expected from them.
  e = s.Refuse(B, Validation());
  EXPECT_EQ(e.code, v1::OUT_OF_TURN);
  EXPECT_EQ(Sorted(e.may_act), Sorted({B}));
  EXPECT_TRUE(Contains(e.message, "expected from you"));
  EXPECT_FALSE(Contains(e.message, "Bob"));
}

TEST(RulesTalkTest, OutOfTurnFallsBackToTheSideWithoutADisplayName) {
  Script s(Config(), "", "");
  ReachTalk(s, 1, TalkStep::kReflect);
  Error e = s.Refuse(A, Confirm());
  EXPECT_EQ(e.code, v1::OUT_OF_TURN);
  EXPECT_TRUE(Contains(e.message, "side B's turn"));
}

TEST(RulesTalkTest, IStatementPartsAreRequired) {
  Script s;
  CheckInBoth(s);
  const std::string ok = "x";
  for (const std::string& blank : {std::string(), std::string(" \t\n")}) {
    EXPECT_EQ(s.Refuse(A, Statement(blank, ok, ok, ok)).code, v1::INVALID_ARGUMENT);
    EXPECT_EQ(s.Refuse(A, Statement(ok, blank, ok, ok)).code, v1::INVALID_ARGUMENT);
    EXPECT_EQ(s.Refuse(A, Statement(ok, ok, blank, ok)).code, v1::INVALID_ARGUMENT);
    Error e = s.Refuse(A, Statement(ok, ok, ok, blank));
    EXPECT_EQ(e.code, v1::INVALID_ARGUMENT);
    EXPECT_EQ(e.current_seq, s.state().seq);
  }
  v1::Move empty;
  empty.mutable_statement();
  EXPECT_EQ(s.Refuse(A, empty).code, v1::INVALID_ARGUMENT);
  EXPECT_EQ(s.Refuse(A, Statement(ok, "\xC3\x28", ok, ok)).code, v1::INVALID_ARGUMENT);
}

TEST(RulesTalkTest, IStatementLengthCountsCharactersOfAllFourParts) {
  Script s;
  CheckInBoth(s);
  // 400 characters (800 bytes) in all: allowed.
  v1::Move exactly = Statement(Repeat(kE, 100), Repeat(kE, 100), Repeat(kE, 100), Repeat(kE, 100));
  EXPECT_EQ(s.Try(A, exactly).code(), v1::ERROR_CODE_UNSPECIFIED);
  // 401 in all, each part well under the cap: too long.
  Error e =
      s.Refuse(A, Statement(Repeat(kE, 100), Repeat(kE, 100), Repeat(kE, 100), Repeat(kE, 101)));
  EXPECT_EQ(e.code, v1::TOO_LONG);
  EXPECT_EQ(e.current_seq, s.state().seq);
  EXPECT_EQ(s.Refuse(A, Statement(Repeat("x", 398), "y", "z", "w")).code, v1::TOO_LONG);
  EXPECT_EQ(s.Refuse(A, Statement(Repeat("x", 401), "y", "z", "w")).code, v1::TOO_LONG);
  std::vector<v1::SessionEvent> events = s.Do(A, exactly);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].move().statement().need(), Repeat(kE, 100));
}

// Each text move, where it is allowed: required texts refuse empty and whitespace; all refuse
// invalid UTF-8 and more than the cap (in characters).
struct TextCase {
  std::string name;
  std::function<void(Script&)> reach;
  Side actor;
  std::function<v1::Move(const std::string&)> make;
  std::function<std::string(const v1::Move&)> recorded;
  bool optional;
  size_t max;
};

void PrintTo(const TextCase& c, std::ostream* os) { *os << c.name; }

class RulesTextTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(RulesTextTest, EmptyLongAndValidTexts) {
  const TextCase& c = GetParam();
  Script s;
  ASSERT_NO_FATAL_FAILURE(c.reach(s));
  ASSERT_FALSE(::testing::Test::HasFailure());
  for (const std::string& blank : {std::string(), std::string("  \t\r\n ")}) {
    if (c.optional) {
      EXPECT_TRUE(s.Try(c.actor, c.make(blank)).ok()) << "optional text may be empty";
    } else {
      Error e = s.Refuse(c.actor, c.make(blank));
      EXPECT_EQ(e.code, v1::INVALID_ARGUMENT) << e.message;
      EXPECT_EQ(e.current_seq, s.state().seq);
    }
  }
  EXPECT_EQ(s.Refuse(c.actor, c.make("ok \xC3")).code, v1::INVALID_ARGUMENT);
  Error e = s.Refuse(c.actor, c.make(Repeat(kE, c.max + 1)));
  EXPECT_EQ(e.code, v1::TOO_LONG) << e.message;
  EXPECT_EQ(e.current_seq, s.state().seq);
  EXPECT_EQ(s.Refuse(c.actor, c.make(Repeat("x", c.max + 1))).code, v1::TOO_LONG);
  // Exactly the cap, in two-byte characters, passes; surrounding spaces do not count.
  EXPECT_TRUE(s.Try(c.actor, c.make(" " + Repeat(kE, c.max) + "\n")).ok());
  std::vector<v1::SessionEvent> events = s.Do(c.actor, c.make(Repeat(kE, c.max)));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(c.recorded(events[0].move()), Repeat(kE, c.max));
}

INSTANTIATE_TEST_SUITE_P(
    EveryText, RulesTextTest,
    ::testing::Values(
        TextCase{"question", [](Script& s) { ReachTalk(s, 1, TalkStep::kReflect); }, B,
                 [](const std::string& t) { return Question(t); },
                 [](const v1::Move& m) { return m.question().text(); }, false, 400},
        TextCase{"answer", [](Script& s) { ReachTalk(s, 1, TalkStep::kAnswer); }, A,
                 [](const std::string& t) { return Answer(t); },
                 [](const v1::Move& m) { return m.answer().text(); }, false, 400},
        TextCase{"reflection", [](Script& s) { ReachTalk(s, 2, TalkStep::kReflect); }, A,
                 [](const std::string& t) { return Reflection(t); },
                 [](const v1::Move& m) { return m.reflection().text(); }, false, 400},
        TextCase{"correction", [](Script& s) { ReachTalk(s, 1, TalkStep::kConfirm); }, A,
                 [](const std::string& t) { return Correction(t); },
                 [](const v1::Move& m) { return m.correction().text(); }, false, 400},
        TextCase{"validation", [](Script& s) { ReachTalk(s, 1, TalkStep::kValidate); }, B,
                 [](const std::string& t) { return Validation(t); },
                 [](const v1::Move& m) { return m.validation().text(); }, false, 400},
        TextCase{"repair_step", [](Script& s) { ReachRepairStep(s, A, v1::RESPONSIBILITY, false); },
                 A, [](const std::string& t) { return RepairStep(v1::REPAIR_STEP_UNSPECIFIED, t); },
                 [](const v1::Move& m) { return m.repair_step().text(); }, false, 400},
        TextCase{"plan", [](Script& s) { ReachRepairStep(s, B, v1::PLAN, false); }, B,
                 [](const std::string& t) { return RepairStep(v1::PLAN, t, "2027-01-31"); },
                 [](const v1::Move& m) { return m.repair_step().text(); }, false, 400},
        TextCase{"ask_more", [](Script& s) { ReachRepairStep(s, A, v1::IMPACT, true); }, B,
                 [](const std::string& t) { return AskMore(t); },
                 [](const v1::Move& m) { return m.ask_more().text(); }, true, 400},
        TextCase{"reconnect_note", [](Script& s) { ReachReconnect(s, {}); }, B,
                 [](const std::string& t) { return Reconnect(v1::PHYSICAL_TOUCH, t); },
                 [](const v1::Move& m) { return m.reconnect().note(); }, true, 400},
        TextCase{"end", [](Script& s) { ReachTalk(s, 1, TalkStep::kAnswer); }, B,
                 [](const std::string& t) { return End(t); },
                 [](const v1::Move& m) { return m.end().text(); }, true, 400},
        TextCase{"check_in_feeling", [](Script& s) { s.Join(B); }, B,
                 [](const std::string& t) { return CheckIn(5, t); },
                 [](const v1::Move& m) { return m.check_in().feeling(); }, true, 40},
        TextCase{"take_break_note", [](Script& s) { ReachTalk(s, 1, TalkStep::kAnswer); }, B,
                 [](const std::string& t) { return TakeBreak(0, t); },
                 [](const v1::Move& m) { return m.take_break().note(); }, true, 400}),
    [](const ::testing::TestParamInfo<TextCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Proposing repair

TEST(RulesProposeRepairTest, TooEarlyUntilBothWereHeard) {
  Script s;
  CheckInBoth(s);
  for (Side side : {A, B}) {
    Error e = s.Refuse(side, ProposeRepair());
    EXPECT_EQ(e.code, v1::REPAIR_TOO_EARLY);
    EXPECT_EQ(e.current_seq, s.state().seq);
  }
  FullRound(s, A);  // A heard; at a round boundary
  EXPECT_EQ(s.Refuse(B, ProposeRepair()).code, v1::REPAIR_TOO_EARLY);
  s.Do(A, PassFloor());
  s.Do(B, Statement());
  // Not at a round boundary: simply out of turn.
  EXPECT_EQ(s.Refuse(A, ProposeRepair()).code, v1::OUT_OF_TURN);
  s.Do(A, Reflection());
  s.Do(B, Confirm());  // both heard now, but mid-round
  EXPECT_EQ(s.Refuse(A, ProposeRepair()).code, v1::OUT_OF_TURN);
  s.Do(A, Validation());
  EXPECT_TRUE(s.Try(A, ProposeRepair()).ok());
  EXPECT_TRUE(s.Try(B, ProposeRepair()).ok());
}

TEST(RulesProposeRepairTest, AProposalAwaitsTheOthersAnswer) {
  Script s;
  ReachTalk(s, 3, TalkStep::kStatement);
  s.Do(A, ProposeRepair());
  EXPECT_EQ(s.state().repair_proposed_by, A);
  EXPECT_EQ(s.state().phase, v1::TALK);
  Error e = s.Refuse(A, AnswerRepair(true));
  EXPECT_EQ(e.code, v1::OUT_OF_TURN) << "the proposer cannot agree with themself";
  EXPECT_EQ(Sorted(e.may_act), Sorted({B}));
  EXPECT_EQ(Sorted(e.expected), Sorted({"answer_repair"}));
  EXPECT_TRUE(Contains(e.message, "Bob's turn"));
  EXPECT_EQ(s.Refuse(A, Statement()).code, v1::OUT_OF_TURN) << "talk waits for the answer";
  EXPECT_EQ(s.Refuse(B, ProposeRepair()).code, v1::OUT_OF_TURN);
}

TEST(RulesProposeRepairTest, DeclinedReturnsToTalkAtTheSamePoint) {
  for (bool proposer_is_b : {false, true}) {
    Script s;
    // A proposes at A's statement (round 3), or B at B's "next" (end of round 2).
    ReachTalk(s, proposer_is_b ? 2 : 3, proposer_is_b ? TalkStep::kNext : TalkStep::kStatement);
    Side proposer = proposer_is_b ? B : A;
    State before = s.state();
    s.Do(proposer, ProposeRepair());
    std::vector<v1::SessionEvent> events = s.Do(Other(proposer), AnswerRepair(false));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_FALSE(events[0].move().answer_repair().agree());
    const State& st = s.state();
    EXPECT_EQ(st.phase, v1::TALK);
    EXPECT_EQ(st.repair_proposed_by, v1::SIDE_UNSPECIFIED);
    EXPECT_EQ(st.speaker, before.speaker);
    EXPECT_EQ(st.talk, before.talk);
    EXPECT_EQ(st.repairer, v1::SIDE_UNSPECIFIED);
    EXPECT_EQ(Sorted(Names(AllowedMoves(st, st.speaker))),
              Sorted(Names(AllowedMoves(before, before.speaker))));
    // ... and it may be proposed again.
    EXPECT_TRUE(s.Try(proposer, ProposeRepair()).ok());
  }
}

TEST(RulesProposeRepairTest, AgreedOpensRepairWithTheProposerFirst) {
  for (Side proposer : {A, B}) {
    Script s;
    ReachTalk(s, 3, TalkStep::kNext);
    s.Do(proposer, ProposeRepair());
    s.Do(Other(proposer), AnswerRepair(true));
    const State& st = s.state();
    EXPECT_EQ(st.phase, v1::REPAIR);
    EXPECT_EQ(st.repairer, proposer);
    EXPECT_EQ(st.step, v1::RESPONSIBILITY);
    EXPECT_FALSE(st.step_pending);
    EXPECT_EQ(st.repair_proposed_by, v1::SIDE_UNSPECIFIED);
  }
}

// ---------------------------------------------------------------------------------------------
// Repair

TEST(RulesRepairTest, ProposerThenPartnerThroughTheFourSteps) {
  Script s;
  ReachTalk(s, 2, TalkStep::kNext);
  s.Do(B, ProposeRepair());
  s.Do(A, AnswerRepair(true));
  const State& st = s.state();
  for (Side repairer : {B, A}) {
    for (v1::RepairStep step : {v1::RESPONSIBILITY, v1::IMPACT, v1::REMORSE, v1::PLAN}) {
      SCOPED_TRACE(StepText(repairer, step));
      EXPECT_EQ(st.repairer, repairer);
      EXPECT_EQ(st.step, step);
      EXPECT_FALSE(st.step_pending);
      std::vector<v1::SessionEvent> given =
          s.Do(repairer, RepairStep(v1::REPAIR_STEP_UNSPECIFIED, StepText(repairer, step)));
      ASSERT_EQ(given.size(), 1u);
      EXPECT_EQ(given[0].move().repair_step().step(), step) << "filled in by the server";
      EXPECT_TRUE(st.step_pending);
      EXPECT_EQ(st.pending_step_seq, given[0].seq());
      EXPECT_EQ(st.pending_step.text(), StepText(repairer, step));
      EXPECT_EQ(st.step, step);
      s.Do(Other(repairer), AcceptStep());
      EXPECT_FALSE(st.step_pending);
    }
    EXPECT_TRUE(st.of(repairer).repaired);
  }
  EXPECT_EQ(st.repairer, v1::SIDE_UNSPECIFIED);
  EXPECT_EQ(st.step, v1::REPAIR_STEP_UNSPECIFIED);
  EXPECT_EQ(st.phase, v1::REPAIR);
  ASSERT_EQ(st.commitments.size(), 2u);
  EXPECT_EQ(st.commitments[0].owner, B);
  EXPECT_EQ(st.commitments[1].owner, A);
  EXPECT_EQ(st.commitments[0].text, StepText(B, v1::PLAN));
  EXPECT_EQ(st.commitments[0].check_in_date, "");
}

TEST(RulesRepairTest, AskMoreKeepsTheSameStep) {
  Script s;
  ReachRepairStep(s, A, v1::REMORSE, true);
  std::vector<v1::SessionEvent> events = s.Do(B, AskMore("Sorry for what, exactly?"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(s.state().step, v1::REMORSE);
  EXPECT_EQ(s.state().repairer, A);
  EXPECT_FALSE(s.state().step_pending);
  s.Do(A, RepairStep(v1::REMORSE, "I am sorry I shouted at you"));
  EXPECT_TRUE(s.state().step_pending);
  s.Do(B, AskMore(""));  // "say more" needs no words
  EXPECT_EQ(s.state().step, v1::REMORSE);
  s.Do(A, RepairStep(v1::REPAIR_STEP_UNSPECIFIED, "I am sorry I shouted; it hurt you"));
  s.Do(B, AcceptStep());
  EXPECT_EQ(s.state().step, v1::PLAN);
  EXPECT_EQ(s.state().repairer, A);
}

TEST(RulesRepairTest, AnAcceptedPlanBecomesACommitment) {
  Script s;
  ReachRepairStep(s, A, v1::PLAN, false);
  std::vector<v1::SessionEvent> first =
      s.Do(A, RepairStep(v1::PLAN, "I will do the dishes", "2026-12-24"));
  ASSERT_EQ(first.size(), 1u);
  s.Do(B, AskMore("Which days?"));
  EXPECT_TRUE(s.state().commitments.empty()) << "asked for more: not a commitment";
  std::vector<v1::SessionEvent> plan =
      s.Do(A, RepairStep(v1::PLAN, "I will do the dishes Mon-Thu", "2027-01-05"));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE(s.state().commitments.empty()) << "not accepted yet";
  s.Do(B, AcceptStep());
  const State& st = s.state();
  ASSERT_EQ(st.commitments.size(), 1u);
  EXPECT_EQ(st.commitments[0].owner, A);
  EXPECT_EQ(st.commitments[0].text, "I will do the dishes Mon-Thu");
  EXPECT_EQ(st.commitments[0].check_in_date, "2027-01-05");
  EXPECT_EQ(st.commitments[0].seq, plan[0].seq()) << "the event that made the plan";
  EXPECT_NE(st.commitments[0].seq, first[0].seq());
  EXPECT_TRUE(st.of(A).repaired);
  EXPECT_FALSE(st.of(B).repaired);
  EXPECT_EQ(st.repairer, B);
  EXPECT_EQ(st.step, v1::RESPONSIBILITY);

  for (v1::RepairStep step : {v1::RESPONSIBILITY, v1::IMPACT, v1::REMORSE}) TakeStep(s, B, step);
  std::vector<v1::SessionEvent> b_plan = s.Do(B, RepairStep(v1::PLAN, "I will ask, not assume"));
  s.Do(A, AcceptStep());
  ASSERT_EQ(st.commitments.size(), 2u);
  EXPECT_EQ(st.commitments[1].owner, B);
  EXPECT_EQ(st.commitments[1].text, "I will ask, not assume");
  EXPECT_EQ(st.commitments[1].check_in_date, "");
  EXPECT_EQ(st.commitments[1].seq, b_plan[0].seq());
}

TEST(RulesRepairTest, WrongStepIsOutOfTurnAndTheRightOneIsAccepted) {
  Script s;
  ReachRepairStep(s, B, v1::IMPACT, false);
  for (v1::RepairStep wrong : {v1::RESPONSIBILITY, v1::REMORSE, v1::PLAN}) {
    Error e = s.Refuse(B, RepairStep(wrong));
    EXPECT_EQ(e.code, v1::OUT_OF_TURN);
    EXPECT_EQ(e.current_seq, s.state().seq);
    EXPECT_EQ(Sorted(e.may_act), Sorted({B}));
    EXPECT_EQ(Sorted(e.expected), Sorted({"repair_step"}));
    EXPECT_TRUE(Contains(e.message, "IMPACT"));
  }
  std::vector<v1::SessionEvent> events = s.Do(B, RepairStep(v1::IMPACT, "You felt dismissed"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].move().repair_step().step(), v1::IMPACT);
}

TEST(RulesRepairTest, CheckInDateOnlyOnAPlanAndWellFormed) {
  Script s;
  ReachRepairStep(s, A, v1::RESPONSIBILITY, false);
  Error e = s.Refuse(A, RepairStep(v1::REPAIR_STEP_UNSPECIFIED, "my part", "2026-12-24"));
  EXPECT_EQ(e.code, v1::INVALID_ARGUMENT) << "the server-filled step is not a plan";
  EXPECT_EQ(e.current_seq, s.state().seq);
  EXPECT_EQ(s.Refuse(A, RepairStep(v1::RESPONSIBILITY, "my part", "2026-12-24")).code,
            v1::INVALID_ARGUMENT);

  Script p;
  ReachRepairStep(p, A, v1::PLAN, false);
  for (const char* bad :
       {"2026-13-01", "2026-00-10", "2026-12-00", "2026-12-32", "2026-1-01", "26-12-24",
        "2026/12/24", "20261224", "abcd-ef-gh", "2026-12-24 ", "2026-12-2x", "tomorrow"}) {
    EXPECT_EQ(p.Refuse(A, RepairStep(v1::PLAN, "I will", bad)).code, v1::INVALID_ARGUMENT) << bad;
  }
  for (const char* good : {"2026-12-24", "2027-01-31", "2028-02-29", ""}) {
    EXPECT_TRUE(p.Try(A, RepairStep(v1::PLAN, "I will", good)).ok()) << good;
  }
  EXPECT_TRUE(p.Try(A, RepairStep(v1::REPAIR_STEP_UNSPECIFIED, "I will")).ok());
}

// Regression: the date was once checked against the step as sent, before the server filled it
// in, so a plan that did not name its step could not carry a date.
TEST(RulesRepairTest, UnspecifiedStepAtPlanMayCarryACheckInDate) {
  Script p;
  ReachRepairStep(p, A, v1::PLAN, false);
  auto r = p.Try(A, RepairStep(v1::REPAIR_STEP_UNSPECIFIED, "I will do the dishes", "2026-12-24"));
  EXPECT_TRUE(r.ok()) << ErrorCodeName(r.code()) << ": " << r.error().message;
  if (!r.ok()) return;
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].move().repair_step().step(), v1::PLAN);
  EXPECT_EQ(r.value()[0].move().repair_step().check_in_date(), "2026-12-24");
}

// Regression: a day that does not exist in its month was once accepted as a check-in date.
TEST(RulesRepairTest, CheckInDateMustBeARealDay) {
  Script p;
  ReachRepairStep(p, A, v1::PLAN, false);
  for (const char* bad : {"2026-02-30", "2026-04-31", "2027-02-29"}) {
    EXPECT_EQ(p.Try(A, RepairStep(v1::PLAN, "I will", bad)).code(), v1::INVALID_ARGUMENT) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Reconnection, closing

TEST(RulesReconnectTest, BothReconnectThenClosing) {
  Script s;
  ReachReconnect(s, {});
  EXPECT_EQ(s.Refuse(A, Reconnect(v1::RECONNECTION_UNSPECIFIED)).code, v1::INVALID_ARGUMENT);
  EXPECT_EQ(s.Refuse(A, Reconnect(static_cast<v1::Reconnection>(99))).code, v1::INVALID_ARGUMENT);
  v1::Move no_way;
  no_way.mutable_reconnect()->set_note("a walk");
  EXPECT_EQ(s.Refuse(A, no_way).code, v1::INVALID_ARGUMENT);

  std::vector<v1::SessionEvent> events = s.Do(B, Reconnect(v1::WORDS_OF_AFFIRMATION, "a note"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(s.state().phase, v1::REPAIR);
  EXPECT_EQ(s.state().of(B).reconnection, v1::WORDS_OF_AFFIRMATION);
  Error e = s.Refuse(B, Reconnect(v1::AFFECTION));
  EXPECT_EQ(e.code, v1::OUT_OF_TURN) << "once each";
  EXPECT_EQ(Sorted(e.may_act), Sorted({A}));
  EXPECT_TRUE(Contains(e.message, "Alice's turn"));
  s.Do(A, Reconnect(v1::ACTS_OF_SERVICE));
  EXPECT_EQ(s.state().phase, v1::CLOSING);
  EXPECT_EQ(s.state().of(A).reconnection, v1::ACTS_OF_SERVICE);
}

TEST(RulesClosingTest, SecondRatingClosesAsRepaired) {
  for (Side first : {A, B}) {
    Script s;
    ReachClosing(s, {});
    EXPECT_EQ(s.Refuse(first, Rate(11)).code, v1::INVALID_ARGUMENT);
    std::vector<v1::SessionEvent> one = s.Do(first, Rate(10));
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(s.state().phase, v1::CLOSING);
    EXPECT_EQ(s.state().of(first).rating, 10u);
    uint64_t seq = s.state().seq;
    std::vector<v1::SessionEvent> two = s.Do(Other(first), Rate(0));
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].seq(), seq + 1);
    EXPECT_EQ(two[0].move().rate().feel(), 0u);
    EXPECT_EQ(two[1].seq(), seq + 2);
    EXPECT_EQ(two[1].actor(), v1::SIDE_UNSPECIFIED);
    EXPECT_EQ(two[1].session_id(), kSessionId);
    EXPECT_EQ(two[1].closed().outcome(), v1::REPAIRED);
    EXPECT_EQ(s.state().phase, v1::CLOSED);
    EXPECT_EQ(s.state().outcome, v1::REPAIRED);
    EXPECT_EQ(s.state().closed_ms, s.now());
    EXPECT_EQ(s.state().of(Other(first)).rating, 0u);
    EXPECT_EQ(s.state().commitments.size(), 2u) << "kept for replay";
  }
}

// ---------------------------------------------------------------------------------------------
// Closed, malformed

TEST(RulesClosedTest, EveryMoveIsRefusedAsClosed) {
  Script s;
  ReachTalk(s, 1, TalkStep::kReflect);
  s.Do(A, End());
  for (Side side : {A, B}) {
    for (Kind kind : kAllKinds) {
      Error e = s.Refuse(side, Sample(kind));
      EXPECT_EQ(e.code, v1::SESSION_CLOSED) << MoveName(kind);
      EXPECT_EQ(e.current_seq, s.state().seq);
    }
    EXPECT_EQ(s.Refuse(side, v1::Move()).code, v1::SESSION_CLOSED);
  }
}

TEST(RulesMalformedTest, AnEmptyMoveIsABadMessage) {
  Script s;
  EXPECT_EQ(s.Refuse(A, v1::Move()).code, v1::BAD_MESSAGE);
  ReachRepairStep(s, B, v1::PLAN, true);
  EXPECT_EQ(s.Refuse(A, v1::Move()).code, v1::BAD_MESSAGE);
  EXPECT_EQ(s.Refuse(B, v1::Move()).code, v1::BAD_MESSAGE);
}

TEST(RulesMalformedTest, UnopenedStateIsNotActive) {
  State state;
  EXPECT_FALSE(state.active());
  EXPECT_TRUE(AllowedMoves(state, A).empty());
  EXPECT_TRUE(Join(state, B, kStartMs).empty());
  EXPECT_EQ(Other(A), B);
  EXPECT_EQ(Other(B), A);
}

// ---------------------------------------------------------------------------------------------
// Breaks

// A point where a break may be taken, and the phase it suspends.
struct BreakPoint {
  std::string name;
  std::function<void(Script&)> reach;
};

void PrintTo(const BreakPoint& p, std::ostream* os) { *os << p.name; }

std::vector<BreakPoint> BreakPoints() {
  auto talk = [](int round, TalkStep step) {
    return [round, step](Script& s) { ReachTalk(s, round, step); };
  };
  auto repair = [](Side repairer, v1::RepairStep step, bool pending) {
    return [=](Script& s) { ReachRepairStep(s, repairer, step, pending); };
  };
  using TS = TalkStep;
  return {
      {"check_in", [](Script& s) { s.Join(B); }},
      {"check_in_a_done",
       [](Script& s) {
         s.Join(B);
         s.Do(A, CheckIn(5));
       }},
      {"talk1_statement", talk(1, TS::kStatement)},
      {"talk1_reflect", talk(1, TS::kReflect)},
      {"talk1_answer", talk(1, TS::kAnswer)},
      {"talk1_confirm", talk(1, TS::kConfirm)},
      {"talk1_validate", talk(1, TS::kValidate)},
      {"talk1_next", talk(1, TS::kNext)},
      {"talk2_reflect", talk(2, TS::kReflect)},
      {"talk2_confirm", talk(2, TS::kConfirm)},
      {"talk3_next", talk(3, TS::kNext)},
      {"proposal_by_B",
       [](Script& s) {
         ReachTalk(s, 2, TS::kNext);
         s.Do(B, ProposeRepair());
       }},
      {"repair_A_responsibility", repair(A, v1::RESPONSIBILITY, false)},
      {"repair_A_impact_pending", repair(A, v1::IMPACT, true)},
      {"repair_B_plan_pending", repair(B, v1::PLAN, true)},
      {"repair_after_ask_more",
       [](Script& s) {
         ReachRepairStep(s, B, v1::REMORSE, true);
         s.Do(A, AskMore());
       }},
      {"reconnect", [](Script& s) { ReachReconnect(s, {}); }},
      {"reconnect_A_done", [](Script& s) { ReachReconnect(s, {A}); }},
  };
}

class RulesBreakPointTest : public ::testing::TestWithParam<BreakPoint> {};

TEST_P(RulesBreakPointTest, EitherPartnerTakesABreakOfTheDefaultLength) {
  const BreakPoint& point = GetParam();
  for (Side side : {A, B}) {
    SCOPED_TRACE(v1::Side_Name(side));
    Script s;
    ASSERT_NO_FATAL_FAILURE(point.reach(s));
    ASSERT_FALSE(::testing::Test::HasFailure()) << "could not reach " << point.name;
    std::string before = Flow(s.state());
    uint64_t seq = s.state().seq;
    std::vector<v1::SessionEvent> events = s.Do(side, TakeBreak(0, "a walk"));
    ASSERT_EQ(events.size(), 1u);
    const TimeMs at = s.now();
    EXPECT_EQ(events[0].seq(), seq + 1);
    EXPECT_EQ(events[0].move().take_break().seconds(), 0u);
    EXPECT_EQ(events[0].move().take_break().note(), "a walk");
    EXPECT_EQ(events[0].move().take_break().ends_at_unix_ms(), at + kDefaultBreakMs);
    const State& st = s.state();
    ASSERT_TRUE(st.on_break.has_value());
    EXPECT_EQ(st.on_break->caller, side);
    EXPECT_EQ(st.on_break->started_ms, at);
    EXPECT_EQ(st.on_break->ends_ms, at + kDefaultBreakMs);
    EXPECT_FALSE(st.on_break->extended);
    EXPECT_FALSE(st.on_break->ready[0]);
    EXPECT_FALSE(st.on_break->ready[1]);
    EXPECT_EQ(st.breaks, 1);
    EXPECT_EQ(st.last_break_started_ms, at);
    EXPECT_EQ(Flow(st), before) << "a break suspends the phase; nothing else changes";
    EXPECT_EQ(NextDeadline(st, s.config()), at + kDefaultBreakMs);
  }
}

// After the break (both ready, or time up) and, outside the first check-in, both checking in
// again, the conversation is exactly where it stopped: same phase, speaker, step, pending step.
TEST_P(RulesBreakPointTest, ResumesExactlyWhereItStopped) {
  const BreakPoint& point = GetParam();
  for (Side caller : {A, B}) {
    for (bool time_up : {false, true}) {
      SCOPED_TRACE(v1::Side_Name(caller) + (time_up ? " time up" : " both ready"));
      Script s;
      ASSERT_NO_FATAL_FAILURE(point.reach(s));
      ASSERT_FALSE(::testing::Test::HasFailure()) << "could not reach " << point.name;
      const State before = s.state();
      s.Do(caller, TakeBreak(time_up ? 3600 : 0));
      if (time_up) {
        std::vector<v1::SessionEvent> ended = s.TickAt(s.state().on_break->ends_ms);
        ASSERT_EQ(ended.size(), 1u);
        EXPECT_EQ(ended[0].break_ended().reason(), v1::BreakEnded::TIME_UP);
      } else {
        s.Do(Other(caller), Ready());
        std::vector<v1::SessionEvent> ended = s.Do(caller, Ready());
        ASSERT_EQ(ended.size(), 2u);
      }
      const State& st = s.state();
      EXPECT_FALSE(st.on_break.has_value());
      EXPECT_EQ(Flow(st), Flow(before));
      if (before.phase == v1::CHECK_IN) {
        EXPECT_FALSE(st.rechecking) << "the first check-in simply goes on";
      } else {
        ASSERT_TRUE(st.rechecking);
        EXPECT_FALSE(st.rechecked[0]);
        EXPECT_FALSE(st.rechecked[1]);
        s.Do(B, CheckIn(4, "better"));
        EXPECT_TRUE(st.rechecking) << "until both have checked in again";
        EXPECT_TRUE(st.rechecked[1]);
        EXPECT_EQ(st.of(B).calm, 4u) << "the new check-in is recorded";
        s.Do(A, CheckIn(8));
        EXPECT_FALSE(st.rechecking);
      }
      EXPECT_EQ(Flow(st), Flow(before));
      EXPECT_EQ(st.phase, before.phase);
      EXPECT_EQ(st.speaker, before.speaker);
      EXPECT_EQ(st.talk, before.talk);
      EXPECT_EQ(st.repairer, before.repairer);
      EXPECT_EQ(st.step, before.step);
      EXPECT_EQ(st.step_pending, before.step_pending);
      EXPECT_EQ(st.repair_proposed_by, before.repair_proposed_by);
      for (Side side : {A, B}) {
        EXPECT_EQ(Sorted(Names(AllowedMoves(st, side))), Sorted(Names(AllowedMoves(before, side))))
            << v1::Side_Name(side);
      }
      EXPECT_EQ(st.breaks, 1);
      EXPECT_EQ(NextDeadline(st, s.config()), std::nullopt);
      // ... and a replay of the log agrees.
      EXPECT_EQ(Dump(Replay(s.log())), Dump(st));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryBreakablePoint, RulesBreakPointTest,
                         ::testing::ValuesIn(BreakPoints()),
                         [](const ::testing::TestParamInfo<BreakPoint>& info) {
                           return info.param.name;
                         });

TEST(RulesBreakTest, RefusedWhileWaitingClosingAndClosed) {
  struct Case {
    std::string name;
    std::function<void(Script&)> reach;
    v1::ErrorCode code;
  };
  for (const Case& c : std::vector<Case>{
           {"waiting", [](Script&) {}, v1::OUT_OF_TURN},
           {"waiting_a_checked_in", [](Script& s) { s.Do(A, CheckIn(5)); }, v1::OUT_OF_TURN},
           {"closing", [](Script& s) { ReachClosing(s, {}); }, v1::OUT_OF_TURN},
           {"closing_A_rated", [](Script& s) { ReachClosing(s, {A}); }, v1::OUT_OF_TURN},
           {"closed_repaired",
            [](Script& s) {
              ReachClosing(s, {A, B});
            },
            v1::SESSION_CLOSED},
           {"closed_ended",
            [](Script& s) {
              ReachTalk(s, 1, TalkStep::kReflect);
              s.Do(B, End());
            },
            v1::SESSION_CLOSED},
       }) {
    SCOPED_TRACE(c.name);
    Script s;
    c.reach(s);
    ASSERT_FALSE(::testing::Test::HasFailure());
    for (Side side : {A, B}) {
      for (uint32_t seconds : {0u, 3600u}) {
        Error e = s.Refuse(side, TakeBreak(seconds));
        EXPECT_EQ(e.code, c.code) << v1::Side_Name(side) << ": " << e.message;
        EXPECT_EQ(e.current_seq, s.state().seq);
      }
    }
    EXPECT_EQ(s.state().breaks, 0);
  }
}

TEST(RulesBreakTest, ReadyAndMoreTimeOutsideABreakAreOutOfTurn) {
  Script s;
  for (int i = 0; i < 3; ++i) {
    // Waiting, check-in, talk.
    if (i == 1) s.Join(B);
    if (i == 2) CheckInBoth(s);
    for (Side side : {A, B}) {
      EXPECT_EQ(s.Refuse(side, Ready()).code, v1::OUT_OF_TURN);
      EXPECT_EQ(s.Refuse(side, MoreTime()).code, v1::OUT_OF_TURN);
      EXPECT_EQ(s.Refuse(side, MoreTime(600)).code, v1::OUT_OF_TURN);
    }
  }
}

TEST(RulesBreakTest, LengthDefaultClampingAndRange) {
  struct Case {
    std::string name;
    TimeMs min, def, max;  // ms
    uint32_t seconds;
    bool ok;
    TimeMs length;  // ms, when ok
  };
  const TimeMs kS = 1000;
  const Config defaults;
  for (const Case& c : std::vector<Case>{
           {"default", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms, 0,
            true, 20 * kMinute},
           {"exactly_min", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            1200, true, 1200 * kS},
           {"an_hour", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            3600, true, 3600 * kS},
           {"exactly_max", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            86400, true, 86400 * kS},
           {"below_min", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            1199, false, 0},
           {"one_second", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            1, false, 0},
           {"above_max", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            86401, false, 0},
           {"huge", defaults.break_min_ms, defaults.break_default_ms, defaults.break_max_ms,
            4'294'967'295u, false, 0},
           {"small_default", 60 * kS, 120 * kS, 300 * kS, 0, true, 120 * kS},
           {"small_min", 60 * kS, 120 * kS, 300 * kS, 60, true, 60 * kS},
           {"small_max", 60 * kS, 120 * kS, 300 * kS, 300, true, 300 * kS},
           {"small_below", 60 * kS, 120 * kS, 300 * kS, 59, false, 0},
           {"small_above", 60 * kS, 120 * kS, 300 * kS, 301, false, 0},
           {"default_raised_to_min", 600 * kS, 120 * kS, 900 * kS, 0, true, 600 * kS},
           {"default_lowered_to_max", 60 * kS, 7200 * kS, 3600 * kS, 0, true, 3600 * kS},
       }) {
    SCOPED_TRACE(c.name);
    Config config;
    config.break_min_ms = c.min;
    config.break_default_ms = c.def;
    config.break_max_ms = c.max;
    Script s(config);
    ReachTalk(s, 1, TalkStep::kReflect);
    ASSERT_FALSE(::testing::Test::HasFailure());
    if (!c.ok) {
      Error e = s.Refuse(B, TakeBreak(c.seconds));
      EXPECT_EQ(e.code, v1::INVALID_ARGUMENT) << e.message;
      EXPECT_EQ(e.current_seq, s.state().seq);
      EXPECT_TRUE(Contains(e.message, std::to_string(c.min / 1000)));
      EXPECT_TRUE(Contains(e.message, std::to_string(c.max / 1000)));
      EXPECT_FALSE(s.state().on_break.has_value());
      continue;
    }
    if (c.seconds == 0) {
      EXPECT_EQ(config.DefaultBreakMs(), c.length);
    }
    std::vector<v1::SessionEvent> events = s.Do(B, TakeBreak(c.seconds));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].move().take_break().ends_at_unix_ms(), s.now() + c.length);
    EXPECT_EQ(s.state().on_break->ends_ms, s.now() + c.length);
  }
}

TEST(RulesBreakTest, TheServerSetsTheEndNotTheClient) {
  Script s;
  ReachTalk(s, 1, TalkStep::kReflect);
  v1::Move move = TakeBreak(3600);
  move.mutable_take_break()->set_ends_at_unix_ms(5);
  std::vector<v1::SessionEvent> events = s.Do(A, move);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].move().take_break().ends_at_unix_ms(), s.now() + 3600 * 1000);
  v1::Move more = MoreTime(600);
  more.mutable_more_time()->set_ends_at_unix_ms(kStartMs + 100LL * kMaxBreakMs);
  events = s.Do(B, more);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].move().more_time().ends_at_unix_ms(),
            s.state().on_break->started_ms + 4200 * 1000);
}

TEST(RulesBreakTest, EveryOtherMoveIsRefusedAsOnBreak) {
  Script s;
  ReachTalk(s, 1, TalkStep::kReflect);
  std::vector<v1::SessionEvent> taken = s.Do(A, TakeBreak(1800));
  const TimeMs ends = taken[0].move().take_break().ends_at_unix_ms();
  for (Side side : {A, B}) {
    for (Kind kind : kAllKinds) {
      if (kind == Kind::kReady || kind == Kind::kMoreTime || kind == Kind::kEnd) continue;
      SCOPED_TRACE(MoveName(kind) + " by " + v1::Side_Name(side));
      Error e = s.Refuse(side, Sample(kind));
      EXPECT_EQ(e.code, v1::ON_BREAK) << e.message;
      EXPECT_EQ(e.break_ends_at_unix_ms, ends);
      EXPECT_EQ(e.current_seq, s.state().seq);
      EXPECT_EQ(Sorted(e.expected), Sorted({"ready", "more_time", "end"}));
    }
  }
  // A second break during a break is refused the same way, whatever its length.
  EXPECT_EQ(s.Refuse(B, TakeBreak(3600)).code, v1::ON_BREAK);
  EXPECT_EQ(s.Refuse(A, TakeBreak(1)).code, v1::ON_BREAK) << "ON_BREAK before the length check";
  EXPECT_EQ(s.state().breaks, 1);
  // After more time the refusal names the new end.
  std::vector<v1::SessionEvent> more = s.Do(B, MoreTime(600));
  ASSERT_EQ(more.size(), 1u);
  Error e = s.Refuse(B, Reflection());
  EXPECT_EQ(e.code, v1::ON_BREAK);
  EXPECT_EQ(e.break_ends_at_unix_ms, ends + 600 * 1000);
  EXPECT_EQ(e.current_seq, s.state().seq);
  // The move everyone may still make: end.
  std::vector<v1::SessionEvent> ended = s.Do(B, End("not tonight"));
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[1].closed().outcome(), v1::ENDED_EARLY);
  EXPECT_EQ(s.state().phase, v1::CLOSED);
  EXPECT_EQ(NextDeadline(s.state(), s.config()), std::nullopt);
  EXPECT_TRUE(Tick(s.state(), ends + kMaxBreakMs, s.config()).empty());
}

TEST(RulesBreakTest, ReadyByOneThenTheOtherEndsTheBreak) {
  for (Side first : {A, B}) {
    SCOPED_TRACE(v1::Side_Name(first));
    Script s;
    ReachTalk(s, 2, TalkStep::kConfirm);
    s.Do(A, TakeBreak());
    std::vector<v1::SessionEvent> one = s.Do(first, Ready());
    ASSERT_EQ(one.size(), 1u);
    EXPECT_TRUE(one[0].move().has_ready());
    const State& st = s.state();
    ASSERT_TRUE(st.on_break.has_value()) << "one ready is not enough";
    EXPECT_TRUE(st.on_break->ready[first == A ? 0 : 1]);
    EXPECT_FALSE(st.on_break->ready[first == A ? 1 : 0]);

    // Ready twice: not allowed any more, and not an ON_BREAK refusal either.
    Error e = s.Refuse(first, Ready());
    EXPECT_EQ(e.code, v1::OUT_OF_TURN) << e.message;
    EXPECT_EQ(e.current_seq, st.seq);
    EXPECT_EQ(Sorted(e.expected), Sorted({"ready", "more_time"}));

    uint64_t seq = st.seq;
    std::vector<v1::SessionEvent> two = s.Do(Other(first), Ready());
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].seq(), seq + 1);
    EXPECT_EQ(two[0].actor(), Other(first));
    EXPECT_TRUE(two[0].move().has_ready());
    EXPECT_EQ(two[1].seq(), seq + 2);
    EXPECT_EQ(two[1].actor(), v1::SIDE_UNSPECIFIED);
    EXPECT_EQ(two[1].session_id(), kSessionId);
    EXPECT_EQ(two[1].at_unix_ms(), s.now());
    EXPECT_EQ(two[1].break_ended().reason(), v1::BreakEnded::BOTH_READY);
    EXPECT_FALSE(st.on_break.has_value());
    EXPECT_TRUE(st.rechecking);
    EXPECT_EQ(st.phase, v1::TALK);
    EXPECT_EQ(s.Refuse(first, Ready()).code, v1::OUT_OF_TURN) << "no break any more";
  }
}

TEST(RulesBreakTest, MoreTimeOnceAndCappedAtTheMaximum) {
  Config config;
  config.break_min_ms = 60 * 1000;
  config.break_default_ms = 120 * 1000;
  config.break_max_ms = 300 * 1000;

  // Capped: 240 s + the default 120 s, but never past started + 300 s.
  {
    Script s(config);
    ReachTalk(s, 1, TalkStep::kStatement);
    s.Do(A, TakeBreak(240));
    const TimeMs started = s.now();
    std::vector<v1::SessionEvent> more = s.Do(B, MoreTime());
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].move().more_time().ends_at_unix_ms(), started + 300 * 1000);
    EXPECT_EQ(s.state().on_break->ends_ms, started + 300 * 1000);
    EXPECT_TRUE(s.state().on_break->extended);
    EXPECT_EQ(s.state().on_break->started_ms, started) << "more time does not restart the break";
    EXPECT_EQ(NextDeadline(s.state(), s.config()), started + 300 * 1000);
    // Once per break, whoever asks.
    for (Side side : {A, B}) {
      Error e = s.Refuse(side, MoreTime(10));
      EXPECT_EQ(e.code, v1::OUT_OF_TURN) << e.message;
      EXPECT_EQ(e.current_seq, s.state().seq);
    }
    // Once per break, not once per session.
    BothReady(s);
    RecheckBoth(s);
    s.Do(B, TakeBreak(60));
    EXPECT_FALSE(s.state().on_break->extended);
    more = s.Do(B, MoreTime(30));
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].move().more_time().ends_at_unix_ms(), s.now() - 1000 + 90 * 1000);
  }
  // The caller may ask too; seconds given are added as they are.
  {
    Script s(config);
    ReachTalk(s, 1, TalkStep::kStatement);
    s.Do(A, TakeBreak(60));
    const TimeMs started = s.now();
    std::vector<v1::SessionEvent> more = s.Do(A, MoreTime(30));
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(s.state().on_break->ends_ms, started + 90 * 1000);
  }
  // Already as long as it can be: refused, and still allowed later (not used up).
  {
    Script s(config);
    ReachTalk(s, 1, TalkStep::kStatement);
    s.Do(A, TakeBreak(300));
    const TimeMs ends = s.state().on_break->ends_ms;
    for (uint32_t seconds : {0u, 1u, 600u}) {
      Error e = s.Refuse(B, MoreTime(seconds));
      EXPECT_EQ(e.code, v1::INVALID_ARGUMENT) << seconds << ": " << e.message;
      EXPECT_EQ(e.break_ends_at_unix_ms, ends);
      EXPECT_EQ(e.current_seq, s.state().seq);
    }
    EXPECT_FALSE(s.state().on_break->extended);
    std::vector<Kind> allowed = AllowedMoves(s.state(), B);
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), Kind::kMoreTime), allowed.end());
  }
  // With the defaults: 20 more minutes; a day-long break cannot grow.
  {
    Script s;
    ReachTalk(s, 1, TalkStep::kStatement);
    s.Do(A, TakeBreak());
    const TimeMs ends = s.state().on_break->ends_ms;
    s.Do(B, MoreTime());
    EXPECT_EQ(s.state().on_break->ends_ms, ends + kDefaultBreakMs);
    Script t;
    ReachTalk(t, 1, TalkStep::kStatement);
    t.Do(B, TakeBreak(86400));
    EXPECT_EQ(t.Refuse(A, MoreTime()).code, v1::INVALID_ARGUMENT);
  }
}

TEST(RulesBreakTest, TickBeforeAtAndAfterTheEnd) {
  struct Case {
    std::string name;
    TimeMs offset;  // from the break's end
    bool ends;
  };
  for (const Case& c : std::vector<Case>{{"long_before", -kDefaultBreakMs + 1000, false},
                                         {"just_before", -1, false},
                                         {"at", 0, true},
                                         {"just_after", 1, true},
                                         {"an_hour_after", 60 * kMinute, true}}) {
    SCOPED_TRACE(c.name);
    Script s;
    ReachTalk(s, 1, TalkStep::kAnswer);
    s.Do(B, TakeBreak());
    const TimeMs ends = s.state().on_break->ends_ms;
    const uint64_t seq = s.state().seq;
    std::vector<v1::SessionEvent> events = Tick(s.state(), ends + c.offset, s.config());
    if (!c.ends) {
      EXPECT_TRUE(events.empty());
      continue;
    }
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].seq(), seq + 1);
    EXPECT_EQ(events[0].session_id(), kSessionId);
    EXPECT_EQ(events[0].actor(), v1::SIDE_UNSPECIFIED);
    EXPECT_EQ(events[0].at_unix_ms(), ends + c.offset);
    EXPECT_EQ(events[0].break_ended().reason(), v1::BreakEnded::TIME_UP);
    s.TickAt(ends + c.offset);
    EXPECT_FALSE(s.state().on_break.has_value());
    EXPECT_TRUE(s.state().rechecking);
    EXPECT_EQ(s.state().phase, v1::TALK);
    EXPECT_TRUE(Tick(s.state(), ends + c.offset, s.config()).empty()) << "once";
  }
}

TEST(RulesBreakTest, TickWithoutABreakDoesNothing) {
  Script s;
  EXPECT_TRUE(Tick(s.state(), kStartMs + 10 * kMaxBreakMs, s.config()).empty());
  CheckInBoth(s);
  EXPECT_TRUE(Tick(s.state(), kStartMs + 10 * kMaxBreakMs, s.config()).empty());
  EXPECT_TRUE(Tick(State(), kStartMs, s.config()).empty());
  s.Do(A, End());
  EXPECT_TRUE(Tick(s.state(), kStartMs + 10 * kMaxBreakMs, s.config()).empty());
}

TEST(RulesBreakTest, NextDeadline) {
  Config small;
  small.break_min_ms = 60 * 1000;
  small.break_default_ms = 120 * 1000;
  small.break_max_ms = 600 * 1000;
  for (const Config& config : {Config(), small}) {
    SCOPED_TRACE(std::to_string(config.break_max_ms));
    Script s(config);
    EXPECT_EQ(NextDeadline(s.state(), config), std::nullopt) << "waiting";
    EXPECT_EQ(NextDeadline(State(), config), std::nullopt) << "not opened";
    ReachTalk(s, 1, TalkStep::kReflect);
    EXPECT_EQ(NextDeadline(s.state(), config), std::nullopt) << "talk";
    s.Do(B, TakeBreak());
    const TimeMs started = s.now();
    EXPECT_EQ(NextDeadline(s.state(), config), started + config.DefaultBreakMs());
    s.Do(A, MoreTime(60));
    EXPECT_EQ(NextDeadline(s.state(), config), started + config.DefaultBreakMs() + 60 * 1000);
    s.TickAt(*NextDeadline(s.state(), config));
    EXPECT_EQ(NextDeadline(s.state(), config), started + config.break_max_ms)
        << "nobody back yet: the session closes at the latest after the longest break";
    s.Do(B, CheckIn(5));
    EXPECT_EQ(NextDeadline(s.state(), config), std::nullopt) << "someone came back";
    s.Do(A, CheckIn(5));
    EXPECT_EQ(NextDeadline(s.state(), config), std::nullopt);
    s.Do(A, TakeBreak());
    EXPECT_EQ(NextDeadline(s.state(), config), s.now() + config.DefaultBreakMs());
    s.Do(A, End());
    EXPECT_EQ(NextDeadline(s.state(), config), std::nullopt) << "closed";
  }
}

TEST(RulesBreakTest, WhileRecheckingOnlyCheckInTakeBreakAndEnd) {
  Script s;
  ReachTalk(s, 1, TalkStep::kReflect);
  s.Do(A, TakeBreak());
  BothReady(s);
  ASSERT_TRUE(s.state().rechecking);
  for (Side side : {A, B}) {
    for (Kind kind : kAllKinds) {
      if (kind == Kind::kCheckIn || kind == Kind::kTakeBreak || kind == Kind::kEnd) continue;
      SCOPED_TRACE(MoveName(kind) + " by " + v1::Side_Name(side));
      Error e = s.Refuse(side, Sample(kind));
      EXPECT_EQ(e.code, v1::OUT_OF_TURN) << e.message;
      EXPECT_EQ(e.current_seq, s.state().seq);
      EXPECT_EQ(Sorted(e.may_act), Sorted({A, B}));
      EXPECT_EQ(Sorted(e.expected), Sorted({"check_in"}));
    }
  }
  EXPECT_EQ(s.Refuse(B, CheckIn(11)).code, v1::INVALID_ARGUMENT) << "the check-in is checked";
  std::vector<v1::SessionEvent> again = s.Do(B, CheckIn(2, "still tense"));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].move().check_in().break_advised()) << "advised again at a low calm";
  EXPECT_EQ(s.state().of(B).calm, 2u);
  EXPECT_EQ(s.Refuse(B, CheckIn(5)).code, v1::OUT_OF_TURN) << "once each";
  EXPECT_EQ(s.Refuse(B, Reflection()).code, v1::OUT_OF_TURN) << "not until both are back";
  EXPECT_EQ(s.Refuse(A, Statement()).code, v1::OUT_OF_TURN);
  s.Do(A, CheckIn(7));
  EXPECT_FALSE(s.state().rechecking);
  EXPECT_EQ(s.Refuse(A, CheckIn(7)).code, v1::OUT_OF_TURN) << "talk again, no more check-in";
  s.Do(B, Reflection());
  EXPECT_EQ(s.state().talk, TalkStep::kConfirm);
}

TEST(RulesBreakTest, ABreakWhileRecheckingAsksBothAgain) {
  Script s;
  ReachRepairStep(s, A, v1::REMORSE, true);
  const std::string before = Flow(s.state());
  s.Do(B, TakeBreak());
  BothReady(s);
  s.Do(A, CheckIn(6));
  ASSERT_TRUE(s.state().rechecked[0]);
  s.Do(A, TakeBreak(3600));  // the one already back may take another
  const TimeMs second = s.now();
  EXPECT_EQ(s.state().breaks, 2);
  EXPECT_EQ(s.state().last_break_started_ms, second);
  s.TickAt(second + 3600 * 1000);
  EXPECT_TRUE(s.state().rechecking);
  EXPECT_FALSE(s.state().rechecked[0]) << "everyone checks in again after the second break";
  EXPECT_FALSE(s.state().rechecked[1]);
  EXPECT_EQ(NextDeadline(s.state(), s.config()), second + kMaxBreakMs);
  RecheckBoth(s);
  EXPECT_EQ(Flow(s.state()), before);
  s.Do(B, AcceptStep());
  EXPECT_EQ(s.state().step, v1::PLAN);
}

TEST(RulesBreakTest, NotResumedWhenNobodyChecksInAgain) {
  Config small;
  small.break_min_ms = 60 * 1000;
  small.break_default_ms = 120 * 1000;
  small.break_max_ms = 600 * 1000;
  for (const Config& config : {Config(), small}) {
    for (bool time_up : {false, true}) {
      SCOPED_TRACE(std::to_string(config.break_max_ms) + (time_up ? " time up" : " both ready"));
      Script s(config);
      ReachTalk(s, 2, TalkStep::kValidate);
      s.Do(A, TakeBreak());
      const TimeMs started = s.now();
      if (time_up) {
        s.TickAt(s.state().on_break->ends_ms);
      } else {
        BothReady(s);
      }
      const TimeMs deadline = started + config.break_max_ms;
      EXPECT_TRUE(s.TickAt(deadline - 1).empty());
      const uint64_t seq = s.state().seq;
      std::vector<v1::SessionEvent> closed = s.TickAt(deadline);
      ASSERT_EQ(closed.size(), 1u);
      EXPECT_EQ(closed[0].seq(), seq + 1);
      EXPECT_EQ(closed[0].actor(), v1::SIDE_UNSPECIFIED);
      EXPECT_EQ(closed[0].closed().outcome(), v1::NOT_RESUMED);
      EXPECT_EQ(s.state().phase, v1::CLOSED);
      EXPECT_EQ(s.state().outcome, v1::NOT_RESUMED);
      EXPECT_EQ(s.state().closed_ms, deadline);
      EXPECT_TRUE(AllowedMoves(s.state(), A).empty());
      EXPECT_TRUE(AllowedMoves(s.state(), B).empty());
      EXPECT_EQ(s.Refuse(A, CheckIn(5)).code, v1::SESSION_CLOSED);
      EXPECT_EQ(NextDeadline(s.state(), config), std::nullopt);
      EXPECT_TRUE(s.TickAt(deadline + kMaxBreakMs).empty());
    }
  }
}

TEST(RulesBreakTest, NoNotResumedOnceSomeoneCheckedInAgain) {
  for (Side back : {A, B}) {
    Script s;
    ReachTalk(s, 2, TalkStep::kValidate);
    s.Do(B, TakeBreak());
    const TimeMs started = s.now();
    s.TickAt(s.state().on_break->ends_ms);
    s.Do(back, CheckIn(5));
    EXPECT_TRUE(s.TickAt(started + kMaxBreakMs).empty());
    EXPECT_TRUE(s.TickAt(started + 10 * kMaxBreakMs).empty());
    EXPECT_EQ(s.state().phase, v1::TALK);
    EXPECT_TRUE(s.state().rechecking);
    s.Do(Other(back), CheckIn(5));  // days later, still resumable
    EXPECT_FALSE(s.state().rechecking);
    EXPECT_EQ(s.state().talk, TalkStep::kValidate);
  }
}

TEST(RulesBreakTest, ALaterBreakMovesTheNotResumedDeadline) {
  Script s;
  ReachTalk(s, 1, TalkStep::kConfirm);
  s.Do(A, TakeBreak());
  const TimeMs first = s.now();
  BothReady(s);
  s.Wait(60 * kMinute);
  s.Do(B, TakeBreak());
  const TimeMs second = s.now();
  s.TickAt(s.state().on_break->ends_ms);
  EXPECT_EQ(NextDeadline(s.state(), s.config()), second + kMaxBreakMs);
  EXPECT_TRUE(s.TickAt(first + kMaxBreakMs).empty());
  std::vector<v1::SessionEvent> closed = s.TickAt(second + kMaxBreakMs);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].closed().outcome(), v1::NOT_RESUMED);
}

TEST(RulesBreakTest, ABreakDuringTheFirstCheckInDoesNotAskForARecheck) {
  for (bool time_up : {false, true}) {
    SCOPED_TRACE(time_up ? "time up" : "both ready");
    Script s;
    s.Join(B);
    s.Do(A, CheckIn(3));
    s.Do(B, TakeBreak());
    EXPECT_EQ(s.state().phase, v1::CHECK_IN);
    if (time_up) {
      s.TickAt(s.state().on_break->ends_ms);
    } else {
      BothReady(s);
    }
    const State& st = s.state();
    EXPECT_FALSE(st.on_break.has_value());
    EXPECT_FALSE(st.rechecking);
    EXPECT_EQ(st.phase, v1::CHECK_IN);
    EXPECT_TRUE(st.of(A).checked_in) << "A's check-in is kept";
    EXPECT_EQ(st.of(A).calm, 3u);
    EXPECT_EQ(Sorted(Names(AllowedMoves(st, A))), Sorted(Names({Kind::kTakeBreak, Kind::kEnd})));
    EXPECT_EQ(NextDeadline(st, s.config()), std::nullopt);
    EXPECT_TRUE(s.TickAt(s.now() + 10 * kMaxBreakMs).empty()) << "no NOT_RESUMED here";
    s.Do(B, CheckIn(6));
    EXPECT_EQ(st.phase, v1::TALK);
    EXPECT_EQ(st.speaker, A);
    EXPECT_EQ(st.talk, TalkStep::kStatement);
    EXPECT_FALSE(st.rechecking);
  }
}

TEST(RulesBreakTest, BreaksAreCounted) {
  Script s;
  s.Join(B);
  EXPECT_EQ(s.state().breaks, 0);
  s.Do(B, TakeBreak());
  EXPECT_EQ(s.state().breaks, 1);
  EXPECT_EQ(s.state().last_break_started_ms, s.now());
  BothReady(s);
  s.Do(A, CheckIn(6));
  s.Do(B, CheckIn(6));
  FullRound(s, A);
  s.Do(A, TakeBreak(3600));
  EXPECT_EQ(s.state().breaks, 2);
  s.Do(B, MoreTime());
  EXPECT_EQ(s.state().breaks, 2) << "more time is the same break";
  s.TickAt(s.state().on_break->ends_ms);
  s.Do(A, TakeBreak());
  EXPECT_EQ(s.state().breaks, 3);
  EXPECT_EQ(s.state().last_break_started_ms, s.now());
  BothReady(s);
  RecheckBoth(s);
  EXPECT_EQ(s.state().breaks, 3);
  EXPECT_EQ(s.state().talk, TalkStep::kNext);
}

// ---------------------------------------------------------------------------------------------
// Determinism: a whole session, with detours, replays to the same state at every event.

TEST(RulesDeterminismTest, FoldingTheLogGivesTheSameStateAtEveryEvent) {
  Script s;
  s.Do(A, CheckIn(2, "flooded"));
  s.Join(B);
  s.Do(B, CheckIn(8));
  s.Do(A, Statement());
  s.Do(B, Question());
  s.Do(A, Answer());
  s.Do(B, Reflection());
  s.Do(A, Correction());
  s.Do(B, Reflection());
  s.Do(A, Confirm());
  s.Do(B, Validation());
  s.Do(A, PassFloor());
  FullRound(s, B);
  s.Do(A, ProposeRepair());
  s.Do(B, AnswerRepair(false));
  s.Do(B, PassFloor());
  s.Do(B, ProposeRepair());
  s.Do(A, AnswerRepair(true));
  s.Do(B, RepairStep(v1::RESPONSIBILITY, "I left early"));
  s.Do(A, AskMore());
  TakeStep(s, B, v1::RESPONSIBILITY);
  TakeStep(s, B, v1::IMPACT);
  TakeStep(s, B, v1::REMORSE);
  TakeStep(s, B, v1::PLAN);
  for (v1::RepairStep step : {v1::RESPONSIBILITY, v1::IMPACT, v1::REMORSE, v1::PLAN}) {
    TakeStep(s, A, step);
  }
  s.Do(A, Reconnect(v1::QUALITY_TIME, "a walk"));
  s.Do(B, Reconnect(v1::AFFECTION));
  s.Do(B, Rate(6));
  s.Do(A, Rate(7));
  ASSERT_EQ(s.state().phase, v1::CLOSED);
  ASSERT_FALSE(::testing::Test::HasFailure());

  // Refold from State{} and compare after every event with a live fold of the same prefix.
  State replayed;
  State live;
  for (const v1::SessionEvent& e : s.log()) {
    Apply(live, e);
    v1::SessionEvent stored;
    ASSERT_TRUE(stored.ParseFromString(e.SerializeAsString()));
    Apply(replayed, stored);
    ASSERT_EQ(Dump(replayed), Dump(live)) << "at seq " << e.seq();
  }
  EXPECT_EQ(Dump(replayed), Dump(s.state()));
  EXPECT_EQ(replayed.phase, v1::CLOSED);
  EXPECT_EQ(replayed.outcome, v1::REPAIRED);
  EXPECT_EQ(replayed.seq, s.log().size());
  EXPECT_EQ(replayed.of(A).calm, 2u);
  EXPECT_TRUE(replayed.of(A).heard);
  EXPECT_TRUE(replayed.of(B).heard);
  ASSERT_EQ(replayed.commitments.size(), 2u);
  EXPECT_EQ(replayed.commitments[0].owner, B);
  EXPECT_EQ(replayed.commitments[0].check_in_date, "2026-12-24");
  EXPECT_EQ(replayed.commitments[1].owner, A);
  EXPECT_EQ(replayed.topic, "the dishes");
  EXPECT_EQ(replayed.b.display_name(), "Bob");
  // The first check-in advised a break, recorded in the event for the fold and for replay.
  EXPECT_TRUE(s.log()[1].move().check_in().break_advised());
}

// The same with breaks: the events a break produces (by partners and by time) fold into a fresh
// State to exactly the live state after every event, and the recovered state decides the same.
TEST(RulesDeterminismTest, BreaksReplayToTheSameStateAtEveryEvent) {
  Script s;
  s.Join(B);
  s.Do(A, CheckIn(2, "flooded"));
  s.Do(A, TakeBreak(0, "breathing"));
  s.Do(B, MoreTime(300));
  BothReady(s);
  s.Do(B, CheckIn(8));
  s.Do(A, Statement());
  s.Do(B, Question());
  s.Do(B, TakeBreak(1800));
  s.Do(A, Ready());
  s.TickAt(s.state().on_break->ends_ms);
  s.Do(A, CheckIn(5));
  s.Do(A, TakeBreak());
  s.TickAt(s.state().on_break->ends_ms + 5);
  RecheckBoth(s);
  s.Do(A, Answer());
  s.Do(B, Reflection());
  s.Do(A, Confirm());
  s.Do(B, Validation());
  s.Do(A, TakeBreak());
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::vector<v1::SessionEvent> log_on_break = s.log();
  State on_break = s.state();
  s.TickAt(s.state().on_break->ends_ms);
  s.TickAt(s.state().last_break_started_ms + s.config().break_max_ms);
  ASSERT_EQ(s.state().phase, v1::CLOSED);
  ASSERT_FALSE(::testing::Test::HasFailure());

  State replayed;
  State live;
  for (const v1::SessionEvent& e : s.log()) {
    Apply(live, e);
    v1::SessionEvent stored;
    ASSERT_TRUE(stored.ParseFromString(e.SerializeAsString()));
    Apply(replayed, stored);
    ASSERT_EQ(Dump(replayed), Dump(live)) << "at seq " << e.seq();
  }
  EXPECT_EQ(Dump(replayed), Dump(s.state()));
  EXPECT_EQ(replayed.outcome, v1::NOT_RESUMED);
  EXPECT_EQ(replayed.breaks, 4);
  EXPECT_EQ(replayed.seq, s.log().size());

  // Recovered mid-break, it decides and ticks exactly as the live state.
  State recovered = Replay(log_on_break);
  ASSERT_EQ(Dump(recovered), Dump(on_break));
  const TimeMs now = on_break.on_break->started_ms + 1000;
  for (Side side : {A, B}) {
    for (Kind kind : kAllKinds) {
      auto live_r = Decide(on_break, Sample(kind), side, now, s.config());
      auto rec_r = Decide(recovered, Sample(kind), side, now, s.config());
      ASSERT_EQ(live_r.ok(), rec_r.ok()) << MoveName(kind);
      if (!live_r.ok()) {
        EXPECT_EQ(live_r.code(), rec_r.code());
        EXPECT_EQ(live_r.error().break_ends_at_unix_ms, rec_r.error().break_ends_at_unix_ms);
        continue;
      }
      ASSERT_EQ(live_r.value().size(), rec_r.value().size());
      for (size_t i = 0; i < live_r.value().size(); ++i) {
        EXPECT_TRUE(MessageDifferencer::Equals(live_r.value()[i], rec_r.value()[i]));
      }
    }
  }
  for (TimeMs at : {now, on_break.on_break->ends_ms, on_break.on_break->ends_ms + kMaxBreakMs}) {
    auto a = Tick(on_break, at, s.config());
    auto b = Tick(recovered, at, s.config());
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(MessageDifferencer::Equals(a[i], b[i]));
  }
  EXPECT_EQ(NextDeadline(recovered, s.config()), NextDeadline(on_break, s.config()));
}

}  // namespace
}  // namespace mend::session
