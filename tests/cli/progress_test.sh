#!/bin/bash
# progress_test.sh LUNET - the progress line of long runs: drawn on stderr
# on a terminal and erased at the end (also after an error or Ctrl-C),
# never when piped unless --progress=always, never under --realtime;
# script output is not glued after it.
#
# Registered with ctest by tests/extra.cmake as cli.progress (exit 77:
# skipped).  Each busy run takes 1.3 s of CPU time (tests/cli/term/busy.lua),
# so at least that much wall time: the line is due on any machine.
set -u
LUNET=${1:?usage: progress_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
. tests/cli/pty.sh
need_script
unset NO_COLOR LUNET_COLOR LUNET_PROGRESS LUNET_BUSY_SECONDS LUNET_BUSY_FAIL
export TERM=xterm
BUSY=tests/cli/term/busy.lua
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
# run NAME CMD...: stdout in $TMP/NAME.out, stderr in $TMP/NAME.err
run() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; rc=$?; }
ESC=$'\033'
ERASE=$'\r'"${ESC}[K"
LINE="events/s  (Ctrl-C stops)"
has() { grep -qF -- "$2" "$TMP/$1"; }
show() { cat -v "$TMP/$1" | sed 's/\^M\^\[\[K/\n      | <erase>/g' | sed 's/^/      | /' | head -20; }
# The progress line was drawn and erased after its last drawing.
drawn_and_erased() {
  local f=$TMP/$1 s
  s=$(cat "$f")
  grep -qE "  virtual [0-9]+\.[0-9]{3}s  [0-9.]+[kMG]? events/s  \(Ctrl-C stops\)" "$f" || return 1
  [[ ${s##*"$LINE"} == "$ERASE"* ]]
}
none() { if has "$1" "virtual" || has "$1" "$ESC"; then fail "$2" "$(show "$1")"; else pass "$2"; fi; }

# --- on a terminal ------------------------------------------------------------------
pty tty "$LUNET" run $BUSY
if [ $rc -eq 0 ] && drawn_and_erased tty.out; then pass "tty: progress drawn, erased at the end"
else fail "tty: exit $rc" "$(show tty.out)"; fi
if has tty.out "tick 1" && has tty.out "tick by file:write" && has tty.out "busy done" &&
   ! has tty.out "stops)tick" && ! has tty.out "stops)busy"
then pass "tty: print and file:write erase the line first"
else fail "tty: script output glued to the progress line" "$(show tty.out)"; fi

pty never "$LUNET" run --progress=never $BUSY
none never.out "--progress=never on a tty"
pty env_never env LUNET_PROGRESS=never "$LUNET" run $BUSY
none env_never.out "LUNET_PROGRESS=never on a tty"

# --- piped ------------------------------------------------------------------------------
run piped "$LUNET" run $BUSY
if [ $rc -eq 0 ] && has piped.out "busy done"; then pass "piped: ran"; else fail "piped: exit $rc" "$(show piped.err)"; fi
none piped.err "piped: no progress on stderr"
none piped.out "piped: no progress on stdout"
run always env LUNET_PROGRESS=never "$LUNET" run --progress=always $BUSY
if drawn_and_erased always.err; then pass "--progress=always piped (beating LUNET_PROGRESS=never): drawn and erased"
else fail "--progress=always piped" "$(show always.err)"; fi
none always.out "--progress=always: stdout clean"

# --- ends other than the normal one --------------------------------------------------
run failed env LUNET_BUSY_FAIL=1 "$LUNET" run --progress=always $BUSY
if [ $rc -ne 0 ] && has failed.err "${ERASE}lunet: " && has failed.err "failing on purpose"
then pass "a failing task: erased before the error line"
else fail "a failing task: exit $rc" "$(show failed.err)"; fi
LUNET_BUSY_SECONDS=60 "$LUNET" run --progress=always $BUSY >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
sleep 1.6
kill -INT $pid
wait $pid
rc=$?
if [ $rc -ne 0 ] && has int.err "${ERASE}lunet: " && has int.err "interrupted"
then pass "Ctrl-C: erased before the error line"
else fail "Ctrl-C: exit $rc" "$(show int.err)"; fi

cat >"$TMP/rt.lua" <<'LUA'
local net = lunet.net{}
net:host("a")
net:run("1.3s")
print("realtime done")
LUA
pty realtime "$LUNET" run --realtime --progress=always "$TMP/rt.lua"
if has realtime.out "realtime done" && ! has realtime.out "virtual"; then pass "--realtime: no progress line"
else fail "--realtime" "$(show realtime.out)"; fi

# --- lunet test ---------------------------------------------------------------------------
pty test_tty "$LUNET" test $BUSY
# (the test's own output is quiet now: the ok line may come right after the
# erase, which leaves the cursor at the start of an empty line)
if [ $rc -eq 0 ] && drawn_and_erased test_tty.out &&
   [[ $(cat "$TMP/test_tty.out") == *$'\n'"${ESC}[32mok${ESC}[0m   $BUSY: busy ("* ||
      $(cat "$TMP/test_tty.out") == *"${ERASE}${ESC}[32mok${ESC}[0m   $BUSY: busy ("* ]]
then pass "test on a tty: progress, erased, the ok line on its own line"
else fail "test on a tty: exit $rc" "$(show test_tty.out)"; fi
run test_piped "$LUNET" test $BUSY
if [ $rc -eq 0 ] && [ "$(tail -n 1 "$TMP/test_piped.out")" = "1 passed, 0 failed" ]; then pass "test piped: ran"
else fail "test piped: exit $rc" "$(show test_piped.out)"; fi
none test_piped.out "test piped (as under ctest): no progress in stdout"
none test_piped.err "test piped (as under ctest): no progress in stderr"
run test_always env LUNET_PROGRESS=never "$LUNET" test --progress=always $BUSY
if drawn_and_erased test_always.err; then pass "test --progress=always piped (beating LUNET_PROGRESS=never)"
else fail "test --progress=always piped" "$(show test_always.err)"; fi
pty test_never "$LUNET" test --progress never $BUSY
if [ $rc -eq 0 ] && ! has test_never.out "virtual"; then pass "test --progress never on a tty"
else fail "test --progress never on a tty: exit $rc" "$(show test_never.out)"; fi

# --- bad words ----------------------------------------------------------------------------
run bad_run "$LUNET" run --progress=sometimes $BUSY
if [ $rc -eq 2 ] && has bad_run.err "--progress needs auto, always or never, got sometimes"
then pass "run --progress=sometimes: usage error"; else fail "run --progress=sometimes: exit $rc" "$(show bad_run.err)"; fi
run bad_test "$LUNET" test --progress=sometimes $BUSY
if [ $rc -eq 2 ] && has bad_test.err "--progress: sometimes is not auto, always or never"
then pass "test --progress=sometimes: usage error"; else fail "test --progress=sometimes: exit $rc" "$(show bad_test.err)"; fi
run bad_repl "$LUNET" repl --progress=never
if [ $rc -eq 2 ] && has bad_repl.err "unknown option --progress=never"
then pass "repl: no --progress (it runs in real time)"; else fail "repl --progress: exit $rc" "$(show bad_repl.err)"; fi

echo
if [ $fails -eq 0 ]; then echo "progress: all checks passed"; exit 0; fi
echo "progress: $fails check(s) failed"
exit 1
