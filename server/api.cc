#include "server/api.h"

#include <future>

#include "common/account_rules.h"
#include "common/invite_code.h"
#include "common/log.h"
#include "server/replayer.h"
#include "server/session_hub.h"

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

}  // namespace

Api::Api(Store& store, const Clock& clock, ApiOptions options, SessionHub* hub, Replayer* replayer)
    : store_(store),
      clock_(clock),
      options_(options),
      hub_(hub),
      replayer_(replayer),
      history_(store, clock),
      login_failures_(options.max_failures, options.failure_window_ms),
      invite_failures_(options.max_failures, options.failure_window_ms) {}

Outcome Api::Handle(ConnectionContext& conn, const v1::ClientMessage& message) {
  std::promise<Outcome> promise;
  auto future = promise.get_future();
  Handle(conn, message, [&promise](Outcome o) { promise.set_value(std::move(o)); });
  return future.get();
}

void Api::Handle(ConnectionContext& conn, const v1::ClientMessage& message, Done done) {
  Outcome out;
  v1::Reply* reply = out.reply.mutable_reply();
  reply->set_request_id(message.request_id());
  using C = v1::ClientMessage;

  switch (message.command_case()) {
    case C::kRegister:
      Fill(reply, Register(conn, message.register_()),
           [](auto* r) { return r->mutable_granted(); });
      break;
    case C::kLogin:
      Fill(reply, Login(conn, message.login()), [](auto* r) { return r->mutable_granted(); });
      break;
    case C::kAuthenticate:
      Fill(reply, Authenticate(conn, message.authenticate()),
           [](auto* r) { return r->mutable_account(); });
      break;
    case C::COMMAND_NOT_SET:
      SetError(reply,
               MakeError(v1::BAD_MESSAGE, "the message carries no command this server knows"));
      break;
    default: {
      // Everything else needs a valid token.
      Result<int64_t> account = RequireAccount(conn);
      if (!account.ok()) {
        SetError(reply, account.error());
        break;
      }
      int64_t id = account.value();
      if (HandleSession(conn, id, message, done)) return;
      if (HandleHistory(conn, id, message, done)) return;
      switch (message.command_case()) {
        case C::kLogout:
          if (Status s = store_.DeleteToken(conn.token_digest); !s.ok()) {
            SetError(reply, s.error());
            break;
          }
          out.close_token_digest = conn.token_digest;
          Rebind(conn, std::nullopt);
          conn.token_digest.clear();
          reply->mutable_done();
          break;
        case C::kWhoAmI:
          Fill(reply, AccountView(id), [](auto* r) { return r->mutable_account(); });
          break;
        case C::kCreateInvite:
          Fill(reply, CreateInvite(id), [](auto* r) { return r->mutable_invite(); });
          break;
        case C::kAcceptInvite:
          Fill(reply, AcceptInvite(conn, id, message.accept_invite(), out),
               [](auto* r) { return r->mutable_couple(); });
          break;
        case C::kGetPartner:
          Fill(reply, GetPartner(id), [](auto* r) { return r->mutable_couple(); });
          break;
        default:
          SetError(reply, MakeError(v1::BAD_MESSAGE, "unknown command"));
      }
    }
  }
  LogRefusal(conn.connection_id, *reply);
  done(std::move(out));
}

bool Api::HandleSession(ConnectionContext& conn, int64_t account_id,
                        const v1::ClientMessage& message, const Done& done) {
  using C = v1::ClientMessage;
  auto kind = message.command_case();
  if (kind != C::kOpenSession && kind != C::kJoinSession && kind != C::kLeaveSession &&
      kind != C::kAct) {
    return false;
  }
  uint64_t request_id = message.request_id();
  auto reply = [done, request_id](v1::Reply r) {
    Outcome out;
    r.set_request_id(request_id);
    *out.reply.mutable_reply() = std::move(r);
    done(std::move(out));
  };
  auto fail = [&reply](const Error& e) {
    v1::Reply r;
    SetError(&r, e);
    reply(std::move(r));
  };
  if (!hub_) {
    fail(MakeError(v1::INTERNAL, "this server does not host sessions"));
    return true;
  }
  // Every message is authorised against the couple, not only the upgrade: a session of another
  // couple does not exist for this account.
  auto couple = store_.FindCoupleOf(account_id);
  if (!couple.ok()) {
    if (kind == C::kOpenSession) {
      fail(couple.error());
    } else {
      fail(MakeError(v1::NOT_FOUND, "there is no such session"));
    }
    return true;
  }
  const CoupleRecord& c = couple.value();
  switch (kind) {
    case C::kOpenSession: {
      int64_t partner = c.PartnerOf(account_id);
      auto me = AccountView(account_id);
      auto them = AccountView(partner);
      if (!me.ok() || !them.ok()) {
        fail(MakeError(v1::INTERNAL, "could not read the accounts"));
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
      hub_->Leave(c.id, message.leave_session().session_id(), conn.connection_id, reply);
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
  Outcome out;
  v1::Reply* reply = out.reply.mutable_reply();
  reply->set_request_id(message.request_id());
  auto finish = [&] {
    LogRefusal(conn.connection_id, *reply);
    done(std::move(out));
  };
  if (kind == C::kControlReplay) {
    // A replay belongs to the connection that started it; nothing else is looked up.
    if (!replayer_) {
      SetError(reply, MakeError(v1::NOT_FOUND, "there is no such replay running"));
      finish();
      return true;
    }
    replayer_->Control(conn.connection_id, message.control_replay(),
                       [out = std::move(out), done](Result<v1::ReplayStatus> status) mutable {
                         Fill(out.reply.mutable_reply(), status,
                              [](auto* r) { return r->mutable_replay_status(); });
                         done(std::move(out));
                       });
    return true;
  }
  auto couple = store_.FindCoupleOf(account_id);
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
    case C::kRecordFollowThrough: {
      auto recorded = history_.RecordFollowThrough(c, account_id, message.record_follow_through());
      Fill(reply, recorded, [](auto* r) { return r->mutable_commitment(); });
      if (recorded.ok()) {
        // The partner sees it live on every device they have open.
        v1::ServerMessage push;
        *push.mutable_push()->mutable_commitment_updated() = recorded.value();
        out.pushes.emplace_back(c.PartnerOf(account_id), std::move(push));
        MEND_LOG(kInfo) << "account " << account_id << " recorded follow-through on commitment "
                        << recorded.value().commitment_id();
      }
      break;
    }
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

Result<v1::Granted> Api::Grant(ConnectionContext& conn, const AccountRecord& account) {
  std::string token = crypto::NewToken();
  std::string digest = crypto::Digest(token);
  TimeMs now = clock_.NowMs();
  if (Status s = store_.InsertToken(digest, account.id, now, now + options_.token_ttl_ms);
      !s.ok()) {
    return s.error();
  }
  Rebind(conn, account.id);
  conn.token_digest = digest;
  v1::Granted g;
  g.set_token(token);
  *g.mutable_account() = ToProto(account);
  MEND_LOG(kInfo) << "conn " << conn.connection_id << " signed in as account " << account.id;
  return g;
}

Result<v1::Granted> Api::Register(ConnectionContext& conn, const v1::Register& cmd) {
  auto login = account_rules::NormalizeLogin(cmd.login());
  if (!login.ok()) return login.error();
  auto display = account_rules::NormalizeDisplayName(cmd.display_name());
  if (!display.ok()) return display.error();
  if (Status s = account_rules::CheckPassword(cmd.password(), login.value()); !s.ok()) {
    return s.error();
  }
  // Answer a taken name before spending a password hash on it; the insert re-checks.
  if (store_.FindAccountByLogin(login.value()).ok()) {
    return MakeError(v1::LOGIN_TAKEN, "that login name is taken");
  }
  auto hash = crypto::HashPassword(cmd.password(), options_.hash_cost);
  if (!hash.ok()) return hash.error();
  auto account = store_.CreateAccount(login.value(), display.value(), hash.value(), clock_.NowMs());
  if (!account.ok()) return account.error();
  MEND_LOG(kInfo) << "account " << account.value().id << " registered";
  return Grant(conn, account.value());
}

Result<v1::Granted> Api::Login(ConnectionContext& conn, const v1::Login& cmd) {
  auto login = account_rules::NormalizeLogin(cmd.login());
  if (!login.ok())
    return MakeError(v1::UNKNOWN_ACCOUNT, "there is no account with that login name");
  std::string key = "login:" + login.value();
  if (auto limited = Limited(key)) return *limited;
  auto account = store_.FindAccountByLogin(login.value());
  if (!account.ok()) {
    if (account.code() == v1::UNKNOWN_ACCOUNT) login_failures_.RecordFailure(key, clock_.NowMs());
    return account.error();
  }
  if (cmd.password().empty()) return MakeError(v1::PASSWORD_EMPTY, "a password is required");
  if (!crypto::VerifyPassword(cmd.password(), account.value().password_hash)) {
    login_failures_.RecordFailure(key, clock_.NowMs());
    MEND_LOG(kInfo) << "account " << account.value().id << " failed a login";
    return MakeError(v1::WRONG_PASSWORD, "wrong password");
  }
  login_failures_.Clear(key);
  return Grant(conn, account.value());
}

Result<v1::Account> Api::Authenticate(ConnectionContext& conn, const v1::Authenticate& cmd) {
  std::string digest = crypto::Digest(cmd.token());
  auto account_id = store_.FindTokenAccount(digest, clock_.NowMs());
  if (!account_id.ok()) return account_id.error();
  Rebind(conn, account_id.value());
  conn.token_digest = digest;
  return AccountView(account_id.value());
}

void Api::Rebind(ConnectionContext& conn, std::optional<int64_t> account_id) {
  if (conn.account_id && conn.account_id != account_id) {
    // What the connection saw as the previous account (live sessions, replays) is not for
    // whoever it is now.
    if (hub_) hub_->Disconnected(conn.connection_id);
    if (replayer_) replayer_->Disconnected(conn.connection_id);
  }
  conn.account_id = account_id;
}

Result<int64_t> Api::RequireAccount(ConnectionContext& conn) {
  if (!conn.account_id) {
    return MakeError(v1::UNAUTHENTICATED, "sign in first (register, login or authenticate)");
  }
  // Re-checked on every message: a token revoked or expired elsewhere stops working at once.
  auto account_id = store_.FindTokenAccount(conn.token_digest, clock_.NowMs());
  if (!account_id.ok() || account_id.value() != *conn.account_id) {
    Rebind(conn, std::nullopt);
    conn.token_digest.clear();
    return account_id.ok() ? MakeError(v1::UNAUTHENTICATED, "that token is not valid")
                           : account_id.error();
  }
  return account_id.value();
}

Result<v1::Account> Api::AccountView(int64_t account_id) {
  auto account = store_.FindAccountById(account_id);
  if (!account.ok()) return account.error();
  return ToProto(account.value());
}

Result<v1::Invite> Api::CreateInvite(int64_t account_id) {
  std::string code = invite_code::Generate();
  TimeMs now = clock_.NowMs();
  TimeMs expires = now + options_.invite_ttl_ms;
  Status s =
      store_.CreateInvite(crypto::Digest(*invite_code::Normalize(code)), account_id, now, expires);
  if (!s.ok()) return s.error();
  v1::Invite invite;
  invite.set_code(code);
  invite.set_expires_at_unix(expires / 1000);
  return invite;
}

Result<v1::Couple> Api::AcceptInvite(ConnectionContext& conn, int64_t account_id,
                                     const v1::AcceptInvite& cmd, Outcome& outcome) {
  std::string by_account = "invite:account:" + std::to_string(account_id);
  std::string by_connection = "invite:conn:" + std::to_string(conn.connection_id);
  if (auto limited = Limited(by_account)) return *limited;
  if (auto limited = Limited(by_connection)) return *limited;

  auto normalized = invite_code::Normalize(cmd.code());
  Result<CoupleRecord> couple =
      normalized ? store_.AcceptInvite(crypto::Digest(*normalized), account_id, clock_.NowMs())
                 : Result<CoupleRecord>(MakeError(
                       v1::INVITE_UNKNOWN, "an invite code has 10 letters and digits; check it"));
  if (!couple.ok()) {
    if (couple.code() == v1::INVITE_UNKNOWN) {
      invite_failures_.RecordFailure(by_account, clock_.NowMs());
      invite_failures_.RecordFailure(by_connection, clock_.NowMs());
    }
    return couple.error();
  }
  const CoupleRecord& c = couple.value();
  MEND_LOG(kInfo) << "couple " << c.id << " formed by accounts " << c.partner_a << " and "
                  << c.partner_b;
  // The inviter learns live that they have a partner now.
  auto me = AccountView(account_id);
  if (me.ok()) {
    v1::ServerMessage push;
    auto* paired = push.mutable_push()->mutable_paired();
    *paired->mutable_partner() = me.value();
    paired->set_paired_at_unix(c.paired_ms / 1000);
    outcome.pushes.emplace_back(c.partner_a, std::move(push));
  }
  return GetPartner(account_id);
}

Result<v1::Couple> Api::GetPartner(int64_t account_id) {
  auto couple = store_.FindCoupleOf(account_id);
  if (!couple.ok()) return couple.error();
  auto partner = AccountView(couple.value().PartnerOf(account_id));
  if (!partner.ok()) return partner.error();
  v1::Couple out;
  *out.mutable_partner() = partner.value();
  out.set_paired_at_unix(couple.value().paired_ms / 1000);
  return out;
}

}  // namespace mend
