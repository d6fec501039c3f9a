#!/bin/bash
# faults_signals_test.sh LUNET - how lunet ends when told to (issue 8,
# faults 1, 2 and 3): SIGINT (Ctrl-C), SIGTERM (kill, timeout(1), systemd,
# docker stop) and SIGHUP (a closed terminal) stop `lunet run` between
# events, under either driver, with one line saying where
# ("lunet: interrupted at t=1.234s", "lunet: terminated at t=... (SIGTERM)")
# and exit status 128 + the signal; every pcap ends on a whole record.  A
# task caught in a loop is named at its line.  `lunet repl` ends cleanly on
# SIGTERM and SIGHUP.  A capture that cannot be written (a full disk:
# /dev/full) fails the run, naming the file.  Ctrl-C through a real
# terminal when script(1) can give one.
#
# Registered with ctest by tests/extra.cmake as cli.faults_signals.  About
# 30 s of wall time: runs are left to get going before each signal.
set -u
LUNET=${1:?usage: faults_signals_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."                       # the source tree: paths as users write them
unset LUNET_PROGRESS LUNET_BUSY_SECONDS LUNET_BUSY_FAIL
export NO_COLOR=1
TMP=$(mktemp -d)
WRITER=
trap '[ -n "$WRITER" ] && kill $WRITER 2>/dev/null; rm -rf "$TMP"' EXIT
export LUNET_PCAP_DIR=$TMP/pcap        # nothing lands in the source tree

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
has() { grep -qE -- "$2" "$TMP/$1"; }
show() { sed 's/^/      | /' "$TMP/$1" | head -30; }

# signal NAME SIG READY DELAY CMD...: start CMD (stdin from $IN, else
# /dev/null), wait until the file READY exists (the script runs: a loaded
# machine may take its time to start it), then DELAY seconds more, send
# SIG and wait; stdout in NAME.out, stderr in NAME.err, the exit status in
# $rc.
IN=/dev/null
signal() {
  local name=$1 sig=$2 ready=$3 delay=$4 i; shift 4
  "$@" <"$IN" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local pid=$!
  for i in $(seq 1 300); do [ -e "$ready" ] && break; sleep 0.1; done
  sleep "$delay"
  kill -"$sig" $pid
  stop_or_kill $pid
  wait $pid
  rc=$?
}

# A process that ignores the signal is killed after 20 s (and fails the
# check: the shell reports 137), rather than hanging the test.
stop_or_kill() {
  local i
  for i in $(seq 1 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
}

# One line on stderr, the stop line, and no traceback.
one_line() {   # one_line NAME REGEX
  [ "$(wc -l <"$TMP/$1.err")" -eq 1 ] && has "$1.err" "$2" && ! has "$1.err" "traceback"
}

# Every record of every pcap in DIR is whole (the Lua below reads them).
cat >"$TMP/pcapcheck.lua" <<'LUA'
-- pcapcheck.lua FILE...: "FILE: N frames" for a file that ends on a whole
-- record, an error naming the file and where it was cut otherwise.
local total = 0
for _, path in ipairs(arg) do
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  assert(#data >= 24, path .. ": no pcap header")
  local magic = string.unpack("<I4", data)
  assert(magic == 0xa1b23c4d or magic == 0xa1b2c3d4, path .. ": bad magic")
  local pos, n = 25, 0
  while pos <= #data do
    assert(pos + 15 <= #data, path .. ": cut in a record header after " .. n .. " frames")
    local caplen = string.unpack("<I4", data, pos + 8)
    pos = pos + 16 + caplen
    assert(pos - 1 <= #data, path .. ": cut in frame " .. (n + 1))
    n = n + 1
  end
  print(path .. ": " .. n .. " frames")
  total = total + n
end
print("total " .. total)
LUA
pcaps_whole() {   # pcaps_whole NAME DIR: true when every pcap is whole and some hold frames
  local files
  files=$(ls "$2"/*.pcap 2>/dev/null)
  [ -n "$files" ] || { echo "no pcaps in $2" >"$TMP/$1.pcap"; return 1; }
  # shellcheck disable=SC2086
  "$LUNET" run "$TMP/pcapcheck.lua" $files >"$TMP/$1.pcap" 2>&1 && ! has "$1.pcap" '^total 0$'
}

# --- SIGTERM, SIGHUP, SIGINT on a long as-fast-as-possible run ------------------
BUSY=tests/cli/term/busy.lua
for s in TERM:143:'terminated at t=[0-9.]+[mun]?s \(SIGTERM\)' \
         HUP:129:'terminated at t=[0-9.]+[mun]?s \(SIGHUP\)' \
         INT:130:'interrupted at t=[0-9.]+[mun]?s$'; do
  sig=${s%%:*}; rest=${s#*:}; want=${rest%%:*}; msg=${rest#*:}
  signal busy_$sig $sig "$TMP/busy_$sig/a-eth0.pcap" 1 \
         env LUNET_BUSY_SECONDS=60 "$LUNET" run --pcap "$TMP/busy_$sig" $BUSY
  if [ $rc -eq $want ] && one_line busy_$sig "^lunet: $msg"
  then pass "run: SIG$sig stops a long run, exit $want, one line"
  else fail "run: SIG$sig: exit $rc, want $want" "$(show busy_$sig.err)"; fi
  if pcaps_whole busy_$sig "$TMP/busy_$sig"
  then pass "run: SIG$sig leaves whole pcaps ($(tail -n 1 "$TMP/busy_$sig.pcap"))"
  else fail "run: SIG$sig: pcaps cut" "$(show busy_$sig.pcap)"; fi
done

# --- a task caught in a loop: its line --------------------------------------------
cat >"$TMP/loop.lua" <<'LUA'
local net = lunet.net{}
local h = net:host("h")
h:spawn(function()
  io.open(os.getenv("READY"), "w"):close()
  local i = 0
  while true do i = i + 1 end
end)
net:run()
LUA
READY=$TMP/loop_INT.ready signal loop_INT INT "$TMP/loop_INT.ready" 0.3 "$LUNET" run "$TMP/loop.lua"
if [ $rc -eq 130 ] && one_line loop_INT "^lunet: interrupted at t=0s in the task at $TMP/loop.lua:6$"
then pass "run: Ctrl-C on a task in a loop names its line, exit 130"
else fail "run: Ctrl-C on a task in a loop: exit $rc" "$(show loop_INT.err)"; fi
READY=$TMP/loop_TERM.ready signal loop_TERM TERM "$TMP/loop_TERM.ready" 0.3 "$LUNET" run "$TMP/loop.lua"
if [ $rc -eq 143 ] && one_line loop_TERM "^lunet: terminated at t=0s in the task at $TMP/loop.lua:6 \(SIGTERM\)$"
then pass "run: SIGTERM on a task in a loop names its line, exit 143"
else fail "run: SIGTERM on a task in a loop: exit $rc" "$(show loop_TERM.err)"; fi

# ... and the script's own code in a loop, no network running
cat >"$TMP/spin.lua" <<'LUA'
local net = lunet.net{}
net:run("2s")
io.open(os.getenv("READY"), "w"):close()
local x = 0
while true do x = x + 1 end
LUA
READY=$TMP/spin.ready signal spin INT "$TMP/spin.ready" 0.3 "$LUNET" run "$TMP/spin.lua"
if [ $rc -eq 130 ] && one_line spin "^lunet: interrupted at t=2.000s in $TMP/spin.lua:5$"
then pass "run: Ctrl-C in the script's own loop names its line, exit 130"
else fail "run: Ctrl-C in the script's loop: exit $rc" "$(show spin.err)"; fi

# --timeout still ends with 124 and the task's line
"$LUNET" run --timeout 0.5s tests/cli/runaway/runaway_task.fixture >"$TMP/timeout.out" 2>&1
rc=$?
if [ $rc -eq 124 ] && has timeout.out "timeout: the wall-clock limit of --timeout ran out" &&
   has timeout.out "runaway_task.fixture:6"
then pass "run --timeout: still exit 124, at the task's line"
else fail "run --timeout: exit $rc" "$(show timeout.out)"; fi

# --- --realtime -------------------------------------------------------------------
# A shipped script: Ctrl-C ends it there (it does not carry on after its
# net:run), with whole pcaps.
signal rt_ping INT "$TMP/rt_ping/h1-eth0.pcap" 1.2 "$LUNET" run --realtime --pcap "$TMP/rt_ping" scripts/ping.lua
if [ $rc -eq 130 ] && one_line rt_ping '^lunet: interrupted at t=[0-9.]+[mun]?s$' &&
   has rt_ping.out 'icmp_seq=1 ' && ! has rt_ping.out 'RTT = '
then pass "run --realtime scripts/ping.lua: Ctrl-C ends the script, exit 130, one line"
else fail "run --realtime ping: exit $rc" "$(show rt_ping.out)" "$(show rt_ping.err)"; fi
if pcaps_whole rt_ping "$TMP/rt_ping"; then pass "run --realtime: whole pcaps after Ctrl-C"
else fail "run --realtime: pcaps" "$(show rt_ping.pcap)"; fi

# A script that runs several times stops at the first interrupted run.
cat >"$TMP/runs.lua" <<'LUA'
io.open(os.getenv("READY"), "w"):close()
local net = lunet.net{}
net:host("a")
for i = 1, 20 do
  local ok, why = net:run("0.5s")
  print("run " .. i .. " returned " .. tostring(ok) .. " " .. tostring(why))
end
print("all runs done")
LUA
READY=$TMP/rt_runs.ready signal rt_runs INT "$TMP/rt_runs.ready" 1.2 "$LUNET" run --realtime "$TMP/runs.lua"
if [ $rc -eq 130 ] && one_line rt_runs '^lunet: interrupted at t=[0-9.]+[mun]?s$' &&
   has rt_runs.out '^run 1 returned true nil$' && ! has rt_runs.out 'returned false' &&
   ! has rt_runs.out 'all runs done'
then pass "run --realtime: an interrupt ends a script of several runs, exit 130"
else fail "run --realtime, several runs: exit $rc" "$(show rt_runs.out)" "$(show rt_runs.err)"; fi
READY=$TMP/rt_term.ready signal rt_term TERM "$TMP/rt_term.ready" 1.2 "$LUNET" run --realtime "$TMP/runs.lua"
if [ $rc -eq 143 ] && one_line rt_term '^lunet: terminated at t=[0-9.]+[mun]?s \(SIGTERM\)$'
then pass "run --realtime: SIGTERM, exit 143"
else fail "run --realtime, SIGTERM: exit $rc" "$(show rt_term.err)"; fi

# A SIGHUP ignored when lunet starts (nohup) stays ignored.
(trap '' HUP; READY=$TMP/nohup.ready exec "$LUNET" run --realtime "$TMP/runs.lua") >"$TMP/nohup.out" 2>&1 &
pid=$!
for i in $(seq 1 300); do [ -e "$TMP/nohup.ready" ] && break; sleep 0.1; done
sleep 0.3
kill -HUP $pid
sleep 0.8
kill -TERM $pid
stop_or_kill $pid
wait $pid
rc=$?
if [ $rc -eq 143 ] && has nohup.out '^run 1 returned true nil$' && has nohup.out '\(SIGTERM\)$'
then pass "run: an ignored SIGHUP (nohup) stays ignored"
else fail "run under nohup: exit $rc" "$(show nohup.out)"; fi

# --- lunet repl: SIGTERM and SIGHUP end the session cleanly ---------------------------
for s in TERM:143 HUP:129; do
  sig=${s%%:*}; want=${s#*:}
  mkfifo "$TMP/in_$sig"
  { echo 'h1:ping(h2_ip, {count = 100})'; sleep 30; } >"$TMP/in_$sig" &
  WRITER=$!
  IN=$TMP/in_$sig
  signal repl_$sig $sig "$TMP/repl_$sig/h1-eth0.pcap" 1.5 \
         "$LUNET" repl --pcap "$TMP/repl_$sig" topologies/two_hosts.lua
  IN=/dev/null
  kill $WRITER 2>/dev/null; wait $WRITER 2>/dev/null; WRITER=
  if [ $rc -eq $want ] && has repl_$sig.out 'icmp_seq=1 ' &&
     has repl_$sig.err "^lunet: terminated at t=[0-9.]+[mun]?s \(SIG$sig\)$"
  then pass "repl: SIG$sig ends the session, exit $want"
  else fail "repl: SIG$sig: exit $rc" "$(show repl_$sig.out)" "$(show repl_$sig.err)"; fi
  if pcaps_whole repl_$sig "$TMP/repl_$sig"; then pass "repl: SIG$sig leaves whole pcaps"
  else fail "repl: SIG$sig: pcaps" "$(show repl_$sig.pcap)"; fi
done

# --- lunet test: a signal ends the whole run -------------------------------------------
cat >"$TMP/tests_long.lua" <<'LUA'
test("first", function(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  net:spawn(function() while true do lunet.sleep(0.001) end end)
  io.open(os.getenv("READY"), "w"):close()
  net:run(1e7)
end)
test("second", function() end)
test("third", function() end)
LUA
READY=$TMP/tests_ready signal tests_TERM TERM "$TMP/tests_ready" 0.3 \
       "$LUNET" test --junit "$TMP/tests.xml" "$TMP/tests_long.lua"
if [ $rc -eq 143 ] && has tests_TERM.out 'FAIL .*: first' && has tests_TERM.out 'terminated at t=[0-9.]+[mun]?s \(SIGTERM\)' &&
   ! has tests_TERM.out 'second' && has tests_TERM.out '^0 passed, 1 failed; stopped by SIGTERM, the rest did not run$' &&
   grep -q '<testsuites name="lunet" tests="1"' "$TMP/tests.xml"
then pass "test: SIGTERM fails the running test, starts no other, writes the JUnit file, exit 143"
else fail "test: SIGTERM: exit $rc" "$(show tests_TERM.out)" "$(show tests_TERM.err)"; fi

# --- captures that cannot be written (fault 3) -----------------------------------------
cat >"$TMP/full.lua" <<'LUA'
local net = lunet.net{}
local h1, h2 = net:host("h1"), net:host("h2")
net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
if os.getenv("FULL_CAPTURE") then net:capture{iface = h1.eth0, file = "/dev/full"} end
h1:spawn(function() h1:ping("10.0.0.2", {count = 3, quiet = true}) end)
net:run()
print("script done")
LUA
mkdir -p "$TMP/fullpcap"
ln -s /dev/full "$TMP/fullpcap/h1-eth0.pcap"
"$LUNET" run --pcap "$TMP/fullpcap" "$TMP/full.lua" >"$TMP/full_pcap.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && has full_pcap.out "^lunet: capture \"$TMP/fullpcap/h1-eth0.pcap\": write failed: No space left on device" &&
   ! has full_pcap.out 'script done'
then pass "--pcap: a pcap on a full disk fails the run, naming the file, exit 1"
else fail "--pcap to /dev/full: exit $rc" "$(show full_pcap.out)"; fi
if "$LUNET" run "$TMP/pcapcheck.lua" "$TMP/fullpcap/h2-eth0.pcap" >"$TMP/full_other.out" 2>&1 &&
   ! has full_other.out '^total 0$'
then pass "--pcap: the other pcap is whole ($(tail -n 1 "$TMP/full_other.out"))"
else fail "--pcap: h2-eth0.pcap" "$(show full_other.out)"; fi
FULL_CAPTURE=1 "$LUNET" run "$TMP/full.lua" >"$TMP/full_cap.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && has full_cap.out '^lunet: .*capture "/dev/full": write failed: No space left on device'
then pass "net:capture{file = \"/dev/full\"}: the run fails, exit 1"
else fail "net:capture to /dev/full: exit $rc" "$(show full_cap.out)"; fi

# A failure nobody heard of (frames never flushed by a run) shows at exit.
cat >"$TMP/full_exit.lua" <<'LUA'
local net = lunet.net{}
local h1 = net:host("h1")
net:link(h1, net:host("h2"))
net:capture{iface = h1.eth0, file = "/dev/full"}
h1:send_frame("eth0", string.rep("\255", 6) .. string.rep("\2", 6) .. "\8\0" .. string.rep("x", 100))
print("script done")
LUA
"$LUNET" run "$TMP/full_exit.lua" >"$TMP/full_exit.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && has full_exit.out '^script done$' &&
   has full_exit.out '^lunet: capture "/dev/full": write failed: No space left on device'
then pass "a capture that failed unseen is an error at exit, exit 1"
else fail "capture failure at exit: exit $rc" "$(show full_exit.out)"; fi

# --- Ctrl-C through a terminal (script(1)), when one can be had ------------------------
if command -v script >/dev/null 2>&1 &&
   script -qfec "test -t 0 && test -t 1" /dev/null </dev/null >/dev/null 2>&1; then
  # script forwards its stdin to the terminal: ^C there is the terminal's Ctrl-C.
  # The ^C reaches the whole foreground group, the shell script(1) starts too;
  # a non-interactive dash (CI's /bin/sh) would die of it before printing the
  # exit status, so that shell catches SIGINT (lunet still gets the default).
  { sleep 1.5; printf '\003'; sleep 3; } |
    TERM=xterm script -qfec "trap : INT; $(printf '%q ' "$LUNET" run --realtime --pcap "$TMP/pty" scripts/ping.lua); echo \"[exit \$?]\"" /dev/null \
    >"$TMP/pty.out" 2>&1
  if has pty.out 'lunet: interrupted at t=1\.[0-9]+s' && has pty.out '\[exit 130\]' && ! has pty.out 'traceback'
  then pass "pty: Ctrl-C on --realtime scripts/ping.lua: one line, exit 130"
  else fail "pty: Ctrl-C" "$(show pty.out)"; fi
  if pcaps_whole pty "$TMP/pty"; then pass "pty: whole pcaps after Ctrl-C"
  else fail "pty: pcaps" "$(show pty.pcap)"; fi
else
  echo "skip pty: script(1) cannot give a terminal here"
fi

echo
if [ $fails -eq 0 ]; then echo "all passed"; exit 0; fi
echo "$fails failed"
exit 1
