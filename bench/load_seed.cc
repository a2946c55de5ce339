#include "bench/load_seed.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "bench/load_stats.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/session/moves.h"
#include "common/session/rules.h"
#include "common/session/sample.h"
#include "server/store/session_record.h"
#include "server/store/store.h"

namespace mend::bench {
namespace {

// Nobody signs in with a password: the partners authenticate with their tokens.
constexpr char kNoPassword[] = "load-tool:no-password";
constexpr TimeMs kYearMs = 365LL * 24 * 3600 * 1000;

struct CoupleSeed {
  std::string login_a, login_b, name_a, name_b;
  std::string digest_a, digest_b, invite_digest;
  std::vector<v1::SessionEvent> events;  // session id 0: set once the session has its id
};

// Opened, joined and both check-ins, decided by the real rules: a session in talk, A to speak.
Result<std::vector<v1::SessionEvent>> TalkSession(const v1::Account& a, const v1::Account& b,
                                                  TimeMs now) {
  std::vector<session::Turn> turns = {{v1::SIDE_A, session::moves::CheckIn(7)},
                                      {v1::SIDE_B, session::moves::CheckIn(7)}};
  return session::PlayTurns(0, "who does the dishes", a, b, now, 1, turns);
}

v1::Account MakeAccount(const std::string& login, const std::string& name) {
  v1::Account account;
  account.set_login(login);
  account.set_display_name(name);
  account.set_paired(true);
  return account;
}

// Everything of one couple in one write: its accounts, tokens, pairing and open session.
Status WriteCouple(WriteTx& tx, CoupleSeed& seed, TimeMs now) {
  auto a = tx.CreateAccount(seed.login_a, seed.name_a, kNoPassword, now);
  if (!a.ok()) return a.status();
  auto b = tx.CreateAccount(seed.login_b, seed.name_b, kNoPassword, now);
  if (!b.ok()) return b.status();
  if (Status s = tx.InsertToken(seed.digest_a, a.value().id, now, now + kYearMs); !s.ok()) return s;
  if (Status s = tx.InsertToken(seed.digest_b, b.value().id, now, now + kYearMs); !s.ok()) return s;
  if (Status s = tx.CreateInvite(seed.invite_digest, a.value().id, now, now + kYearMs); !s.ok()) {
    return s;
  }
  auto couple = tx.AcceptInvite(seed.invite_digest, b.value().id, now);
  if (!couple.ok()) return couple.status();
  auto id = tx.InsertSession(couple.value().id, a.value().id, seed.events.front().at_unix_ms());
  if (!id.ok()) return id.status();
  session::State state;
  for (auto& e : seed.events) {
    e.set_session_id(id.value());
    if (Status s = tx.InsertEvent(e); !s.ok()) return s;
    session::Apply(state, e);
  }
  return RecordFold(tx, couple.value().id, state, 0, seed.events.back().at_unix_ms());
}

}  // namespace

Result<SeedResult> SeedCouples(const std::string& db_path, int couples, const std::string& prefix) {
  auto start = Clock::now();
  SeedResult result;
  auto store = OpenSqliteStore(db_path);
  if (!store.ok()) return store.error();
  Writer& writer = store.value()->writer();
  TimeMs now = SystemClock().NowMs();

  std::vector<std::shared_ptr<CoupleSeed>> seeds;
  for (int i = 0; i < couples; ++i) {
    auto seed = std::make_shared<CoupleSeed>();
    std::string stem = prefix + "-" + std::to_string(i);
    seed->login_a = stem + "a";
    seed->login_b = stem + "b";
    seed->name_a = "Partner A" + std::to_string(i);
    seed->name_b = "Partner B" + std::to_string(i);
    SeededCouple tokens{crypto::NewToken(), crypto::NewToken()};
    seed->digest_a = crypto::Digest(tokens.token_a);
    seed->digest_b = crypto::Digest(tokens.token_b);
    seed->invite_digest = crypto::Digest("invite-" + crypto::NewToken());
    auto events = TalkSession(MakeAccount(seed->login_a, seed->name_a),
                              MakeAccount(seed->login_b, seed->name_b), now);
    if (!events.ok()) return events.error();
    seed->events = std::move(events).value();
    result.couples.push_back(std::move(tokens));
    seeds.push_back(std::move(seed));
  }

  std::mutex mu;
  std::condition_variable cv;
  size_t pending = seeds.size();
  Status first_failure;
  // Queued all at once, so the writer commits them in a few large groups, not one per couple.
  for (auto& seed : seeds) {
    writer.Write([seed, now](WriteTx& tx) { return WriteCouple(tx, *seed, now); },
                 [&](Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   if (!s.ok() && first_failure.ok()) first_failure = s;
                   if (--pending == 0) cv.notify_all();
                 });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
  result.group_commits = writer.Stats().groups;
  store.value().reset();  // closed before the server opens the database
  if (!first_failure.ok()) return first_failure.error();
  result.seconds = Seconds(Clock::now() - start);
  return result;
}

}  // namespace mend::bench
