#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/session/sample.h"
#include "server/store/session_record.h"
#include "server/store/store.h"
#include "server/store/write_and_wait.h"

namespace mend {
namespace {

constexpr TimeMs kNow = 1'700'000'000'000;
constexpr TimeMs kDay = 24LL * 3600 * 1000;
// How long a test waits for something that should happen at once. Only a broken store takes this
// long; the bound is there so that it fails the test instead of hanging it.
constexpr auto kHang = std::chrono::seconds(10);
// Takes a database from schema 4 back to 3, as an older Mend left it.
constexpr const char* kUndoVersion4 =
    "ALTER TABLE events DROP COLUMN command_id; ALTER TABLE events DROP COLUMN command_by;"
    "ALTER TABLE events DROP COLUMN command_last_seq;"
    "CREATE TABLE commands (session_id INTEGER NOT NULL, account_id INTEGER NOT NULL,"
    "  command_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, account_id, command_id)) WITHOUT ROWID;";

// Queues `write` without waiting; the future is its outcome. The promise is shared with the
// writer's callback so that it outlives a test body that stops early.
std::future<Status> Queue(Writer& writer, std::function<Status(WriteTx&)> write) {
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> outcome = done->get_future();
  writer.Write(std::move(write), [done](Status s) { done->set_value(std::move(s)); });
  return outcome;
}

// A write that holds the writer's thread inside its transaction until Release(): the test can then
// look at the store while a write is in progress, or queue writes that must share the next group.
// Released on destruction too, so that a failed assertion does not leave the writer stuck.
class HeldWrite {
 public:
  // `first` runs inside the transaction before the write starts holding; its status is the
  // write's.
  explicit HeldWrite(Writer& writer, std::function<Status(WriteTx&)> first = nullptr)
      : state_(std::make_shared<State>()) {
    state_->released = state_->release.get_future().share();
    started_ = state_->started.get_future();
    committed_ = Queue(writer, [state = state_, first = std::move(first)](WriteTx& tx) {
      Status s = first ? first(tx) : Status();
      state->started.set_value();
      state->released.wait();
      return s;
    });
  }
  ~HeldWrite() { Release(); }
  HeldWrite(const HeldWrite&) = delete;
  HeldWrite& operator=(const HeldWrite&) = delete;

  // True once the writer's thread is inside the write.
  bool WaitStarted() { return started_.wait_for(kHang) == std::future_status::ready; }
  void Release() {
    if (!released_) state_->release.set_value();
    released_ = true;
  }
  // The write's outcome, once it committed. REQUIRES: Release() was called.
  Status Committed() { return committed_.get(); }

 private:
  struct State {
    std::promise<void> started;
    std::promise<void> release;
    std::shared_future<void> released;
  };
  std::shared_ptr<State> state_;
  std::future<void> started_;
  std::future<Status> committed_;
  bool released_ = false;
};

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("mend_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(std::filesystem::create_directories(dir_));
    path_ = (dir_ / "mend.db").string();
    Open();
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Open(const SqliteOptions& options = {}) {
    Result<std::unique_ptr<Store>> opened = OpenSqliteStore(path_, options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  void Reopen(const SqliteOptions& options = {}) {
    store_.reset();
    Open(options);
  }

  // The writes the tests make one at a time: each is one write through the writer, waited for.
  Result<AccountRecord> CreateAccount(const std::string& login, const std::string& display_name,
                                      const std::string& password_hash, TimeMs now) {
    return WriteAndWait(store_->writer(), [&](WriteTx& tx) {
      return tx.CreateAccount(login, display_name, password_hash, now);
    });
  }
  Status InsertToken(const std::string& digest, int64_t account_id, TimeMs now, TimeMs expires) {
    return WriteAndWait(store_->writer(), [&](WriteTx& tx) {
      return tx.InsertToken(digest, account_id, now, expires);
    });
  }
  Status DeleteToken(const std::string& digest) {
    return WriteAndWait(store_->writer(), [&](WriteTx& tx) { return tx.DeleteToken(digest); });
  }
  Status CreateInvite(const std::string& code_digest, int64_t inviter, TimeMs now, TimeMs expires) {
    return WriteAndWait(store_->writer(), [&](WriteTx& tx) {
      return tx.CreateInvite(code_digest, inviter, now, expires);
    });
  }
  Result<CoupleRecord> AcceptInvite(const std::string& code_digest, int64_t acceptor, TimeMs now) {
    return WriteAndWait(store_->writer(),
                        [&](WriteTx& tx) { return tx.AcceptInvite(code_digest, acceptor, now); });
  }
  Result<CommitmentRecord> RecordFollowThrough(int64_t couple_id, int64_t commitment_id,
                                               const FollowThroughRecord& record,
                                               const std::string& today) {
    return WriteAndWait(store_->writer(), [&](WriteTx& tx) {
      return tx.RecordFollowThrough(couple_id, commitment_id, record, today);
    });
  }

  AccountRecord NewAccount(const std::string& login) {
    Result<AccountRecord> r = CreateAccount(login, "Name of " + login, "hash-" + login, kNow);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : AccountRecord{};
  }

  // Digests are opaque bytes to the store; distinct strings are enough.
  static std::string Code(const std::string& name) { return "digest:" + name; }

  void Invite(const std::string& code, int64_t inviter, TimeMs now = kNow) {
    Status s = CreateInvite(Code(code), inviter, now, now + kDay);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  // Pairs `inviter` and `acceptor` through a fresh invite.
  void Pair(int64_t inviter, int64_t acceptor, const std::string& code) {
    Invite(code, inviter);
    Result<CoupleRecord> c = AcceptInvite(Code(code), acceptor, kNow + 1);
    ASSERT_TRUE(c.ok()) << c.error().message;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, SchemaIsAtTheNewestVersionAndStaysThereOnReopen) {
  EXPECT_EQ(store_->SchemaVersion(), 4);
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), 4);
}

TEST_F(SqliteStoreTest, CreateAndFindAccount) {
  Result<AccountRecord> created = CreateAccount("alice", "Alice A.", "h1", kNow);
  ASSERT_TRUE(created.ok()) << created.error().message;
  const AccountRecord& a = created.value();
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.login, "alice");
  EXPECT_EQ(a.display_name, "Alice A.");
  EXPECT_EQ(a.password_hash, "h1");
  EXPECT_EQ(a.created_ms, kNow);
  EXPECT_FALSE(a.couple_id.has_value());

  for (Result<AccountRecord> found :
       {store_->accounts().FindAccountByLogin("alice"), store_->accounts().FindAccountById(a.id)}) {
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(found.value().id, a.id);
    EXPECT_EQ(found.value().login, "alice");
    EXPECT_EQ(found.value().display_name, "Alice A.");
    EXPECT_EQ(found.value().password_hash, "h1");
    EXPECT_EQ(found.value().created_ms, kNow);
    EXPECT_FALSE(found.value().couple_id.has_value());
  }

  AccountRecord b = NewAccount("bob");
  EXPECT_NE(b.id, a.id);
  EXPECT_EQ(store_->accounts().FindAccountById(b.id).value().login, "bob");
}

TEST_F(SqliteStoreTest, DuplicateLoginIsTaken) {
  NewAccount("alice");
  Result<AccountRecord> again = CreateAccount("alice", "Other", "h2", kNow + 5);
  EXPECT_EQ(again.code(), v1::LOGIN_TAKEN);
  // The first account is untouched.
  EXPECT_EQ(store_->accounts().FindAccountByLogin("alice").value().display_name, "Name of alice");
}

TEST_F(SqliteStoreTest, UnknownAccount) {
  NewAccount("alice");
  EXPECT_EQ(store_->accounts().FindAccountByLogin("bob").code(), v1::UNKNOWN_ACCOUNT);
  EXPECT_EQ(store_->accounts().FindAccountByLogin("").code(), v1::UNKNOWN_ACCOUNT);
  EXPECT_EQ(store_->accounts().FindAccountById(12345).code(), v1::UNKNOWN_ACCOUNT);
}

TEST_F(SqliteStoreTest, TokensInsertFindExpireDelete) {
  AccountStore& accounts = store_->accounts();
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  const std::string digest_a(32, '\xAA');
  const std::string digest_b("\x00\x01\x02", 3);  // digests are bytes, NUL included
  ASSERT_TRUE(InsertToken(digest_a, a.id, kNow, kNow + 1000).ok());
  ASSERT_TRUE(InsertToken(digest_b, b.id, kNow, kNow + 1000).ok());

  Result<TokenRecord> found = accounts.FindToken(digest_a, kNow);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found.value().account_id, a.id);
  EXPECT_EQ(accounts.FindToken(digest_b, kNow + 999).value().account_id, b.id);
  EXPECT_EQ(accounts.FindToken(std::string("\x00\x01", 2), kNow).code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(accounts.FindToken("unknown", kNow).code(), v1::UNAUTHENTICATED);

  // A token stops working at its expiry time.
  EXPECT_EQ(accounts.FindToken(digest_a, kNow + 1000).code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(accounts.FindToken(digest_a, kNow + 5000).code(), v1::UNAUTHENTICATED);

  ASSERT_TRUE(DeleteToken(digest_b).ok());
  EXPECT_EQ(accounts.FindToken(digest_b, kNow).code(), v1::UNAUTHENTICATED);
  EXPECT_TRUE(DeleteToken(digest_b).ok());  // deleting twice is OK
  EXPECT_TRUE(DeleteToken("never existed").ok());
  EXPECT_EQ(accounts.FindToken(digest_a, kNow).value().account_id, a.id);
}

TEST_F(SqliteStoreTest, FindTokenReturnsTheAccountAndTheExpiry) {
  AccountStore& accounts = store_->accounts();
  AccountRecord a = NewAccount("alice");
  // Two tokens of one account: each answers with its own expiry, not the account's latest.
  ASSERT_TRUE(InsertToken("short", a.id, kNow, kNow + 1000).ok());
  ASSERT_TRUE(InsertToken("long", a.id, kNow, kNow + kDay).ok());

  Result<TokenRecord> found = accounts.FindToken("short", kNow);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found.value().account_id, a.id);
  EXPECT_EQ(found.value().expires_ms, kNow + 1000);
  Result<TokenRecord> other = accounts.FindToken("long", kNow + 1000);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(other.value().account_id, a.id);
  EXPECT_EQ(other.value().expires_ms, kNow + kDay);

  // Live up to the millisecond before its expiry; from then on, UNAUTHENTICATED.
  EXPECT_EQ(accounts.FindToken("short", kNow + 999).value().expires_ms, kNow + 1000);
  EXPECT_EQ(accounts.FindToken("short", kNow + 1000).code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(accounts.FindToken("short", kNow + 2 * kDay).code(), v1::UNAUTHENTICATED);
  // Expiry is judged against `now` only: asking late does not delete the token.
  EXPECT_TRUE(accounts.FindToken("short", kNow).ok());
}

TEST_F(SqliteStoreTest, AcceptInvitePairsBoth) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  Invite("a1", a.id);
  Result<CoupleRecord> couple = AcceptInvite(Code("a1"), b.id, kNow + 60);
  ASSERT_TRUE(couple.ok()) << couple.error().message;
  EXPECT_GT(couple.value().id, 0);
  EXPECT_EQ(couple.value().partner_a, a.id);  // the inviter
  EXPECT_EQ(couple.value().partner_b, b.id);
  EXPECT_EQ(couple.value().paired_ms, kNow + 60);

  AccountStore& accounts = store_->accounts();
  for (int64_t member : {a.id, b.id}) {
    SCOPED_TRACE(member);
    Result<CoupleRecord> found = accounts.FindCoupleOf(member);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(found.value().id, couple.value().id);
    EXPECT_EQ(found.value().partner_a, a.id);
    EXPECT_EQ(found.value().partner_b, b.id);
    EXPECT_EQ(found.value().paired_ms, kNow + 60);
    Result<AccountRecord> account = accounts.FindAccountById(member);
    ASSERT_TRUE(account.ok());
    EXPECT_EQ(account.value().couple_id, couple.value().id);
  }
  EXPECT_EQ(accounts.FindCoupleOf(a.id).value().PartnerOf(a.id), b.id);
  EXPECT_EQ(accounts.FindCoupleOf(b.id).value().PartnerOf(b.id), a.id);
  EXPECT_EQ(accounts.FindAccountByLogin("alice").value().couple_id, couple.value().id);
}

TEST_F(SqliteStoreTest, FindCoupleOfUnpairedIsNotInCouple) {
  AccountRecord a = NewAccount("alice");
  EXPECT_EQ(store_->accounts().FindCoupleOf(a.id).code(), v1::NOT_IN_COUPLE);
  EXPECT_EQ(store_->accounts().FindCoupleOf(999).code(), v1::NOT_IN_COUPLE);
}

TEST_F(SqliteStoreTest, AcceptInviteUnknown) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  Invite("a1", a.id);
  EXPECT_EQ(AcceptInvite(Code("nope"), b.id, kNow).code(), v1::INVITE_UNKNOWN);
}

TEST_F(SqliteStoreTest, AcceptInviteOwn) {
  AccountRecord a = NewAccount("alice");
  Invite("a1", a.id);
  EXPECT_EQ(AcceptInvite(Code("a1"), a.id, kNow).code(), v1::INVITE_OWN);
  // Own comes before expired in the documented order.
  EXPECT_EQ(AcceptInvite(Code("a1"), a.id, kNow + 2 * kDay).code(), v1::INVITE_OWN);
}

TEST_F(SqliteStoreTest, AcceptInviteUsed) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  AccountRecord c = NewAccount("carol");
  Pair(a.id, b.id, "a1");
  EXPECT_EQ(AcceptInvite(Code("a1"), c.id, kNow + 2).code(), v1::INVITE_USED);
  // The one who used it cannot use it again either.
  EXPECT_EQ(AcceptInvite(Code("a1"), b.id, kNow + 2).code(), v1::INVITE_USED);
  // Used comes before expired.
  EXPECT_EQ(AcceptInvite(Code("a1"), c.id, kNow + 2 * kDay).code(), v1::INVITE_USED);
  EXPECT_EQ(store_->accounts().FindCoupleOf(c.id).code(), v1::NOT_IN_COUPLE);
}

TEST_F(SqliteStoreTest, AcceptInviteReplacedByNewerOne) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  Invite("old", a.id, kNow);
  Invite("new", a.id, kNow + 10);
  EXPECT_EQ(AcceptInvite(Code("old"), b.id, kNow + 20).code(), v1::INVITE_REPLACED);
  // Replaced comes before expired.
  EXPECT_EQ(AcceptInvite(Code("old"), b.id, kNow + 2 * kDay).code(), v1::INVITE_REPLACED);
  EXPECT_EQ(store_->accounts().FindCoupleOf(b.id).code(), v1::NOT_IN_COUPLE);

  Result<CoupleRecord> couple = AcceptInvite(Code("new"), b.id, kNow + 20);
  ASSERT_TRUE(couple.ok()) << couple.error().message;
  EXPECT_EQ(couple.value().partner_a, a.id);
}

TEST_F(SqliteStoreTest, AcceptInviteExpired) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  Invite("a1", a.id, kNow);  // expires at kNow + kDay
  EXPECT_EQ(AcceptInvite(Code("a1"), b.id, kNow + kDay).code(), v1::INVITE_EXPIRED);
  EXPECT_EQ(AcceptInvite(Code("a1"), b.id, kNow + kDay + 1).code(), v1::INVITE_EXPIRED);
  EXPECT_EQ(store_->accounts().FindCoupleOf(a.id).code(), v1::NOT_IN_COUPLE);
  // One millisecond before the expiry it still works.
  EXPECT_TRUE(AcceptInvite(Code("a1"), b.id, kNow + kDay - 1).ok());
}

TEST_F(SqliteStoreTest, AcceptInviteWhenAcceptorIsPaired) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  AccountRecord c = NewAccount("carol");
  Pair(a.id, b.id, "a1");
  Invite("c1", c.id);
  EXPECT_EQ(AcceptInvite(Code("c1"), b.id, kNow + 2).code(), v1::ALREADY_IN_COUPLE);
  EXPECT_EQ(AcceptInvite(Code("c1"), a.id, kNow + 2).code(), v1::ALREADY_IN_COUPLE);
  // The invite is still open for someone else.
  AccountRecord d = NewAccount("dave");
  EXPECT_TRUE(AcceptInvite(Code("c1"), d.id, kNow + 3).ok());
}

TEST_F(SqliteStoreTest, AcceptInviteWhenInviterPairedWithSomeoneElse) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  AccountRecord c = NewAccount("carol");
  Invite("a1", a.id);      // alice invites bob ...
  Pair(c.id, a.id, "c1");  // ... but pairs with carol first
  // Regression: pairing withdraws alice's invite, which once answered INVITE_REPLACED ("ask for
  // the new code"), a misleading answer; the reason is that alice has paired.
  EXPECT_EQ(AcceptInvite(Code("a1"), b.id, kNow + 2).code(), v1::INVITER_IN_COUPLE);
  EXPECT_EQ(store_->accounts().FindCoupleOf(b.id).code(), v1::NOT_IN_COUPLE);
}

TEST_F(SqliteStoreTest, CreateInviteWhenPairedIsAlreadyInCouple) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  Pair(a.id, b.id, "a1");
  EXPECT_EQ(CreateInvite(Code("a2"), a.id, kNow, kNow + kDay).code(), v1::ALREADY_IN_COUPLE);
  EXPECT_EQ(CreateInvite(Code("b1"), b.id, kNow, kNow + kDay).code(), v1::ALREADY_IN_COUPLE);
  // Nothing was stored.
  AccountRecord c = NewAccount("carol");
  EXPECT_EQ(AcceptInvite(Code("b1"), c.id, kNow).code(), v1::INVITE_UNKNOWN);
}

TEST_F(SqliteStoreTest, OpenInvitesOfBothPartnersAreUnusableAfterPairing) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  AccountRecord c = NewAccount("carol");
  Invite("a1", a.id);
  Invite("b1", b.id);
  ASSERT_TRUE(AcceptInvite(Code("a1"), b.id, kNow + 1).ok());

  // The acceptor's own open invite no longer pairs anyone with them.
  Result<CoupleRecord> via_b = AcceptInvite(Code("b1"), c.id, kNow + 2);
  EXPECT_FALSE(via_b.ok());
  EXPECT_EQ(store_->accounts().FindCoupleOf(c.id).code(), v1::NOT_IN_COUPLE);
  EXPECT_EQ(store_->accounts().FindCoupleOf(b.id).value().PartnerOf(b.id), a.id);
}

TEST_F(SqliteStoreTest, DataSurvivesReopen) {
  AccountRecord a = NewAccount("alice");
  AccountRecord b = NewAccount("bob");
  AccountRecord c = NewAccount("carol");
  ASSERT_TRUE(InsertToken("tok-a", a.id, kNow, kNow + kDay).ok());
  Pair(a.id, b.id, "a1");
  Invite("c1", c.id);

  Reopen();

  AccountStore& accounts = store_->accounts();
  Result<AccountRecord> alice = accounts.FindAccountByLogin("alice");
  ASSERT_TRUE(alice.ok()) << alice.error().message;
  EXPECT_EQ(alice.value().id, a.id);
  EXPECT_EQ(alice.value().password_hash, "hash-alice");
  EXPECT_TRUE(alice.value().couple_id.has_value());
  EXPECT_EQ(accounts.FindToken("tok-a", kNow).value().account_id, a.id);
  EXPECT_EQ(accounts.FindCoupleOf(b.id).value().PartnerOf(b.id), a.id);
  EXPECT_EQ(AcceptInvite(Code("a1"), c.id, kNow + 2).code(), v1::INVITE_USED);
  EXPECT_EQ(CreateAccount("bob", "x", "y", kNow).code(), v1::LOGIN_TAKEN);

  AccountRecord d = NewAccount("dave");
  EXPECT_GT(d.id, c.id);
  Result<CoupleRecord> cd = AcceptInvite(Code("c1"), d.id, kNow + 3);
  ASSERT_TRUE(cd.ok()) << cd.error().message;
  EXPECT_EQ(cd.value().partner_a, c.id);
}

TEST_F(SqliteStoreTest, AStoreWithOneReadConnectionServesConcurrentReaders) {
  AccountRecord a = NewAccount("alice");
  ASSERT_TRUE(InsertToken("tok-a", a.id, kNow, kNow + kDay).ok());
  Reopen(SqliteOptions{.read_connections = 1});
  // More readers than connections: they take turns on the one connection, and each gets its own
  // answer, never another reader's half-stepped statement.
  constexpr int kReaders = 4;
  constexpr int kReads = 100;
  std::atomic<int> right{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < kReads; ++i) {
        auto account = store_->accounts().FindAccountById(a.id);
        auto token = store_->accounts().FindToken("tok-a", kNow);
        auto nobody = store_->accounts().FindAccountByLogin("nobody");
        if (account.ok() && account.value().login == "alice" && token.ok() &&
            token.value().account_id == a.id && nobody.code() == v1::UNKNOWN_ACCOUNT) {
          ++right;
        }
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(right.load(), kReaders * kReads);
}

// ---------------------------------------------------------------------------------------------
// The session log.

v1::SessionEvent MakeEvent(int64_t session_id, uint64_t seq, const std::string& topic = "") {
  v1::SessionEvent e;
  e.set_session_id(session_id);
  e.set_seq(seq);
  e.set_at_unix_ms(kNow + static_cast<int64_t>(seq));
  e.set_actor(v1::SIDE_A);
  if (topic.empty()) {
    e.mutable_move()->mutable_check_in()->set_calm(static_cast<uint32_t>(seq % 10));
  } else {
    e.mutable_opened()->set_topic(topic);
  }
  return e;
}

std::vector<uint64_t> Seqs(const std::vector<v1::SessionEvent>& events) {
  std::vector<uint64_t> seqs;
  for (const auto& e : events) seqs.push_back(e.seq());
  return seqs;
}

class SessionLogTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    a_ = NewAccount("alice");
    b_ = NewAccount("bob");
    Pair(a_.id, b_.id, "ab");
    couple_ = store_->accounts().FindCoupleOf(a_.id).value().id;
  }

  int64_t OpenSession() {
    int64_t id = 0;
    Status s = WriteAndWait(store_->writer(), [&](WriteTx& tx) -> Status {
      auto r = tx.InsertSession(couple_, a_.id, kNow);
      if (!r.ok()) return r.status();
      id = r.value();
      return tx.InsertEvent(MakeEvent(id, 1, "the dishes"));
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return id;
  }

  AccountRecord a_, b_;
  int64_t couple_ = 0;
};

TEST_F(SessionLogTest, EventsAreStoredInOrderAndSurviveReopen) {
  int64_t id = OpenSession();
  ASSERT_TRUE(WriteAndWait(store_->writer(), [&](WriteTx& tx) -> Status {
                for (uint64_t seq = 2; seq <= 5; ++seq) {
                  if (Status s = tx.InsertEvent(MakeEvent(id, seq)); !s.ok()) return s;
                }
                return Status();
              }).ok());
  Reopen();
  auto all = store_->log().LoadEvents(id, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all.value().size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(all.value()[i].seq(), i + 1);
  EXPECT_EQ(all.value()[0].opened().topic(), "the dishes");
  auto after = store_->log().LoadEvents(id, 3);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after.value().size(), 2u);
  EXPECT_EQ(after.value()[0].seq(), 4u);
  EXPECT_EQ(after.value()[0].SerializeAsString(), MakeEvent(id, 4).SerializeAsString());
}

TEST_F(SessionLogTest, OneOpenSessionPerCouple) {
  int64_t first = OpenSession();
  ASSERT_GT(first, 0);
  Status second = WriteAndWait(store_->writer(), [&](WriteTx& tx) {
    return tx.InsertSession(couple_, b_.id, kNow).status();
  });
  EXPECT_EQ(second.code(), v1::SESSION_ALREADY_OPEN);
  auto open = store_->log().OpenSessions();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open.value().size(), 1u);
  EXPECT_EQ(open.value()[0].id, first);
  EXPECT_FALSE(open.value()[0].closed_ms.has_value());

  ASSERT_TRUE(WriteAndWait(store_->writer(), [&](WriteTx& tx) {
                return tx.CloseSession(first, v1::REPAIRED, kNow + 10);
              }).ok());
  EXPECT_TRUE(store_->log().OpenSessions().value().empty());
  auto row = store_->log().FindSession(first);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row.value().outcome, v1::REPAIRED);
  EXPECT_EQ(row.value().closed_ms, kNow + 10);
  // Once closed, the couple may open another.
  EXPECT_GT(OpenSession(), first);
}

TEST_F(SessionLogTest, ADuplicateSeqIsRefusedAndUndoesOnlyItsOwnWrite) {
  int64_t id = OpenSession();
  // Two writes in flight at once land in one group: the bad one must not take the good one down.
  std::promise<Status> bad_done, good_done;
  store_->writer().Write([&](WriteTx& tx) { return tx.InsertEvent(MakeEvent(id, 1)); },
                         [&](Status s) { bad_done.set_value(s); });
  store_->writer().Write([&](WriteTx& tx) { return tx.InsertEvent(MakeEvent(id, 2)); },
                         [&](Status s) { good_done.set_value(s); });
  EXPECT_EQ(bad_done.get_future().get().code(), v1::INTERNAL);
  EXPECT_TRUE(good_done.get_future().get().ok());
  auto all = store_->log().LoadEvents(id, 0);
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_TRUE(all.value()[0].has_opened());  // seq 1 is still the original
}

TEST_F(SessionLogTest, AFailingWriteLeavesNothingBehind) {
  int64_t id = OpenSession();
  Status s = WriteAndWait(store_->writer(), [&](WriteTx& tx) -> Status {
    if (Status st = tx.InsertEvent(MakeEvent(id, 2)); !st.ok()) return st;
    return MakeError(v1::INTERNAL, "the write gives up half way");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(store_->log().LoadEvents(id, 0).value().size(), 1u);
}

TEST_F(SessionLogTest, CommandsAreKeptForResends) {
  int64_t id = OpenSession();
  ASSERT_TRUE(WriteAndWait(store_->writer(), [&](WriteTx& tx) -> Status {
                CommandRecord command{a_.id, "cmd-1", 2, 3};
                if (Status st = tx.InsertEvent(MakeEvent(id, 2), &command); !st.ok()) return st;
                return tx.InsertEvent(MakeEvent(id, 3));
              }).ok());
  Reopen();
  auto commands = store_->log().LoadCommands(id);
  ASSERT_TRUE(commands.ok());
  ASSERT_EQ(commands.value().size(), 1u);
  EXPECT_EQ(commands.value()[0].command_id, "cmd-1");
  EXPECT_EQ(commands.value()[0].account_id, a_.id);
  EXPECT_EQ(commands.value()[0].first_seq, 2u);
  EXPECT_EQ(commands.value()[0].last_seq, 3u);
}

TEST_F(SessionLogTest, CommandsStoredBeforeVersion4MoveOntoTheirEvents) {
  int64_t id = OpenSession();
  ASSERT_TRUE(WriteAndWait(store_->writer(), [&](WriteTx& tx) -> Status {
                for (uint64_t seq = 2; seq <= 4; ++seq) {
                  if (Status st = tx.InsertEvent(MakeEvent(id, seq)); !st.ok()) return st;
                }
                return Status();
              }).ok());
  // Take the database back to schema 3, with the commands in their own table.
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string downgrade = std::string(kUndoVersion4) + "INSERT INTO commands VALUES(" +
                            std::to_string(id) + ", " + std::to_string(a_.id) +
                            ", 'cmd-a', 2, 3);"
                            "INSERT INTO commands VALUES(" +
                            std::to_string(id) + ", " + std::to_string(b_.id) +
                            ", 'cmd-b', 4, 4);"
                            "PRAGMA user_version = 3;";
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, downgrade.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_close(db);
  }
  Open();
  EXPECT_EQ(store_->SchemaVersion(), 4);
  auto commands = store_->log().LoadCommands(id);
  ASSERT_TRUE(commands.ok());
  ASSERT_EQ(commands.value().size(), 2u);
  EXPECT_EQ(commands.value()[0].command_id, "cmd-a");
  EXPECT_EQ(commands.value()[0].account_id, a_.id);
  EXPECT_EQ(commands.value()[0].first_seq, 2u);
  EXPECT_EQ(commands.value()[0].last_seq, 3u);
  EXPECT_EQ(commands.value()[1].command_id, "cmd-b");
  EXPECT_EQ(commands.value()[1].account_id, b_.id);
  EXPECT_EQ(commands.value()[1].first_seq, 4u);
  EXPECT_EQ(commands.value()[1].last_seq, 4u);
  EXPECT_EQ(store_->log().LoadEvents(id, 0).value().size(), 4u);
}

TEST_F(SessionLogTest, WritesQueuedDuringACommitShareTheNextOne) {
  int64_t id = OpenSession();
  WriterStats before = store_->writer().Stats();
  constexpr int kWrites = 200;
  std::vector<std::promise<Status>> done(kWrites);
  // The first write holds the writer until every other write is queued behind it.
  std::promise<void> all_queued;
  std::shared_future<void> released = all_queued.get_future().share();
  for (int i = 0; i < kWrites; ++i) {
    store_->writer().Write(
        [id, i, released](WriteTx& tx) {
          if (i == 0) released.wait();
          return tx.InsertEvent(MakeEvent(id, static_cast<uint64_t>(i + 2)));
        },
        [&done, i](Status s) { done[i].set_value(s); });
  }
  all_queued.set_value();
  for (auto& d : done) EXPECT_TRUE(d.get_future().get().ok());
  WriterStats after = store_->writer().Stats();
  EXPECT_EQ(after.writes - before.writes, static_cast<uint64_t>(kWrites));
  // The first group may hold one write or all of them; the rest came in one more group at most.
  EXPECT_LE(after.groups - before.groups, 2u);
  EXPECT_EQ(store_->log().LoadEvents(id, 0).value().size(), static_cast<size_t>(kWrites) + 1);
}

TEST_F(SessionLogTest, TheWalStaysBoundedWhileTheWriterIsNeverIdle) {
  constexpr int kStep = 32;  // the writer finishes a checkpoint itself past 8 * kStep frames
  SqliteOptions options;
  options.checkpoint_frames = kStep;
  Reopen(options);
  int64_t id = OpenSession();
  // Each write queues the next from its completion, so a new group is always waiting when one
  // commits: the background checkpoint alone would never catch up.
  constexpr int kWrites = 1200;
  std::promise<void> finished;
  std::atomic<int> failed{0};
  std::function<void(int)> chain = [&](int seq) {
    store_->writer().Write(
        [id, seq](WriteTx& tx) {
          return tx.InsertEvent(MakeEvent(id, static_cast<uint64_t>(seq), std::string(300, 'x')));
        },
        [&, seq](Status s) {
          if (!s.ok()) ++failed;
          if (seq - 1 < kWrites) {
            chain(seq + 1);
          } else {
            finished.set_value();
          }
        });
  };
  chain(2);
  ASSERT_EQ(finished.get_future().wait_for(kHang * 6), std::future_status::ready);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(store_->log().LoadEvents(id, 0).value().size(), static_cast<size_t>(kWrites) + 1);
  // Every group writes a few pages, so the WAL would hold thousands of frames without a restart.
  // The file keeps its longest length; one frame is a 4 KiB page and a 24-byte header.
  auto wal = std::filesystem::file_size(path_ + "-wal");
  EXPECT_LT(wal, 2u * 8 * kStep * (4096 + 24)) << wal << " bytes";
}

TEST_F(SessionLogTest, ReadsDoNotWaitForTheWriter) {
  int64_t id = OpenSession();
  ASSERT_TRUE(InsertToken("tok-a", a_.id, kNow, kNow + kDay).ok());
  // The held write has made changes and not committed them when the reads run.
  HeldWrite held(store_->writer(), [id, b = b_.id](WriteTx& tx) -> Status {
    if (Status s = tx.InsertEvent(MakeEvent(id, 2)); !s.ok()) return s;
    if (Status s = tx.InsertToken("tok-b", b, kNow, kNow + kDay); !s.ok()) return s;
    return tx.CreateAccount("carol", "Carol", "hash-carol", kNow).status();
  });
  ASSERT_TRUE(held.WaitStarted());

  // On a thread of their own, so that reads that wrongly waited for the writer fail the test
  // rather than hang it.
  struct Seen {
    Result<AccountRecord> alice;
    Result<TokenRecord> token_a;
    Result<std::vector<v1::SessionEvent>> events;
    Result<TokenRecord> token_b;
    Result<AccountRecord> carol;
  };
  std::future<Seen> reads = std::async(std::launch::async, [&] {
    return Seen{store_->accounts().FindAccountById(a_.id),
                store_->accounts().FindToken("tok-a", kNow), store_->log().LoadEvents(id, 0),
                store_->accounts().FindToken("tok-b", kNow),
                store_->accounts().FindAccountByLogin("carol")};
  });
  bool prompt = reads.wait_for(kHang) == std::future_status::ready;
  held.Release();
  ASSERT_TRUE(prompt) << "the reads waited for the writer";
  Seen seen = reads.get();
  // The last committed data ...
  ASSERT_TRUE(seen.alice.ok()) << seen.alice.error().message;
  EXPECT_EQ(seen.alice.value().login, "alice");
  ASSERT_TRUE(seen.token_a.ok()) << seen.token_a.error().message;
  EXPECT_EQ(seen.token_a.value().account_id, a_.id);
  ASSERT_TRUE(seen.events.ok()) << seen.events.error().message;
  EXPECT_EQ(Seqs(seen.events.value()), std::vector<uint64_t>{1});
  // ... and nothing of the write in progress.
  EXPECT_EQ(seen.token_b.code(), v1::UNAUTHENTICATED);
  EXPECT_EQ(seen.carol.code(), v1::UNKNOWN_ACCOUNT);

  Status committed = held.Committed();
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(Seqs(store_->log().LoadEvents(id, 0).value()), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(store_->accounts().FindToken("tok-b", kNow).value().account_id, b_.id);
  EXPECT_TRUE(store_->accounts().FindAccountByLogin("carol").ok());
}

TEST_F(SessionLogTest, AFailingWriteInAGroupIsUndoneAloneWhileTheOthersCommit) {
  int64_t id = OpenSession();
  Writer& writer = store_->writer();
  WriterStats before = writer.Stats();
  HeldWrite held(writer);
  ASSERT_TRUE(held.WaitStarted());
  // Queued while the writer is held, these five form the next group together.
  std::future<Status> event_2 =
      Queue(writer, [id](WriteTx& tx) { return tx.InsertEvent(MakeEvent(id, 2)); });
  std::future<Status> gives_up = Queue(writer, [id, a = a_.id](WriteTx& tx) -> Status {
    if (Status s = tx.InsertEvent(MakeEvent(id, 3)); !s.ok()) return s;
    if (Status s = tx.InsertToken("tok-undone", a, kNow, kNow + kDay); !s.ok()) return s;
    return MakeError(v1::INTERNAL, "the write gives up after changing things");
  });
  std::future<Status> duplicate =
      Queue(writer, [id](WriteTx& tx) { return tx.InsertEvent(MakeEvent(id, 1)); });
  std::future<Status> carol = Queue(writer, [](WriteTx& tx) {
    return tx.CreateAccount("carol", "Carol", "hash-carol", kNow).status();
  });
  std::future<Status> event_4 =
      Queue(writer, [id](WriteTx& tx) { return tx.InsertEvent(MakeEvent(id, 4)); });
  held.Release();

  EXPECT_TRUE(held.Committed().ok());
  EXPECT_TRUE(event_2.get().ok());
  EXPECT_EQ(gives_up.get().code(), v1::INTERNAL);
  EXPECT_EQ(duplicate.get().code(), v1::INTERNAL);
  EXPECT_TRUE(carol.get().ok());
  EXPECT_TRUE(event_4.get().ok());
  WriterStats after = writer.Stats();
  EXPECT_EQ(after.groups - before.groups, 2u);  // the held write's, then the five
  EXPECT_EQ(after.writes - before.writes, 6u);

  // The failed writes left nothing; the writes around them are all there.
  auto events = store_->log().LoadEvents(id, 0);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(Seqs(events.value()), (std::vector<uint64_t>{1, 2, 4}));
  EXPECT_TRUE(events.value()[0].has_opened());  // seq 1 is still the original
  EXPECT_EQ(store_->accounts().FindToken("tok-undone", kNow).code(), v1::UNAUTHENTICATED);
  EXPECT_TRUE(store_->accounts().FindAccountByLogin("carol").ok());
}

TEST_F(SessionLogTest, QueuedWritesAreFinishedWhenTheStoreIsDestroyed) {
  int64_t id = OpenSession();
  std::vector<std::future<Status>> outcomes;
  for (uint64_t seq = 2; seq <= 21; ++seq) {
    outcomes.push_back(Queue(
        store_->writer(), [id, seq](WriteTx& tx) { return tx.InsertEvent(MakeEvent(id, seq)); }));
  }
  Reopen();  // no waiting before: some of the writes are likely still queued
  for (auto& outcome : outcomes) {
    ASSERT_EQ(outcome.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_TRUE(outcome.get().ok());
  }
  EXPECT_EQ(store_->log().LoadEvents(id, 0).value().size(), 21u);
}

// ---------------------------------------------------------------------------------------------
// History: summaries, commitments, follow-through, and the migration that fills them for older
// databases.

class HistoryStoreTest : public SessionLogTest {
 protected:
  // A whole repaired session by the rules (2 commitments, A's dated `plan_date`), stored as the
  // live server stores it: the events, then the summary and commitments of their fold.
  int64_t StoreSession(const std::string& topic, const std::string& plan_date, bool summarise) {
    v1::Account a, b;
    a.set_display_name("Alice");
    b.set_display_name("Bob");
    auto log =
        session::PlayTurns(0, topic, a, b, kNow, 1000, session::SampleConversation(2, plan_date));
    EXPECT_TRUE(log.ok()) << log.error().message;
    int64_t id = 0;
    Status s = WriteAndWait(store_->writer(), [&](WriteTx& tx) -> Status {
      auto r = tx.InsertSession(couple_, a_.id, kNow);
      if (!r.ok()) return r.status();
      id = r.value();
      session::State state;
      for (auto e : log.value()) {
        e.set_session_id(id);
        if (Status st = tx.InsertEvent(e); !st.ok()) return st;
        session::Apply(state, e);
      }
      const auto& last = log.value().back();
      if (summarise) {
        if (Status st = RecordFold(tx, couple_, state, 0, last.at_unix_ms()); !st.ok()) return st;
      }
      return tx.CloseSession(id, last.closed().outcome(), last.at_unix_ms());
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return id;
  }
};

TEST_F(HistoryStoreTest, SessionsStoredBeforeVersion3AreSummarisedByTheMigration) {
  int64_t id = StoreSession("the bills", "2026-12-06", /*summarise=*/false);
  // Take the database back to schema 2, as an older Mend left it.
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string downgrade =
        std::string(kUndoVersion4) +
        "DROP TABLE follow_through; DROP TABLE commitments;"
        "ALTER TABLE sessions DROP COLUMN topic; ALTER TABLE sessions DROP COLUMN breaks;"
        "ALTER TABLE sessions DROP COLUMN last_seq; ALTER TABLE sessions DROP COLUMN last_event_ms;"
        "PRAGMA user_version = 2;";
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, downgrade.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_close(db);
  }
  Open();
  EXPECT_EQ(store_->SchemaVersion(), 4);
  auto rows = store_->history().ListSessions(couple_, 0, true, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows.value().size(), 1u);
  const SessionRow& row = rows.value()[0];
  EXPECT_EQ(row.id, id);
  EXPECT_EQ(row.topic, "the bills");
  EXPECT_EQ(row.last_seq, 27u + 5 * 2);
  EXPECT_EQ(row.outcome, v1::REPAIRED);
  auto commitments = store_->history().CommitmentsOf({id}, "2026-12-07");
  ASSERT_TRUE(commitments.ok());
  ASSERT_EQ(commitments.value().size(), 2u);
  EXPECT_EQ(commitments.value()[0].owner_side, v1::SIDE_A);
  EXPECT_EQ(commitments.value()[0].check_in_date, "2026-12-06");
  EXPECT_TRUE(commitments.value()[0].due);
  EXPECT_EQ(commitments.value()[1].owner_side, v1::SIDE_B);
  EXPECT_FALSE(commitments.value()[1].due);
  EXPECT_EQ(commitments.value()[1].text, "We sit down on the first Sunday of the month.");
}

TEST_F(HistoryStoreTest, ListSessionsPagesBothWays) {
  HistoryStore& history = store_->history();
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(StoreSession("t" + std::to_string(i), "", true));
  auto newest = history.ListSessions(couple_, 0, true, 2).value();
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].id, ids[4]);
  EXPECT_EQ(newest[1].id, ids[3]);
  auto older = history.ListSessions(couple_, newest[1].id, true, 10).value();
  ASSERT_EQ(older.size(), 3u);
  EXPECT_EQ(older[0].id, ids[2]);
  EXPECT_EQ(older[2].id, ids[0]);
  auto oldest = history.ListSessions(couple_, ids[1], false, 10).value();
  ASSERT_EQ(oldest.size(), 3u);
  EXPECT_EQ(oldest[0].id, ids[2]);
  // Another couple's cursor shows nothing of this one.
  EXPECT_TRUE(history.ListSessions(couple_ + 1, 0, true, 10).value().empty());
}

TEST_F(HistoryStoreTest, DueCommitmentsComeFirstAcrossPages) {
  HistoryStore& history = store_->history();
  // Dates: 5 sessions, A's plans dated 2026-12-01..05, B's plans undated.
  for (int day = 5; day >= 1; --day) StoreSession("s", "2026-12-0" + std::to_string(day), true);
  auto all = history.ListCommitments(couple_, "2026-12-03", false, 0, 100).value();
  ASSERT_EQ(all.size(), 10u);
  // Due (date <= today, open): the 1st, 2nd and 3rd, oldest date first; then the rest newest first.
  EXPECT_EQ(all[0].check_in_date, "2026-12-01");
  EXPECT_EQ(all[1].check_in_date, "2026-12-02");
  EXPECT_EQ(all[2].check_in_date, "2026-12-03");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(all[i].due);
  for (size_t i = 3; i < all.size(); ++i) {
    EXPECT_FALSE(all[i].due);
    if (i > 3) {
      EXPECT_GT(all[i - 1].id, all[i].id);
    }
  }
  // Pages of 2 walk the same order, across the boundary between due and not.
  std::vector<int64_t> paged;
  for (int offset = 0; offset < 12; offset += 2) {
    auto page = history.ListCommitments(couple_, "2026-12-03", false, offset, 2);
    ASSERT_TRUE(page.ok());
    for (const auto& c : page.value()) paged.push_back(c.id);
  }
  ASSERT_EQ(paged.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(paged[i], all[i].id);

  // Kept is no longer due, and open_only leaves it out; the follow-through is kept in order.
  int64_t first = all[0].id;
  auto kept = RecordFollowThrough(couple_, first, {v1::NOT_YET, "soon", a_.id, kNow}, "2026-12-03");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept.value().due);
  kept = RecordFollowThrough(couple_, first, {v1::KEPT, "done", b_.id, kNow + 1}, "2026-12-03");
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept.value().due);
  EXPECT_EQ(kept.value().status, v1::KEPT);
  ASSERT_EQ(kept.value().follow_through.size(), 2u);
  EXPECT_EQ(kept.value().follow_through[0].note, "soon");
  EXPECT_EQ(kept.value().follow_through[1].by_id, b_.id);
  auto open = history.ListCommitments(couple_, "2026-12-03", true, 0, 100).value();
  EXPECT_EQ(open.size(), 9u);
  for (const auto& c : open) EXPECT_NE(c.id, first);
  // Another couple cannot touch it.
  EXPECT_EQ(RecordFollowThrough(couple_ + 1, first, {v1::MISSED, "", a_.id, kNow}, "").code(),
            v1::NOT_FOUND);
}

}  // namespace
}  // namespace mend
