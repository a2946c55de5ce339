#!/usr/bin/env bash
# Two partners pair using only the `mend` program against a real `mend-server` process, and
# every mistake a person can make at the command line ends in a one-line message and a non-zero
# exit. Usage: cli_end_to_end.sh MEND_SERVER MEND
set -euo pipefail
server_bin=$1
mend_bin=$2
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }
pass_count=0
ok() { pass_count=$((pass_count + 1)); echo "ok - $*"; }

# Start the server on a free port and wait for its first line (an event, not a sleep).
mkfifo "$work/stdout"
"$server_bin" --listen 127.0.0.1:0 --db "$work/data/mend.db" --break-min-seconds 1 \
  >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
exec 3<"$work/stdout"
read -r -t 30 -u 3 first_line || fail "server printed nothing"
[[ $first_line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || fail "first line was: $first_line"
port=${BASH_REMATCH[1]}
url="ws://127.0.0.1:$port"
ok "server listening on $port"

# /healthz over plain HTTP on the same port.
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&4
health=$(cat <&4)
exec 4<&-
[[ $health == "HTTP/1.1 200 OK"* ]] || fail "healthz answered: $health"
ok "healthz 200"

as() { local who=$1; shift; XDG_CONFIG_HOME="$work/$who" "$mend_bin" "$@"; }
# Runs a command that must fail: non-zero exit, exactly one line on stderr starting "mend: ".
must_fail() {
  local what=$1; shift
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -ne 0 ] || fail "$what: exit 0"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "$what: not one line: $err"
  [[ $err == "mend: "* ]] || fail "$what: $err"
  ok "$what -> $err"
}

echo 'calm-waters-42' | as sam register sam --name "Sam Rivera" --password-stdin --server "$url" >/dev/null
ok "sam registered"
creds="$work/sam/mend/credentials"
[ "$(stat -c %a "$creds")" = 600 ] || fail "credentials mode $(stat -c %a "$creds")"
[ "$(stat -c %a "$work/sam/mend")" = 700 ] || fail "config dir mode"
ok "token kept 0600 in a 0700 directory"
echo 'quiet-river-7' | as alex register alex --name "Alex Kim" --password-stdin --server "$url" >/dev/null
ok "alex registered"

[ "$(as sam whoami)" = "Sam Rivera (sam), not paired yet" ] || fail "whoami: $(as sam whoami)"
ok "whoami uses the server it signed in to"
must_fail "partner before pairing" as sam partner

code=$(as sam invite | tail -n 1)
[[ $code =~ ^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$ ]] || fail "invite code: $code"
ok "invite code $code"
must_fail "accepting one's own invite" as sam accept "$code"
must_fail "an unknown code" as alex accept 00000-00000
as alex accept "$code" | grep -q "Sam Rivera (sam)" || fail "accept"
ok "alex accepted"
[ "$(as alex partner)" = "Your partner: Sam Rivera (sam)" ] || fail "alex partner: $(as alex partner)"
[ "$(as sam partner --server "$url")" = "Your partner: Alex Kim (alex)" ] || fail "sam partner"
ok "both see each other with mend partner"

must_fail "a used invite" as alex accept "$code"
must_fail "a taken login" bash -c "echo 'another-pass-9' | XDG_CONFIG_HOME='$work/x' '$mend_bin' register sam --name Sam --password-stdin --server '$url'"
must_fail "a weak password" bash -c "echo 'short' | XDG_CONFIG_HOME='$work/x' '$mend_bin' register kim --name Kim --password-stdin --server '$url'"
must_fail "an empty password" bash -c "printf '\n' | XDG_CONFIG_HOME='$work/x' '$mend_bin' register kim --name Kim --password-stdin --server '$url'"
must_fail "a wrong password" bash -c "echo 'not-my-password' | XDG_CONFIG_HOME='$work/x' '$mend_bin' login sam --password-stdin --server '$url'"
must_fail "an unknown account" bash -c "echo 'whatever-pass-1' | XDG_CONFIG_HOME='$work/x' '$mend_bin' login nobody --password-stdin --server '$url'"
must_fail "no password and no terminal" bash -c "XDG_CONFIG_HOME='$work/x' '$mend_bin' login sam --server '$url' </dev/null"
must_fail "not signed in" as nobody whoami --server "$url"
must_fail "a server that is not there" bash -c "echo 'whatever-pass-1' | XDG_CONFIG_HOME='$work/x' '$mend_bin' login sam --password-stdin --server ws://127.0.0.1:1"
must_fail "a malformed server URL" bash -c "echo 'whatever-pass-1' | XDG_CONFIG_HOME='$work/x' '$mend_bin' login sam --password-stdin --server http://example"
must_fail "another server than the one signed in to" as sam whoami --server ws://127.0.0.1:1
must_fail "an unknown command" as sam dance

# A live session in the terminal, driven line by line as a person would type.
out=$(printf 'checkin 6 tense\nquit\n' | as sam session start "the dishes")
[[ $out == *'[1] Sam Rivera opened a session: "the dishes"'* ]] || fail "session start: $out"
[[ $out == *"[2] Sam Rivera checked in: calm 6/10, feeling tense"* ]] || fail "checkin: $out"
[[ $out == *"checkin N [feeling]"* ]] || fail "no guidance shown: $out"
ok "sam starts a session, checks in and leaves"
must_fail "a second open session" as alex session start "something else"
out=$(printf 'pass\ncheckin 2 flooded\nend too tired tonight\n' | as alex session join)
[[ $out == *"[2] Sam Rivera checked in"* ]] || fail "join did not replay the events: $out"
[[ $out == *"Not now:"* ]] || fail "an out-of-turn move was not refused: $out"
[[ $out == *"a break is advised"* ]] || fail "flooding not flagged: $out"
[[ $out == *"The session is closed: ended early."* ]] || fail "end: $out"
ok "alex joins, is refused out of turn, checks in and ends the session"
must_fail "joining when nothing is open" as alex session join </dev/null

# A break from the terminal: the caller is reminded to come back, both see STOP and a countdown.
printf 'checkin 6\nquit\n' | as sam session start "chores" >/dev/null
printf 'checkin 5\nquit\n' | as alex session join >/dev/null
printf 'timeout 90s going for a walk\nquit\n' | as sam session join >/dev/null
out=$(printf 'timeout 30s\nready\nquit\n' | as alex session join)
[[ $out == *"Sam Rivera called a break for 90 s: going for a walk"* ]] || fail "break not shown: $out"
[[ $out == *"Take a breath"* && $out == *"Your partner will be back"* ]] || fail "no STOP: $out"
[[ $out == *"Not now: you are on a break"* ]] || fail "a second break was not refused: $out"
[[ $out == *"Alex Kim is ready to go on."* ]] || fail "ready: $out"
ok "a break from the terminal: STOP, countdown, refusals while it lasts, ready"
out=$(printf 'more 1\nend\n' | as sam session join)
[[ $out == *"asked for a little more time"* ]] || fail "more time: $out"
[[ $out == *"You called it: please come back"* ]] || fail "no reminder to the caller: $out"
ok "the caller asks for more time and is reminded to come back"

# A repair from the terminal, one move per run, turn by turn as two people would: Alex's plan
# becomes a commitment whose check-in date has passed.
say() { local who=$1; shift; printf "$@" | as "$who" session join >/dev/null; }
printf 'checkin 6\nquit\n' | as sam session start "money" >/dev/null
say alex 'checkin 6\nquit\n'
say sam 'statement\nworried\nthe bills come late\nwe could lose the flat\nto plan together\nquit\n'
say alex 'reflect you worry about the flat\nquit\n'
say sam 'yes\nquit\n'
say alex 'validate that makes sense\nquit\n'
say sam 'pass\nquit\n'
say alex 'statement\nalone\nI do the bills\nit is a lot\nhelp with them\nquit\n'
say sam 'reflect you feel alone with the bills\nquit\n'
say alex 'yes\nquit\n'
say sam 'validate that makes sense\nquit\n'
say alex 'repair\nquit\n'
say sam 'agree\nquit\n'
for step in 'I left the bills to you' 'you carried them alone' 'I am sorry I left them to you' \
            'I will set a monthly reminder --date 2026-01-05'; do
  say alex "step $step\\nquit\\n"
  say sam 'accept\nquit\n'
done
say sam 'end enough for tonight\n'
ok "a repair played from the terminal"

out=$(as alex history)
[[ $out == *'"money"'* && $out == *'"chores"'* && $out == *'"the dishes"'* ]] || fail "history: $out"
[[ $out == *"ended early, 1 break,"* ]] || fail "history breaks: $out"
[[ $out == *"commitment #"*"Alex Kim: I will set a monthly reminder (check in 2026-01-05)"* ]] ||
  fail "history commitments: $out"
[[ $(printf '%s\n' "$out" | grep -m1 '^Session') == *'"money"'* ]] || fail "not newest first: $out"
money=$(printf '%s\n' "$out" | sed -n 's/^Session \([0-9]*\) .*"money"$/\1/p')
[ -n "$money" ] || fail "no session number for money: $out"
[ "$(as alex history --per-page 1 --page 3 | grep -c '^Session')" = 1 ] || fail "paging"
ok "history: newest first, outcome, breaks, commitments, pages"

out=$(as sam replay "$money" --speed 0)
[[ $out == *'[1] '*'Sam Rivera opened a session: "money"'* ]] || fail "replay start: $out"
[[ $out == *"Alex Kim (4) makes a plan for next time: I will set a monthly reminder"* ]] ||
  fail "replay plan: $out"
[[ $out == *"The session is closed: ended early."* && $out == *"Replayed all "* ]] ||
  fail "replay end: $out"
ok "replay shows the session as it happened"
out=$(as sam replay "$money" --speed 50 --max-pause 1)
[[ $out == *"Replayed all "* ]] || fail "paced replay: $out"
ok "a paced replay finishes"

out=$(as sam commitments)
[[ $(printf '%s\n' "$out" | head -1) == "#"*"I will set a monthly reminder"*"DUE" ]] ||
  fail "due commitment not first: $out"
cid=$(printf '%s\n' "$out" | head -1 | sed -n 's/^#\([0-9]*\) .*/\1/p')
# Alex watches; Sam records follow-through; Alex sees it live.
mkfifo "$work/watch"
XDG_CONFIG_HOME="$work/alex" "$mend_bin" commitments --watch >"$work/watch" &
watch_pid=$!
exec 5<"$work/watch"
while read -r -t 30 -u 5 line; do [[ $line == Watching* ]] && break; done
[[ $line == Watching* ]] || fail "the watcher never started"
as sam follow-through "$cid" kept "set it up on Sunday" >/dev/null
read -r -t 30 -u 5 line || fail "no live update"
[[ $line == "Update: #$cid "*"- kept: \"set it up on Sunday\" (Sam Rivera"* ]] || fail "update: $line"
kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true
exec 5<&-
ok "follow-through recorded by one partner is seen live by the other"
[[ $(as alex commitments --open) == "No open commitments." ]] || fail "kept is still open"
must_fail "follow-through with an unknown status" as sam follow-through "$cid" perhaps
must_fail "follow-through on a commitment that is not yours" as sam follow-through 99999 kept
must_fail "replaying a session that is not yours" as sam replay 99999

as alex export "$work/export.json" >/dev/null
[ "$(stat -c %a "$work/export.json")" = 600 ] || fail "export mode $(stat -c %a "$work/export.json")"
grep -q '"topic": "money"' "$work/export.json" || fail "export lacks the topic"
grep -q '"note": "set it up on Sunday"' "$work/export.json" || fail "export lacks follow-through"
[ "$(grep -c '"seq":' "$work/export.json")" -gt 40 ] || fail "export lacks events"
ok "export writes the whole history as JSON, readable by its owner only"

# The whole demo: two fresh partners, one complete session, two concurrent clients.
demo_out=$("$mend_bin" demo --server "$url") || fail "mend demo failed: $demo_out"
[[ $demo_out == *"Demo passed:"* ]] || fail "demo: $demo_out"
ok "mend demo passes"

echo 'calm-waters-42' | as sam-laptop login sam --password-stdin --server "$url" >/dev/null
ok "sam signs in on a second device"
as sam logout >/dev/null
[ ! -e "$creds" ] || fail "credentials left after logout"
must_fail "whoami after logout" as sam whoami
[ "$(as sam-laptop whoami)" = "Sam Rivera (sam), paired" ] || fail "second device signed out too"
ok "logout signs out only this device"

# Nothing secret reaches the server log.
for secret in calm-waters-42 quiet-river-7 not-my-password "set it up on Sunday" \
    "we could lose the flat" "I will set a monthly reminder" "$code" "$(sed -n 's/^token=//p' "$work/sam-laptop/mend/credentials")"; do
  if grep -qF -- "$secret" "$work/server.log"; then fail "server log contains a secret"; fi
done
ok "no password, token, invite code or words of a session in the server log"

kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited non-zero on SIGTERM"
server_pid=
ok "server stops cleanly on SIGTERM"
echo "$pass_count passed, 0 failed"
