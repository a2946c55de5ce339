#include "server/api/api.h"

#include <future>

#include "common/account_rules.h"
#include "common/invite_code.h"
#include "common/log.h"
#include "server/live/replayer.h"
#include "server/live/session_hub.h"

namespace mend {
namespace {

v1::Account ToProto(const AccountRecord& r) {
  v1::Account a;
  a.set_login(r.login);
  a.set_display_name(r.display_name);
  a.set_paired(r.couple_id.has_value());
  return a;
}

void SetError(v1::Reply* reply, const Error& e) { ToProto(e, reply->mutable_error()); }

// Refusals are logged by code only: their messages may repeat what was sent.
void LogRefusal(uint64_t connection_id, const v1::Reply& reply) {
  if (!reply.has_error()) return;
  MEND_LOG(kDebug) << "conn " << connection_id << " request " << reply.request_id()
                   << " refused: " << ErrorCodeName(reply.error().code());
}

// Stores `r` in the reply via `setter`, or the error.
template <typename T, typename Setter>
void Fill(v1::Reply* reply, const Result<T>& r, Setter setter) {
  if (r.ok()) {
    *setter(reply) = r.value();
  } else {
    SetError(reply, r.error());
  }
}

// An Outcome whose reply names `request_id`.
Outcome ReplyTo(uint64_t request_id) {
  Outcome out;
  out.reply.mutable_reply()->set_request_id(request_id);
  return out;
}

// Answers `done` with `error` for `request_id`, logging the refusal.
void Refuse(uint64_t connection_id, uint64_t request_id, const Error& error,
            const Api::Done& done) {
  Outcome out = ReplyTo(request_id);
  SetError(out.reply.mutable_reply(), error);
  LogRefusal(connection_id, out.reply.reply());
  done(std::move(out));
}

}  // namespace

Api::Api(Store& store, HashPool& hashes, const Clock& clock, ApiOptions options, SessionHub* hub,
         Replayer* replayer)
    : accounts_(store.accounts()),
      writer_(store.writer()),
      hashes_(hashes),
      clock_(clock),
      options_(options),
      hub_(hub),
      replayer_(replayer),
      history_(store.accounts(), store.history(), store.log(), store.writer(), clock),
      login_failures_(options.max_failures, options.failure_window_ms),
      invite_failures_(options.max_failures, options.failure_window_ms) {}

bool Api::ChangesIdentity(const v1::ClientMessage& message) {
  using C = v1::ClientMessage;
  switch (message.command_case()) {
    case C::kRegister:
    case C::kLogin:
    case C::kAuthenticate:
    case C::kLogout:
      return true;
    default:
      return false;
  }
}

Outcome Api::HandleAndWait(ConnectionContext& conn, const v1::ClientMessage& message) {
  std::promise<Outcome> promise;
  auto future = promise.get_future();
  Handle(conn, message, [&promise](Outcome o) { promise.set_value(std::move(o)); });
  Outcome out = future.get();
  if (out.identity) conn.identity = *out.identity;
  if (out.couple) conn.identity.couple = out.couple;
  return out;
}

void Api::Handle(ConnectionContext& conn, const v1::ClientMessage& message, Done done) {
  using C = v1::ClientMessage;
  const uint64_t request_id = message.request_id();
  switch (message.command_case()) {
    case C::kRegister:
      return Register(conn, message, std::move(done));
    case C::kLogin:
      return Login(conn, message, std::move(done));
    case C::kAuthenticate:
      return Authenticate(conn, message, std::move(done));
    case C::COMMAND_NOT_SET:
      return Refuse(conn.connection_id, request_id,
                    MakeError(v1::BAD_MESSAGE, "the message carries no command this server knows"),
                    done);
    default:
      break;
  }
  // Everything else needs a live token.
  Result<int64_t> account = RequireAccount(conn);
  if (!account.ok()) return Refuse(conn.connection_id, request_id, account.error(), done);
  int64_t id = account.value();
  if (HandleSession(conn, id, message, done)) return;
  if (HandleHistory(conn, id, message, done)) return;
  Outcome out = ReplyTo(request_id);
  v1::Reply* reply = out.reply.mutable_reply();
  switch (message.command_case()) {
    case C::kLogout:
      return Logout(conn, message, std::move(done));
    case C::kCreateInvite:
      return CreateInvite(id, message, std::move(done));
    case C::kAcceptInvite:
      return AcceptInvite(conn, id, message, std::move(done));
    case C::kWhoAmI:
      Fill(reply, AccountView(id), [](auto* r) { return r->mutable_account(); });
      break;
    case C::kGetPartner: {
      auto couple = CoupleOf(conn, id);
      if (!couple.ok()) {
        SetError(reply, couple.error());
      } else {
        Fill(reply, GetPartner(couple.value(), id), [](auto* r) { return r->mutable_couple(); });
      }
      break;
    }
    default:
      SetError(reply, MakeError(v1::BAD_MESSAGE, "unknown command"));
  }
  LogRefusal(conn.connection_id, *reply);
  done(std::move(out));
}

bool Api::Hash(uint64_t request_id, std::function<void()> task, const Done& done) {
  auto busy = hashes_.TrySubmit(std::move(task));
  if (!busy) return true;
  Error e = MakeError(v1::BUSY, "the server is busy signing people in; try again shortly");
  e.retry_after_seconds = *busy;
  Outcome out = ReplyTo(request_id);
  SetError(out.reply.mutable_reply(), e);
  done(std::move(out));
  return false;
}

Status Api::Grant(WriteTx& tx, const AccountRecord& account, Outcome& out) {
  std::string token = crypto::NewToken();
  Identity next;
  next.account_id = account.id;
  next.token_digest = crypto::Digest(token);
  TimeMs now = clock_.NowMs();
  next.token_expires_ms = now + options_.token_ttl_ms;
  if (Status s = tx.InsertToken(next.token_digest, account.id, now, next.token_expires_ms);
      !s.ok()) {
    return s;
  }
  auto* g = out.reply.mutable_reply()->mutable_granted();
  g->set_token(token);
  *g->mutable_account() = ToProto(account);
  out.identity = std::move(next);
  return Status();
}

void Api::Switched(uint64_t connection_id, const Identity& before, const Identity& next) {
  if (before.account_id && before.account_id != next.account_id) {
    // What the connection saw as the previous account (live sessions, replays) is not for
    // whoever it is now.
    if (hub_) hub_->Disconnected(connection_id);
    if (replayer_) replayer_->Disconnected(connection_id);
  }
}

void Api::Register(const ConnectionContext& conn, const v1::ClientMessage& message, Done done) {
  const v1::Register& cmd = message.register_();
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  auto login = account_rules::NormalizeLogin(cmd.login());
  if (!login.ok()) return Refuse(conn_id, request_id, login.error(), done);
  auto display = account_rules::NormalizeDisplayName(cmd.display_name());
  if (!display.ok()) return Refuse(conn_id, request_id, display.error(), done);
  if (Status s = account_rules::CheckPassword(cmd.password(), login.value()); !s.ok()) {
    return Refuse(conn_id, request_id, s.error(), done);
  }
  // Answer a taken name before spending a password hash on it; the insert re-checks.
  if (accounts_.FindAccountByLogin(login.value()).ok()) {
    return Refuse(conn_id, request_id, MakeError(v1::LOGIN_TAKEN, "that login name is taken"),
                  done);
  }
  Hash(
      request_id,
      [this, conn_id, request_id, before = conn.identity, login = login.value(),
       display = display.value(), password = cmd.password(), done]() {
        auto hash = crypto::HashPassword(password, options_.hash_cost);
        if (!hash.ok()) return Refuse(conn_id, request_id, hash.error(), done);
        auto out = std::make_shared<Outcome>(ReplyTo(request_id));
        auto account_id = std::make_shared<int64_t>(0);
        writer_.Write(
            [this, out, account_id, login, display, hash = hash.value()](WriteTx& tx) -> Status {
              auto account = tx.CreateAccount(login, display, hash, clock_.NowMs());
              if (!account.ok()) return account.status();
              *account_id = account.value().id;
              return Grant(tx, account.value(), *out);
            },
            [this, out, account_id, conn_id, request_id, before, done](Status s) {
              if (!s.ok()) return Refuse(conn_id, request_id, s.error(), done);
              MEND_LOG(kInfo) << "account " << *account_id << " registered";
              MEND_LOG(kInfo) << "conn " << conn_id << " signed in as account " << *account_id;
              Switched(conn_id, before, *out->identity);
              done(std::move(*out));
            });
      },
      done);
}

void Api::Login(const ConnectionContext& conn, const v1::ClientMessage& message, Done done) {
  const v1::Login& cmd = message.login();
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  auto login = account_rules::NormalizeLogin(cmd.login());
  if (!login.ok()) {
    return Refuse(conn_id, request_id,
                  MakeError(v1::UNKNOWN_ACCOUNT, "there is no account with that login name"), done);
  }
  std::string key = "login:" + login.value();
  if (auto limited = Limited(key)) return Refuse(conn_id, request_id, *limited, done);
  auto account = accounts_.FindAccountByLogin(login.value());
  if (!account.ok()) {
    if (account.code() == v1::UNKNOWN_ACCOUNT) login_failures_.RecordFailure(key, clock_.NowMs());
    return Refuse(conn_id, request_id, account.error(), done);
  }
  if (cmd.password().empty()) {
    return Refuse(conn_id, request_id, MakeError(v1::PASSWORD_EMPTY, "a password is required"),
                  done);
  }
  Hash(
      request_id,
      [this, conn_id, request_id, key, before = conn.identity, account = account.value(),
       password = cmd.password(), done]() {
        if (!crypto::VerifyPassword(password, account.password_hash)) {
          login_failures_.RecordFailure(key, clock_.NowMs());
          MEND_LOG(kInfo) << "account " << account.id << " failed a login";
          return Refuse(conn_id, request_id, MakeError(v1::WRONG_PASSWORD, "wrong password"), done);
        }
        login_failures_.Clear(key);
        auto out = std::make_shared<Outcome>(ReplyTo(request_id));
        writer_.Write([this, out, account](WriteTx& tx) { return Grant(tx, account, *out); },
                      [this, out, conn_id, request_id, before, account, done](Status s) {
                        if (!s.ok()) return Refuse(conn_id, request_id, s.error(), done);
                        MEND_LOG(kInfo)
                            << "conn " << conn_id << " signed in as account " << account.id;
                        Switched(conn_id, before, *out->identity);
                        done(std::move(*out));
                      });
      },
      done);
}

void Api::Authenticate(const ConnectionContext& conn, const v1::ClientMessage& message, Done done) {
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  Identity next;
  next.token_digest = crypto::Digest(message.authenticate().token());
  auto token = accounts_.FindToken(next.token_digest, clock_.NowMs());
  if (!token.ok()) return Refuse(conn_id, request_id, token.error(), done);
  auto view = AccountView(token.value().account_id);
  if (!view.ok()) return Refuse(conn_id, request_id, view.error(), done);
  next.account_id = token.value().account_id;
  next.token_expires_ms = token.value().expires_ms;
  Switched(conn_id, conn.identity, next);
  Outcome out = ReplyTo(request_id);
  *out.reply.mutable_reply()->mutable_account() = view.value();
  out.identity = std::move(next);
  done(std::move(out));
}

void Api::Logout(const ConnectionContext& conn, const v1::ClientMessage& message, Done done) {
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  std::string digest = conn.identity.token_digest;
  Identity before = conn.identity;
  writer_.Write([digest](WriteTx& tx) { return tx.DeleteToken(digest); },
                [this, conn_id, request_id, digest, before, done](Status s) {
                  if (!s.ok()) return Refuse(conn_id, request_id, s.error(), done);
                  Outcome out = ReplyTo(request_id);
                  out.reply.mutable_reply()->mutable_done();
                  out.identity = Identity{};
                  out.close_token_digest = digest;
                  Switched(conn_id, before, *out.identity);
                  done(std::move(out));
                });
}

bool Api::HandleSession(ConnectionContext& conn, int64_t account_id,
                        const v1::ClientMessage& message, const Done& done) {
  using C = v1::ClientMessage;
  auto kind = message.command_case();
  if (kind != C::kOpenSession && kind != C::kJoinSession && kind != C::kLeaveSession &&
      kind != C::kAct) {
    return false;
  }
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  // The hub answers on the session's strand; the reply goes straight on to the connection, so
  // that it is queued there before the pushes the same commit causes.
  auto reply = [done, request_id](v1::Reply r) {
    Outcome out;
    r.set_request_id(request_id);
    *out.reply.mutable_reply() = std::move(r);
    done(std::move(out));
  };
  if (!hub_) {
    Refuse(conn_id, request_id, MakeError(v1::INTERNAL, "this server does not host sessions"),
           done);
    return true;
  }
  // Every message is authorised against the couple, not only the upgrade: a session of another
  // couple does not exist for this account.
  auto couple = CoupleOf(conn, account_id);
  if (!couple.ok()) {
    Refuse(conn_id, request_id,
           kind == C::kOpenSession ? couple.error()
                                   : MakeError(v1::NOT_FOUND, "there is no such session"),
           done);
    return true;
  }
  const CoupleRecord& c = couple.value();
  switch (kind) {
    case C::kOpenSession: {
      int64_t partner = c.PartnerOf(account_id);
      auto me = AccountView(account_id);
      auto them = AccountView(partner);
      if (!me.ok() || !them.ok()) {
        Refuse(conn_id, request_id, MakeError(v1::INTERNAL, "could not read the accounts"), done);
        break;
      }
      hub_->Open(c, account_id, partner, me.value(), them.value(), message.open_session().topic(),
                 conn.outbox, reply);
      break;
    }
    case C::kJoinSession:
      hub_->Join(c.id, account_id, message.join_session().session_id(),
                 message.join_session().after_seq(), conn.outbox, reply);
      break;
    case C::kLeaveSession:
      hub_->Leave(c.id, message.leave_session().session_id(), conn_id, reply);
      break;
    case C::kAct:
      hub_->Act(c.id, account_id, message.act().session_id(), message.client_command_id(),
                message.act().move(), reply);
      break;
    default:
      break;
  }
  return true;
}

bool Api::HandleHistory(ConnectionContext& conn, int64_t account_id,
                        const v1::ClientMessage& message, const Done& done) {
  using C = v1::ClientMessage;
  auto kind = message.command_case();
  if (kind != C::kListSessions && kind != C::kListCommitments && kind != C::kRecordFollowThrough &&
      kind != C::kExportHistory && kind != C::kStartReplay && kind != C::kControlReplay) {
    return false;
  }
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  Outcome out = ReplyTo(request_id);
  v1::Reply* reply = out.reply.mutable_reply();
  auto finish = [&] {
    LogRefusal(conn_id, *reply);
    done(std::move(out));
  };
  if (kind == C::kControlReplay) {
    // A replay belongs to the connection that started it; nothing else is looked up.
    if (!replayer_) {
      SetError(reply, MakeError(v1::NOT_FOUND, "there is no such replay running"));
      finish();
      return true;
    }
    replayer_->Control(conn_id, message.control_replay(),
                       [out = std::move(out), done](Result<v1::ReplayStatus> status) mutable {
                         Fill(out.reply.mutable_reply(), status,
                              [](auto* r) { return r->mutable_replay_status(); });
                         done(std::move(out));
                       });
    return true;
  }
  auto couple = CoupleOf(conn, account_id);
  if (!couple.ok()) {
    // Without a partner there is no history; a named session or commitment does not exist.
    bool named = kind == C::kRecordFollowThrough || kind == C::kStartReplay;
    SetError(reply, named ? MakeError(v1::NOT_FOUND, "there is no such session or commitment")
                          : couple.error());
    finish();
    return true;
  }
  const CoupleRecord& c = couple.value();
  switch (kind) {
    case C::kListSessions:
      Fill(reply, history_.ListSessions(c, account_id, message.list_sessions()),
           [](auto* r) { return r->mutable_session_page(); });
      break;
    case C::kListCommitments:
      Fill(reply, history_.ListCommitments(c, message.list_commitments()),
           [](auto* r) { return r->mutable_commitment_page(); });
      break;
    case C::kRecordFollowThrough:
      history_.RecordFollowThrough(
          c, account_id, message.record_follow_through(),
          [out = std::move(out), conn_id, account_id, partner = c.PartnerOf(account_id),
           done](Result<v1::Commitment> recorded) mutable {
            Fill(out.reply.mutable_reply(), recorded,
                 [](auto* r) { return r->mutable_commitment(); });
            if (recorded.ok()) {
              // The partner sees it live on every device they have open.
              v1::ServerMessage push;
              *push.mutable_push()->mutable_commitment_updated() = recorded.value();
              out.pushes.emplace_back(partner, std::move(push));
              MEND_LOG(kInfo) << "account " << account_id
                              << " recorded follow-through on commitment "
                              << recorded.value().commitment_id();
            }
            LogRefusal(conn_id, out.reply.reply());
            done(std::move(out));
          });
      return true;
    case C::kExportHistory:
      Fill(reply, history_.Export(c, account_id, message.export_history()),
           [](auto* r) { return r->mutable_export_page(); });
      break;
    case C::kStartReplay:
      if (!replayer_) {
        SetError(reply, MakeError(v1::INTERNAL, "this server does not replay sessions"));
        break;
      }
      replayer_->Start(c.id, account_id, message.start_replay(), conn.outbox,
                       [out = std::move(out), done](Result<v1::ReplayStarted> started) mutable {
                         Fill(out.reply.mutable_reply(), started,
                              [](auto* r) { return r->mutable_replay_started(); });
                         done(std::move(out));
                       });
      return true;
    default:
      break;
  }
  finish();
  return true;
}

std::optional<Error> Api::Limited(const std::string& key) {
  auto wait = (key.rfind("login:", 0) == 0 ? login_failures_ : invite_failures_)
                  .RetryAfterMs(key, clock_.NowMs());
  if (!wait) return std::nullopt;
  Error e = MakeError(v1::RATE_LIMITED, "too many failed attempts; try again later");
  e.retry_after_seconds = static_cast<uint32_t>((*wait + 999) / 1000);
  return e;
}

Result<int64_t> Api::RequireAccount(ConnectionContext& conn) {
  Identity& id = conn.identity;
  if (!id.account_id) {
    return MakeError(v1::UNAUTHENTICATED, "sign in first (register, login or authenticate)");
  }
  // A revoked token's connections are closed by the logout; an expired one stops working here.
  if (clock_.NowMs() >= id.token_expires_ms) {
    Switched(conn.connection_id, id, Identity{});
    id = Identity{};
    return MakeError(v1::UNAUTHENTICATED, "that token has expired; log in again");
  }
  return *id.account_id;
}

Result<CoupleRecord> Api::CoupleOf(ConnectionContext& conn, int64_t account_id) {
  if (conn.identity.couple) return *conn.identity.couple;
  auto couple = accounts_.FindCoupleOf(account_id);
  if (couple.ok()) conn.identity.couple = couple.value();
  return couple;
}

Result<v1::Account> Api::AccountView(int64_t account_id) {
  auto account = accounts_.FindAccountById(account_id);
  if (!account.ok()) return account.error();
  return ToProto(account.value());
}

void Api::CreateInvite(int64_t account_id, const v1::ClientMessage& message, Done done) {
  std::string code = invite_code::Generate();
  TimeMs now = clock_.NowMs();
  TimeMs expires = now + options_.invite_ttl_ms;
  std::string digest = crypto::Digest(*invite_code::Normalize(code));
  uint64_t request_id = message.request_id();
  writer_.Write([=](WriteTx& tx) { return tx.CreateInvite(digest, account_id, now, expires); },
                [request_id, code, expires, done](Status s) {
                  Outcome out = ReplyTo(request_id);
                  if (!s.ok()) {
                    SetError(out.reply.mutable_reply(), s.error());
                  } else {
                    auto* invite = out.reply.mutable_reply()->mutable_invite();
                    invite->set_code(code);
                    invite->set_expires_at_unix(expires / 1000);
                  }
                  done(std::move(out));
                });
}

void Api::AcceptInvite(const ConnectionContext& conn, int64_t account_id,
                       const v1::ClientMessage& message, Done done) {
  uint64_t request_id = message.request_id(), conn_id = conn.connection_id;
  std::string by_account = "invite:account:" + std::to_string(account_id);
  std::string by_connection = "invite:conn:" + std::to_string(conn_id);
  if (auto limited = Limited(by_account)) return Refuse(conn_id, request_id, *limited, done);
  if (auto limited = Limited(by_connection)) return Refuse(conn_id, request_id, *limited, done);
  auto normalized = invite_code::Normalize(message.accept_invite().code());
  auto record_failure = [this, by_account, by_connection] {
    invite_failures_.RecordFailure(by_account, clock_.NowMs());
    invite_failures_.RecordFailure(by_connection, clock_.NowMs());
  };
  if (!normalized) {
    record_failure();
    return Refuse(
        conn_id, request_id,
        MakeError(v1::INVITE_UNKNOWN, "an invite code has 10 letters and digits; check it"), done);
  }
  auto me = AccountView(account_id);
  if (!me.ok()) return Refuse(conn_id, request_id, me.error(), done);
  auto couple = std::make_shared<Result<CoupleRecord>>(MakeError(v1::INTERNAL, "not written"));
  writer_.Write(
      [couple, digest = crypto::Digest(*normalized), account_id,
       now = clock_.NowMs()](WriteTx& tx) {
        *couple = tx.AcceptInvite(digest, account_id, now);
        return couple->status();
      },
      [this, couple, conn_id, request_id, account_id, me = me.value(), record_failure,
       done](Status s) {
        if (!s.ok()) {
          if (s.code() == v1::INVITE_UNKNOWN) record_failure();
          return Refuse(conn_id, request_id, s.error(), done);
        }
        const CoupleRecord& c = couple->value();
        MEND_LOG(kInfo) << "couple " << c.id << " formed by accounts " << c.partner_a << " and "
                        << c.partner_b;
        Outcome out = ReplyTo(request_id);
        Fill(out.reply.mutable_reply(), GetPartner(c, account_id),
             [](auto* r) { return r->mutable_couple(); });
        out.couple = c;
        // The inviter learns live that they have a partner now.
        v1::ServerMessage push;
        auto* paired = push.mutable_push()->mutable_paired();
        *paired->mutable_partner() = me;
        paired->set_paired_at_unix(c.paired_ms / 1000);
        out.pushes.emplace_back(c.partner_a, std::move(push));
        done(std::move(out));
      });
}

Result<v1::Couple> Api::GetPartner(const CoupleRecord& couple, int64_t account_id) {
  auto partner = AccountView(couple.PartnerOf(account_id));
  if (!partner.ok()) return partner.error();
  v1::Couple out;
  *out.mutable_partner() = partner.value();
  out.set_paired_at_unix(couple.paired_ms / 1000);
  return out;
}

}  // namespace mend
