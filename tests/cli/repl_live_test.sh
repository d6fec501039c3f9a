#!/bin/bash
# repl_live_test.sh LUNET - `lunet repl` as a user drives it, on a real
# terminal (tmux): `h1 ping h2` at the prompt, Tab completion, pause() and
# step(), errors that leave the session alive, Ctrl-C on a long ping and on
# `while true do end`, rewind() giving the same output and the same pcap
# bytes, history() and save() replayed by `lunet run`, piped input that
# waits for a ping, and Ctrl-D leaving complete pcaps.
#
# Registered with ctest by tests/extra.cmake as cli.repl_live.  Without
# tmux the test exits 77: skipped (.ci/run installs it).
set -u
LUNET=${1:?usage: repl_live_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed; run: apt-get install tmux"
  exit 77
fi

TMP=$(mktemp -d)
SOCK="lunet-test-$$"
T() { tmux -L "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
screen() { T capture-pane -p -J -S -200 -t "$1"; }
show() { screen "$1" | grep -v '^$' | sed 's/^/      | /' | tail -25; }
# wait_for SESSION REGEX [SECONDS]: until the screen shows it
wait_for() {
  local i
  for i in $(seq 1 $((${3:-10} * 10))); do
    screen "$1" | grep -qE -- "$2" && return 0
    sleep 0.1
  done
  return 1
}
# the number of screen lines matching REGEX
count() { screen "$1" | grep -cE -- "$2"; }
send() { T send-keys -t "$1" "$2" Enter; }
start() {   # start SESSION ARGS...: lunet repl on a 150x50 terminal
  local s=$1; shift
  T new-session -d -s "$s" -x 150 -y 50 "cd $PWD && TERM=xterm $LUNET repl $* ; echo \"[exit \$?]\"; sleep 30"
  wait_for "$s" '^lunet [0-9.]+s> ' 10
}

# --- a session on lan_router ---------------------------------------------------
if start a --pcap "$TMP/a" topologies/lan_router.lua; then pass "the prompt shows virtual time"
else fail "no prompt" "$(show a)"; fi

send a 'h1 ping remote'
if wait_for a 'icmp_seq=3 ttl=63 time=' 15; then pass "h1 ping remote: three replies with times"
else fail "h1 ping remote" "$(show a)"; fi
wait_for a 'packet loss' 5

T send-keys -t a 'print(rem' Tab
sleep 0.5
if screen a | grep -qE '> print\(remote *$'; then pass "Tab completes a host name (rem -> remote)"
else fail "Tab completion of a host name" "$(show a)"; fi
T send-keys -t a C-u
T send-keys -t a 'h1:pi' Tab
sleep 0.5
if screen a | grep -qE '> h1:ping *$'; then pass "Tab completes a method (h1:pi -> h1:ping)"
else fail "Tab completion of a method" "$(show a)"; fi
T send-keys -t a C-u

send a 'pause()'
send a 'print("t1", net:now())'
sleep 1
send a 'print("t2", net:now())'
wait_for a '^t2 ' 5
# (the terminal shows print's tabs as spaces)
t1=$(screen a | grep -E '^t1 ' | tail -1 | awk '{print $2}')
t2=$(screen a | grep -E '^t2 ' | tail -1 | awk '{print $2}')
if [ -n "$t1" ] && [ "$t1" = "$t2" ]; then pass "pause(): virtual time stands still ($t1)"
else fail "pause(): $t1 then $t2" "$(show a)"; fi
if screen a | grep -qE '^lunet [0-9.]+s paused> '; then pass "the prompt says paused"
else fail "prompt while paused" "$(show a)"; fi
send a 'h2:ping(r1:ip(), {count = 1}) &'
wait_for a '^\[1\] ' 5
send a 'step()'
if wait_for a '^[0-9]+\.[0-9]{6} [A-Za-z0-9_.-]+ (In |Out) (ARP|IP|[0-9])' 5; then pass "step(): one packet, as tcpdump shows it"
else fail "step()" "$(show a)"; fi
send a 'print("t3", net:now())'
wait_for a '^t3 ' 5
t3=$(screen a | grep -E '^t3 ' | tail -1 | awk '{print $2}')
if [ -n "$t3" ] && [ "$t3" -gt "$t2" ]; then pass "step(): time advanced to that packet ($t2 -> $t3)"
else fail "step(): time $t2 -> $t3" "$(show a)"; fi
send a 'resume()'
if wait_for a '^\[1\] done' 10; then pass "resume(): the background ping finishes"
else fail "resume()" "$(show a)"; fi

send a 'x = = 1'
wait_for a "unexpected symbol near '='" 5 && pass "a syntax error is reported" || fail "syntax error" "$(show a)"
send a 'error("boom")'
wait_for a 'lunet: stdin:1: boom' 5 && pass "a runtime error is reported" || fail "runtime error" "$(show a)"
send a 'print("alive", 1)'
wait_for a '^alive +1$' 5 && pass "... and the session goes on" || fail "alive after errors" "$(show a)"

send a 'h1:ping(remote:ip(), {count = 100})'
wait_for a 'icmp_seq=2 ' 10
T send-keys -t a C-c
send a 'print("alive", 2)'
if wait_for a '^alive +2$' 5 && ! screen a | grep -q 'icmp_seq=5 '; then
  pass "Ctrl-C stops a long ping, not the session"
else fail "Ctrl-C on a ping" "$(show a)"; fi
send a 'while true do end'
sleep 0.5
T send-keys -t a C-c
send a 'print("alive", 3)'
if wait_for a '^alive +3$' 5 && screen a | grep -q 'interrupted!'; then
  pass "Ctrl-C stops while true do end"
else fail "Ctrl-C on a loop" "$(show a)"; fi

T send-keys -t a C-d
if wait_for a '^\[exit 0\]' 10; then pass "Ctrl-D: exit 0"
else fail "Ctrl-D" "$(show a)"; fi
n=$(tshark -r "$TMP/a/h1-eth0.pcap" 2>/dev/null | wc -l)
if [ "$n" -ge 8 ] && tshark -r "$TMP/a/h1-eth0.pcap" -Y "icmp.type == 0" 2>/dev/null | grep -q "Echo"; then
  pass "Ctrl-D leaves complete pcaps ($n frames from h1, replies included)"
else fail "pcap after Ctrl-D: $n frames" "$(ls -la "$TMP/a" 2>&1)"; fi

# --- rewind, history, save --------------------------------------------------------
start b --pcap "$TMP/b" topologies/two_hosts.lua || fail "session b: no prompt" "$(show b)"
send b 'h1 ping h2'
wait_for b 'packet loss' 15
screen b | grep -E '^64 bytes from' > "$TMP/first.txt"
send b 'pause()'
send b 'tw = net:now()'
sleep 0.5
cp "$TMP/b/h1-eth0.pcap" "$TMP/first.pcap"
send b 'rewind(string.format("%dns", tw))'
if wait_for b '^rewound to ' 15; then pass "rewind(): rebuilt and replayed"
else fail "rewind()" "$(show b)"; fi
again=$(screen b | grep -E '^64 bytes from' | tail -n "$(wc -l < "$TMP/first.txt")")
if [ "$(wc -l < "$TMP/first.txt")" -eq 3 ] && [ "$again" = "$(cat "$TMP/first.txt")" ]; then
  pass "rewind(): the same ping output again"
else fail "rewind(): output differs" "first: $(cat "$TMP/first.txt")" "again: $again"; fi
sleep 0.5
if cmp -s "$TMP/first.pcap" "$TMP/b/h1-eth0.pcap"; then pass "rewind(): the same pcap bytes"
else fail "rewind(): pcap differs ($(stat -c %s "$TMP/first.pcap") vs $(stat -c %s "$TMP/b/h1-eth0.pcap") bytes)"; fi
send b 'history()'
wait_for b '^ +1 +[0-9.]+[mun]?s +h1 ping h2$' 5 && pass "history(): the line and its time" || fail "history()" "$(show b)"
send b "save(\"$TMP/session.lua\")"
wait_for b '^saved 2 lines' 5 || fail "save()" "$(show b)"
T send-keys -t b C-d
wait_for b '^\[exit 0\]' 10
LUNET_PCAP_DIR="$TMP/replay" "$LUNET" run "$TMP/session.lua" > "$TMP/replay.out" 2>&1
if [ "$(grep -E '^64 bytes from' "$TMP/replay.out")" = "$(cat "$TMP/first.txt")" ]; then
  pass "save(): lunet run replays the session headless, same output"
else fail "replay of the saved session" "$(cat "$TMP/replay.out")"; fi

# --- piped input waits for what it started ----------------------------------------
printf 'h1 ping h2\nprint("after the ping")\n' |
  "$LUNET" repl --pcap "$TMP/p" topologies/two_hosts.lua > "$TMP/piped.out" 2>&1
if grep -q 'icmp_seq=3 ' "$TMP/piped.out" &&
   [ "$(grep -n 'after the ping' "$TMP/piped.out" | cut -d: -f1)" -gt "$(grep -n 'icmp_seq=3 ' "$TMP/piped.out" | cut -d: -f1)" ]
then pass "piped: a ping runs to the end before the next line"
else fail "piped" "$(cat "$TMP/piped.out")"; fi
printf 'h1:ping("10.0.0.2", {count = 2}) &\n' |
  "$LUNET" repl topologies/two_hosts.lua > "$TMP/piped2.out" 2>&1
if grep -q 'icmp_seq=2 ' "$TMP/piped2.out" && grep -q '^\[1\] done' "$TMP/piped2.out"; then
  pass "piped: at end of input, a background ping is waited for"
else fail "piped, background" "$(cat "$TMP/piped2.out")"; fi

echo
if [ $fails -eq 0 ]; then echo "repl_live: all checks passed"; exit 0; fi
echo "repl_live: $fails check(s) failed"
exit 1
