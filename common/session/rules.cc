#include "common/session/rules.h"

#include <algorithm>

#include "common/dates.h"
#include "common/utf8.h"

namespace mend::session {
namespace {

using Kind = v1::Move::KindCase;

v1::SessionEvent NewEvent(const State& state, uint64_t offset, Side actor, TimeMs now) {
  v1::SessionEvent e;
  e.set_session_id(state.session_id);
  e.set_seq(state.seq + offset);
  e.set_at_unix_ms(now);
  e.set_actor(actor);
  return e;
}

std::string SideName(const State& state, Side side) {
  const v1::Account& who = side == v1::SIDE_A ? state.a : state.b;
  return who.display_name().empty() ? (side == v1::SIDE_A ? "side A" : "side B")
                                    : who.display_name();
}

// A required text: present after trimming, valid UTF-8, at most `max` characters.
Status CheckText(const std::string& text, size_t max, const std::string& what) {
  std::string_view trimmed = utf8::Trim(text);
  if (trimmed.empty()) return MakeError(v1::INVALID_ARGUMENT, what + " is empty");
  auto count = utf8::CountCodePoints(trimmed);
  if (!count) return MakeError(v1::INVALID_ARGUMENT, what + " is not valid UTF-8");
  if (*count > max) {
    return MakeError(v1::TOO_LONG, what + " is " + std::to_string(*count) +
                                       " characters; keep it under " + std::to_string(max));
  }
  return Status();
}

Status CheckOptionalText(const std::string& text, size_t max, const std::string& what) {
  if (utf8::Trim(text).empty()) return Status();
  return CheckText(text, max, what);
}

Status CheckContent(const v1::Move& move, const Config& config) {
  switch (move.kind_case()) {
    case Kind::kCheckIn:
      if (move.check_in().calm() > 10) {
        return MakeError(v1::INVALID_ARGUMENT, "calm is a number from 0 to 10");
      }
      return CheckOptionalText(move.check_in().feeling(), config.feeling_max, "the feeling");
    case Kind::kStatement: {
      const v1::IStatement& s = move.statement();
      for (auto [part, name] : {std::pair{&s.feeling(), "what you feel"},
                                {&s.situation(), "when (the situation)"},
                                {&s.reason(), "because (the reason)"},
                                {&s.need(), "what you need"}}) {
        if (Status st = CheckText(*part, config.statement_max, name); !st.ok()) return st;
      }
      size_t total = 0;
      for (const std::string* part : {&s.feeling(), &s.situation(), &s.reason(), &s.need()}) {
        total += utf8::CountCodePoints(utf8::Trim(*part)).value_or(0);
      }
      if (total > config.statement_max) {
        return MakeError(v1::TOO_LONG, "the I-statement is " + std::to_string(total) +
                                           " characters; keep it to a sentence or two (under " +
                                           std::to_string(config.statement_max) + ")");
      }
      return Status();
    }
    case Kind::kQuestion:
      return CheckText(move.question().text(), config.text_max, "the question");
    case Kind::kAnswer:
      return CheckText(move.answer().text(), config.text_max, "the answer");
    case Kind::kReflection:
      return CheckText(move.reflection().text(), config.text_max, "the reflection");
    case Kind::kCorrection:
      return CheckText(move.correction().text(), config.text_max, "the correction");
    case Kind::kValidation:
      return CheckText(move.validation().text(), config.text_max, "the validation");
    case Kind::kRepairStep: {
      const v1::RepairStepTaken& step = move.repair_step();
      if (Status st = CheckText(step.text(), config.text_max, "the repair step"); !st.ok()) {
        return st;
      }
      if (!step.check_in_date().empty()) {
        if (step.step() != v1::PLAN) {
          return MakeError(v1::INVALID_ARGUMENT, "only a plan has a check-in date");
        }
        if (!dates::IsDate(step.check_in_date())) {
          return MakeError(v1::INVALID_ARGUMENT, "a check-in date looks like 2026-12-24");
        }
      }
      return Status();
    }
    case Kind::kAskMore:
      return CheckOptionalText(move.ask_more().text(), config.text_max, "the request");
    case Kind::kReconnect:
      if (move.reconnect().way() == v1::RECONNECTION_UNSPECIFIED ||
          !v1::Reconnection_IsValid(move.reconnect().way())) {
        return MakeError(v1::INVALID_ARGUMENT, "choose a way to reconnect");
      }
      return CheckOptionalText(move.reconnect().note(), config.text_max, "the note");
    case Kind::kRate:
      if (move.rate().feel() > 10) {
        return MakeError(v1::INVALID_ARGUMENT, "a rating is a number from 0 to 10");
      }
      return Status();
    case Kind::kEnd:
      return CheckOptionalText(move.end().text(), config.text_max, "the reason");
    case Kind::kTakeBreak:
      return CheckOptionalText(move.take_break().note(), config.text_max, "the note");
    default:
      return Status();
  }
}

bool AtRoundBoundary(const State& state) {
  return state.talk == TalkStep::kStatement || state.talk == TalkStep::kNext;
}

bool BothHeard(const State& state) { return state.partners[0].heard && state.partners[1].heard; }

std::string Describe(const std::vector<Kind>& kinds) {
  std::string out;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) out += i + 1 == kinds.size() ? " or " : ", ";
    out += MoveName(kinds[i]);
  }
  return out;
}

Error OutOfTurn(const State& state, Side actor) {
  Error e = MakeError(v1::OUT_OF_TURN, "");
  std::vector<Kind> expected;
  std::vector<Side> may_act;
  for (Side side : {v1::SIDE_A, v1::SIDE_B}) {
    bool acts = false;
    for (Kind k : AllowedMoves(state, side)) {
      // Ending and breaks are open to both at any time; they say nothing about whose turn it is.
      if (k == Kind::kEnd || k == Kind::kTakeBreak) continue;
      acts = true;
      if (std::find(expected.begin(), expected.end(), k) == expected.end()) expected.push_back(k);
    }
    if (acts) may_act.push_back(side);
  }
  if (may_act.empty()) {
    e.message = state.phase == v1::WAITING ? "waiting for your partner to join"
                                           : "nothing to do now but wait";
  } else if (may_act.size() == 2) {
    e.message = "now: " + Describe(expected);
  } else if (may_act[0] == actor) {
    e.message = "not that now; expected from you: " + Describe(expected);
  } else {
    e.message = "it is " + SideName(state, may_act[0]) + "'s turn (" + Describe(expected) + ")";
  }
  e.may_act = may_act;
  for (Kind k : expected) e.expected.push_back(MoveName(k));
  e.current_seq = state.seq;
  return e;
}

}  // namespace

bool State::operator==(const State& o) const {
  return session_id == o.session_id && seq == o.seq && phase == o.phase && topic == o.topic &&
         a.SerializeAsString() == o.a.SerializeAsString() &&
         b.SerializeAsString() == o.b.SerializeAsString() && partners == o.partners &&
         opened_ms == o.opened_ms && closed_ms == o.closed_ms && outcome == o.outcome &&
         speaker == o.speaker && talk == o.talk && repair_proposed_by == o.repair_proposed_by &&
         repairer == o.repairer && step == o.step && step_pending == o.step_pending &&
         pending_step.SerializeAsString() == o.pending_step.SerializeAsString() &&
         pending_step_seq == o.pending_step_seq && commitments == o.commitments &&
         on_break == o.on_break && last_break_started_ms == o.last_break_started_ms &&
         rechecking == o.rechecking && rechecked == o.rechecked && breaks == o.breaks;
}

Side Other(Side side) { return side == v1::SIDE_A ? v1::SIDE_B : v1::SIDE_A; }

TimeMs Config::DefaultBreakMs() const {
  return std::min(std::max(break_default_ms, break_min_ms), break_max_ms);
}

Result<v1::SessionEvent> Open(int64_t session_id, const std::string& topic, const v1::Account& a,
                              const v1::Account& b, TimeMs now, const Config& config) {
  if (Status s = CheckText(topic, config.topic_max, "the topic"); !s.ok()) return s.error();
  State empty;
  empty.session_id = session_id;
  v1::SessionEvent e = NewEvent(empty, 1, v1::SIDE_A, now);
  auto* opened = e.mutable_opened();
  opened->set_topic(std::string(utf8::Trim(topic)));
  *opened->mutable_a() = a;
  *opened->mutable_b() = b;
  return e;
}

std::vector<v1::SessionEvent> Join(const State& state, Side actor, TimeMs now) {
  if (actor != v1::SIDE_B || state.of(actor).joined || !state.active()) return {};
  v1::SessionEvent e = NewEvent(state, 1, actor, now);
  e.mutable_joined();
  return {e};
}

std::vector<Kind> AllowedMoves(const State& state, Side side) {
  std::vector<Kind> out;
  if (!state.active()) return out;
  const Partner& me = state.of(side);
  size_t mine = side == v1::SIDE_A ? 0 : 1;
  if (state.on_break) {
    if (!state.on_break->ready[mine]) out.push_back(Kind::kReady);
    if (!state.on_break->extended) out.push_back(Kind::kMoreTime);
    out.push_back(Kind::kEnd);
    return out;
  }
  bool breakable = me.joined && (state.phase == v1::CHECK_IN || state.phase == v1::TALK ||
                                 state.phase == v1::REPAIR);
  if (state.rechecking) {
    if (!state.rechecked[mine]) out.push_back(Kind::kCheckIn);
    if (breakable) out.push_back(Kind::kTakeBreak);
    out.push_back(Kind::kEnd);
    return out;
  }
  if (breakable) out.push_back(Kind::kTakeBreak);
  switch (state.phase) {
    case v1::WAITING:
    case v1::CHECK_IN:
      if (me.joined && !me.checked_in) out.push_back(Kind::kCheckIn);
      break;
    case v1::TALK: {
      if (state.repair_proposed_by != v1::SIDE_UNSPECIFIED) {
        if (state.repair_proposed_by != side) out.push_back(Kind::kAnswerRepair);
        break;
      }
      bool speaking = side == state.speaker;
      switch (state.talk) {
        case TalkStep::kStatement:
          if (speaking) out.push_back(Kind::kStatement);
          break;
        case TalkStep::kReflect:
          if (!speaking) {
            out.push_back(Kind::kReflection);
            out.push_back(Kind::kQuestion);
          }
          break;
        case TalkStep::kAnswer:
          if (speaking) out.push_back(Kind::kAnswer);
          break;
        case TalkStep::kConfirm:
          if (speaking) {
            out.push_back(Kind::kConfirm);
            out.push_back(Kind::kCorrection);
          }
          break;
        case TalkStep::kValidate:
          if (!speaking) out.push_back(Kind::kValidation);
          break;
        case TalkStep::kNext:
          if (speaking) {
            out.push_back(Kind::kStatement);
            out.push_back(Kind::kPassFloor);
          }
          break;
      }
      if (AtRoundBoundary(state) && BothHeard(state)) out.push_back(Kind::kProposeRepair);
      break;
    }
    case v1::REPAIR:
      if (state.repairer != v1::SIDE_UNSPECIFIED) {
        if (side == state.repairer && !state.step_pending) out.push_back(Kind::kRepairStep);
        if (side != state.repairer && state.step_pending) {
          out.push_back(Kind::kAcceptStep);
          out.push_back(Kind::kAskMore);
        }
      } else if (!me.reconnection) {
        out.push_back(Kind::kReconnect);
      }
      break;
    case v1::CLOSING:
      if (!me.rating) out.push_back(Kind::kRate);
      break;
    default:
      break;
  }
  out.push_back(Kind::kEnd);
  return out;
}

Result<std::vector<v1::SessionEvent>> Decide(const State& state, const v1::Move& move, Side actor,
                                             TimeMs now, const Config& config) {
  if (!state.active()) {
    Error e = MakeError(v1::SESSION_CLOSED, "this session has ended");
    e.current_seq = state.seq;
    return e;
  }
  Kind kind = move.kind_case();
  if (kind == Kind::KIND_NOT_SET) {
    Error e = MakeError(v1::BAD_MESSAGE, "the move is empty");
    e.current_seq = state.seq;
    return e;
  }
  std::vector<Kind> allowed = AllowedMoves(state, actor);
  if (state.on_break && std::find(allowed.begin(), allowed.end(), kind) == allowed.end() &&
      kind != Kind::kReady && kind != Kind::kMoreTime) {
    Error e = MakeError(v1::ON_BREAK,
                        "you are on a break; it ends by itself, or when you are both ready");
    e.break_ends_at_unix_ms = state.on_break->ends_ms;
    e.current_seq = state.seq;
    e.may_act = {v1::SIDE_A, v1::SIDE_B};
    for (Kind k : allowed) e.expected.push_back(MoveName(k));
    return e;
  }
  if (std::find(allowed.begin(), allowed.end(), kind) == allowed.end()) {
    // Proposing repair at the right moment but before both were heard has its own answer.
    if (kind == Kind::kProposeRepair && state.phase == v1::TALK &&
        state.repair_proposed_by == v1::SIDE_UNSPECIFIED && AtRoundBoundary(state) &&
        !BothHeard(state)) {
      Error e = MakeError(v1::REPAIR_TOO_EARLY,
                          "repair comes after both of you have been heard: each holds the floor "
                          "and is reflected accurately first");
      e.current_seq = state.seq;
      return e;
    }
    return OutOfTurn(state, actor);
  }
  if (kind == Kind::kRepairStep && move.repair_step().step() != v1::REPAIR_STEP_UNSPECIFIED &&
      move.repair_step().step() != state.step) {
    Error e = OutOfTurn(state, actor);
    e.message = "the next repair step is " + v1::RepairStep_Name(state.step);
    return e;
  }
  std::vector<v1::SessionEvent> events;
  v1::SessionEvent e = NewEvent(state, 1, actor, now);
  v1::Move* recorded = e.mutable_move();
  *recorded = move;
  // What the server decides is written into the event, so that a fold needs no config.
  if (kind == Kind::kCheckIn) {
    recorded->mutable_check_in()->set_break_advised(move.check_in().calm() <=
                                                    config.flooding_threshold);
  }
  if (kind == Kind::kRepairStep) recorded->mutable_repair_step()->set_step(state.step);
  if (kind == Kind::kTakeBreak) {
    TimeMs length = move.take_break().seconds() == 0
                        ? config.DefaultBreakMs()
                        : static_cast<TimeMs>(move.take_break().seconds()) * 1000;
    if (length < config.break_min_ms || length > config.break_max_ms) {
      Error err = MakeError(v1::INVALID_ARGUMENT,
                            "a break lasts from " + std::to_string(config.break_min_ms / 1000) +
                                " to " + std::to_string(config.break_max_ms / 1000) + " seconds");
      err.current_seq = state.seq;
      return err;
    }
    recorded->mutable_take_break()->set_ends_at_unix_ms(now + length);
  }
  if (kind == Kind::kMoreTime) {
    TimeMs more = move.more_time().seconds() == 0
                      ? config.DefaultBreakMs()
                      : static_cast<TimeMs>(move.more_time().seconds()) * 1000;
    TimeMs latest = state.on_break->started_ms + config.break_max_ms;
    TimeMs ends = std::min(state.on_break->ends_ms + more, latest);
    if (ends <= state.on_break->ends_ms) {
      Error err = MakeError(v1::INVALID_ARGUMENT, "the break is already as long as it can be");
      err.current_seq = state.seq;
      err.break_ends_at_unix_ms = state.on_break->ends_ms;
      return err;
    }
    recorded->mutable_more_time()->set_ends_at_unix_ms(ends);
  }
  // Checked as recorded: a plan that did not name its step may still carry a date.
  if (Status s = CheckContent(*recorded, config); !s.ok()) {
    Error err = s.error();
    err.current_seq = state.seq;
    return err;
  }
  events.push_back(std::move(e));

  if (kind == Kind::kReady) {
    size_t other = actor == v1::SIDE_A ? 1 : 0;
    if (state.on_break->ready[other]) {
      v1::SessionEvent ended = NewEvent(state, 2, v1::SIDE_UNSPECIFIED, now);
      ended.mutable_break_ended()->set_reason(v1::BreakEnded::BOTH_READY);
      events.push_back(std::move(ended));
    }
    return events;
  }
  bool closes =
      kind == Kind::kEnd || (kind == Kind::kRate && state.of(Other(actor)).rating.has_value());
  if (closes) {
    v1::SessionEvent closed = NewEvent(state, 2, v1::SIDE_UNSPECIFIED, now);
    closed.mutable_closed()->set_outcome(kind == Kind::kEnd ? v1::ENDED_EARLY : v1::REPAIRED);
    events.push_back(std::move(closed));
  }
  return events;
}

void Apply(State& state, const v1::SessionEvent& event) {
  state.seq = event.seq();
  Side actor = event.actor();
  switch (event.body_case()) {
    case v1::SessionEvent::kOpened:
      state.session_id = event.session_id();
      state.phase = v1::WAITING;
      state.topic = event.opened().topic();
      state.a = event.opened().a();
      state.b = event.opened().b();
      state.opened_ms = event.at_unix_ms();
      state.of(v1::SIDE_A).joined = true;
      return;
    case v1::SessionEvent::kJoined:
      state.of(actor).joined = true;
      if (state.phase == v1::WAITING) state.phase = v1::CHECK_IN;
      return;
    case v1::SessionEvent::kClosed:
      state.phase = v1::CLOSED;
      state.outcome = event.closed().outcome();
      state.closed_ms = event.at_unix_ms();
      return;
    case v1::SessionEvent::kBreakEnded:
      state.on_break.reset();
      // The initial check-in simply goes on; anywhere else both check in again first.
      if (state.phase != v1::CHECK_IN) {
        state.rechecking = true;
        state.rechecked = {false, false};
      }
      return;
    case v1::SessionEvent::kMove:
      break;
    default:
      return;
  }

  const v1::Move& move = event.move();
  Partner& me = state.of(actor);
  size_t mine = actor == v1::SIDE_A ? 0 : 1;
  switch (move.kind_case()) {
    case Kind::kTakeBreak:
      state.on_break = Break{
          actor, event.at_unix_ms(), move.take_break().ends_at_unix_ms(), false, {false, false}};
      state.last_break_started_ms = event.at_unix_ms();
      ++state.breaks;
      return;
    case Kind::kMoreTime:
      state.on_break->ends_ms = move.more_time().ends_at_unix_ms();
      state.on_break->extended = true;
      return;
    case Kind::kReady:
      state.on_break->ready[mine] = true;
      return;
    case Kind::kCheckIn:
      if (state.rechecking) {
        state.rechecked[mine] = true;
        me.calm = move.check_in().calm();
        if (state.rechecked[0] && state.rechecked[1]) state.rechecking = false;
        return;
      }
      me.checked_in = true;
      me.calm = move.check_in().calm();
      if (state.partners[0].checked_in && state.partners[1].checked_in) {
        state.phase = v1::TALK;
        state.speaker = v1::SIDE_A;
        state.talk = TalkStep::kStatement;
      }
      break;
    case Kind::kStatement:
      state.talk = TalkStep::kReflect;
      break;
    case Kind::kQuestion:
      state.talk = TalkStep::kAnswer;
      break;
    case Kind::kAnswer:
      state.talk = TalkStep::kReflect;
      break;
    case Kind::kReflection:
      state.talk = TalkStep::kConfirm;
      break;
    case Kind::kConfirm:
      me.heard = true;
      state.talk = TalkStep::kValidate;
      break;
    case Kind::kCorrection:
      state.talk = TalkStep::kReflect;
      break;
    case Kind::kValidation:
      state.talk = TalkStep::kNext;
      break;
    case Kind::kPassFloor:
      state.speaker = Other(state.speaker);
      state.talk = TalkStep::kStatement;
      break;
    case Kind::kProposeRepair:
      state.repair_proposed_by = actor;
      break;
    case Kind::kAnswerRepair:
      if (move.answer_repair().agree()) {
        state.phase = v1::REPAIR;
        state.repairer = state.repair_proposed_by;
        state.step = v1::RESPONSIBILITY;
        state.step_pending = false;
      }
      state.repair_proposed_by = v1::SIDE_UNSPECIFIED;
      break;
    case Kind::kRepairStep:
      state.step_pending = true;
      state.pending_step = move.repair_step();
      state.pending_step_seq = event.seq();
      break;
    case Kind::kAcceptStep:
      state.step_pending = false;
      if (state.step == v1::PLAN) {
        state.commitments.push_back(Commitment{state.repairer, state.pending_step.text(),
                                               state.pending_step.check_in_date(),
                                               state.pending_step_seq});
        state.of(state.repairer).repaired = true;
        Side next = Other(state.repairer);
        state.repairer = state.of(next).repaired ? v1::SIDE_UNSPECIFIED : next;
        state.step = state.repairer == v1::SIDE_UNSPECIFIED ? v1::REPAIR_STEP_UNSPECIFIED
                                                            : v1::RESPONSIBILITY;
      } else {
        state.step = static_cast<v1::RepairStep>(state.step + 1);
      }
      break;
    case Kind::kAskMore:
      state.step_pending = false;  // the same step again
      break;
    case Kind::kReconnect:
      me.reconnection = move.reconnect().way();
      if (state.partners[0].reconnection && state.partners[1].reconnection) {
        state.phase = v1::CLOSING;
      }
      break;
    case Kind::kRate:
      me.rating = move.rate().feel();
      break;
    case Kind::kEnd:
    default:
      break;  // the closed event that follows ends it
  }
}

std::optional<TimeMs> NextDeadline(const State& state, const Config& config) {
  if (!state.active()) return std::nullopt;
  if (state.on_break) return state.on_break->ends_ms;
  if (state.rechecking && !state.rechecked[0] && !state.rechecked[1]) {
    return state.last_break_started_ms + config.break_max_ms;
  }
  return std::nullopt;
}

std::vector<v1::SessionEvent> Tick(const State& state, TimeMs now, const Config& config) {
  auto deadline = NextDeadline(state, config);
  if (!deadline || now < *deadline) return {};
  v1::SessionEvent e = NewEvent(state, 1, v1::SIDE_UNSPECIFIED, now);
  if (state.on_break) {
    e.mutable_break_ended()->set_reason(v1::BreakEnded::TIME_UP);
  } else {
    // Nobody came back within the longest break allowed: kept, as not resumed.
    e.mutable_closed()->set_outcome(v1::NOT_RESUMED);
  }
  return {e};
}

std::string MoveName(Kind kind) {
  const auto* field = v1::Move::descriptor()->FindFieldByNumber(static_cast<int>(kind));
  return field ? field->name() : "nothing";
}

}  // namespace mend::session
