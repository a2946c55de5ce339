#include "tests/integration/scripted_session.h"

#include <gtest/gtest.h>

#include <thread>

#include "client/session_client.h"

namespace mend::testing {

using client::SessionClient;

Played PlayScript(TestServer& server, client::Connection& a, client::Connection& b,
                  const std::string& topic, uint32_t break_seconds) {
  Played out;
  SessionClient sa(a), sb(b);
  auto opened = sa.Open(topic);
  EXPECT_TRUE(opened.ok()) << opened.error().message;
  if (!opened.ok()) return out;
  auto joined = sb.Join();
  EXPECT_TRUE(joined.ok()) << joined.error().message;
  EXPECT_TRUE(sa.WaitForSeq(2));
  out.steps = client::demo::Script(break_seconds);
  Status a_result, b_result;
  std::thread a_thread(
      [&] { a_result = client::demo::PlaySide(sa, v1::SIDE_A, out.steps, 2, nullptr); });
  std::thread b_thread(
      [&] { b_result = client::demo::PlaySide(sb, v1::SIDE_B, out.steps, 2, nullptr); });
  if (break_seconds > 0) {
    EXPECT_TRUE(sa.WaitUntil([](const session::State& s) { return s.on_break.has_value(); }));
    server.clock().Advance(std::chrono::seconds(break_seconds));
  }
  a_thread.join();
  b_thread.join();
  EXPECT_TRUE(a_result.ok()) << a_result.error().message;
  EXPECT_TRUE(b_result.ok()) << b_result.error().message;
  EXPECT_TRUE(sa.WaitUntil([](const session::State& s) { return s.phase == v1::CLOSED; }));
  EXPECT_TRUE(sb.WaitForSeq(sa.state().seq));
  out.session_id = sa.session_id();
  out.events = sa.events();
  out.state = sa.state();
  return out;
}

}  // namespace mend::testing
