#include "common/session/sample.h"

#include "common/session/moves.h"

namespace mend::session {

std::vector<Turn> SampleConversation(int rounds, const std::string& plan_date) {
  using v1::SIDE_A;
  using v1::SIDE_B;
  std::vector<Turn> t;
  t.push_back({SIDE_A, moves::CheckIn(6, "tense")});
  t.push_back({SIDE_B, moves::CheckIn(7)});
  for (int r = 0; r < rounds; ++r) {
    Side speaker = r % 2 == 0 ? SIDE_A : SIDE_B;
    Side listener = Other(speaker);
    t.push_back(
        {speaker, moves::Statement("worried", "the bills come late", "we could lose the flat",
                                   "to plan the month together")});
    t.push_back({listener, moves::Reflection("you worry the late bills put our home at risk")});
    t.push_back({speaker, moves::Confirm()});
    t.push_back({listener, moves::Validation("that makes sense: the flat matters to both of us")});
    t.push_back({speaker, moves::PassFloor()});
  }
  t.push_back({SIDE_A, moves::ProposeRepair()});
  t.push_back({SIDE_B, moves::AnswerRepair(true)});
  for (Side side : {SIDE_A, SIDE_B}) {
    Side other = Other(side);
    t.push_back(
        {side, moves::RepairStep(v1::RESPONSIBILITY, "I left the bills to the last minute.")});
    t.push_back({other, moves::AcceptStep()});
    t.push_back({side, moves::RepairStep(v1::IMPACT, "You carried the worry alone.")});
    t.push_back({other, moves::AcceptStep()});
    t.push_back({side, moves::RepairStep(v1::REMORSE, "I'm sorry I left you with that.")});
    t.push_back({other, moves::AcceptStep()});
    t.push_back({side, moves::RepairStep(v1::PLAN, "We sit down on the first Sunday of the month.",
                                         side == SIDE_A ? plan_date : "")});
    t.push_back({other, moves::AcceptStep()});
  }
  t.push_back({SIDE_A, moves::Reconnect(v1::QUALITY_TIME, "a walk")});
  t.push_back({SIDE_B, moves::Reconnect(v1::AFFECTION)});
  t.push_back({SIDE_A, moves::Rate(8)});
  t.push_back({SIDE_B, moves::Rate(8)});
  return t;
}

Result<std::vector<v1::SessionEvent>> PlayTurns(int64_t session_id, const std::string& topic,
                                                const v1::Account& a, const v1::Account& b,
                                                TimeMs start_ms, TimeMs step_ms,
                                                const std::vector<Turn>& turns,
                                                const Config& config) {
  TimeMs now = start_ms;
  State state;
  std::vector<v1::SessionEvent> log;
  auto take = [&](std::vector<v1::SessionEvent> events) {
    for (auto& e : events) {
      Apply(state, e);
      log.push_back(std::move(e));
    }
    now += step_ms;
  };
  auto opened = Open(session_id, topic, a, b, now, config);
  if (!opened.ok()) return opened.error();
  take({opened.value()});
  take(Join(state, v1::SIDE_B, now));
  for (size_t i = 0; i < turns.size(); ++i) {
    auto events = Decide(state, turns[i].move, turns[i].side, now, config);
    if (!events.ok()) {
      return MakeError(v1::INTERNAL, "turn " + std::to_string(i + 1) + " (" +
                                         MoveName(turns[i].move.kind_case()) +
                                         ") was refused: " + events.error().message);
    }
    take(std::move(events).value());
  }
  return log;
}

}  // namespace mend::session
