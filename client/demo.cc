#include "client/demo.h"

#include <mutex>
#include <thread>

#include "client/demo_script.h"
#include "client/history_client.h"
#include "client/render.h"
#include "client/replay_client.h"
#include "client/session_client.h"
#include "common/crypto.h"

namespace mend::client {
namespace {

int Fail(std::ostream& out, const std::string& what) {
  out << "DEMO FAILED: " << what << "\n";
  std::cerr << "mend: demo failed: " << what << "\n";
  return 1;
}

}  // namespace

int RunDemo(const std::string& server, uint32_t break_seconds, std::ostream& out) {
  // Fresh names each run, so a demo can run against a server that has seen one before.
  std::string suffix = crypto::NewToken().substr(0, 6);
  for (char& c : suffix) c = (c == '-' || c == '_') ? 'x' : static_cast<char>(std::tolower(c));
  const std::string password = "demo-" + crypto::NewToken();
  struct Partner {
    std::string login, name;
    std::unique_ptr<Connection> conn;
  };
  Partner a{"demo-sam-" + suffix, "Sam", nullptr}, b{"demo-alex-" + suffix, "Alex", nullptr};
  for (Partner* p : {&a, &b}) {
    auto conn = Connection::Open(server);
    if (!conn.ok()) return Fail(out, conn.error().message);
    p->conn = std::move(conn).value();
    auto granted = p->conn->Register(p->login, p->name, password);
    if (!granted.ok()) return Fail(out, "registering " + p->login + ": " + granted.error().message);
    out << "registered " << p->login << " (" << p->name << ")\n";
  }
  auto invite = a.conn->CreateInvite();
  if (!invite.ok()) return Fail(out, "invite: " + invite.error().message);
  auto couple = b.conn->AcceptInvite(invite.value().code());
  if (!couple.ok()) return Fail(out, "accepting the invite: " + couple.error().message);
  out << "paired " << a.login << " and " << b.login << " with invite " << invite.value().code()
      << "\n";

  SessionClient sa(*a.conn);
  auto opened = sa.Open("Texting while out (demo)");
  if (!opened.ok()) return Fail(out, "opening the session: " + opened.error().message);
  // B learns of the session as a partner would: from the live offer.
  std::optional<v1::Push> offer;
  while ((offer = b.conn->NextPush()) && !offer->has_session_opened()) {
  }
  if (!offer) return Fail(out, "the partner was never told about the session");
  SessionClient sb(*b.conn);
  auto joined = sb.Join(offer->session_opened().session_id());
  if (!joined.ok()) return Fail(out, "joining: " + joined.error().message);
  if (!sa.WaitForSeq(2) || !sb.WaitForSeq(2)) return Fail(out, "the join was not seen by both");
  out << "session " << sa.session_id() << " opened by Sam, joined by Alex\n";

  auto steps = demo::Script(break_seconds);
  Duration step_timeout = Duration(15000) + std::chrono::seconds(break_seconds);
  std::mutex out_mu;
  session::State narrated = sa.state();
  auto narrate = [&](size_t i, const demo::Step&) {
    std::lock_guard<std::mutex> lock(out_mu);
    out << "  step " << (i + 1) << "/" << steps.size() << " ok: " << steps[i].label << "\n";
  };
  Status ra, rb;
  std::thread ta([&] { ra = demo::PlaySide(sa, v1::SIDE_A, steps, 2, narrate, step_timeout); });
  std::thread tb([&] { rb = demo::PlaySide(sb, v1::SIDE_B, steps, 2, narrate, step_timeout); });
  ta.join();
  tb.join();
  if (!ra.ok()) return Fail(out, ra.error().message);
  if (!rb.ok()) return Fail(out, rb.error().message);

  auto ea = sa.events(), eb = sb.events();
  out << "\nThe session as both partners saw it:\n";
  for (const auto& e : ea) {
    out << "  [" << e.seq() << "] " << render::Event(narrated, e) << "\n";
    session::Apply(narrated, e);
  }
  if (ea.size() != eb.size()) return Fail(out, "the partners received different numbers of events");
  for (size_t i = 0; i < ea.size(); ++i) {
    if (ea[i].SerializeAsString() != eb[i].SerializeAsString()) {
      return Fail(out, "event " + std::to_string(i + 1) + " differs between the partners");
    }
    if (ea[i].seq() != i + 1) return Fail(out, "the events have a gap at " + std::to_string(i + 1));
  }
  session::State end = sa.state();
  if (end.outcome != v1::REPAIRED) return Fail(out, "the session did not close as repaired");
  if (break_seconds > 0) {
    // Where the conversation stood when the break was called, and once both checked in again.
    session::State folded, at_break, resumed;
    bool in_break = false, seen = false;
    for (const auto& e : ea) {
      if (e.has_move() && e.move().has_take_break()) {
        at_break = folded;
        in_break = true;
      }
      session::Apply(folded, e);
      if (in_break && !folded.on_break && !folded.rechecking) {
        resumed = folded;
        in_break = false;
        seen = true;
      }
    }
    if (!seen) return Fail(out, "the break never ended");
    if (resumed.phase != at_break.phase || resumed.speaker != at_break.speaker ||
        resumed.talk != at_break.talk) {
      return Fail(out, "after the break the session did not resume where it stopped");
    }
    out << "The break of " << break_seconds
        << " s ended on the server's timer; the round resumed where it stopped.\n";
  }
  // Afterwards: the couple's history, then the session replayed at full speed. A replay must give
  // back exactly what was lived, byte for byte, and fold to the same state.
  int64_t session_id = sa.session_id();
  auto page = ListSessions(*b.conn, 5);
  if (!page.ok()) return Fail(out, "listing the history: " + page.error().message);
  if (page.value().sessions_size() == 0 || page.value().sessions(0).session_id() != session_id) {
    return Fail(out, "the history does not start with the session just played");
  }
  out << "\nAlex's history:\n";
  for (const auto& s : page.value().sessions()) {
    for (const auto& line : render::SessionSummary(s)) out << "  " << line << "\n";
  }
  const v1::SessionSummary& listed = page.value().sessions(0);
  if (listed.outcome() != v1::REPAIRED || listed.events() != ea.size() ||
      listed.breaks() != static_cast<uint32_t>(end.breaks) ||
      static_cast<size_t>(listed.commitments_size()) != end.commitments.size()) {
    return Fail(out, "the history's summary does not match the session");
  }
  // Alex replays it from another device: a new connection, signed in again.
  auto device = Connection::Open(server);
  if (!device.ok()) return Fail(out, device.error().message);
  if (auto in = device.value()->Login(b.login, password); !in.ok()) {
    return Fail(out, "signing in again: " + in.error().message);
  }
  ReplayClient replay(*device.value());
  auto started = replay.Start(session_id, /*speed=*/0);
  if (!started.ok()) return Fail(out, "starting the replay: " + started.error().message);
  auto ended = replay.WaitEnded();
  if (!ended || ended->state() != v1::ReplayStatus::FINISHED) {
    return Fail(out, "the replay did not finish");
  }
  if (Status s = replay.integrity(); !s.ok()) return Fail(out, s.error().message);
  auto replayed = replay.events();
  if (replayed.size() != ea.size()) {
    return Fail(out, "the replay has " + std::to_string(replayed.size()) + " events, the live " +
                         "session " + std::to_string(ea.size()));
  }
  for (size_t i = 0; i < ea.size(); ++i) {
    if (replayed[i].SerializeAsString() != ea[i].SerializeAsString()) {
      return Fail(out, "replayed event " + std::to_string(i + 1) + " differs from the live one");
    }
  }
  if (!(replay.state() == end)) return Fail(out, "the replay folds to a different state");
  out << "Replayed session " << session_id << " at full speed: " << replayed.size()
      << " events, identical to the live ones byte for byte, folding to the same state.\n";

  out << "\nDemo passed: " << ea.size() << " events, the same for both partners; "
      << end.commitments.size() << " commitments; closed as repaired; replay identical.\n";
  return 0;
}

}  // namespace mend::client
