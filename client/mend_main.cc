// mend: the command-line client for people and scripts.
//
// Every command prints a short human answer on stdout and exits 0, or prints one line
// "mend: <what went wrong>" on stderr and exits non-zero (1 for errors, 2 for usage).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "client/connection.h"
#include "client/credentials.h"
#include "client/demo.h"
#include "client/history_cli.h"
#include "client/interactive.h"
#include "client/password_input.h"
#include "common/account_rules.h"
#include "common/crypto.h"

namespace mend::client {
namespace {

constexpr const char* kDefaultServer = "ws://127.0.0.1:8080";

struct Globals {
  std::string server;  // empty: the signed-in server, else the default
  bool password_stdin = false;
};

int Fail(const std::string& message) {
  std::cerr << "mend: " << message << "\n";
  return 1;
}

int Fail(const Error& e) {
  std::string line = e.message;
  if (e.code == v1::RATE_LIMITED && e.retry_after_seconds > 0) {
    line += " (in " + std::to_string((e.retry_after_seconds + 59) / 60) + " min)";
  }
  return Fail(line);
}

Result<std::unique_ptr<Connection>> Connect(const std::string& server) {
  return Connection::Open(server);
}

// A connection signed in with the saved token.
Result<std::unique_ptr<Connection>> ConnectSignedIn(const Globals& g) {
  auto saved = LoadCredentials(CredentialsPath());
  if (!saved.ok()) return saved.error();
  if (!saved.value()) {
    return MakeError(
        v1::UNAUTHENTICATED,
        "you are not signed in; run `mend register LOGIN --name NAME` or `mend login LOGIN`");
  }
  const Credentials& c = *saved.value();
  if (!g.server.empty() && g.server != c.server) {
    return MakeError(v1::UNAUTHENTICATED, "you are signed in to " + c.server + ", not " + g.server +
                                              "; run `mend login` for that server");
  }
  auto conn = Connect(c.server);
  if (!conn.ok()) return conn.error();
  auto who = conn.value()->Authenticate(c.token);
  if (!who.ok()) {
    if (who.code() == v1::UNAUTHENTICATED) {
      return MakeError(v1::UNAUTHENTICATED,
                       "your sign-in is no longer valid; run `mend login " + c.login + "`");
    }
    return who.error();
  }
  return conn;
}

std::string Describe(const v1::Account& a) { return a.display_name() + " (" + a.login() + ")"; }

int SaveGranted(const std::string& server, const v1::Granted& granted) {
  Status s = SaveCredentials(CredentialsPath(),
                             Credentials{server, granted.account().login(), granted.token()});
  if (!s.ok()) return Fail(s.error());
  return 0;
}

int Register(const Globals& g, const std::string& login, const std::string& name) {
  auto normalized = account_rules::NormalizeLogin(login);
  if (!normalized.ok()) return Fail(normalized.error());
  auto display = account_rules::NormalizeDisplayName(name);
  if (!display.ok()) return Fail(display.error());
  auto password = ReadPassword("Choose a password (at least 8 characters): ", g.password_stdin);
  if (!password.ok()) return Fail(password.error());
  if (Status s = account_rules::CheckPassword(password.value(), normalized.value()); !s.ok()) {
    return Fail(s.error());
  }
  if (!g.password_stdin) {
    auto again = ReadPassword("Type it again: ", false);
    if (!again.ok()) return Fail(again.error());
    if (again.value() != password.value())
      return Fail("the two passwords differ; nothing was created");
  }
  std::string server = g.server.empty() ? kDefaultServer : g.server;
  auto conn = Connect(server);
  if (!conn.ok()) return Fail(conn.error());
  auto granted = conn.value()->Register(login, name, password.value());
  if (!granted.ok()) return Fail(granted.error());
  if (int rc = SaveGranted(server, granted.value()); rc != 0) return rc;
  std::cout << "Welcome, " << granted.value().account().display_name() << ". You are signed in as "
            << granted.value().account().login() << ".\n"
            << "Next: `mend invite` gives you a code for your partner, or `mend accept CODE` "
               "if they sent you one.\n";
  return 0;
}

int Login(const Globals& g, const std::string& login) {
  auto password = ReadPassword("Password for " + login + ": ", g.password_stdin);
  if (!password.ok()) return Fail(password.error());
  std::string server = g.server.empty() ? kDefaultServer : g.server;
  auto conn = Connect(server);
  if (!conn.ok()) return Fail(conn.error());
  auto granted = conn.value()->Login(login, password.value());
  if (!granted.ok()) return Fail(granted.error());
  if (int rc = SaveGranted(server, granted.value()); rc != 0) return rc;
  std::cout << "Signed in as " << Describe(granted.value().account()) << ".\n";
  return 0;
}

int Logout(const Globals& g) {
  auto saved = LoadCredentials(CredentialsPath());
  if (!saved.ok()) return Fail(saved.error());
  if (!saved.value()) {
    std::cout << "You were not signed in.\n";
    return 0;
  }
  auto conn = ConnectSignedIn(g);
  if (!conn.ok() && conn.code() != v1::UNAUTHENTICATED) return Fail(conn.error());
  if (conn.ok()) {
    Status s = conn.value()->Logout();
    if (!s.ok()) return Fail(s.error());
  }
  if (Status s = RemoveCredentials(CredentialsPath()); !s.ok()) return Fail(s.error());
  std::cout << "Signed out.\n";
  return 0;
}

int WhoAmI(const Globals& g) {
  auto conn = ConnectSignedIn(g);
  if (!conn.ok()) return Fail(conn.error());
  auto me = conn.value()->WhoAmI();
  if (!me.ok()) return Fail(me.error());
  std::cout << Describe(me.value()) << (me.value().paired() ? ", paired" : ", not paired yet")
            << "\n";
  return 0;
}

int Invite(const Globals& g) {
  auto conn = ConnectSignedIn(g);
  if (!conn.ok()) return Fail(conn.error());
  auto invite = conn.value()->CreateInvite();
  if (!invite.ok()) return Fail(invite.error());
  std::cout << "Give this code to your partner. They run `mend accept CODE`.\n"
            << "It works once and expires in 24 hours; a new invite replaces it.\n"
            << invite.value().code() << "\n";
  return 0;
}

int Accept(const Globals& g, const std::string& code) {
  auto conn = ConnectSignedIn(g);
  if (!conn.ok()) return Fail(conn.error());
  auto couple = conn.value()->AcceptInvite(code);
  if (!couple.ok()) return Fail(couple.error());
  std::cout << "You and " << Describe(couple.value().partner()) << " are now paired.\n";
  return 0;
}

int Partner(const Globals& g) {
  auto conn = ConnectSignedIn(g);
  if (!conn.ok()) return Fail(conn.error());
  auto couple = conn.value()->GetPartner();
  if (!couple.ok()) return Fail(couple.error());
  std::cout << "Your partner: " << Describe(couple.value().partner()) << "\n";
  return 0;
}

int Session(const Globals& g, const std::string& topic) {
  auto conn = ConnectSignedIn(g);
  if (!conn.ok()) return Fail(conn.error());
  return RunInteractiveSession(*conn.value(), topic, std::cin, std::cout);
}

// Runs `command` on a signed-in connection.
template <typename Command>
int SignedIn(const Globals& g, Command command) {
  auto conn = ConnectSignedIn(g);
  if (!conn.ok()) return Fail(conn.error());
  return command(*conn.value());
}

int Demo(const Globals& g, uint32_t break_seconds) {
  return RunDemo(g.server.empty() ? kDefaultServer : g.server, break_seconds, std::cout);
}

}  // namespace
}  // namespace mend::client

int main(int argc, char** argv) {
  using namespace mend::client;
  if (!mend::crypto::Init()) {
    std::cerr << "mend: libsodium failed to start\n";
    return 1;
  }
  CLI::App app{"mend: a calm, guided conversation for two partners"};
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option(
         "--server", g.server,
         "server URL (default: where you signed in, else " + std::string(kDefaultServer) + ")")
      ->envname("MEND_SERVER");

  std::string login, name, code;
  auto* reg = app.add_subcommand("register", "create an account and sign in");
  reg->add_option("LOGIN", login, "login name: 3-32 of a-z 0-9 . _ -")->required();
  reg->add_option("--name", name, "the name your partner sees")->required();
  reg->add_flag("--password-stdin", g.password_stdin, "read the password from standard input");

  auto* in = app.add_subcommand("login", "sign in");
  in->add_option("LOGIN", login, "login name")->required();
  in->add_flag("--password-stdin", g.password_stdin, "read the password from standard input");

  auto* out = app.add_subcommand("logout", "sign out and revoke this device's token");
  auto* who = app.add_subcommand("whoami", "show who is signed in");
  auto* invite = app.add_subcommand("invite", "create an invite code for your partner");
  auto* accept = app.add_subcommand("accept", "accept your partner's invite code");
  accept->add_option("CODE", code, "the invite code")->required();
  auto* partner = app.add_subcommand("partner", "show your partner");

  std::string topic;
  auto* session = app.add_subcommand("session", "a live session with your partner");
  session->require_subcommand(1);
  auto* start = session->add_subcommand("start", "open a session about a topic");
  start->add_option("TOPIC", topic, "what it is about, in a few words")->required();
  auto* join = session->add_subcommand("join", "join your open session");
  auto* demo = app.add_subcommand(
      "demo",
      "two fresh partners play one whole session against the server; exits 0 if all is well");
  uint32_t break_seconds = 2;
  demo->add_option("--break-seconds", break_seconds,
                   "the break called mid-round (0: none); the server must allow it "
                   "(mend-server --break-min-seconds 1)")
      ->capture_default_str();

  int page = 1, per_page = 10;
  auto* history = app.add_subcommand("history", "your past sessions, newest first");
  history->add_option("--page", page, "which page (1: the newest)")->capture_default_str();
  history->add_option("--per-page", per_page, "sessions per page (1-100)")->capture_default_str();

  int64_t session_id = 0;
  ReplayOptions replay_options;
  auto* replay = app.add_subcommand("replay", "watch a past session again, as it happened");
  replay->add_option("SESSION", session_id, "the session's number (see mend history)")->required();
  replay->add_option("--speed", replay_options.speed, "x1 as it happened, x10 faster; 0: at once")
      ->capture_default_str();
  replay
      ->add_option("--max-pause", replay_options.max_pause_seconds,
                   "shorten longer silences (a break) to this many seconds; 0 keeps them")
      ->capture_default_str();

  bool open_only = false, watch = false;
  auto* commitments = app.add_subcommand("commitments", "the plans you made in repair");
  commitments->add_flag("--open", open_only, "leave out the kept and the missed");
  commitments->add_flag("--watch", watch, "then show your partner's check-ins as they come");

  int64_t commitment_id = 0;
  std::string status, note;
  auto* follow = app.add_subcommand("follow-through", "record how a commitment is going");
  follow->add_option("ID", commitment_id, "the commitment's number (see mend commitments)")
      ->required();
  follow->add_option("STATUS", status, "kept, not-yet or missed")->required();
  follow->add_option("NOTE", note, "a short note (optional)");

  std::string export_file;
  auto* exp = app.add_subcommand("export", "write your whole history as JSON");
  exp->add_option("FILE", export_file,
                  "where to write it (created readable by you only); "
                  "standard output if left out");

  if (argc > 1 && argv[1][0] != '-') {
    try {
      app.get_subcommand(argv[1]);
    } catch (const CLI::OptionNotFound&) {
      std::cerr << "mend: unknown command '" << argv[1] << "' (see mend --help)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mend: " << e.what() << " (see mend --help)\n";
    return 2;
  }
  if (reg->parsed()) return Register(g, login, name);
  if (in->parsed()) return Login(g, login);
  if (out->parsed()) return Logout(g);
  if (who->parsed()) return WhoAmI(g);
  if (invite->parsed()) return Invite(g);
  if (accept->parsed()) return Accept(g, code);
  if (partner->parsed()) return Partner(g);
  if (start->parsed()) return Session(g, topic);
  if (join->parsed()) return Session(g, "");
  if (demo->parsed()) return Demo(g, break_seconds);
  if (history->parsed()) {
    return SignedIn(g, [&](Connection& c) { return RunHistory(c, page, per_page, std::cout); });
  }
  if (replay->parsed()) {
    replay_options.controls = isatty(STDIN_FILENO) != 0;
    return SignedIn(g, [&](Connection& c) {
      return RunReplay(c, session_id, replay_options, std::cin, std::cout);
    });
  }
  if (commitments->parsed()) {
    return SignedIn(g,
                    [&](Connection& c) { return RunCommitments(c, open_only, watch, std::cout); });
  }
  if (follow->parsed()) {
    return SignedIn(g, [&](Connection& c) {
      return RunFollowThrough(c, commitment_id, status, note, std::cout);
    });
  }
  if (exp->parsed()) {
    return SignedIn(g, [&](Connection& c) { return RunExport(c, export_file, std::cout); });
  }
  return 2;
}
