#include "common/session/moves.h"

namespace mend::session {

namespace moves {
v1::Move CheckIn(uint32_t calm, const std::string& feeling) {
  v1::Move m;
  m.mutable_check_in()->set_calm(calm);
  m.mutable_check_in()->set_feeling(feeling);
  return m;
}
v1::Move Statement(const std::string& feeling, const std::string& situation,
                   const std::string& reason, const std::string& need) {
  v1::Move m;
  auto* s = m.mutable_statement();
  s->set_feeling(feeling);
  s->set_situation(situation);
  s->set_reason(reason);
  s->set_need(need);
  return m;
}
v1::Move Question(const std::string& text) {
  v1::Move m;
  m.mutable_question()->set_text(text);
  return m;
}
v1::Move Answer(const std::string& text) {
  v1::Move m;
  m.mutable_answer()->set_text(text);
  return m;
}
v1::Move Reflection(const std::string& text) {
  v1::Move m;
  m.mutable_reflection()->set_text(text);
  return m;
}
v1::Move Confirm() {
  v1::Move m;
  m.mutable_confirm();
  return m;
}
v1::Move Correction(const std::string& text) {
  v1::Move m;
  m.mutable_correction()->set_text(text);
  return m;
}
v1::Move Validation(const std::string& text) {
  v1::Move m;
  m.mutable_validation()->set_text(text);
  return m;
}
v1::Move PassFloor() {
  v1::Move m;
  m.mutable_pass_floor();
  return m;
}
v1::Move ProposeRepair() {
  v1::Move m;
  m.mutable_propose_repair();
  return m;
}
v1::Move AnswerRepair(bool agree) {
  v1::Move m;
  m.mutable_answer_repair()->set_agree(agree);
  return m;
}
v1::Move RepairStep(v1::RepairStep step, const std::string& text,
                    const std::string& check_in_date) {
  v1::Move m;
  auto* r = m.mutable_repair_step();
  r->set_step(step);
  r->set_text(text);
  r->set_check_in_date(check_in_date);
  return m;
}
v1::Move AcceptStep() {
  v1::Move m;
  m.mutable_accept_step();
  return m;
}
v1::Move AskMore(const std::string& text) {
  v1::Move m;
  m.mutable_ask_more()->set_text(text);
  return m;
}
v1::Move Reconnect(v1::Reconnection way, const std::string& note) {
  v1::Move m;
  m.mutable_reconnect()->set_way(way);
  m.mutable_reconnect()->set_note(note);
  return m;
}
v1::Move Rate(uint32_t feel) {
  v1::Move m;
  m.mutable_rate()->set_feel(feel);
  return m;
}
v1::Move TakeBreak(uint32_t seconds, const std::string& note) {
  v1::Move m;
  m.mutable_take_break()->set_seconds(seconds);
  m.mutable_take_break()->set_note(note);
  return m;
}
v1::Move Ready() {
  v1::Move m;
  m.mutable_ready();
  return m;
}
v1::Move MoreTime(uint32_t seconds) {
  v1::Move m;
  m.mutable_more_time()->set_seconds(seconds);
  return m;
}
v1::Move End(const std::string& reason) {
  v1::Move m;
  m.mutable_end()->set_text(reason);
  return m;
}
}  // namespace moves

}  // namespace mend::session
