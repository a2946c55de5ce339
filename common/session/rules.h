// The rules of a live session: one deterministic state machine.
//
//   Decide(state, move, actor, now, config) -> the events that record the move, or a typed Error
//   Apply(state, event)                      -> folds one event into the state
//
// The server is the only authority that calls Decide; it stores the events and sends them to
// both partners. Everyone folds the same events with Apply: the server to rebuild a session after
// a restart, each client to show where the session stands, and a replay to rebuild a past session.
// So the live session, a recovered one and a replay cannot disagree. No clock, no I/O: time
// arrives as `now`.
//
// The flow (design.md §3): waiting -> check-in -> talk -> repair -> closing -> closed.
//   Talk is speaker-listener rounds: the speaker makes an I-statement; the listener may ask
//   clarifying questions (the speaker answers) and must reflect back; the speaker confirms or says
//   "not quite" with a correction (the listener reflects again); the listener validates; the
//   speaker adds another statement or passes the floor.
//   Repair opens when one partner proposes it and the other agrees, once both were heard. The
//   proposer goes first: responsibility, impact, remorse, plan (a commitment), each accepted by
//   the other partner or asked to say more; then the other partner does the same. Then both
//   choose how to reconnect, then both rate how they feel, and the session closes as repaired.
//   Either partner may end the session at any moment; it is kept as ended early.
//   Either partner may take a break at any moment of check-in, talk or repair, saying when they
//   will be back (20 minutes by default, within the configured range). It ends when the time is
//   up or both say they are ready; either may ask for more time once. Then both check in again
//   and the conversation resumes exactly where it stopped.
#ifndef MEND_COMMON_SESSION_RULES_H_
#define MEND_COMMON_SESSION_RULES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "mend/v1/mend.pb.h"

namespace mend::session {

using v1::Side;

struct Config {
  // A check-in at or below this calm (0-10) advises a break before talking.
  uint32_t flooding_threshold = 3;
  size_t topic_max = 120;      // characters
  size_t statement_max = 400;  // characters, all four parts of an I-statement together
  size_t text_max = 400;       // characters, any other text
  size_t feeling_max = 40;     // characters, the feeling named at check-in
  // Breaks: a flooded body needs about 20 minutes; a break should not outlast a day.
  TimeMs break_default_ms = 20 * 60 * 1000;
  TimeMs break_min_ms = 20 * 60 * 1000;
  TimeMs break_max_ms = 24 * 3600 * 1000;

  // The default clamped into [min, max].
  TimeMs DefaultBreakMs() const;
};

// Where the floor is in a speaker-listener round.
enum class TalkStep {
  kStatement,  // speaker: an I-statement
  kReflect,    // listener: a clarifying question, or a reflection
  kAnswer,     // speaker: answers the question
  kConfirm,    // speaker: confirms the reflection, or corrects it
  kValidate,   // listener: validates
  kNext,       // speaker: another statement, or passes the floor
};

struct Partner {
  bool joined = false;
  bool checked_in = false;
  std::optional<uint32_t> calm;
  bool heard = false;     // has been accurately reflected at least once
  bool repaired = false;  // has taken repair steps 1-4, each accepted
  std::optional<v1::Reconnection> reconnection;
  std::optional<uint32_t> rating;

  bool operator==(const Partner&) const = default;
};

struct Commitment {
  Side owner = v1::SIDE_UNSPECIFIED;
  std::string text;
  std::string check_in_date;  // YYYY-MM-DD or empty
  uint64_t seq = 0;           // the event that made the plan

  bool operator==(const Commitment&) const = default;
};

// A break in progress. It suspends the phase; nothing else changes until it ends.
struct Break {
  Side caller = v1::SIDE_UNSPECIFIED;
  TimeMs started_ms = 0;
  TimeMs ends_ms = 0;
  bool extended = false;        // more time was asked for (once per break)
  std::array<bool, 2> ready{};  // [0] side A, [1] side B

  bool operator==(const Break&) const = default;
};

struct State {
  int64_t session_id = 0;
  uint64_t seq = 0;  // of the last event applied; 0 before the first
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
  std::string topic;
  v1::Account a, b;
  std::array<Partner, 2> partners;  // [0] side A, [1] side B
  TimeMs opened_ms = 0;
  TimeMs closed_ms = 0;
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;

  // Talk.
  Side speaker = v1::SIDE_A;
  TalkStep talk = TalkStep::kStatement;
  Side repair_proposed_by = v1::SIDE_UNSPECIFIED;  // a proposal awaiting the other's answer

  // Repair.
  Side repairer = v1::SIDE_UNSPECIFIED;  // whose steps these are; unspecified once both are done
  v1::RepairStep step = v1::REPAIR_STEP_UNSPECIFIED;  // the step expected or awaiting acceptance
  bool step_pending = false;                          // given, awaiting accept or "say more"
  v1::RepairStepTaken pending_step;                   // what was given
  uint64_t pending_step_seq = 0;

  std::vector<Commitment> commitments;

  // Breaks.
  std::optional<Break> on_break;
  TimeMs last_break_started_ms = 0;
  // After a break, each partner checks in again before the conversation resumes where it was.
  bool rechecking = false;
  std::array<bool, 2> rechecked{};
  int breaks = 0;

  // REQUIRES: side is SIDE_A or SIDE_B.
  Partner& of(Side side) { return partners[side == v1::SIDE_A ? 0 : 1]; }
  const Partner& of(Side side) const { return partners[side == v1::SIDE_A ? 0 : 1]; }
  bool active() const { return phase != v1::PHASE_UNSPECIFIED && phase != v1::CLOSED; }

  // Every field equal (messages by their bytes): a replay folds to the state lived.
  // Keep it in step with the fields above.
  bool operator==(const State& other) const;
};

Side Other(Side side);

// The first event of a session: side A opens it about `topic` with partner `b`.
// INVALID_ARGUMENT / TOO_LONG for an empty or long topic.
Result<v1::SessionEvent> Open(int64_t session_id, const std::string& topic, const v1::Account& a,
                              const v1::Account& b, TimeMs now, const Config& config);

// The events `actor` joining produces: side B's first join moves the session out of waiting;
// any other join produces none.
std::vector<v1::SessionEvent> Join(const State& state, Side actor, TimeMs now);

// Decides `move` by `actor`. On success the events carry consecutive seqs after state.seq.
// Errors: SESSION_CLOSED, OUT_OF_TURN (with may_act / expected / current_seq filled),
// REPAIR_TOO_EARLY, INVALID_ARGUMENT, TOO_LONG.
// REQUIRES: state has been opened; actor is SIDE_A or SIDE_B.
Result<std::vector<v1::SessionEvent>> Decide(const State& state, const v1::Move& move, Side actor,
                                             TimeMs now, const Config& config);

// The events the passing of time produces at `now`: a break whose time is up ends; a session
// whose partners did not come back within the maximum after a break closes as not resumed.
// Empty if nothing is due. The server calls it from its timer.
std::vector<v1::SessionEvent> Tick(const State& state, TimeMs now, const Config& config);

// When Tick will next have something to do, if ever.
std::optional<TimeMs> NextDeadline(const State& state, const Config& config);

// Folds one event into the state.
// REQUIRES: event.seq() == state.seq + 1, and the event was decided against this state.
void Apply(State& state, const v1::SessionEvent& event);

// The moves `side` may make now (Move field numbers), `end` included while the session is active.
std::vector<v1::Move::KindCase> AllowedMoves(const State& state, Side side);

// The Move field name of a kind ("reflection"), as used in Error.expected.
std::string MoveName(v1::Move::KindCase kind);

}  // namespace mend::session

#endif  // MEND_COMMON_SESSION_RULES_H_
