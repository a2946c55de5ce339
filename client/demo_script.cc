#include "client/demo_script.h"

namespace mend::client::demo {

using namespace moves;  // NOLINT: the script reads as a conversation

std::vector<Step> Script(uint32_t break_seconds) {
  const v1::Side A = v1::SIDE_A, B = v1::SIDE_B;
  std::vector<Step> steps = {
      {A, CheckIn(6, "tense"), "A checks in: calm 6, tense"},
      {B, CheckIn(4, "hurt"), "B checks in: calm 4, hurt"},
      // Round 1: A speaks.
      {A,
       Statement("anxious", "you don't text back for hours", "I start worrying something is wrong",
                 "us to agree on how we keep in touch"),
       "A: I feel anxious when you don't text back for hours..."},
      {B, Question("Do you mean during work hours too?"), "B asks a clarifying question"},
      {A, Answer("Mostly in the evenings, when you're out."), "A answers"},
      {B, Reflection("You get angry when I'm out in the evenings."), "B reflects back"},
      {A, Correction("not angry - worried that something happened."),
       "A: not quite (a correction)"},
      {B,
       Reflection("When I'm out and quiet for hours you worry something happened to me, and "
                  "you'd like us to agree on check-ins."),
       "B reflects again"},
      {A, Confirm(), "A: yes, that's it"},
      {B, Validation("That makes sense, because silence leaves you guessing."), "B validates"},
      {A, PassFloor(), "A passes the floor"},
      // Round 2: B speaks.
      {B,
       Statement("smothered", "messages pile up while I'm with friends",
                 "it feels like I'm being checked on", "some trust that I'm fine"),
       "B: I feel smothered when messages pile up..."},
      {A,
       Reflection("When many messages come while you're out, it feels like checking up, and "
                  "you need me to trust you."),
       "A reflects back"},
      {B, Confirm(), "B: yes, that's it"},
      {A, Validation("That makes sense, because you want your time with friends to be yours."),
       "A validates"},
      // Repair: B proposes, A agrees; B goes first.
      {B, ProposeRepair(), "B proposes the repair"},
      {A, AnswerRepair(true), "A agrees"},
      {B, RepairStep(v1::RESPONSIBILITY, "I went quiet for hours without a word."),
       "B (1) takes responsibility"},
      {A, AcceptStep(), "A accepts"},
      {B, RepairStep(v1::IMPACT, "You spent the evening worried."), "B (2) names the impact"},
      {A, AskMore("Can you say more about how it was for me?"), "A asks for more"},
      {B,
       RepairStep(v1::IMPACT,
                  "You spent the evening worried and alone with it, imagining the worst."),
       "B (2) names the impact again"},
      {A, AcceptStep(), "A accepts"},
      {B, RepairStep(v1::REMORSE, "I'm sorry I left you worrying."), "B (3) apologises"},
      {A, AcceptStep(), "A accepts"},
      {B, RepairStep(v1::PLAN, "I'll send one text when plans change.", "2026-12-24"),
       "B (4) makes a plan: a commitment"},
      {A, AcceptStep(), "A accepts"},
      {A, RepairStep(v1::RESPONSIBILITY, "I sent a stream of messages instead of one."),
       "A (1) takes responsibility"},
      {B, AcceptStep(), "B accepts"},
      {A, RepairStep(v1::IMPACT, "You felt watched during your evening."),
       "A (2) names the impact"},
      {B, AcceptStep(), "B accepts"},
      {A, RepairStep(v1::REMORSE, "I'm sorry my worry landed on you as pressure."),
       "A (3) apologises"},
      {B, AcceptStep(), "B accepts"},
      {A, RepairStep(v1::PLAN, "I'll send one message and wait for the agreed check-in."),
       "A (4) makes a plan: a commitment"},
      {B, AcceptStep(), "B accepts"},
      // (5) Follow-through happens after the session, through the commitments.
      {A, Reconnect(v1::QUALITY_TIME, "a walk on Sunday"), "A (6) chooses quality time"},
      {B, Reconnect(v1::PHYSICAL_TOUCH), "B (6) chooses physical touch"},
      {A, Rate(8), "A rates how they feel now: 8"},
      {B, Rate(7), "B rates how they feel now: 7; the session closes, repaired"},
  };
  if (break_seconds > 0) {
    // After "B asks a clarifying question", before A answers.
    auto at = steps.begin() + 4;
    steps.insert(at, {
                         {A, TakeBreak(break_seconds, "back in a moment"),
                          "A calls a break of " + std::to_string(break_seconds) + " s"},
                         {v1::SIDE_UNSPECIFIED, v1::Move(), "the server's timer ends the break"},
                         {A, CheckIn(7, "steadier"), "A checks in again: calm 7"},
                         {B, CheckIn(5), "B checks in again: calm 5"},
                     });
  }
  return steps;
}

int EventsOf(const Step& step, bool last) {
  bool closes = step.move.has_end() || (step.move.has_rate() && last);
  return closes ? 2 : 1;
}

uint64_t FinalSeq(const std::vector<Step>& steps, uint64_t first_seq) {
  uint64_t seq = first_seq;
  for (size_t i = 0; i < steps.size(); ++i) seq += EventsOf(steps[i], i + 1 == steps.size());
  return seq;
}

Status PlaySide(SessionClient& me, v1::Side side, const std::vector<Step>& steps,
                uint64_t first_seq, const std::function<void(size_t, const Step&)>& on_played,
                Duration step_timeout) {
  uint64_t seq = first_seq;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    if (step.side == side && side != v1::SIDE_UNSPECIFIED) {
      if (!me.WaitForSeq(seq, step_timeout)) {
        return MakeError(v1::DEADLINE_EXCEEDED, "step " + std::to_string(i + 1) + " (" +
                                                    step.label +
                                                    "): the partner's earlier moves never arrived");
      }
      auto accepted = me.Act(step.move);
      if (!accepted.ok()) {
        Error e = accepted.error();
        e.message = "step " + std::to_string(i + 1) + " (" + step.label +
                    ") was refused: " + ErrorCodeName(e.code) + ": " + e.message;
        return e;
      }
      if (on_played) on_played(i, step);
    }
    seq += EventsOf(step, i + 1 == steps.size());
  }
  if (!me.WaitForSeq(seq, step_timeout)) {
    return MakeError(v1::DEADLINE_EXCEEDED, "the last events never arrived");
  }
  return Status();
}

}  // namespace mend::client::demo
